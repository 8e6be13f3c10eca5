"""Key staff along the paths the register and the case services take: a person who is key staff of two agencies
counts in both, cases opened and closed through the real services raise and close the alert, a merge of two
entries re-judges the organizations concerned (and is refused when both are key staff of one of them), and two
cases opened at once in one agency raise exactly one alert with one message (PostgreSQL)."""

from __future__ import annotations

import io

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from epicommand.cases import key_staff, services
from epicommand.cases.models import ActiveCases, Case, CaseDay, KeyStaff, KeyStaffAlert
from epicommand.core.models import Organization, PolicyVersion, User
from epicommand.core.roles import Role
from epicommand.core.text import fold
from epicommand.notify.models import Message
from epicommand.people import reconciliation
from epicommand.people.models import Person

from .concurrency import at_once
from .world import K

ON_POSTGRES = settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"


def make_person(world, name: str, cccd: str | None = None, where: str = "home") -> Person:
    return Person.objects.create(full_name=name, name_folded=fold(name), sex="F", birth_year=1979, cccd=cccd,
                                 commune=world.communes[where])


def make_agency(world, name: str, people: list[Person]) -> Organization:
    org = Organization.objects.create(name=name, name_folded=fold(name), kind=K.AGENCY, place=world.province)
    for n, person in enumerate(people):
        KeyStaff.objects.create(organization=org, person=person, position=f"Phó giám đốc {n}")
    return org


def open_alert(org: Organization) -> KeyStaffAlert | None:
    return KeyStaffAlert.objects.filter(organization=org, closed_at__isnull=True).first()


def raised(org: Organization):
    return Message.objects.filter(kind=key_staff.MESSAGE_KIND, about_type="core.Organization", about_id=str(org.pk))


@pytest.mark.django_db
def test_key_staff_of_two_agencies_counts_in_each_through_the_case_services(world):
    officer = world.user(Role.HEALTH_OFFICER)
    both = make_person(world, "Lò Thị Hai Nơi")
    small = make_agency(world, "Sở thử nhỏ", [both, make_person(world, "Cán bộ A")])                # 1 of 2 = 50%
    large = make_agency(world, "Sở thử lớn", [both] + [make_person(world, f"Cán bộ B{n}") for n in range(3)])  # 25%
    case, created = services.open_case(actor=officer, person=both, opened_on=timezone.localdate())
    assert created
    assert open_alert(small) is not None and open_alert(large) is None
    assert (open_alert(small).infected, open_alert(small).total) == (1, 2)
    # The world has no command-centre unit: an e-mail to each command account of the province.
    accounts = User.objects.filter(role=Role.COMMAND, place=world.province, is_active=True).count()
    assert accounts and raised(small).count() == accounts and not raised(large).exists()
    services.close_case(actor=officer, case=case, outcome=Case.Outcome.RECOVERED)
    assert open_alert(small) is None and open_alert(large) is None
    assert KeyStaffAlert.objects.filter(organization=small, closed_at__isnull=False).count() == 1
    assert Message.objects.filter(kind=f"{key_staff.MESSAGE_KIND}_closed", about_id=str(small.pk)).count() == accounts


@pytest.mark.django_db
def test_a_merge_re_judges_the_agencies_and_its_undo_too(world):
    officer = world.user(Role.HEALTH_OFFICER)
    # The agency knows the person under one entry (no case); the case was opened on a duplicate entry.
    marked = make_person(world, "Lò Văn Trùng", "012079000111")
    duplicate = make_person(world, "Lò Văn Trùng")
    org = make_agency(world, "Sở thử gộp", [marked] + [make_person(world, f"Cán bộ C{n}") for n in range(2)])
    services.open_case(actor=officer, person=duplicate, opened_on=timezone.localdate())
    assert open_alert(org) is None  # the agency's key staff member has no case under their entry
    record = reconciliation.merge(actor=officer, kept=duplicate, merged=marked)
    assert KeyStaff.objects.filter(organization=org, person=duplicate).exists()
    alert = open_alert(org)
    assert alert is not None and (alert.infected, alert.total) == (1, 3)
    reconciliation.undo_merge(actor=officer, merge_record=record)
    assert open_alert(org) is None


@pytest.mark.django_db
def test_a_merge_of_two_key_staff_entries_of_one_agency_is_refused_with_a_reason(world):
    officer = world.user(Role.HEALTH_OFFICER)
    first, second = make_person(world, "Lò Văn Một"), make_person(world, "Lò Văn Một")
    org = make_agency(world, "Sở thử trùng", [first, second])
    with pytest.raises(ValidationError) as refused:
        reconciliation.merge(actor=officer, kept=first, merged=second)
    assert org.name in " ".join(refused.value.messages)
    assert KeyStaff.objects.filter(organization=org).count() == 2
    assert Person.objects.get(pk=second.pk).merged_into_id is None


