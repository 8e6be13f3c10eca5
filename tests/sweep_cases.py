"""The sweep's entries for the cases and facilities screens (merged by test_sweep.py).

The world's case of each commune is admitted to the commune's treatment facility, so that facility's staff
hold it (and its referral addressed to them); every other unit must get 404."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from django.utils import timezone

from .sweep_targets import Target
from .world import K, World


def _facility(world: World, where: str):
    return world.org(K.TREATMENT_FACILITY, where)


def _case(world: World, where: str) -> Target:
    case = world.cases.cases[where]
    return Target({"pk": case.pk}, _facility(world, where), case)


def _with(payload: dict) -> Callable[[World, str], Target]:
    def target(world: World, where: str) -> Target:
        return replace(_case(world, where), payload=payload)
    return target


def _refer(world: World, where: str) -> Target:
    return replace(_case(world, where), payload={"to_facility": _facility(world, where).pk, "bed_kind": "regular",
                                                 "reason": "HACKED"})


def _place(world: World, where: str) -> Target:
    return replace(_case(world, where), payload={"facility": _facility(world, where).pk, "bed_kind": "regular"})


def _referral(payload: dict) -> Callable[[World, str], Target]:
    def target(world: World, where: str) -> Target:
        referral = world.cases.referrals[where]
        return Target({"pk": referral.pk}, referral.to_facility, referral, payload)
    return target


def _beds(world: World, where: str) -> Target:
    facility = _facility(world, where)
    return Target({"pk": facility.pk}, facility, world.cases.beds[where],
                  {"regular": 12, "oxygen": 0, "icu": 0, "ventilator": 0})


# url name → the object of a commune the URL is about
OBJECT_URLS: dict[str, Callable] = {
    "cases:detail": _case,
    "cases:severity": _with({"severity": "moderate"}),
    "cases:close": lambda world, where: replace(_case(world, where), payload={
        "outcome": "recovered", "closed_on": timezone.localdate().isoformat()}),
    "cases:place": _place,
    "cases:refer": _refer,
    "cases:discharge": _with({"outcome": "recovered"}),
    "cases:referral": _referral({}),
    "cases:referral_decide": _referral({"decision": "accept"}),
    "cases:referral_transit": _referral({}),
    "cases:referral_arrive": _referral({}),
    "cases:referral_cancel": _referral({"reason": "HACKED"}),
    "cases:beds_edit": _beds,
}
# lists whose URL takes arguments (formats)
LIST_URLS: dict[str, list[dict]] = {"cases:export": [{"fmt": "csv"}, {"fmt": "xlsx"}]}
# URLs anyone may open without an account, with the reason
PUBLIC: dict[str, str] = {}
