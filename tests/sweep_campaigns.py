"""The sweep's entries for the vaccination campaigns screens (merged by test_sweep.py)."""

from __future__ import annotations

from collections.abc import Callable

from . import sweep_targets as t
from .world import World


def _site(world: World, where: str) -> t.Target:
    target = t.site(world, where)
    site = target.instance
    target.payload = {"name": "HACKED", "kind": site.kind, "commune": site.commune_id, "village": "",
                      "organization": site.organization_id, "is_active": "on"}
    return target


def _new_session(world: World, where: str) -> t.Target:
    target = t.site(world, where)
    target.payload = {"date": target.instance.sessions.first().date.strftime("%d/%m/%Y"), "team": "HACKED"}
    return target


def _export(fmt: str) -> Callable[[World, str], t.Target]:
    def target(world: World, where: str) -> t.Target:
        found = t.session(world, where)
        found.kwargs = {**found.kwargs, "fmt": fmt}
        return found
    return target


# url name → the object of a commune the URL is about
OBJECT_URLS: dict[str, Callable] = {
    "vaccination:campaign": t.campaign,
    "vaccination:campaign_edit": t.campaign,
    "vaccination:site": _site,
    "vaccination:session_new": _new_session,
    "vaccination:session": t.session,
    "vaccination:session_close": t.session,
    "vaccination:invitations": t.session,
    "vaccination:invitations_export": _export("xlsx"),
}
# lists whose URL takes arguments (formats)
LIST_URLS: dict[str, list[dict]] = {}
# URLs anyone may open without an account, with the reason
PUBLIC: dict[str, str] = {}