@pytest.mark.django_db
def test_the_nightly_rebuild_judges_again_when_a_new_threshold_takes_effect(world):
    officer = world.user(Role.HEALTH_OFFICER)
    staff = [make_person(world, f"Cán bộ D{n}") for n in range(4)]
    org = make_agency(world, "Sở thử ngưỡng", staff)
    for person in staff[:2]:
        services.open_case(actor=officer, person=person, opened_on=timezone.localdate())
    assert open_alert(org) is not None  # 2 of 4 = 50% ≥ 30%
    # The province raises the threshold to 60% from today: no case changes, the nightly run closes the alert.
    PolicyVersion.objects.create(key=key_staff.POLICY, value=0.6, effective_from=timezone.localdate(), source="test")
    out = io.StringIO()
    call_command("rebuild_case_facts", stdout=out)
    assert open_alert(org) is None
    # The world's three agencies each have one key staff member, with an open case: judged for the first time.
    assert "open key-staff alerts: 3" in out.getvalue()
    # Lowered again to 40%: the next run raises a new alert on today's figures and threshold.
    PolicyVersion.objects.filter(key=key_staff.POLICY, value=0.6).update(value=0.4)
    call_command("rebuild_case_facts", stdout=io.StringIO())
    alert = open_alert(org)
    assert alert is not None and (alert.infected, alert.total, alert.threshold) == (2, 4, 0.4)


def _at_once(work, items) -> list[str]:
    """Run `work(item)` for every item in its own thread, all released together; the failures, as text."""
    return [repr(r) for r in at_once(work, items) if isinstance(r, Exception)]


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(not ON_POSTGRES, reason="row locks under real concurrency: PostgreSQL")
def test_cases_opened_at_once_in_one_agency_raise_one_alert_with_one_message(reference_data):
    from .world import build_world

    world = build_world()
    staff = [make_person(world, f"Cán bộ đua {n}") for n in range(6)]
    org = make_agency(world, "Sở thử đồng thời", staff)  # 2 of 6 = 33% reaches 30%
    racers = staff[:4]
    today = timezone.localdate()
    # The commune's fact rows exist already: this test is about the key-staff judgement (the first opening of a
    # fact row under concurrency is test_case_facts' concern).
    commune = world.communes["home"]
    ActiveCases.objects.get_or_create(commune=commune, severity="asymptomatic", tier=0, setting="pending")
    CaseDay.objects.get_or_create(commune=commune, day=today)
    assert _at_once(lambda p: services.open_case(actor=None, person=p, opened_on=today), racers) == []
    assert Case.objects.filter(person__in=racers, closed_on__isnull=True).count() == 4
    assert KeyStaffAlert.objects.filter(organization=org).count() == 1
    alert = open_alert(org)
    assert alert is not None and alert.total == 6 and 2 <= alert.infected <= 4
    accounts = User.objects.filter(role=Role.COMMAND, place=world.province, is_active=True).count()
    assert accounts and raised(org).count() == accounts
    # Closing them all at once closes the one alert once.
    cases = list(Case.objects.filter(person__in=racers, closed_on__isnull=True))
    assert _at_once(lambda c: services.close_case(actor=None, case=c, outcome=Case.Outcome.RECOVERED), cases) == []
    assert open_alert(org) is None and KeyStaffAlert.objects.filter(organization=org).count() == 1
    assert Message.objects.filter(kind=f"{key_staff.MESSAGE_KIND}_closed", about_id=str(org.pk)).count() == accounts


@pytest.mark.django_db
def test_posts_need_the_csrf_token(world):
    from django.test import Client

    row = world.cases.key_staff["home"]
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.user(Role.COMMAND))
    assert client.post(reverse("cases:key_staff_remove", args=[row.pk])).status_code == 403
    assert client.post(reverse("dashboard:command_rebuild")).status_code == 403
    assert client.post(reverse("cases:key_staff"), {"organization": row.organization_id,
                                                    "cccd": "012080777001"}).status_code == 403
    assert KeyStaff.objects.filter(pk=row.pk).exists()
    # With the token the page carries, the same removal goes through.
    page = client.get(reverse("cases:key_staff"), {"org": row.organization_id})
    token = page.content.decode().split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]
    response = client.post(reverse("cases:key_staff_remove", args=[row.pk]), {"csrfmiddlewaretoken": token})
    assert response.status_code == 302 and not KeyStaff.objects.filter(pk=row.pk).exists()


@pytest.mark.django_db
def test_the_member_list_never_tells_who_is_infected(client, world):
    """Even the province, which sees every name, reads the same line for an infected and a healthy member."""
    ill = make_person(world, "Lò Văn Ốm Thử", "012079000201")
    well = make_person(world, "Lò Văn Khỏe Thử", "012079000202")
    org = make_agency(world, "Sở thử danh sách", [ill, well])
    KeyStaff.objects.filter(organization=org).update(position="Phó giám đốc")
    services.open_case(actor=world.user(Role.HEALTH_OFFICER), person=ill, opened_on=timezone.localdate())
    client.force_login(world.user(Role.COMMAND))
    page = client.get(reverse("cases:key_staff"), {"org": org.pk}).content.decode()
    members = page.split('data-testid="key-staff-members"')[1].split("</ul>")[0]
    lines = [line for line in members.split('<li class="list-group-item') if ill.full_name in line
             or well.full_name in line]
    assert len(lines) == 2
    blank = [line.replace(ill.full_name, "NAME").replace(well.full_name, "NAME").replace("0201", "NNNN")
             .replace("0202", "NNNN") for line in lines]
    # The lines differ only by the remove button's row id.
    assert [b.split('action="')[0] for b in blank] == [blank[0].split('action="')[0]] * 2
    assert "1/2" in page.split('data-testid="key-staff-alerts"')[1]  # the count is there, in the alert list
