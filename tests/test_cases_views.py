"""Case and facility screens over HTTP: lists through jurisdiction, the case page's contents, opening,
severity, referral and beds forms, and the refusals (404 for another hospital's patient, 403 without the
right)."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from epicommand.cases import services
from epicommand.cases.models import Beds, Case, Observation, Referral
from epicommand.core.roles import Role

from .browsing import vi
from .cases_fixtures import person, tower

pytestmark = pytest.mark.django_db


def test_facility_staff_get_404_on_another_hospitals_patient(client, world):
    t = tower(world)
    theirs, _ = services.open_case(actor=None, person=person(world, "BỆNH NHÂN huyện"), opened_on=timezone.localdate())
    from epicommand.cases import admissions

    admissions.admit(actor=t.district_staff, case=theirs, facility=t.district, bed_kind="regular")
    client.force_login(world.user(Role.FACILITY, "home"))  # the commune's tier-1 facility
    assert client.get(reverse("cases:detail", kwargs={"pk": world.cases.cases["home"].pk})).status_code == 200
    for pk in (theirs.pk, world.cases.cases["neighbour"].pk):
        assert client.get(reverse("cases:detail", kwargs={"pk": pk})).status_code == 404
        assert client.post(reverse("cases:close", kwargs={"pk": pk}), {"outcome": "died"}).status_code == 404
    listing = client.get(reverse("cases:list")).content.decode()
    assert "CASE home" in listing and "BỆNH NHÂN huyện" not in listing and "CASE neighbour" not in listing
    client.force_login(t.district_staff)
    assert client.get(reverse("cases:detail", kwargs={"pk": theirs.pk})).status_code == 200
    assert client.get(reverse("cases:detail", kwargs={"pk": world.cases.cases["home"].pk})).status_code == 404


def test_refusals_without_the_right(client, world):
    case = world.cases.cases["home"]
    client.force_login(world.user(Role.MOBILE_STATION))
    assert client.get(reverse("cases:detail", kwargs={"pk": case.pk})).status_code == 200
    for name in ("cases:severity", "cases:close", "cases:place", "cases:refer", "cases:discharge"):
        assert client.post(reverse(name, kwargs={"pk": case.pk}), {}).status_code == 403, name
    assert client.get(reverse("cases:open")).status_code == 403
    facility = world.org("treatment_facility")
    assert client.post(reverse("cases:beds_edit", kwargs={"pk": facility.pk}), {"regular": 99}).status_code == 403
    client.force_login(world.user(Role.DEPARTMENT))
    for name in ("cases:list", "cases:referrals", "cases:beds"):
        assert client.get(reverse(name)).status_code == 403
    assert Beds.objects.get(facility=facility, kind="regular").total == 10


def test_list_filters(client, world):
    client.force_login(world.user(Role.HEALTH_OFFICER))
    url = reverse("cases:list")
    body = client.get(url).content.decode()
    assert all(f"CASE {k}" in body for k in ("home", "neighbour", "unrelated"))
    body = client.get(url, {"setting": "home"}).content.decode()
    assert "CASE home home" in body and "CASE neighbour home" in body and "CASE home<" not in body
    body = client.get(url, {"commune": world.communes["neighbour"].pk}).content.decode()
    assert "CASE neighbour" in body and "CASE home" not in body
    body = client.get(url, {"facility": world.org("treatment_facility", "unrelated").pk}).content.decode()
    assert "CASE unrelated<" in body and "CASE unrelated home" not in body and "CASE home" not in body
    assert "CASE" not in client.get(url, {"severity": "critical"}).content.decode().split("case-table")[1]


def test_opening_a_case_from_the_form_and_a_double_submit(client, world):
    who = person(world, "Lò Thị Hoa", sex="F", cccd="012190000777", birth_year=1990)
    client.force_login(world.user(Role.COMMUNE_STATION))
    today = timezone.localdate().isoformat()
    payload = {"person": who.cccd, "opened_on": today, "note": "ho, sốt"}
    first = client.post(reverse("cases:open"), payload)
    case = Case.objects.get(person=who)
    assert first.status_code == 302 and first.url == reverse("cases:detail", kwargs={"pk": case.pk})
    second = client.post(reverse("cases:open"), payload)
    assert second.url == first.url and Case.objects.filter(person=who).count() == 1 and case.events.count() == 1
    # A CCCD outside the area is answered like an unknown one.
    outsider = world.people["unrelated"]
    response = client.post(reverse("cases:open"), {**payload, "person": outsider.cccd})
    assert response.status_code == 200 and vi("No person with this number in your area.") in response.content.decode()
    assert not Case.objects.filter(person=outsider, basis="clinical").exists()


def test_case_page_shows_suggestion_reasons_risk_and_recommendation_and_severity_is_confirmed(client, world):
    t = tower(world)
    who = person(world, "Tẩn Láo Lở", chronic_conditions=["hypertension"], birth_year=1950)
    case, _ = services.open_case(actor=None, person=who, opened_on=timezone.localdate())
    Observation.objects.create(case=case, taken_at=timezone.now(), respiratory_rate=22, spo2=95, source="worker")
    client.force_login(world.user(Role.COMMUNE_STATION))
    body = client.get(reverse("cases:detail", kwargs={"pk": case.pk})).content.decode()
    assert 'data-severity="moderate"' in body.split('data-testid="suggested"')[1][:400]
    assert "95" in body.split('data-testid="severity-reasons"')[1][:600]
    assert vi("hypertension") in body.split('data-testid="risk-factors"')[1][:800]
    assert t.district.name in body.split('data-testid="recommendation"')[1][:1500]
    response = client.post(reverse("cases:severity", kwargs={"pk": case.pk}), {"severity": "moderate"})
    assert response.status_code == 302
    case.refresh_from_db()
    assert (case.severity, case.tier) == ("moderate", 2)
    body = client.get(reverse("cases:detail", kwargs={"pk": case.pk})).content.decode()
    assert 'data-severity="moderate"' in body.split('data-testid="confirmed"')[1][:300]


def test_referral_screens_only_the_receiving_facility_decides(client, world):
    t = tower(world)
    case = world.cases.cases["home"]
    client.force_login(world.user(Role.FACILITY))  # the treating tier-1 facility refers up
    response = client.post(reverse("cases:refer", kwargs={"pk": case.pk}),
                           {"to_facility": t.district.pk, "bed_kind": "oxygen", "reason": "SpO2 93%"})
    referral = Referral.objects.get(case=case, to_facility=t.district)
    assert response.url == reverse("cases:referral", kwargs={"pk": referral.pk})
    decide = reverse("cases:referral_decide", kwargs={"pk": referral.pk})
    assert client.post(decide, {"decision": "accept"}).status_code == 403  # the sender cannot accept for them
    client.force_login(t.provincial_staff)
    assert client.get(reverse("cases:referral", kwargs={"pk": referral.pk})).status_code == 404
    client.force_login(t.district_staff)
    inbox = client.get(reverse("cases:referrals")).content.decode()
    assert f'data-referral="{referral.pk}"' in inbox.split('data-testid="incoming"')[1]
    page = client.get(reverse("cases:referral", kwargs={"pk": referral.pk})).content.decode()
    assert "PERSON home An" in page and 'data-testid="decide-form"' in page
    client.post(decide, {"decision": "accept"})
    referral.refresh_from_db()
    assert referral.status == "accepted" and Beds.objects.get(facility=t.district, kind="oxygen").occupied == 1
    client.post(reverse("cases:referral_arrive", kwargs={"pk": referral.pk}))
    case.refresh_from_db()
    assert case.facility == t.district
    assert client.get(reverse("cases:detail", kwargs={"pk": case.pk})).status_code == 200


def test_beds_screen_and_a_total_below_occupancy(client, world):
    t = tower(world)
    Beds.objects.filter(facility=t.district, kind="oxygen").update(occupied=2)
    client.force_login(t.district_staff)
    body = client.get(reverse("cases:beds")).content.decode()
    assert t.district.name in body and t.provincial.name not in body
    url = reverse("cases:beds_edit", kwargs={"pk": t.district.pk})
    response = client.post(url, {"regular": 6, "oxygen": 1, "icu": 0, "ventilator": 0})
    assert response.status_code == 200 and "2" in response.content.decode()
    assert Beds.objects.get(facility=t.district, kind="regular").total == 5
    assert client.post(url, {"regular": 6, "oxygen": 3, "icu": 0, "ventilator": 0}).status_code == 302
    assert Beds.objects.get(facility=t.district, kind="oxygen").total == 3
    assert client.get(reverse("cases:beds_edit", kwargs={"pk": t.provincial.pk})).status_code == 404
    client.force_login(world.user(Role.HEALTH_OFFICER))
    body = client.get(reverse("cases:beds")).content.decode()
    assert t.provincial.name in body and 'data-testid="tier-3"' in body


def test_list_pages_do_not_query_per_row(client, world, django_assert_max_num_queries):
    t = tower(world)
    for n in range(15):
        case, _ = services.open_case(actor=None, person=person(world, f"Người {n}"), opened_on=timezone.localdate())
        from epicommand.cases import referrals

        if n % 2:
            referrals.request(actor=None, case=case, to_facility=t.district, bed_kind="regular", reason=f"r{n}")
    client.force_login(world.user(Role.HEALTH_OFFICER))
    for name in ("cases:list", "cases:referrals", "cases:beds"):
        client.get(reverse(name))  # warm the per-process caches (session, policies)
        with django_assert_max_num_queries(14):
            assert client.get(reverse(name)).status_code == 200


def test_export_follows_the_filters_and_the_jurisdiction_and_is_audited(client, world):
    from epicommand.core.models import AuditEvent

    client.force_login(world.user(Role.COMMUNE_STATION))
    body = client.get(reverse("cases:export", kwargs={"fmt": "csv"}), {"setting": "home"}).content.decode("utf-8-sig")
    lines = body.strip().splitlines()
    assert len(lines) == 2 and "CASE home home" in lines[1] and "PERSON home Home" in lines[1]
    assert AuditEvent.objects.filter(action="export", object_type="cases.Case").count() == 1
    response = client.get(reverse("cases:export", kwargs={"fmt": "xlsx"}))
    assert response.status_code == 200 and response.content[:2] == b"PK"
    assert client.get(reverse("cases:export", kwargs={"fmt": "pdf"})).status_code == 404
