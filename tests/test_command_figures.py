"""The command centre's figures page: what each role sees (the province all communes, a commune its own, a unit only
its beds), the trend chart data, positivity of the last 7 days, open alerts, the export, the rebuild job, and a
bounded number of queries whatever the number of communes."""

from __future__ import annotations

import io
import json
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from epicommand.cases import facts, facts_rebuild, key_staff
from epicommand.cases.models import ActiveCases, Alert, Beds, CaseDay, WorkerLoad
from epicommand.core.models import AuditEvent, Job, Organization
from epicommand.core.roles import Role
from epicommand.dashboard import command_figures
from epicommand.testing.models import Kind, PositivityDay

from .world import COMMUNES, make_user

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
QUERIES_PINNED = 11  # the user with their place, the places inside it; the figures (nine)


@pytest.fixture
def figures(world):
    """The world's cases counted into the facts (two open cases per commune: one in its tier-1 facility, one at
    home), plus days and positivity rows chosen so each commune's figures differ."""
    facts_rebuild.rebuild_all()
    for n, key in enumerate(COMMUNES, start=1):
        commune = world.communes[key]
        facts.count_day(commune_id=commune.pk, day=TODAY - timedelta(days=3), opened=n)
        PositivityDay.objects.create(commune=commune, day=TODAY - timedelta(days=2), kind=Kind.PCR, tests=10 * n,
                                     positives=n)
        # Outside the last 7 days: never counted.
        PositivityDay.objects.create(commune=commune, day=TODAY - timedelta(days=9), kind=Kind.PCR, tests=100,
                                     positives=90)
    key_staff.cases_changed(actor=None, person_ids=[world.people["home"].pk])  # the home agency's alert
    return world


def page(client, user, **params) -> tuple[str, object]:
    client.force_login(user)
    response = client.get(reverse("dashboard:command"), params)
    assert response.status_code == 200
    return response.content.decode(), response.context["f"]


def test_province_sees_every_commune(client, figures):
    world = figures
    body, f = page(client, world.user(Role.COMMAND))
    assert f.total == 6
    assert dict((v, n) for v, _l, n in f.by_severity)["mild"] == 6
    assert dict((t, n) for t, _l, n in f.by_tier)[1] == 6
    assert dict((s, n) for s, _l, n in f.by_setting) == {"pending": 0, "home": 3, "facility": 3}
    assert sorted(r["name"] for r in f.by_commune) == sorted(c.name for c in world.communes.values())
    assert [(b["tier"], b["kind"], b["total"], b["occupied"], b["free"]) for b in f.beds] == [(1, "regular", 30, 3, 27)]
    assert f.worker_totals == {"workers": 3, "patients": 3, "alarming": 3}
    assert f.open_alerts == 3 and f.open_key_staff_alerts == 1
    assert (f.positivity["tests"], f.positivity["positives"]) == (60, 6)
    # Opened: the world's six cases today, and 1 + 2 + 3 three days ago.
    assert sum(p["opened"] for p in f.trend) == 12 and f.trend[-1]["opened"] == 6 and len(f.trend) == 30
    chart = json.loads(body.split('id="command-trend-data" type="application/json">')[1].split("</script>")[0])
    assert sum(chart["opened"]) == 12 and len(chart["days"]) == 30
    for name in (c.name for c in world.communes.values()):
        assert name in body


def test_commune_sees_only_its_own_figures(client, figures):
    world = figures
    body, f = page(client, world.user(Role.COMMUNE_STATION, "neighbour"))
    assert f.total == 2
    assert [r["name"] for r in f.by_commune] == [world.communes["neighbour"].name]
    assert [(b["total"], b["free"]) for b in f.beds] == [(10, 9)]
    assert f.worker_totals["patients"] == 1 and [w.worker for w in f.workers] == [
        world.user(Role.MOBILE_STATION, "neighbour")]
    assert f.open_alerts == 1 and f.open_key_staff_alerts == 0  # the alert is the home agency's
    assert (f.positivity["tests"], f.positivity["positives"]) == (20, 2)
    assert sum(p["opened"] for p in f.trend) == 4  # two today, two three days ago
    for other in ("home", "unrelated"):
        assert world.communes[other].name not in body
        assert f"USER {other}." not in body


def test_a_unit_sees_only_its_beds_and_a_role_without_cases_none(client, figures):
    world = figures
    body, f = page(client, world.user(Role.FACILITY, "home"))
    assert f.total == 0 and f.open_alerts == 0  # the alert is of a patient at home, not one it treats
    assert [(b["total"], b["free"]) for b in f.beds] == [(10, 9)]
    assert 'data-testid="command-unit-note"' in body
    client.force_login(world.user(Role.DEPARTMENT, "home"))
    assert client.get(reverse("dashboard:command")).status_code == 403
    assert client.get(reverse("dashboard:command_export", args=["xlsx"])).status_code == 403


