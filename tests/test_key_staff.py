"""Key staff: the share of an agency's key staff infected against the policy in force (one alert raised, closed
when the share falls back), the message to the command centre, marking by CCCD inside one's jurisdiction only,
and the screen that shows counts, never who is infected."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from epicommand.cases import key_staff
from epicommand.cases.models import Case, KeyStaff, KeyStaffAlert
from epicommand.core.models import AuditEvent, Organization, PolicyVersion
from epicommand.core.roles import Role
from epicommand.core.text import fold
from epicommand.notify.models import Message
from epicommand.people.models import Person

from .world import K

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


def make_person(world, name: str, cccd: str, where: str = "home") -> Person:
    return Person.objects.create(full_name=name, name_folded=fold(name), sex="M", birth_year=1980, cccd=cccd,
                                 commune=world.communes[where])


def open_case(person: Person, code: str) -> Case:
    return Case.objects.create(person=person, code=code, commune=person.commune, basis=Case.Basis.CLINICAL,
                               opened_on=TODAY)


def close_case(case: Case) -> None:
    case.closed_on, case.outcome = TODAY, Case.Outcome.RECOVERED
    case.save(update_fields=["closed_on", "outcome"])


@pytest.fixture
def agency(world):
    """An agency of the home commune with four key staff (none infected), and the province's command centre."""
    org = Organization.objects.create(name="Sở Nội vụ thử", name_folded=fold("Sở Nội vụ thử"), kind=K.AGENCY,
                                      place=world.communes["home"])
    centre = Organization.objects.create(name="Ban Chỉ đạo thử", name_folded=fold("Ban Chỉ đạo thử"),
                                         kind=K.COMMAND_CENTRE, place=world.province, email="bcd@example.org",
                                         phone="0912345678")
    staff = [make_person(world, f"Cán bộ Số {i}", f"0120800099{i:02d}") for i in range(4)]
    for i, person in enumerate(staff):
        KeyStaff.objects.create(organization=org, person=person, position=f"Phó giám đốc {i}")
    return org, centre, staff


def alert_messages(org):
    return Message.objects.filter(kind="key_staff.alert", about_type="core.Organization", about_id=str(org.pk))


def test_alert_raised_once_when_the_share_reaches_the_threshold_and_closed_below(world, agency):
    org, centre, staff = agency
    actor = world.user(Role.COMMUNE_STATION)
    cases = [open_case(staff[0], "KS-0")]
    key_staff.cases_changed(actor=actor, person_ids=[staff[0].pk])
    assert not KeyStaffAlert.objects.filter(organization=org).exists()  # 1 of 4 = 25% < 30%

    cases.append(open_case(staff[1], "KS-1"))
    key_staff.cases_changed(actor=actor, person_ids=[staff[1].pk])
    alert = KeyStaffAlert.objects.get(organization=org, closed_at__isnull=True)
    assert (alert.infected, alert.total, alert.threshold) == (2, 4, 0.3)
    sent = alert_messages(org)
    assert sorted(sent.values_list("channel", flat=True)) == ["email", "sms"]
    assert set(sent.values_list("organization_id", flat=True)) == {centre.pk}
    assert {m.to for m in sent} == {"bcd@example.org", "0912345678"}
    assert alert.message_id in set(sent.values_list("pk", flat=True))
    body = sent.first().body
    assert "2" in body and "4" in body and org.name in body
    assert not any(p.full_name in body for p in staff)  # counts only, never names

    cases.append(open_case(staff[2], "KS-2"))
    key_staff.cases_changed(actor=actor, person_ids=[staff[2].pk])
    assert KeyStaffAlert.objects.filter(organization=org).count() == 1  # still the one alert, no new message
    assert alert_messages(org).count() == 2

    for case in cases[1:]:
        close_case(case)
    key_staff.cases_changed(actor=actor, person_ids=[staff[1].pk, staff[2].pk])
    alert.refresh_from_db()
    assert alert.closed_at is not None
    closing = Message.objects.filter(kind="key_staff.alert_closed", organization=centre)
    assert closing.count() == 2
    assert AuditEvent.objects.filter(object_type="cases.KeyStaffAlert", object_id=str(alert.pk)).count() == 2

    # Rising again opens a new alert, the old one stays closed with its figures.
    open_case(staff[3], "KS-3")
    open_case(staff[1], "KS-1b")
    key_staff.cases_changed(actor=actor, person_ids=[staff[3].pk, staff[1].pk])
    assert KeyStaffAlert.objects.filter(organization=org).count() == 2
    assert KeyStaffAlert.objects.filter(organization=org, closed_at__isnull=True).count() == 1


