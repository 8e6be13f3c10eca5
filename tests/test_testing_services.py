"""Testing services: recording samples with their fees, results (a double submit changes nothing), pools and
their follow-ups, self-tests, and the result listeners called with new positives only."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from epicommand.core.models import AuditEvent, PolicyVersion
from epicommand.core.roles import Role
from epicommand.core.text import fold
from epicommand.people.models import Person
from epicommand.testing import links, services
from epicommand.testing.models import Kind, Payer, Pool, PositivityDay, Reason, Result
from epicommand.testing.models import Test as LabTest

from .world import K

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


@pytest.fixture
def heard():
    """A result listener of this test's own: every call it receives, as (actor, [test ids])."""
    calls: list[tuple] = []

    def listener(*, actor, tests):
        calls.append((actor, [t.pk for t in tests]))

    links.register_result_listener(listener)
    yield calls
    links.unregister_result_listener(listener)


def people(world, count: int, where: str = "home") -> list[Person]:
    return [Person.objects.create(full_name=f"PERSON {where} P{n}", name_folded=fold(f"PERSON {where} P{n}"),
                                  sex="F", birth_year=1990, commune=world.communes[where]) for n in range(count)]


def station_user(world):
    return world.user(Role.COMMUNE_STATION)


def fact(world, kind: str, day: date = TODAY, where: str = "home") -> tuple[int, int]:
    row = PositivityDay.objects.filter(commune=world.communes[where], day=day, kind=kind).first()
    return (row.tests, row.positives) if row else (0, 0)


# ---- fees -----------------------------------------------------------------------------------------------

def test_fee_defaults_to_the_policy_in_force_on_the_sampling_date(world):
    fees = PolicyVersion.objects.filter(key="testing.fees").order_by("-effective_from").first().value
    person = world.people["home"]
    test = services.record_test(actor=station_user(world), person=person, kind=Kind.PCR, sampled_on=TODAY)
    assert test.fee == fees["pcr"] and test.payer == Payer.STATE
    # A later version applies to samples taken from its date, not to earlier ones.
    PolicyVersion.objects.create(key="testing.fees", effective_from=TODAY, value={**fees, "antigen": 12345},
                                 source="test")
    earlier = services.record_test(actor=station_user(world), person=person, kind=Kind.ANTIGEN,
                                   sampled_on=TODAY - timedelta(days=1))
    today = services.record_test(actor=station_user(world), person=person, kind=Kind.ANTIGEN, sampled_on=TODAY,
                                 payer=Payer.INSURANCE)
    assert earlier.fee == fees["antigen"] and today.fee == 12345 and today.payer == Payer.INSURANCE
    assert services.record_test(actor=station_user(world), person=person, kind=Kind.PCR, sampled_on=TODAY,
                                fee=0, lab=world.vaccination.cdc, lab_code="X1").fee == 0


def test_recording_needs_the_capability_and_refuses_bad_input(world):
    person = world.people["home"]
    with pytest.raises(PermissionDenied):
        services.record_test(actor=world.user(Role.VACCINATION_SITE), person=person, kind=Kind.PCR, sampled_on=TODAY)
    with pytest.raises(ValidationError) as bad:
        services.record_test(actor=station_user(world), person=person, kind=Kind.PCR,
                             sampled_on=TODAY + timedelta(days=1))
    assert "sampled_on" in bad.value.message_dict
    with pytest.raises(ValidationError):
        services.record_test(actor=station_user(world), person=person, kind=Kind.POOLED_PCR, sampled_on=TODAY)
    assert not LabTest.objects.filter(person=person, recorded_by=station_user(world)).exists()


def test_saving_a_new_test_twice_records_one(world):
    person, actor = world.people["home"], station_user(world)
    first = services.record_test(actor=actor, person=person, kind=Kind.ANTIGEN, sampled_on=TODAY)
    with pytest.raises(services.AlreadyRecorded) as again:
        services.record_test(actor=actor, person=person, kind=Kind.ANTIGEN, sampled_on=TODAY)
    assert again.value.test == first
    assert LabTest.objects.filter(person=person, kind=Kind.ANTIGEN).count() == 1


# ---- results --------------------------------------------------------------------------------------------

def test_entering_a_result_twice_changes_nothing_and_counts_once(world, heard):
    actor = station_user(world)
    test = services.record_test(actor=actor, person=world.people["home"], kind=Kind.PCR, sampled_on=TODAY)
    assert fact(world, Kind.PCR) == (0, 0)  # pending is not counted
    assert services.enter_result(actor=actor, test=test, result=Result.POSITIVE, resulted_on=TODAY,
                                 ct_value=Decimal("22.5")) is True
    events = AuditEvent.objects.count()
    assert services.enter_result(actor=actor, test=test, result=Result.POSITIVE, resulted_on=TODAY,
                                 ct_value=Decimal("22.5")) is False
    test.refresh_from_db()
    assert (test.result, test.ct_value) == (Result.POSITIVE, Decimal("22.5"))
    assert fact(world, Kind.PCR) == (1, 1)
    assert AuditEvent.objects.count() == events
    assert heard == [(actor, [test.pk])]  # once, for the change to positive only


