"""The sweep's entries for the home screens (merged by test_sweep.py). Home patients belong to their commune
only (no facility treats them), so every target's organization is None: only province roles and the commune's
own roles hold them."""

from __future__ import annotations

from collections.abc import Callable

from django.utils import timezone

from epicommand.core.roles import Role

from .sweep_targets import Target
from .world import World


def _home_case(world: World, where: str, payload: dict | None = None) -> Target:
    case = world.cases.home_cases[where]
    return Target({"pk": case.pk}, None, case, payload or {})


def _start(world: World, where: str) -> Target:
    return _home_case(world, where, {"village": f"Bản {where}", "self_care": "on"})


def _observe(world: World, where: str) -> Target:
    taken = timezone.localtime().strftime("%Y-%m-%dT%H:%M")
    return _home_case(world, where, {"taken_at": taken, "spo2": "98", "respiratory_rate": "16"})


def _release(world: World, where: str) -> Target:
    return _home_case(world, where, {"note": "HACKED release"})


def _assign(world: World, where: str) -> Target:
    return _home_case(world, where, {"worker": world.user(Role.COMMUNE_STATION, where).pk})


def _link(world: World, where: str) -> Target:
    return _home_case(world, where, {"send": "1"})


def _alert(world: World, where: str) -> Target:
    alert = world.cases.alerts[where]
    return Target({"pk": alert.pk}, None, alert, {"action": "resolve", "note": "HACKED"})


def _zone(world: World, where: str) -> Target:
    zone = world.cases.zones[where]
    worker = world.user(Role.COMMUNE_STATION, where)
    return Target({"pk": zone.pk}, None, zone, {"village": "HACKED", "worker": worker.pk})


# url name → the object of a commune the URL is about
OBJECT_URLS: dict[str, Callable] = {
    "cases:home_start": _start,
    "cases:observe": _observe,
    "cases:home_release": _release,
    "cases:home_assign": _assign,
    "cases:entry_link": _link,
    "cases:alert_handle": _alert,
    "cases:zone_edit": _zone,
}
# lists whose URL takes arguments (formats)
LIST_URLS: dict[str, list[dict]] = {}
# URLs anyone may open without an account, with the reason
PUBLIC: dict[str, str] = {
    "cases:patient_entry": "a home patient without an account enters vital signs through a one-time link",
    "cases:patient_code": "a home patient without an account enters vital signs with a short code and phone",
}
