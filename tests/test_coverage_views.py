"""Coverage screens: figures by commune from the fact tables (counts, shares, official targets, as-of date,
age and priority groups), what each jurisdiction sees, the low-coverage table, due lists, exports, the
rebuild command, and 404 for another area's commune on every URL."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from epicommand.core.models import AuditEvent
from epicommand.core.roles import Role
from epicommand.core.text import fold
from epicommand.people.models import Person
from epicommand.vaccination import coverage, services
from epicommand.vaccination import coverage_queries as cq
from epicommand.vaccination.models import OfficialTarget, Product, Session

from .sweep_coverage import LIST_URLS, OBJECT_URLS
from .test_sweep import fingerprint, foreign_markers, holds
from .world import COMMUNES

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


def years_ago(years: int, days: int = 0) -> date:
    return TODAY.replace(year=TODAY.year - years) - timedelta(days=days)


def person(world, name: str, born: date, where: str = "home", **extra) -> Person:
    return Person.objects.create(full_name=name, name_folded=fold(name), sex="F", birth_date=born,
                                 birth_year=born.year, commune=world.communes[where], **extra)


def record(world, who: Person, on: date, where: str = "home"):
    v = world.vaccination
    session = Session.objects.filter(site=v.sites[where], date=on).first() or Session.objects.create(
        site=v.sites[where], date=on)
    return services.record_dose(actor=world.user(Role.COMMUNE_STATION, where), person=who, session=session,
                                product=Product.objects.get(key="pfizer"), on=on)


@pytest.fixture
def crafted(world):
    """Home: 5 adults in the register (the world's An with a dose today and Bis without; Primary with two
    doses, First with one ten days ago, Never with none), one teen with a dose, one child of 3."""
    people = {
        "primary": person(world, "Lò Thị Primary", date(1990, 5, 1), priority_group="frontline"),
        "first": person(world, "Lò Thị First", date(1985, 2, 1)),
        "never": person(world, "Lò Thị Never", date(1970, 3, 1)),
        "teen": person(world, "Lò Văn Teen", years_ago(14, 30)),
        "toddler": person(world, "Lò Văn Toddler", years_ago(3)),
    }
    record(world, people["primary"], TODAY - timedelta(days=40))
    record(world, people["primary"], TODAY - timedelta(days=19))
    record(world, people["first"], TODAY - timedelta(days=10))
    record(world, people["teen"], TODAY - timedelta(days=5))
    coverage.rebuild()  # targets come from the register at rebuild; the world's own doses are counted too
    return people


def home_row(user, sel):
    return next(r for r in cq.rows(user, sel) if r.name.endswith(COMMUNES["home"]) or "Mường Tè" in r.name)


def test_figures_count_stages_as_shares_of_the_register_target(world, crafted):
    officer = world.user(Role.HEALTH_OFFICER)
    row = home_row(officer, cq.Selection(on=TODAY))
    # Adults 5 (An, Bis, Primary, First, Never) + the teen; the toddler is in no vaccinated group.
    assert row.target == 6 and row.source == cq.REGISTER
    assert row.counts == {"first": 4, "primary": 1, "booster": 0}
    assert row.share("first") == pytest.approx(4 / 6) and row.gap == 2


def test_the_as_of_date_cumulates_the_days_up_to_it(world, crafted):
    officer = world.user(Role.HEALTH_OFFICER)
    row = home_row(officer, cq.Selection(on=TODAY - timedelta(days=15)))
    assert row.counts == {"first": 1, "primary": 1, "booster": 0}
    assert home_row(officer, cq.Selection(on=TODAY - timedelta(days=100))).counts["first"] == 0


def test_age_and_priority_group_filters(world, crafted):
    officer = world.user(Role.HEALTH_OFFICER)
    teens = home_row(officer, cq.Selection(on=TODAY, age_group="teen"))
    assert (teens.target, teens.counts["first"]) == (1, 1)
    adults = home_row(officer, cq.Selection(on=TODAY, age_group="adult"))
    assert (adults.target, adults.counts["first"], adults.counts["primary"]) == (5, 3, 1)
    frontline = home_row(officer, cq.Selection(on=TODAY, priority_group="frontline"))
    assert (frontline.target, frontline.counts["first"], frontline.counts["primary"]) == (1, 1, 1)


def test_an_official_target_replaces_the_register_count_for_its_age_group(world, crafted):
    officer = world.user(Role.HEALTH_OFFICER)
    OfficialTarget.objects.create(commune=world.communes["home"], age_group="adult", people=10, source="Cục Thống kê")
    adults = home_row(officer, cq.Selection(on=TODAY, age_group="adult"))
    assert (adults.target, adults.source) == (10, cq.OFFICIAL)
    everyone = home_row(officer, cq.Selection(on=TODAY))
    assert (everyone.target, everyone.source) == (11, cq.MIXED)  # official adults + the register's teen
    # Official figures are per age group: a priority group is counted from the register.
    frontline = home_row(officer, cq.Selection(on=TODAY, priority_group="frontline"))
    assert (frontline.target, frontline.source) == (1, cq.REGISTER)


def test_the_coverage_page_shows_every_commune_and_a_total_to_the_province(client, world, crafted,
                                                                           django_assert_max_num_queries):
    client.force_login(world.user(Role.HEALTH_OFFICER))
    with django_assert_max_num_queries(20):
        response = client.get(reverse("vaccination:coverage"))
    assert response.status_code == 200
    body = response.content.decode()
    for key in COMMUNES:
        assert f'data-commune="{world.communes[key].pk}"' in body
    assert 'data-testid="coverage-total"' in body
    assert 'id="coverage-trend-data"' in body and 'id="coverage-points"' in body
    trend = response.context["trend"]
    assert trend[-1]["day"] == TODAY.strftime("%d/%m/%Y") and trend[-1]["first_n"] == 6  # 4 home + An of the others


def test_a_commune_user_sees_only_their_commune(client, world, crafted):
    client.force_login(world.user(Role.COMMUNE_STATION, "home"))
    response = client.get(reverse("vaccination:coverage"))
    assert [r.commune_id for r in response.context["rows"]] == [world.communes["home"].pk]
    assert response.context["total"] is None
    body = response.content.decode()
    assert f'data-commune="{world.communes["neighbour"].pk}"' not in body


def test_filters_and_a_bad_date_on_the_page(client, world, crafted):
    client.force_login(world.user(Role.HEALTH_OFFICER))
    response = client.get(reverse("vaccination:coverage"), {"age_group": "teen", "as_of": TODAY.strftime("%d/%m/%Y")})
    home = next(r for r in response.context["rows"] if r.commune_id == world.communes["home"].pk)
    assert (home.target, home.counts["first"]) == (1, 1)
    later = (TODAY + timedelta(days=3)).strftime("%d/%m/%Y")
    response = client.get(reverse("vaccination:coverage"), {"as_of": later})
    assert response.status_code == 200 and response.context["form"].errors["as_of"]
    assert response.context["sel"].on == TODAY


def test_the_low_coverage_table_lists_communes_below_the_threshold_or_the_bottom_n(client, world, crafted):
    # Neighbour: an official target of 1 adult, vaccinated: 100 %, not low. Home 4/6, unrelated 1/2: low.
    OfficialTarget.objects.create(commune=world.communes["neighbour"], age_group="adult", people=1)
    client.force_login(world.user(Role.HEALTH_OFFICER))
    response = client.get(reverse("vaccination:low_coverage"))
    listed = [r.commune_id for r, _last, _station in response.context["rows"]]
    assert listed == [world.communes["unrelated"].pk, world.communes["home"].pk]  # lowest share first
    home = response.context["rows"][1]
    assert home[0].gap == 2 and home[2] == world.org("commune_station", "home")
    assert home[1] is not None  # the world's reminder to each commune
    response = client.get(reverse("vaccination:low_coverage"), {"bottom": "1"})
    assert [r.commune_id for r, *_ in response.context["rows"]] == [world.communes["unrelated"].pk]
    assert reverse("vaccination:remind", kwargs={"pk": world.communes["unrelated"].pk}) in response.content.decode()


def test_a_commune_station_sees_no_remind_action(client, world, crafted):
    client.force_login(world.user(Role.COMMUNE_STATION, "home"))
    response = client.get(reverse("vaccination:low_coverage"))
    assert [r.commune_id for r, *_ in response.context["rows"]] == [world.communes["home"].pk]
    assert 'data-testid="remind"' not in response.content.decode()


def test_due_list_has_overdue_doses_and_the_never_vaccinated_but_not_young_children(client, world, crafted):
    overdue = person(world, "Lò Thị Overdue", date(1992, 7, 1))
    record(world, overdue, TODAY - timedelta(days=30))  # Pfizer dose 2 due after 21 days: 9 days overdue
    client.force_login(world.user(Role.COMMUNE_STATION, "home"))
    response = client.get(reverse("vaccination:due", kwargs={"pk": world.communes["home"].pk}))
    assert response.status_code == 200
    entries = {e["person"].full_name: e for e in response.context["entries"]}
    assert entries["Lò Thị Overdue"]["due"] == TODAY - timedelta(days=9)
    assert entries["Lò Thị Overdue"]["overdue"] == 9 and entries["Lò Thị Overdue"]["doses"] == 1
    assert entries["Lò Thị Never"]["doses"] == 0 and entries["Lò Thị Never"]["due"] is None
    assert "PERSON home Bis" in entries  # never vaccinated, birth year only (1980)
    assert "Lò Văn Toddler" not in entries
    assert "Lò Thị First" not in entries  # dose 2 due in 11 days
    assert "Lò Thị Primary" not in entries  # primary complete 19 days ago: booster not due yet
    assert "PERSON home Ter" not in entries  # merged into An
    # As of a later day, First's second dose is due.
    later = (TODAY + timedelta(days=11)).strftime("%d/%m/%Y")
    response = client.get(reverse("vaccination:due", kwargs={"pk": world.communes["home"].pk}), {"as_of": later})
    assert "Lò Thị First" in {e["person"].full_name for e in response.context["entries"]}


def test_due_list_pages_through_both_parts(client, world, crafted, monkeypatch):
    from epicommand.vaccination import views_coverage

    monkeypatch.setattr(views_coverage, "PAGE", 2)
    overdue = person(world, "Lò Thị Overdue", date(1992, 7, 1))
    record(world, overdue, TODAY - timedelta(days=30))
    client.force_login(world.user(Role.COMMUNE_STATION, "home"))
    url = reverse("vaccination:due", kwargs={"pk": world.communes["home"].pk})
    seen = []
    for page in (1, 2, 3):
        response = client.get(url, {"page": page})
        seen += [e["person"].full_name for e in response.context["entries"]]
    # Overdue first, then the never vaccinated (Bis, Never), nobody twice.
    assert seen[0] == "Lò Thị Overdue" and len(seen) == len(set(seen)) == 3
    assert response.context["has_next"] is False


def test_due_list_follows_the_register_when_a_person_moves(client, world, crafted):
    """The status keeps the commune of the last dose change; the list must follow the register's commune."""
    from epicommand.vaccination.models import VaccinationStatus

    overdue = person(world, "Lò Thị Moved", date(1992, 7, 1), phone="0987000111", village="Bản Chuyển")
    record(world, overdue, TODAY - timedelta(days=30))  # dose 2 overdue
    # Moved to the neighbour commune in the register; the status is left as it was (no dose since).
    Person.objects.filter(pk__in=[overdue.pk, crafted["never"].pk]).update(commune=world.communes["neighbour"])
    assert VaccinationStatus.objects.get(person=overdue).commune == world.communes["home"]

    def listed(user, where: str) -> tuple[set[str], str]:
        client.force_login(user)
        pk = world.communes[where].pk
        page = client.get(reverse("vaccination:due", kwargs={"pk": pk}))
        export = client.get(reverse("vaccination:due_export", kwargs={"pk": pk, "fmt": "csv"}))
        assert page.status_code == export.status_code == 200
        return {e["person"].full_name for e in page.context["entries"]}, export.content.decode("utf-8-sig")

    home_names, home_csv = listed(world.user(Role.COMMUNE_STATION, "home"), "home")
    assert "Lò Thị Moved" not in home_names and "Lò Thị Never" not in home_names
    assert "Lò Thị Moved" not in home_csv and "0987000111" not in home_csv and "Bản Chuyển" not in home_csv
    assert "Lò Thị Never" not in home_csv and "PERSON home Bis" in home_names  # the others stay
    new_names, new_csv = listed(world.user(Role.COMMUNE_STATION, "neighbour"), "neighbour")
    assert {"Lò Thị Moved", "Lò Thị Never"} <= new_names
    assert "Lò Thị Moved" in new_csv and "0987000111" in new_csv and "Lò Thị Never" in new_csv
    moved = next(e for e in client.get(reverse("vaccination:due", kwargs={"pk": world.communes["neighbour"].pk}))
                 .context["entries"] if e["person"].pk == overdue.pk)
    assert (moved["doses"], moved["due"], moved["overdue"]) == (1, TODAY - timedelta(days=9), 9)
    # The province sees the same: the person once, under the new commune.
    officer_home, _csv = listed(world.user(Role.HEALTH_OFFICER), "home")
    assert "Lò Thị Moved" not in officer_home