def test_zero_rows_left_by_the_incremental_path_are_not_shown(client, figures):
    world = figures
    commune = world.communes["home"]
    ActiveCases.objects.create(commune=commune, severity="critical", tier=3, setting="facility", cases=0)
    _body, f = page(client, world.user(Role.COMMUNE_STATION, "home"))
    assert dict((v, n) for v, _l, n in f.by_severity)["critical"] == 0 and f.total == 2


def test_period_choice_and_the_open_alert_count_follows_status(client, figures):
    world = figures
    CaseDay.objects.create(commune=world.communes["home"], day=TODAY - timedelta(days=60), opened=5)
    _body, f = page(client, world.user(Role.COMMAND), days="90")
    assert f.days == 90 and sum(p["opened"] for p in f.trend) == 17
    _body, f = page(client, world.user(Role.COMMAND), days="1000")  # not offered: the default
    assert f.days == 30
    Alert.objects.filter(pk=world.cases.alerts["home"].pk).update(status=Alert.Status.RESOLVED)
    _body, f = page(client, world.user(Role.COMMAND))
    assert f.open_alerts == 2


def test_export_holds_the_figures_of_the_users_area_and_is_audited(client, figures):
    world = figures
    client.force_login(world.user(Role.COMMUNE_STATION, "home"))
    response = client.get(reverse("dashboard:command_export", args=["xlsx"]))
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content) if response.streaming
                                     else response.content)).active
    rows = [tuple(c.value for c in row) for row in sheet.iter_rows()]
    flat = [str(v) for row in rows for v in row if v is not None]
    assert world.communes["home"].name in flat
    assert world.communes["neighbour"].name not in flat
    totals = [r for r in rows if r[:2] == ("Ca đang điều trị", "Tổng")]
    assert totals and totals[0][2] == 2
    assert AuditEvent.objects.filter(action="export", object_type="cases.ActiveCases").exists()
    assert client.get(reverse("dashboard:command_export", args=["pdf"])).status_code == 404


def test_rebuild_is_a_province_job(client, figures, django_capture_on_commit_callbacks):
    world = figures
    client.force_login(world.user(Role.COMMUNE_STATION, "home"))
    assert client.post(reverse("dashboard:command_rebuild")).status_code == 403
    client.force_login(world.user(Role.HEALTH_OFFICER))
    with django_capture_on_commit_callbacks(execute=False):
        response = client.post(reverse("dashboard:command_rebuild"))
    job = Job.objects.get(kind=facts_rebuild.REBUILD_JOB)
    assert response.status_code == 302 and response.url == reverse("jobs:detail", args=[job.pk])
    ActiveCases.objects.all().delete()
    assert facts_rebuild.rebuild_job(job)["active_cases"] == ActiveCases.objects.count() > 0


def _page_queries(client) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(reverse("dashboard:command")).status_code == 200
    # The session's own statements (read, and saved with savepoints on some databases) are the framework's.
    return [q["sql"] for q in captured.captured_queries
            if "django_session" not in q["sql"] and "SAVEPOINT" not in q["sql"]]


def test_queries_are_pinned_and_do_not_grow_with_the_data(client, figures):
    world = figures
    client.force_login(world.user(Role.COMMAND))
    _page_queries(client)  # the session and the user's places read once
    before = _page_queries(client)
    # Much more of everything the page reads: every severity, tier and setting in every commune, a month of days,
    # more facilities with beds of every kind, more health workers with patients, positivity of every kind.
    for n, commune in enumerate(world.communes.values()):
        for severity in ("asymptomatic", "mild", "moderate", "severe", "critical"):
            for tier in (0, 1, 2, 3):
                ActiveCases.objects.create(commune=commune, severity=severity, tier=tier, setting="pending",
                                           cases=n + tier + 1)
        for day in range(1, 30):
            facts.count_day(commune_id=commune.pk, day=TODAY - timedelta(days=day), opened=day, recovered=1)
        for k in range(3):
            org = Organization.objects.create(name=f"Bệnh viện {n}-{k}", name_folded=f"benh vien {n}-{k}",
                                              kind=Organization.Kind.DISTRICT_HOSPITAL, place=commune, tier=k + 1)
            for kind in command_figures.BED_KINDS:
                Beds.objects.create(facility=org, kind=kind, total=10, occupied=k)
            worker = make_user(f"worker{n}{k}", Role.MOBILE_STATION, place=commune)
            WorkerLoad.objects.create(worker=worker, commune=commune, active=5 + k, alarming=k)
        for kind in (Kind.ANTIGEN, Kind.POOLED_PCR):
            PositivityDay.objects.create(commune=commune, day=TODAY - timedelta(days=1), kind=kind, tests=20,
                                         positives=2)
    after = _page_queries(client)
    assert len(after) == len(before), "\n".join(after)
    assert len(after) == QUERIES_PINNED, "\n".join(after)
    _body, f = page(client, world.user(Role.COMMAND))
    assert len(f.beds) > 1 and f.worker_totals["workers"] == 3 + 9


def test_collect_reads_only_what_the_user_sees(figures):
    world = figures
    mobile = command_figures.collect(world.user(Role.MOBILE_STATION, "unrelated"), on=TODAY, days=14)
    assert mobile.total == 2 and len(mobile.trend) == 14
