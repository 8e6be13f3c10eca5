"""The sweep's entries for the vaccination stock screens (merged by test_sweep.py)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from . import sweep_targets as t
from .world import World


def _holder(world: World, where: str) -> t.Target:
    """A unit's ledger: the commune station, which holds the commune's lot."""
    org = t.station(world, where)
    return t.Target({"pk": org.pk}, org, org)


def _ledger_export(world: World, where: str) -> t.Target:
    target = _holder(world, where)
    return replace(target, kwargs={**target.kwargs, "fmt": "csv"})


def _receive(world: World, where: str) -> t.Target:
    return replace(t.dispatch(world, where), payload={"received": "12"})


# url name → the object of a commune the URL is about
OBJECT_URLS: dict[str, Callable] = {
    "vaccination:ledger": _holder,
    "vaccination:ledger_export": _ledger_export,
    "vaccination:dispatch_receive": _receive,
    "vaccination:allocation": t.allocation_plan,
}
# lists whose URL takes arguments (formats)
LIST_URLS: dict[str, list[dict]] = {
    "vaccination:stock_export": [{"fmt": "csv"}, {"fmt": "xlsx"}],
    "vaccination:shortage_export": [{"fmt": "csv"}, {"fmt": "xlsx"}],
}
# URLs anyone may open without an account, with the reason
PUBLIC: dict[str, str] = {}