def test_due_list_stays_within_a_few_queries(client, world, crafted, django_assert_max_num_queries):
    for i in range(30):
        who = person(world, f"Lò Thị Due {i:02}", date(1990, 1, 1))
        record(world, who, TODAY - timedelta(days=30))
    client.force_login(world.user(Role.COMMUNE_STATION, "home"))
    with django_assert_max_num_queries(20):
        response = client.get(reverse("vaccination:due", kwargs={"pk": world.communes["home"].pk}))
    assert len([e for e in response.context["entries"] if e["doses"]]) == 30


def test_another_communes_due_list_is_404_and_audited_as_denied(client, world):
    neighbour = world.communes["neighbour"]
    client.force_login(world.user(Role.COMMUNE_STATION, "home"))
    for name, extra in (("vaccination:due", {}), ("vaccination:due_export", {"fmt": "csv"})):
        before = AuditEvent.objects.filter(action="denied", object_type="core.Place", object_id=str(neighbour.pk))
        count = before.count()
        response = client.get(reverse(name, kwargs={"pk": neighbour.pk, **extra}))
        assert response.status_code == 404 and "PERSON neighbour" not in response.content.decode()
        assert before.count() == count + 1, name
    assert not AuditEvent.objects.filter(action="export").exists()
    # Not a commune (the province), or no such place: 404 as well.
    client.force_login(world.user(Role.HEALTH_OFFICER))
    assert client.get(reverse("vaccination:due", kwargs={"pk": world.province.pk})).status_code == 404
    assert client.get(reverse("vaccination:due", kwargs={"pk": 987654})).status_code == 404


