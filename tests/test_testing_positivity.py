"""The positivity table: kept current by every result change, equal to a rebuild from the tests."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from epicommand.core.roles import Role
from epicommand.core.text import fold
from epicommand.people.models import Person
from epicommand.testing import positivity, services
from epicommand.testing.models import Kind, Pool, PositivityDay, Result
from epicommand.testing.models import Test as LabTest

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


def test_incremental_and_rebuilt_tables_agree(world):
    positivity.rebuild()  # the world's rows were written directly, not through the services
    actor, home = world.user(Role.COMMUNE_STATION), world.communes["home"]
    people = [Person.objects.create(full_name=f"PERSON home Q{n}", name_folded=fold(f"PERSON home Q{n}"), sex="M",
                                    birth_year=1970 + n, commune=home) for n in range(6)]
    yesterday = TODAY - timedelta(days=1)
    a = services.record_test(actor=actor, person=people[0], kind=Kind.PCR, sampled_on=yesterday)
    services.enter_result(actor=actor, test=a, result=Result.NEGATIVE, resulted_on=TODAY)
    services.enter_result(actor=actor, test=a, result=Result.POSITIVE, resulted_on=TODAY)  # corrected
    services.record_test(actor=actor, person=people[1], kind=Kind.ANTIGEN, sampled_on=TODAY, result=Result.INVALID,
                         resulted_on=TODAY)
    services.record_test(actor=actor, person=people[1], kind=Kind.PCR, sampled_on=TODAY)  # pending
    services.record_self_test(actor=actor, person=people[2], sampled_on=TODAY, result=Result.POSITIVE)
    pool = services.create_pool(actor=actor, code="POOL home R", sampled_on=yesterday, commune=home,
                                members=people[2:6])
    services.enter_pool_result(actor=actor, pool=pool, result=Result.POSITIVE, resulted_on=TODAY)
    follow_up = LabTest.objects.filter(follows__pool=pool).order_by("id").first()
    services.enter_result(actor=actor, test=follow_up, result=Result.POSITIVE, resulted_on=TODAY)
    negative_pool = services.create_pool(actor=actor, code="POOL home S", sampled_on=TODAY, commune=home,
                                         members=people[0:3])
    services.enter_pool_result(actor=actor, pool=negative_pool, result=Result.NEGATIVE, resulted_on=TODAY)

    incremental = positivity.stored()
    assert incremental == positivity.counted()
    key = home.pk
    assert incremental[(key, yesterday, Kind.POOLED_PCR)] == (4, 0)  # pool positive is not a positive
    # The world's positive PCR test of today and the positive follow-up; the pending test is not counted.
    assert incremental[(key, TODAY, Kind.PCR)] == (2, 2) and incremental[(key, yesterday, Kind.PCR)] == (1, 1)
    assert incremental[(key, TODAY, Kind.ANTIGEN)] == (1, 0)
    call_command("rebuild_positivity", stdout=open("/dev/null", "w"))
    assert positivity.stored() == incremental
    assert PositivityDay.objects.filter(commune=home, day=TODAY, kind=Kind.SELF_TEST).get().positives == 1


def test_a_mixed_sequence_with_imports_reruns_and_a_move_keeps_the_table_exact(world, tmp_path):
    """Every path that changes a result, interleaved, and checked after each step: the table always equals the
    count from the tests, and a person who moves keeps their earlier tests where they were sampled."""
    from .test_testing_import import run_file, workbook

    positivity.rebuild()
    before = positivity.stored()
    actor, home, neighbour = world.user(Role.COMMUNE_STATION), world.communes["home"], world.communes["neighbour"]
    people = [Person.objects.create(full_name=f"PERSON home X{n}", name_folded=fold(f"PERSON home X{n}"), sex="F",
                                    birth_year=1980 + n, commune=home, cccd=f"01218000{n:04d}") for n in range(5)]
    cdc = world.vaccination.cdc
    cdc.code = "CDC12"
    cdc.save(update_fields=["code"])
    day = (TODAY - timedelta(days=1)).strftime("%d/%m/%Y")

    def row(person, code, kind, result):
        return [person.full_name, person.birth_year, person.cccd, home.name, "CDC12", code, kind, day, day, result,
                ""]

    steps = [
        lambda: services.record_test(actor=actor, person=people[0], kind=Kind.PCR, sampled_on=TODAY - timedelta(1),
                                     lab=cdc, lab_code="MX-1"),
        lambda: run_file(world, workbook(tmp_path / "a.xlsx", [row(people[0], "MX-1", "RT-PCR", "Âm tính"),
                                                                row(people[1], "MX-2", "Test nhanh", "Dương tính")])),
        lambda: services.enter_result(actor=actor, test=LabTest.objects.get(lab_code="MX-1"),
                                      result=Result.POSITIVE, resulted_on=TODAY),
        lambda: services.create_pool(actor=actor, code="POOL home MX", sampled_on=TODAY - timedelta(days=2),
                                     commune=home, members=people[2:5]),
        lambda: services.enter_pool_result(actor=actor, pool=Pool.objects.get(code="POOL home MX"),
                                           result=Result.INVALID, resulted_on=TODAY - timedelta(days=1)),
        # The member moves to the neighbour before the pool is run again: the pool stays counted at home.
        lambda: Person.objects.filter(pk=people[4].pk).update(commune=neighbour),
        lambda: services.enter_pool_result(actor=actor, pool=Pool.objects.get(code="POOL home MX"),
                                           result=Result.POSITIVE, resulted_on=TODAY),
        lambda: services.enter_result(actor=actor, test=LabTest.objects.get(follows__person=people[4]),
                                      result=Result.POSITIVE, resulted_on=TODAY),
        lambda: services.enter_result(actor=actor, test=LabTest.objects.get(follows__person=people[2]),
                                      result=Result.NEGATIVE, resulted_on=TODAY),
        lambda: services.enter_result(actor=actor, test=LabTest.objects.get(follows__person=people[2]),
                                      result=Result.INVALID, resulted_on=TODAY),
        lambda: run_file(world, workbook(tmp_path / "a.xlsx", [row(people[0], "MX-1", "RT-PCR", "Âm tính"),
                                                                row(people[1], "MX-2", "Test nhanh", "Dương tính")])),
    ]
    for number, step in enumerate(steps):
        step()
        assert positivity.stored() == positivity.counted(), number
    stored = positivity.stored()

    def added(commune, on, kind) -> tuple[int, int]:
        now, was = stored.get((commune.pk, on, kind), (0, 0)), before.get((commune.pk, on, kind), (0, 0))
        return now[0] - was[0], now[1] - was[1]

    assert added(home, TODAY - timedelta(days=2), Kind.POOLED_PCR) == (3, 0)  # invalid, then pool positive
    assert added(home, TODAY - timedelta(days=1), Kind.PCR) == (1, 1)  # MX-1: imported negative, corrected
    assert added(home, TODAY - timedelta(days=1), Kind.ANTIGEN) == (1, 1)  # MX-2
    assert added(home, TODAY, Kind.PCR) == (1, 0)  # follow-ups: one invalid counts, one still pending does not
    assert added(neighbour, TODAY, Kind.PCR) == (1, 1)  # the mover's follow-up, where the person lives now
    positivity.rebuild()
    assert positivity.stored() == stored
