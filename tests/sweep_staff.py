"""The sweep's entries for the key-staff screens and the command-centre figures (merged by test_sweep.py)."""

from __future__ import annotations

from collections.abc import Callable

from .sweep_targets import Target
from .world import K, World


def key_staff(world: World, where: str) -> Target:
    """A key staff member of the commune's agency: the agency's focal point, the commune's roles and the province
    hold it; removing it is a POST with nothing more to say."""
    row = world.cases.key_staff[where]
    return Target({"pk": row.pk}, world.org(K.AGENCY, where), row, {})


# url name → the object of a commune the URL is about
OBJECT_URLS: dict[str, Callable] = {
    "cases:key_staff_remove": key_staff,
}
# lists whose URL takes arguments (formats)
LIST_URLS: dict[str, list[dict]] = {
    "dashboard:command_export": [{"fmt": "csv"}, {"fmt": "xlsx"}],
}
# URLs anyone may open without an account, with the reason
PUBLIC: dict[str, str] = {}
