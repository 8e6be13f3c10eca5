"""Opening cases (from tests by the confirmation policy of the sampling day, or clinically), one open case per
person, closing, the health book and the merge check."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from epicommand.cases import facts, services
from epicommand.cases.models import ActiveCases, Case, CaseDay, CaseEvent, HomeCare
from epicommand.core.models import AuditEvent
from epicommand.core.roles import Role
from epicommand.people import links, timeline
from epicommand.testing.links import new_positives
from epicommand.testing.models import Kind, Reason, Result
from epicommand.testing.models import Test as LabTest

from .cases_fixtures import person

pytestmark = pytest.mark.django_db


def _test(who, *, kind=Kind.PCR, reason=Reason.SYMPTOMS, on=None, result=Result.POSITIVE, **extra) -> LabTest:
    on = on or timezone.localdate()
    return LabTest.objects.create(person=who, kind=kind, reason=reason, sampled_on=on, commune=who.commune,
                               result=result, resulted_on=on, **extra)


def _facts() -> tuple[set, set]:
    return ({(r.commune_id, r.severity, r.tier, r.setting, r.cases) for r in ActiveCases.objects.exclude(cases=0)},
            {(r.commune_id, r.day, r.opened, r.recovered, r.died) for r in CaseDay.objects.all()})


def test_a_positive_pcr_opens_one_case_and_a_second_positive_adds_to_it(world):
    officer = world.user(Role.COMMUNE_STATION)
    who = person(world, "Lò Văn Xuân")
    first = _test(who)
    [case] = services.open_from_tests(actor=officer, tests=[first])
    assert case.code == f"F0-{who.commune.code}-{case.pk:06d}" and case.basis == Case.Basis.TEST
    assert case.test == first and case.setting == Case.Setting.PENDING
    assert list(case.events.values_list("kind", flat=True)) == [CaseEvent.Kind.OPENED]
    assert AuditEvent.objects.filter(object_type="cases.Case", object_id=str(case.pk), action="create").count() == 1
    second = _test(who, on=timezone.localdate())
    again = services.open_from_tests(actor=officer, tests=[second])
    services.open_from_tests(actor=officer, tests=[second])  # the same result told twice
    assert again == [case] and Case.objects.filter(person=who).count() == 1
    assert case.events.filter(kind=CaseEvent.Kind.NOTE, detail__test=second.pk).count() == 1
    assert ActiveCases.objects.get(commune=who.commune, severity="asymptomatic", tier=0, setting="pending").cases == 1
    assert CaseDay.objects.get(commune=who.commune, day=timezone.localdate()).opened == 1


def test_the_testing_listener_opens_cases(world):
    who = person(world, "Hoàng Thị Nga", sex="F")
    new_positives(actor=None, tests=[_test(who)])
    assert Case.objects.filter(person=who, closed_on__isnull=True).count() == 1


def test_confirmation_follows_the_policy_of_the_sampling_day(world):
    early, late = date(2021, 9, 1), date(2022, 4, 1)
    antigen_2021 = _test(person(world, "A 2021"), kind=Kind.ANTIGEN, reason=Reason.CONTACT, on=early)
    antigen_contact = _test(person(world, "A 2022 contact"), kind=Kind.ANTIGEN, reason=Reason.CONTACT, on=late)
    antigen_screening = _test(person(world, "A 2022 screening"), kind=Kind.ANTIGEN, reason=Reason.SCREENING, on=late)
    self_test = _test(person(world, "Self"), kind=Kind.SELF_TEST, on=late, self_reported=True)
    pcr_2021 = _test(person(world, "PCR 2021"), on=early)
    negative = _test(person(world, "Negative"), result=Result.NEGATIVE)
    opened = services.open_from_tests(actor=None, tests=[antigen_2021, antigen_contact, antigen_screening,
                                                         self_test, pcr_2021, negative])
    assert sorted(c.person.full_name for c in opened) == ["A 2022 contact", "PCR 2021"]
    assert next(c for c in opened if c.test == pcr_2021).opened_on == early


def test_a_clinical_double_submit_changes_nothing(world):
    officer = world.user(Role.COMMUNE_STATION)
    who = person(world, "Tòng Văn Hải")
    today = timezone.localdate()
    case, created = services.open_case(actor=officer, person=who, opened_on=today, onset_on=today - timedelta(days=2),
                                       note="sốt, ho")
    again, created_again = services.open_case(actor=officer, person=who, opened_on=today, note="sốt, ho")
    assert created and not created_again and again == case
    assert case.events.count() == 1 and Case.objects.filter(person=who).count() == 1
    assert CaseDay.objects.get(commune=who.commune, day=today).opened == 1


def test_bad_dates_are_refused_with_a_message(world):
    who = person(world, "Lù Văn Sáng")
    today = timezone.localdate()
    with pytest.raises(ValidationError) as exc:
        services.open_case(actor=None, person=who, opened_on=today + timedelta(days=1))
    assert "opened_on" in exc.value.message_dict
    with pytest.raises(ValidationError):
        services.open_case(actor=None, person=who, opened_on=today, onset_on=today + timedelta(days=1))
    assert not Case.objects.filter(person=who).exists()


def test_closing_ends_home_care_counts_the_outcome_and_reopening_is_a_new_case(world):
    officer = world.user(Role.COMMUNE_STATION)
    home_case = world.cases.home_cases["home"]
    facts.rebuild()
    services.close_case(actor=officer, case=home_case, outcome=Case.Outcome.RECOVERED, note="khỏi")
    home_case.refresh_from_db()
    assert (home_case.setting, home_case.outcome, home_case.closed_on) == ("closed", "recovered",
                                                                          timezone.localdate())
    assert HomeCare.objects.get(case=home_case).status == HomeCare.Status.ENDED
    assert home_case.referrals.get().status == "cancelled"  # the world's referral from home was still open
    incremental = _facts()
    facts.rebuild()
    assert _facts() == incremental
    with pytest.raises(ValidationError):
        services.close_case(actor=officer, case=home_case, outcome=Case.Outcome.RECOVERED)
    new, created = services.open_case(actor=officer, person=home_case.person, opened_on=timezone.localdate())
    assert created and new.pk != home_case.pk


def test_two_entries_with_open_cases_are_not_merged_blindly(world):
    first, second = person(world, "Trùng Tên"), person(world, "Trùng Tên")
    services.open_case(actor=None, person=first, opened_on=timezone.localdate())
    links.check_merge(first, second)  # only one open case: nothing to refuse
    services.open_case(actor=None, person=second, opened_on=timezone.localdate())
    with pytest.raises(ValidationError):
        links.check_merge(first, second)


def test_cases_appear_in_the_health_book_of_those_who_see_them(world):
    who = world.people["home"]
    entries = timeline.entries(who, world.user(Role.COMMUNE_STATION))
    assert any(e.kind == "case" and "CASE home" in e.title for e in entries)
    assert any(e.kind == "admission" for e in entries)
    assert not [e for e in timeline.entries(who, world.user(Role.COMMUNE_STATION, "neighbour")) if e.kind == "case"]


def test_opening_and_closing_tell_the_key_staff_check(world):
    from epicommand.cases.models import KeyStaff, KeyStaffAlert
    from epicommand.core.models import Organization

    agency = Organization.objects.create(name="ORG home-sở", name_folded="org home-so", kind="agency",
                                         place=world.communes["home"])
    director, deputy = person(world, "Giám Đốc"), person(world, "Phó Giám Đốc")
    for who in (director, deputy):
        KeyStaff.objects.create(organization=agency, person=who, position="lãnh đạo")
    case, _ = services.open_case(actor=world.user(Role.COMMUNE_STATION), person=director,
                                 opened_on=timezone.localdate())
    assert KeyStaffAlert.objects.filter(organization=agency, closed_at__isnull=True).count() == 1
    services.close_case(actor=world.user(Role.COMMUNE_STATION), case=case, outcome=Case.Outcome.RECOVERED)
    assert not KeyStaffAlert.objects.filter(organization=agency, closed_at__isnull=True).exists()


def test_a_result_under_a_merged_entry_opens_the_case_of_the_kept_person(world):
    from epicommand.people.models import Person

    kept, merged = person(world, "Giữ Lại"), person(world, "Đã Gộp")
    Person.objects.filter(pk=merged.pk).update(merged_into=kept)
    merged.refresh_from_db()
    [case] = services.open_from_tests(actor=None, tests=[_test(merged)])
    assert case.person == kept and case.commune == kept.commune


def test_entering_a_positive_result_through_testing_opens_the_case(world):
    from epicommand.testing import services as testing

    who = person(world, "Vừ A Chử")
    officer = world.user(Role.COMMUNE_STATION)
    test = testing.record_test(actor=officer, person=who, kind=Kind.PCR, reason=Reason.CONTACT,
                               sampled_on=timezone.localdate())
    assert not Case.objects.filter(person=who).exists()
    testing.enter_result(actor=officer, test=test, result=Result.POSITIVE, resulted_on=timezone.localdate())
    case = Case.objects.get(person=who, closed_on__isnull=True)
    assert case.test_id == test.pk and case.basis == Case.Basis.TEST