def test_a_positive_result_is_not_turned_negative_and_bad_results_are_refused(world):
    actor = station_user(world)
    test = services.record_test(actor=actor, person=world.people["home"], kind=Kind.PCR, sampled_on=TODAY)
    with pytest.raises(ValidationError):
        services.enter_result(actor=actor, test=test, result=Result.PENDING, resulted_on=TODAY)
    with pytest.raises(ValidationError):
        services.enter_result(actor=actor, test=test, result=Result.NEGATIVE, resulted_on=TODAY - timedelta(days=1))
    services.enter_result(actor=actor, test=test, result=Result.NEGATIVE, resulted_on=TODAY)
    assert fact(world, Kind.PCR) == (1, 0)
    services.enter_result(actor=actor, test=test, result=Result.POSITIVE, resulted_on=TODAY)  # a correction
    assert fact(world, Kind.PCR) == (1, 1)
    with pytest.raises(ValidationError):
        services.enter_result(actor=actor, test=test, result=Result.NEGATIVE, resulted_on=TODAY)
    test.refresh_from_db()
    assert test.result == Result.POSITIVE and fact(world, Kind.PCR) == (1, 1)


def test_listeners_hear_new_positives_only(world, heard):
    actor = station_user(world)
    negative = services.record_test(actor=actor, person=world.people["home"], kind=Kind.ANTIGEN, sampled_on=TODAY,
                                    result=Result.NEGATIVE, resulted_on=TODAY)
    services.enter_result(actor=actor, test=negative, result=Result.INVALID, resulted_on=TODAY)
    assert heard == []
    positive = services.record_test(actor=actor, person=world.people["home"], kind=Kind.PCR, sampled_on=TODAY,
                                    result=Result.POSITIVE, resulted_on=TODAY)
    assert heard == [(actor, [positive.pk])]


def test_a_failing_listener_rolls_the_result_back(world):
    actor = station_user(world)
    test = services.record_test(actor=actor, person=world.people["home"], kind=Kind.PCR, sampled_on=TODAY)

    def broken(*, actor, tests):
        raise RuntimeError("listener failed")

    links.register_result_listener(broken)
    try:
        with pytest.raises(RuntimeError), transaction.atomic():
            services.enter_result(actor=actor, test=test, result=Result.POSITIVE, resulted_on=TODAY)
    finally:
        links.unregister_result_listener(broken)
    test.refresh_from_db()
    assert test.result == Result.PENDING and fact(world, Kind.PCR) == (0, 0)


# ---- self-tests ---------------------------------------------------------------------------------------

def test_a_self_test_is_marked_as_reported_by_the_citizen(world, heard):
    test = services.record_self_test(actor=station_user(world), person=world.people["home"], sampled_on=TODAY,
                                     result=Result.POSITIVE)
    assert (test.kind, test.self_reported, test.fee, test.payer) == (Kind.SELF_TEST, True, 0, Payer.SELF)
    assert fact(world, Kind.SELF_TEST) == (1, 1) and fact(world, Kind.PCR) == (0, 0)
    # The listener hears it, marked: the cases policy decides that a self-test never confirms a case on its own.
    assert heard and LabTest.objects.get(pk=heard[0][1][0]).self_reported
    by_kind = services.record_test(actor=station_user(world), person=world.people["home"], kind=Kind.SELF_TEST,
                                   sampled_on=TODAY - timedelta(days=1), result=Result.NEGATIVE,
                                   resulted_on=TODAY - timedelta(days=1), payer=Payer.STATE, fee=78000)
    assert (by_kind.self_reported, by_kind.payer, by_kind.fee) == (True, Payer.SELF, 0)


# ---- pools --------------------------------------------------------------------------------------------

def make_pool(world, size: int = 3, code: str = "POOL home A") -> Pool:
    return services.create_pool(actor=station_user(world), code=code, sampled_on=TODAY,
                                commune=world.communes["home"], members=people(world, size),
                                sampled_at=world.org(K.COMMUNE_STATION), lab=world.vaccination.cdc)