def test_exports_open_as_workbooks(client, world, crafted):
    client.force_login(world.user(Role.HEALTH_OFFICER))
    for name, kwargs in (("vaccination:coverage_export", {"fmt": "xlsx"}),
                         ("vaccination:low_coverage_export", {"fmt": "xlsx"}),
                         ("vaccination:due_export", {"fmt": "xlsx", "pk": world.communes["home"].pk})):
        response = client.get(reverse(name, kwargs=kwargs))
        assert response.status_code == 200, name
        sheet = load_workbook(io.BytesIO(response.content)).active
        values = [[c for c in row] for row in sheet.iter_rows(values_only=True)]
        assert len(values) >= 2, name
        assert AuditEvent.objects.filter(action="export", actor=world.user(Role.HEALTH_OFFICER)).exists()
    coverage_rows = load_workbook(io.BytesIO(client.get(
        reverse("vaccination:coverage_export", kwargs={"fmt": "xlsx"})).content)).active
    home = next(r for r in coverage_rows.iter_rows(values_only=True) if r[0] and "Mường Tè" in r[0])
    assert home[1] == 6 and home[3] == 4 and home[4] == pytest.approx(66.7)
    due = load_workbook(io.BytesIO(client.get(reverse("vaccination:due_export", kwargs={
        "fmt": "xlsx", "pk": world.communes["home"].pk})).content)).active
    names = [r[0] for r in due.iter_rows(values_only=True)]
    assert "Lò Thị Never" in names and "Lò Văn Toddler" not in names
    assert client.get(reverse("vaccination:coverage_export", kwargs={"fmt": "pdf"})).status_code == 404


