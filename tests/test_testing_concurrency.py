"""Officers saving the same thing at once: a pool's positive result entered from six phones opens one follow-up per
member; a test's positive result entered six times at once is announced once and counted once; the same new
sample saved from six phones is recorded once. Run on SQLite (writes queue on the database) and PostgreSQL (rows
locked by the services)."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from epicommand.core.models import AuditEvent
from epicommand.core.roles import Role
from epicommand.core.text import fold
from epicommand.people.models import Person
from epicommand.testing import links, positivity, services
from epicommand.testing.models import Kind, Result
from epicommand.testing.models import Test as LabTest

from .concurrency import at_once as together

pytestmark = pytest.mark.django_db(transaction=True)

AT_ONCE = 6


def at_once(work: Callable[[int], str]) -> list[str]:
    """Run work(n) in AT_ONCE threads released together; their answers."""
    return [f"{type(r).__name__}: {r}" if isinstance(r, Exception) else r for r in together(work, range(AT_ONCE))]


@pytest.fixture
def world(reference_data):
    from .world import build_world

    built = build_world()
    positivity.rebuild()  # the world's rows were written directly, not through the services
    return built


@pytest.fixture
def heard():
    calls: list[list[int]] = []
    guard = threading.Lock()

    def listener(*, actor, tests):
        with guard:
            calls.append([t.pk for t in tests])

    links.register_result_listener(listener)
    yield calls
    links.unregister_result_listener(listener)


def newcomers(world, count: int) -> list[Person]:
    return [Person.objects.create(full_name=f"PERSON home C{n}", name_folded=fold(f"PERSON home C{n}"), sex="F",
                                  birth_year=1985 + n, commune=world.communes["home"]) for n in range(count)]


def test_a_pool_result_entered_from_six_phones_at_once_opens_one_follow_up_per_member(world, heard):
    nurse = world.user(Role.COMMUNE_STATION)
    members = newcomers(world, 4)
    pool = services.create_pool(actor=nurse, code="POOL home RUSH", sampled_on=timezone.localdate(),
                                commune=world.communes["home"], members=members)
    url = reverse("testing:pool_result", args=[pool.pk])
    day = timezone.localdate().strftime("%d/%m/%Y")

    def enter(_n: int) -> str:
        client = Client()
        client.force_login(nurse)
        return str(client.post(url, {"result": "positive", "resulted_on": day}).status_code)

    answers = at_once(enter)
    assert answers == ["302"] * AT_ONCE, answers
    follow_ups = LabTest.objects.filter(follows__pool=pool)
    assert sorted(follow_ups.values_list("person_id", flat=True)) == sorted(m.pk for m in members)
    assert AuditEvent.objects.filter(object_type="testing.Pool", object_id=str(pool.pk),
                                     action=AuditEvent.Action.UPDATE).count() == 1
    assert positivity.stored() == positivity.counted()
    assert heard == []  # a pool positive is nobody's diagnosis


def test_a_positive_result_entered_six_times_at_once_is_announced_and_counted_once(world, heard):
    nurse = world.user(Role.COMMUNE_STATION)
    test = services.record_test(actor=nurse, person=newcomers(world, 1)[0], kind=Kind.PCR,
                                sampled_on=timezone.localdate())

    def enter(_n: int) -> str:
        changed = services.enter_result(actor=nurse, test=test, result=Result.POSITIVE,
                                        resulted_on=timezone.localdate())
        return "changed" if changed else "unchanged"

    answers = at_once(enter)
    assert sorted(answers) == ["changed"] + ["unchanged"] * (AT_ONCE - 1), answers
    assert heard == [[test.pk]]
    assert AuditEvent.objects.filter(object_type="testing.Test", object_id=str(test.pk),
                                     action=AuditEvent.Action.UPDATE).count() == 1
    assert positivity.stored() == positivity.counted()


def test_the_same_new_sample_saved_from_six_phones_is_recorded_once(world):
    nurse = world.user(Role.COMMUNE_STATION)
    person = newcomers(world, 1)[0]

    def save(_n: int) -> str:
        try:
            services.record_test(actor=nurse, person=person, kind=Kind.ANTIGEN, sampled_on=timezone.localdate(),
                                 result=Result.NEGATIVE, resulted_on=timezone.localdate())
        except services.AlreadyRecorded:
            return "already recorded"
        return "recorded"

    answers = at_once(save)
    assert sorted(answers) == ["already recorded"] * (AT_ONCE - 1) + ["recorded"], answers
    assert LabTest.objects.filter(person=person).count() == 1
    assert positivity.stored() == positivity.counted()