def test_one_open_alert_per_organization_is_held_by_the_database(world, agency):
    org, _centre, _staff = agency
    now = timezone.now()
    KeyStaffAlert.objects.create(organization=org, raised_at=now, infected=2, total=4, threshold=0.3)
    with pytest.raises(IntegrityError), transaction.atomic():
        KeyStaffAlert.objects.create(organization=org, raised_at=now, infected=3, total=4, threshold=0.3)


def test_the_threshold_in_force_today_decides(world, agency):
    org, _centre, staff = agency
    # Today a stricter province raised the share to 60%; a version for tomorrow (10%) is not yet in force.
    PolicyVersion.objects.create(key=key_staff.POLICY, value=0.6, effective_from=TODAY, source="test")
    PolicyVersion.objects.create(key=key_staff.POLICY, value=0.1, effective_from=TODAY + timedelta(days=1),
                                 source="test")
    for i in range(2):
        open_case(staff[i], f"KS-{i}")
    key_staff.cases_changed(actor=None, person_ids=[s.pk for s in staff[:2]])
    assert not KeyStaffAlert.objects.filter(organization=org).exists()  # 50% < 60%
    open_case(staff[2], "KS-2")
    key_staff.cases_changed(actor=None, person_ids=[staff[2].pk])
    alert = KeyStaffAlert.objects.get(organization=org)
    assert (alert.infected, alert.threshold) == (3, 0.6)


def test_without_a_command_centre_unit_the_province_command_accounts_hear_of_it(world):
    org = world.org(K.AGENCY, "home")  # the world's agency: one key staff member, with an open case
    Organization.objects.filter(kind=K.COMMAND_CENTRE).delete()
    key_staff.cases_changed(actor=None, person_ids=[world.people["home"].pk])
    alert = KeyStaffAlert.objects.get(organization=org, closed_at__isnull=True)
    message = alert.message
    assert message.recipient == world.user(Role.COMMAND) and message.channel == "email"
    assert message.place == world.province


def test_people_who_are_not_key_staff_change_nothing(world, agency):
    key_staff.cases_changed(actor=None, person_ids=[world.cases.home_people["home"].pk])
    assert not KeyStaffAlert.objects.exists()


# ---- marking -------------------------------------------------------------------------------------------

def test_focal_point_marks_its_own_agency_by_cccd_and_never_sees_the_name(client, world):
    focal = world.user(Role.DEPARTMENT, "home")
    agency = world.org(K.AGENCY, "home")
    who = make_person(world, "Lò Văn Trưởng", "012080777001")
    client.force_login(focal)
    response = client.post(reverse("cases:key_staff"), {"organization": agency.pk, "cccd": "012 080 777 001",
                                                        "position": "Chánh văn phòng"})
    assert response.status_code == 302
    row = KeyStaff.objects.get(organization=agency, person=who)
    assert row.position == "Chánh văn phòng" and row.marked_by == focal
    assert AuditEvent.objects.filter(object_type="cases.KeyStaff", object_id=str(row.pk), action="create").exists()
    page = client.get(response.url).content.decode()
    assert "Chánh văn phòng" in page and "7001" in page
    assert "Lò Văn Trưởng" not in page and "012080777001" not in page


def test_marking_is_refused_outside_the_jurisdiction(client, world):
    home_focal = world.user(Role.DEPARTMENT, "home")
    neighbour_agency = world.org(K.AGENCY, "neighbour")
    neighbour_person = make_person(world, "Lò Thị Láng Giềng", "012080888001", where="neighbour")
    # Another agency: not a choice of the form, and the service refuses it too.
    client.force_login(home_focal)
    response = client.post(reverse("cases:key_staff"), {"organization": neighbour_agency.pk,
                                                        "cccd": neighbour_person.cccd})
    assert response.status_code == 200 and not KeyStaff.objects.filter(organization=neighbour_agency,
                                                                       person=neighbour_person).exists()
    with pytest.raises(PermissionDenied):
        key_staff.mark_key_staff(actor=home_focal, organization=neighbour_agency, cccd=neighbour_person.cccd)
    # Someone registered in another commune is not found for a home agency: the same answer as an unknown number.
    station = world.user(Role.COMMUNE_STATION, "home")
    home_agency = world.org(K.AGENCY, "home")
    for actor in (home_focal, station):
        for number in (neighbour_person.cccd, "012080999999"):
            with pytest.raises(key_staff.KeyStaffError) as refused:
                key_staff.mark_key_staff(actor=actor, organization=home_agency, cccd=number)
            assert "cccd" in refused.value.message_dict
    assert key_staff.find_person(station, home_agency, neighbour_person.cccd) is None
    # The province finds anyone of the province.
    officer = world.user(Role.HEALTH_OFFICER)
    assert key_staff.find_person(officer, home_agency, neighbour_person.cccd) == neighbour_person
    # A role without the capability may not mark at all.
    client.force_login(world.user(Role.MOBILE_STATION, "home"))
    assert client.get(reverse("cases:key_staff")).status_code == 403