def test_rebuild_command_prints_the_counts(world, crafted):
    out = io.StringIO()
    call_command("rebuild_coverage", stdout=out)
    assert "people with doses: 6" in out.getvalue()  # 4 at home + An in the two other communes


def test_rebuild_button_starts_a_job_for_province_officers_only(client, world, crafted):
    from epicommand.core.models import Job

    client.force_login(world.user(Role.COMMUNE_STATION, "home"))
    assert client.post(reverse("vaccination:coverage_rebuild")).status_code == 403
    client.force_login(world.user(Role.HEALTH_OFFICER))
    response = client.post(reverse("vaccination:coverage_rebuild"))
    job = Job.objects.get(kind="vaccination.coverage_rebuild")
    assert response.status_code == 302 and response.url == reverse("jobs:detail", kwargs={"pk": job.pk})
    # What the worker runs for this kind.
    from epicommand.core.services import jobs
    from epicommand.core.tasks import JOB_KINDS

    jobs.run(job.pk, JOB_KINDS)
    job.refresh_from_db()
    assert job.status == Job.Status.DONE and job.result["people"] == 6


def test_every_coverage_url_is_404_outside_the_jurisdiction_and_shows_no_foreign_rows(client, world):
    """The project sweep (tests/test_sweep.py), run on this module's URLs alone."""
    for name, make_target in OBJECT_URLS.items():
        for where in COMMUNES:
            target = make_target(world, where)
            url = reverse(name, kwargs=target.kwargs)
            for user_key, user in world.all_users():
                client.force_login(user)
                if holds(world, user_key, where, target.org):
                    assert client.get(url).status_code in (200, 403), (name, where, user_key)
                    continue
                before, audit_before = fingerprint(target.instance), AuditEvent.objects.exclude(action="denied").count()
                got, posted = client.get(url).status_code, client.post(url, target.payload).status_code
                assert (got, posted) == (404, 404), (name, where, user_key, got, posted)
                assert fingerprint(target.instance) == before
                assert AuditEvent.objects.exclude(action="denied").count() == audit_before
    pages = [reverse("vaccination:coverage"), reverse("vaccination:low_coverage")]
    pages += [reverse(n, kwargs=kw) for n, variants in LIST_URLS.items() for kw in variants if kw["fmt"] == "csv"]
    for user_key, user in world.all_users():
        client.force_login(user)
        markers = foreign_markers(world, user_key)
        for url in pages:
            response = client.get(url)
            assert response.status_code in (200, 403)
            body = response.content.decode()
            assert not [m for m in markers if m in body], (url, user_key)