def test_a_positive_pool_opens_exactly_one_follow_up_per_member_even_twice(world, heard):
    pool = make_pool(world, 4)
    members = list(LabTest.objects.filter(pool=pool))
    assert len(members) == 4 and all(m.kind == Kind.POOLED_PCR and m.result == Result.PENDING for m in members)
    opened = services.enter_pool_result(actor=station_user(world), pool=pool, result=Result.POSITIVE,
                                        resulted_on=TODAY)
    assert len(opened) == 4
    again = services.enter_pool_result(actor=station_user(world), pool=pool, result=Result.POSITIVE,
                                       resulted_on=TODAY)
    assert again == []
    follow_ups = LabTest.objects.filter(follows__pool=pool)
    assert follow_ups.count() == 4
    assert sorted(follow_ups.values_list("follows_id", flat=True)) == sorted(m.pk for m in members)
    assert all(f.kind == Kind.PCR and f.reason == Reason.FOLLOW_UP and f.result == Result.PENDING
               and f.person_id == f.follows.person_id for f in follow_ups)
    assert set(LabTest.objects.filter(pool=pool).values_list("result", flat=True)) == {Result.POOL_POSITIVE}
    pool.refresh_from_db()
    assert pool.result == Result.POSITIVE
    # Pool positive is tested but not a positive; nobody was diagnosed, so nobody was announced.
    assert fact(world, Kind.POOLED_PCR) == (4, 0) and heard == []
    # The follow-up's own positive result is what counts and what listeners hear.
    follow_up = follow_ups.first()
    services.enter_result(actor=station_user(world), test=follow_up, result=Result.POSITIVE, resulted_on=TODAY)
    assert heard == [(station_user(world), [follow_up.pk])] and fact(world, Kind.PCR) == (1, 1)
    with pytest.raises(ValidationError):  # a positive pool is final
        services.enter_pool_result(actor=station_user(world), pool=pool, result=Result.NEGATIVE, resulted_on=TODAY)


def test_a_negative_pool_makes_every_member_negative_without_follow_ups(world):
    pool = make_pool(world, 3)
    assert services.enter_pool_result(actor=station_user(world), pool=pool, result=Result.NEGATIVE,
                                      resulted_on=TODAY) == []
    assert set(LabTest.objects.filter(pool=pool).values_list("result", flat=True)) == {Result.NEGATIVE}
    assert not LabTest.objects.filter(follows__pool=pool).exists()
    assert fact(world, Kind.POOLED_PCR) == (3, 0)


def test_a_member_result_is_entered_through_its_pool(world):
    pool = make_pool(world, 2)
    member = LabTest.objects.filter(pool=pool).first()
    with pytest.raises(ValidationError):
        services.enter_result(actor=station_user(world), test=member, result=Result.POSITIVE, resulted_on=TODAY)


def test_pool_size_follows_the_policy_and_codes_are_unique_in_a_commune(world):
    PolicyVersion.objects.create(key="testing.pool_max_size", effective_from=TODAY, value=3, source="test")
    with pytest.raises(ValidationError) as big:
        make_pool(world, 4)
    assert "members" in big.value.message_dict and not Pool.objects.filter(code="POOL home A").exists()
    with pytest.raises(ValidationError):
        make_pool(world, 1)
    make_pool(world, 3)
    with pytest.raises(ValidationError) as twice:
        make_pool(world, 2)
    assert "code" in twice.value.message_dict


# ---- what review found ---------------------------------------------------------------------------------

def test_a_ct_value_is_kept_for_rt_pcr_only(world):
    actor, person = station_user(world), world.people["home"]
    rapid = services.record_test(actor=actor, person=person, kind=Kind.ANTIGEN, sampled_on=TODAY,
                                 result=Result.POSITIVE, resulted_on=TODAY, ct_value=Decimal("20.0"))
    pcr = services.record_test(actor=actor, person=person, kind=Kind.PCR, sampled_on=TODAY,
                               result=Result.POSITIVE, resulted_on=TODAY, ct_value=Decimal("20.0"))
    rapid.refresh_from_db()
    pcr.refresh_from_db()
    assert rapid.ct_value is None and pcr.ct_value == Decimal("20.0")


def test_a_positive_result_keeps_its_date_and_ct(world, heard):
    actor = station_user(world)
    test = services.record_test(actor=actor, person=world.people["home"], kind=Kind.PCR,
                                sampled_on=TODAY - timedelta(days=2))
    services.enter_result(actor=actor, test=test, result=Result.POSITIVE, resulted_on=TODAY - timedelta(days=1),
                          ct_value=Decimal("25.0"))
    for day, ct in ((TODAY, Decimal("25.0")), (TODAY - timedelta(days=1), Decimal("30.0"))):
        with pytest.raises(ValidationError):
            services.enter_result(actor=actor, test=test, result=Result.POSITIVE, resulted_on=day, ct_value=ct)
    test.refresh_from_db()
    assert (test.resulted_on, test.ct_value) == (TODAY - timedelta(days=1), Decimal("25.0"))
    assert heard == [(actor, [test.pk])]


