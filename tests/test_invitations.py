"""A session's invitation list: who is due, in what order, seen through the jurisdiction module."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from epicommand.core.models import AuditEvent
from epicommand.core.roles import Role
from epicommand.core.text import fold
from epicommand.people.models import Person
from epicommand.vaccination import coverage
from epicommand.vaccination.invitations import invitees
from epicommand.vaccination.models import Campaign, Dose, Product, Session, Site

from .world import K

pytestmark = pytest.mark.django_db


def person(world, name: str, *, born: date | None = None, year: int | None = None, where="home", village="",
           priority="") -> Person:
    return Person.objects.create(full_name=name, name_folded=fold(name), sex="F", birth_date=born,
                                 birth_year=year or (born.year if born else None), commune=world.communes[where],
                                 village=village, priority_group=priority)


def doses(who: Person, *days_ago: int, product="pfizer") -> None:
    today = timezone.localdate()
    for number, ago in enumerate(days_ago, start=1):
        Dose.objects.create(person=who, product=Product.objects.get(key=product), given_on=today - timedelta(days=ago),
                            number=number)
    coverage.refresh_people([who.pk])


@pytest.fixture
def people(world):
    today = timezone.localdate()
    coverage.refresh_people([p.pk for p in Person.objects.all()])  # the world's doses were written directly
    found = {
        "second": person(world, "Due Second", year=1970),
        "complete": person(world, "Complete NoBooster", year=1975),
        "never": person(world, "Never Vaccinated", born=date(1990, 5, 1)),
        "toddler": person(world, "Small Child", born=today.replace(year=today.year - 3)),
        "teen": person(world, "Young Teen", born=today.replace(year=today.year - 14)),
        "frontline": person(world, "Nurse Frontline", year=1985, priority="frontline"),
        "elsewhere": person(world, "Other Commune", year=1980, where="neighbour"),
    }
    doses(found["second"], 30)          # Pfizer dose 1 thirty days ago: dose 2 due since 9 days
    doses(found["complete"], 60, 30)    # primary complete 30 days ago: the booster is due in 60 days
    return found


def names(user, session) -> list[str]:
    by_id = dict(Person.objects.values_list("pk", "full_name"))
    return [by_id[i.person_id] for i in invitees(user, session)]


def test_the_list_holds_who_is_due_and_the_never_vaccinated_of_vaccinated_ages(world, people):
    session = world.vaccination.sessions["home"]
    listed = names(world.user(Role.COMMUNE_STATION), session)
    assert "Due Second" in listed
    assert "Never Vaccinated" in listed and "Young Teen" in listed
    assert "Complete NoBooster" not in listed      # nothing due before the session day
    assert "Small Child" not in listed             # under 5: no age group is vaccinated
    assert "Other Commune" not in listed           # another commune's person
    assert "PERSON home Ter" not in listed         # merged into An
    assert "PERSON home An" not in listed          # dosed today: the next dose is weeks away


def test_priority_groups_come_first_then_the_longest_overdue(world, people):
    session = world.vaccination.sessions["home"]
    listed = names(world.user(Role.COMMUNE_STATION), session)
    assert listed[0] == "Nurse Frontline"
    # Due Second is overdue by 9 days; the never-vaccinated adult born 1990 is due since the 18th birthday
    # (2008): the longest overdue comes first.
    assert listed.index("Never Vaccinated") < listed.index("Due Second")
    due = {i.person_id: i for i in invitees(world.user(Role.COMMUNE_STATION), session)}
    second = due[people["second"].pk]
    assert second.vaccinated and second.due == timezone.localdate() - timedelta(days=9)
    assert second.overdue_days(session.date) == 9


def test_a_campaign_invites_its_own_age_and_priority_groups(world, people):
    session = world.vaccination.sessions["home"]
    session.campaign = Campaign.objects.create(name="Teens", area=world.communes["home"],
                                               starts_on=session.date, age_groups=["teen"])
    session.save()
    assert names(world.user(Role.COMMUNE_STATION), Session.objects.get(pk=session.pk)) == ["Young Teen"]
    session.campaign.age_groups, session.campaign.priority_groups = [], ["frontline"]
    session.campaign.save()
    assert names(world.user(Role.COMMUNE_STATION), Session.objects.get(pk=session.pk)) == ["Nurse Frontline"]


def test_a_mobile_site_at_a_village_invites_that_village_only(world, people):
    Person.objects.filter(pk=people["never"].pk).update(village="Bản Nậm Củm")
    Person.objects.filter(pk=people["teen"].pk).update(village="Ban Nam Cum")  # written without diacritics
    site = Site.objects.create(name="SITE home mobile", kind=Site.Kind.VILLAGE, village="Bản Nậm Củm",
                               commune=world.communes["home"], organization=world.org(K.COMMUNE_STATION))
    session = Session.objects.create(site=site, date=timezone.localdate())
    assert sorted(names(world.user(Role.COMMUNE_STATION), session)) == ["Never Vaccinated", "Young Teen"]
    # A fixed site naming a village lists that village first, then the rest of the commune.
    Site.objects.filter(pk=site.pk).update(kind=Site.Kind.FIXED)
    listed = names(world.user(Role.COMMUNE_STATION), Session.objects.get(pk=session.pk))
    assert set(listed[:2]) == {"Never Vaccinated", "Young Teen"} and "Due Second" in listed[2:]


def test_a_site_s_staff_see_the_people_their_site_serves(world, people, client):
    site = Site.objects.create(name="SITE home staff", commune=world.communes["home"],
                               organization=world.org(K.VACCINATION_SITE))
    session = Session.objects.create(site=site, date=timezone.localdate())
    client.force_login(world.user(Role.VACCINATION_SITE))
    page = client.get(reverse("vaccination:invitations", args=[session.pk]))
    assert page.status_code == 200
    assert "Due Second" in page.content.decode() and "Other Commune" not in page.content.decode()
    # The station's session is not theirs.
    assert client.get(reverse("vaccination:invitations", args=[world.vaccination.sessions["home"].pk])
                      ).status_code == 404


def test_the_page_is_paged_and_the_printable_list_holds_everyone(world, people, client):
    for n in range(60):
        person(world, f"Adult {n:02d}", year=1960 + n % 30)
    client.force_login(world.user(Role.COMMUNE_STATION))
    url = reverse("vaccination:invitations", args=[world.vaccination.sessions["home"].pk])
    total = len(invitees(world.user(Role.COMMUNE_STATION), world.vaccination.sessions["home"]))
    assert total > 60
    first = client.get(url).content.decode()
    assert first.count("<tr>") - 1 == 50                 # header row + 50 people
    printable = client.get(url + "?all=1").content.decode()
    assert printable.count("<tr>") - 1 == total
    assert 'media="print"' in printable


def test_another_commune_gets_404_for_the_list_and_its_export(world, people, client):
    client.force_login(world.user(Role.COMMUNE_STATION, "neighbour"))
    session = world.vaccination.sessions["home"]
    for url in (reverse("vaccination:invitations", args=[session.pk]),
                reverse("vaccination:invitations_export", args=[session.pk, "xlsx"])):
        assert client.get(url).status_code == 404
        assert client.post(url).status_code == 404
    assert AuditEvent.objects.filter(action="denied", object_id=str(session.pk)).exists()


def test_the_export_opens_in_excel_and_is_audited(world, people, client):
    client.force_login(world.user(Role.COMMUNE_STATION))
    session = world.vaccination.sessions["home"]
    response = client.get(reverse("vaccination:invitations_export", args=[session.pk, "xlsx"]))
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    listed = [row[1] for row in rows[1:]]
    assert listed == names(world.user(Role.COMMUNE_STATION), session)
    assert "Due Second" in listed and "Other Commune" not in listed
    assert AuditEvent.objects.filter(action="export", object_id=str(session.pk)).exists()
    csv = client.get(reverse("vaccination:invitations_export", args=[session.pk, "csv"]))
    assert csv.status_code == 200 and "Never Vaccinated" in csv.content.decode("utf-8-sig")
    assert client.get(reverse("vaccination:invitations_export", args=[session.pk, "pdf"])).status_code == 404


def test_the_page_costs_the_same_queries_whatever_the_number_of_people(world, people, client,
                                                                      django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(world.user(Role.COMMUNE_STATION))
    url = reverse("vaccination:invitations", args=[world.vaccination.sessions["home"].pk])
    client.get(url)  # warm the session and the policy cache
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for n in range(40):
        person(world, f"Adult {n:02d}", year=1960 + n % 30)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(url).status_code == 200
