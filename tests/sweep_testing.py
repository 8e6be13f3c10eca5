"""The sweep's entries for the testing screens (merged by test_sweep.py)."""

from __future__ import annotations

from collections.abc import Callable

from django.utils import timezone

from epicommand.testing.models import Kind, Test

from . import sweep_targets as t
from .world import World


def _today() -> str:
    return timezone.localdate().strftime("%d/%m/%Y")


def _test(world: World, where: str) -> t.Target:
    """The commune's positive PCR test (world_cases): the test page."""
    test = world.cases.tests[where]
    return t.Target({"pk": test.pk}, t.station(world, where), test)


def _pending_test(world: World, where: str) -> t.Target:
    """A pending RT-PCR test of the commune's person (made on first use), with a valid result to enter: a
    refusal must be the jurisdiction's, not the form's."""
    test, _created = Test.objects.get_or_create(
        person=world.people[where], kind=Kind.PCR, lab_code=f"TEST {where} pending",
        defaults={"sampled_on": timezone.localdate(), "commune": world.communes[where],
                  "sampled_at": t.station(world, where)})
    return t.Target({"pk": test.pk}, t.station(world, where), test,
                    {"result": "negative", "resulted_on": _today(), "ct_value": ""})


def _pool(world: World, where: str) -> t.Target:
    pool = world.cases.pools[where]
    return t.Target({"pk": pool.pk}, t.station(world, where), pool, {"result": "negative", "resulted_on": _today()})


# url name → the object of a commune the URL is about
OBJECT_URLS: dict[str, Callable] = {
    "testing:detail": _test,
    "testing:result": _pending_test,
    "testing:pool": _pool,
    "testing:pool_result": _pool,
}
# lists whose URL takes arguments (formats)
LIST_URLS: dict[str, list[dict]] = {
    "testing:positivity_export": [{"fmt": "csv"}, {"fmt": "xlsx"}],
}
# URLs anyone may open without an account, with the reason
PUBLIC: dict[str, str] = {}