def test_anonymous_users_are_sent_to_login(client, world):
    urls = [reverse(n) for n in ("vaccination:coverage", "vaccination:low_coverage", "vaccination:coverage_rebuild")]
    urls += [reverse(n, kwargs=variants[0]) for n, variants in LIST_URLS.items()]
    urls += [reverse(n, kwargs=make(world, "home").kwargs) for n, make in OBJECT_URLS.items()]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302 and response.url.startswith(reverse("login")), url


def test_an_export_with_a_date_that_does_not_exist_returns_to_the_page_and_its_error(client, world):
    client.force_login(world.user(Role.HEALTH_OFFICER))
    home = world.communes["home"].pk
    for export, page in (
            (reverse("vaccination:coverage_export", kwargs={"fmt": "xlsx"}), reverse("vaccination:coverage")),
            (reverse("vaccination:due_export", kwargs={"pk": home, "fmt": "csv"}),
             reverse("vaccination:due", kwargs={"pk": home}))):
        response = client.get(export, {"as_of": "31/02/2022"})
        assert response.status_code == 302 and response.url == f"{page}?as_of=31%2F02%2F2022"
        shown = client.get(response.url)
        assert shown.status_code == 200 and shown.context["form"].errors["as_of"]
    assert client.get(reverse("vaccination:coverage_export", kwargs={"fmt": "csv"}),
                      {"as_of": "01/02/2022"}).status_code == 200