def test_a_laboratory_code_names_one_sample(world):
    actor, lab = station_user(world), world.vaccination.cdc
    services.record_test(actor=actor, person=world.people["home"], kind=Kind.PCR, sampled_on=TODAY, lab=lab,
                         lab_code="LC-9")
    with pytest.raises(ValidationError) as taken:
        services.record_test(actor=actor, person=people(world, 1)[0], kind=Kind.PCR, sampled_on=TODAY, lab=lab,
                             lab_code="LC-9")
    assert "lab_code" in taken.value.message_dict
    assert LabTest.objects.filter(lab=lab, lab_code="LC-9").count() == 1


def test_a_final_pool_keeps_its_date_and_an_invalid_one_runs_again(world):
    actor = station_user(world)
    negative = make_pool(world, 2)
    services.enter_pool_result(actor=actor, pool=negative, result=Result.NEGATIVE, resulted_on=TODAY)
    events = AuditEvent.objects.count()
    assert services.enter_pool_result(actor=actor, pool=negative, result=Result.NEGATIVE, resulted_on=TODAY) == []
    assert AuditEvent.objects.count() == events  # the same result again changes nothing
    with pytest.raises(ValidationError):
        services.enter_pool_result(actor=actor, pool=negative, result=Result.NEGATIVE,
                                   resulted_on=TODAY - timedelta(days=1))
    assert set(LabTest.objects.filter(pool=negative).values_list("resulted_on", flat=True)) == {TODAY}

    rerun = services.create_pool(actor=actor, code="POOL home RERUN", sampled_on=TODAY - timedelta(days=2),
                                 commune=world.communes["home"], members=people(world, 3, "home"))
    services.enter_pool_result(actor=actor, pool=rerun, result=Result.INVALID, resulted_on=TODAY - timedelta(days=1))
    assert fact(world, Kind.POOLED_PCR, TODAY - timedelta(days=2)) == (3, 0)  # tested, though invalid
    assert not LabTest.objects.filter(follows__pool=rerun).exists()
    opened = services.enter_pool_result(actor=actor, pool=rerun, result=Result.POSITIVE, resulted_on=TODAY)
    assert len(opened) == 3 and all(f.sampled_on == TODAY for f in opened)
    assert fact(world, Kind.POOLED_PCR, TODAY - timedelta(days=2)) == (3, 0)  # moved, not counted twice


def test_a_follow_up_is_paid_as_the_member_was_and_priced_on_its_own_day(world):
    fees = PolicyVersion.objects.filter(key="testing.fees").order_by("-effective_from").first().value
    PolicyVersion.objects.create(key="testing.fees", effective_from=TODAY, value={**fees, "pcr": 111000},
                                 source="test")
    pool = services.create_pool(actor=station_user(world), code="POOL home FEE", sampled_on=TODAY - timedelta(days=1),
                                commune=world.communes["home"], members=people(world, 2),
                                payer=Payer.INSURANCE)
    opened = services.enter_pool_result(actor=station_user(world), pool=pool, result=Result.POSITIVE,
                                        resulted_on=TODAY)
    assert {(f.fee, f.payer) for f in opened} == {(111000, Payer.INSURANCE)}
    assert set(LabTest.objects.filter(pool=pool).values_list("fee", flat=True)) == {fees["pooled_pcr"]}


def test_through_the_cases_listener_a_pool_opens_no_case_and_its_positive_follow_up_opens_one(world):
    """The listener the cases part registers at app ready: a pool positive is nobody's diagnosis, a self-test
    never confirms on its own, a follow-up's positive RT-PCR opens one case, and entering it again opens none."""
    from epicommand.cases.models import Case

    actor = station_user(world)
    pool = make_pool(world, 2)
    opened = services.enter_pool_result(actor=actor, pool=pool, result=Result.POSITIVE, resulted_on=TODAY)
    members = [f.person for f in opened]
    assert not Case.objects.filter(person__in=members).exists()
    services.record_self_test(actor=actor, person=members[1], sampled_on=TODAY, result=Result.POSITIVE)
    assert not Case.objects.filter(person__in=members).exists()
    services.enter_result(actor=actor, test=opened[0], result=Result.POSITIVE, resulted_on=TODAY)
    services.enter_result(actor=actor, test=opened[0], result=Result.POSITIVE, resulted_on=TODAY)
    assert Case.objects.filter(person=members[0]).count() == 1
    assert not Case.objects.filter(person=members[1]).exists()
