"""The sweep's entries for the vaccination coverage screens (merged by test_sweep.py)."""

from __future__ import annotations

from collections.abc import Callable

from . import sweep_targets as t
from .world import World


def _remind(world: World, where: str) -> t.Target:
    """A commune, with a valid reminder: a refusal must be the jurisdiction's, not the form's."""
    target = t.commune(world, where)
    target.payload = {"channel": "console", "body": "HACKED reminder", "to": ""}
    return target


def _due_export(world: World, where: str) -> t.Target:
    target = t.commune(world, where)
    target.kwargs = {**target.kwargs, "fmt": "xlsx"}
    return target


# url name → the object of a commune the URL is about
OBJECT_URLS: dict[str, Callable] = {
    "vaccination:remind": _remind,
    "vaccination:due": t.commune,
    "vaccination:due_export": _due_export,
}
# lists whose URL takes arguments (formats)
LIST_URLS: dict[str, list[dict]] = {
    "vaccination:coverage_export": [{"fmt": "csv"}, {"fmt": "xlsx"}],
    "vaccination:low_coverage_export": [{"fmt": "csv"}, {"fmt": "xlsx"}],
}
# URLs anyone may open without an account, with the reason
PUBLIC: dict[str, str] = {}