def test_marking_twice_and_malformed_numbers_are_refused(world):
    station = world.user(Role.COMMUNE_STATION, "home")
    agency = world.org(K.AGENCY, "home")
    with pytest.raises(key_staff.KeyStaffError):
        key_staff.mark_key_staff(actor=station, organization=agency, cccd=world.people["home"].cccd)  # already
    with pytest.raises(key_staff.KeyStaffError):
        key_staff.mark_key_staff(actor=station, organization=agency, cccd="12345")
    assert KeyStaff.objects.filter(organization=agency).count() == 1


def test_marking_an_infected_person_is_judged_at_once(world, agency):
    org, _centre, staff = agency
    open_case(staff[0], "KS-0")
    infected = make_person(world, "Lò Văn Ốm", "012080555001")
    open_case(infected, "KS-ill")
    key_staff.mark_key_staff(actor=world.user(Role.COMMUNE_STATION), organization=org, cccd=infected.cccd)
    alert = KeyStaffAlert.objects.get(organization=org, closed_at__isnull=True)
    assert (alert.infected, alert.total) == (2, 5)


def test_removing_key_staff_re_judges_and_is_audited(client, world, agency):
    org, _centre, staff = agency
    open_case(staff[0], "KS-0")
    open_case(staff[1], "KS-1")
    key_staff.cases_changed(actor=None, person_ids=[staff[0].pk])
    assert KeyStaffAlert.objects.filter(organization=org, closed_at__isnull=True).exists()
    row = KeyStaff.objects.get(organization=org, person=staff[1])
    client.force_login(world.user(Role.COMMUNE_STATION, "home"))
    assert client.get(reverse("cases:key_staff_remove", args=[row.pk])).status_code == 405
    response = client.post(reverse("cases:key_staff_remove", args=[row.pk]))
    assert response.status_code == 302 and not KeyStaff.objects.filter(pk=row.pk).exists()
    assert KeyStaffAlert.objects.filter(organization=org, closed_at__isnull=True).exists()  # 1 of 3 = 33% ≥ 30%
    first = KeyStaff.objects.get(organization=org, person=staff[0])
    assert client.post(reverse("cases:key_staff_remove", args=[first.pk])).status_code == 302
    assert not KeyStaffAlert.objects.filter(organization=org, closed_at__isnull=True).exists()  # 0 of 2
    assert AuditEvent.objects.filter(object_type="cases.KeyStaff", object_id=str(row.pk), action="delete").exists()
    # Another commune's station may not remove it (404, nothing changed).
    other = KeyStaff.objects.get(organization=org, person=staff[2])
    client.force_login(world.user(Role.COMMUNE_STATION, "neighbour"))
    assert client.post(reverse("cases:key_staff_remove", args=[other.pk])).status_code == 404
    assert KeyStaff.objects.filter(pk=other.pk).exists()
    # A mobile station sees the row (its commune's) but may not change it.
    client.force_login(world.user(Role.MOBILE_STATION, "home"))
    assert client.post(reverse("cases:key_staff_remove", args=[other.pk])).status_code == 403


# ---- the screen ------------------------------------------------------------------------------------------

def test_screen_shows_counts_and_share_not_who_is_infected(client, world):
    agency = world.org(K.AGENCY, "home")
    key_staff.cases_changed(actor=None, person_ids=[world.people["home"].pk])  # 1 of 1 infected: alert
    # The agency's own account sees its list but no count and no alert: marking a neighbour and watching the
    # count would tell whether that neighbour is ill.
    client.force_login(world.user(Role.DEPARTMENT, "home"))
    page = client.get(reverse("cases:key_staff")).content.decode()
    assert agency.name in page and "Director home" in page
    assert "PERSON home" not in page and "CASE home" not in page
    assert 'data-testid="key-staff-figures"' not in page and "100%" not in page
    assert 'data-testid="key-staff-alerts"' not in page and 'data-testid="key-staff-no-counts"' in page
    # The home commune's station follows the cases: it sees the counts and the share.
    client.force_login(world.user(Role.COMMUNE_STATION, "home"))
    page = client.get(reverse("cases:key_staff"), {"org": agency.pk}).content.decode()
    assert 'data-testid="key-staff-figures"' in page and "100%" in page
    # The province sees the alert list with every agency's alert; the neighbour's station sees none of them.
    client.force_login(world.user(Role.COMMAND))
    page = client.get(reverse("cases:key_staff")).content.decode()
    alerts = page.split('data-testid="key-staff-alerts"')[1]
    assert agency.name in alerts and "1/1" in alerts
    client.force_login(world.user(Role.COMMUNE_STATION, "neighbour"))
    page = client.get(reverse("cases:key_staff")).content.decode()
    assert agency.name not in page and world.org(K.AGENCY, "neighbour").name in page
