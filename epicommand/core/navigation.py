"""The menu, by capability. Later apps add their entries with `add()` from their AppConfig.ready()."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from .roles import Cap


@dataclass(frozen=True)
class Entry:
    url_name: str
    label: str | Promise
    icon: str
    capability: str
    description: str | Promise = ""


ENTRIES: list[Entry] = [
    Entry("organizations:list", _("Organizations"), "building", Cap.ORGS_VIEW,
          _("Health services, facilities, sites, checkpoints, schools and agencies in your area.")),
    Entry("places:list", _("Places"), "geo-alt", Cap.PLACES_VIEW,
          _("Communes and wards, and where the old districts and communes went.")),
    Entry("accounts:list", _("Accounts"), "people", Cap.ACCOUNTS_MANAGE,
          _("Create and manage the accounts of your area.")),
    Entry("policies:list", _("Policies"), "sliders", Cap.POLICIES_VIEW,
          _("Rule values in force: thresholds, intervals, quarantine days, with their sources.")),
    Entry("audit:list", _("Audit"), "journal-text", Cap.AUDIT_VIEW,
          _("Who did what, when and from where.")),
    Entry("jobs:list", _("Jobs"), "hourglass-split", Cap.JOBS_VIEW,
          _("Background work and its progress.")),
]


def add(entry: Entry, *, first: bool = False) -> None:
    if any(e.url_name == entry.url_name for e in ENTRIES):
        return
    if first:
        ENTRIES.insert(0, entry)
    else:
        ENTRIES.append(entry)


def entries_for(user) -> list[dict]:
    if not getattr(user, "is_authenticated", False):
        return []
    return [
        {"url": reverse(e.url_name), "label": e.label, "icon": e.icon, "description": e.description,
         "name": e.url_name}
        for e in ENTRIES
        if user.can(e.capability)
    ]


# The menu bar groups entries by the part of the work they belong to (a health officer holds two dozen entries,
# which no bar shows in a row); a group of one entry is a plain link. Keyed by the URL namespace.
GROUPS: list[tuple[str, str | Promise, str, tuple[str, ...]]] = [
    ("register", _("Population"), "people", ("people", "imports")),
    ("vaccination", _("Vaccination"), "droplet", ("vaccination",)),
    ("treatment", _("Testing and treatment"), "heart-pulse", ("testing", "cases", "dashboard")),
    ("administration", _("Administration"), "gear", ("organizations", "places", "accounts", "policies", "audit",
                                                       "jobs", "notify")),
]


def groups_for(user, path: str = "") -> list[dict]:
    entries = entries_for(user)
    groups = []
    for key, label, icon, namespaces in GROUPS:
        members = [e for e in entries if e["name"].split(":")[0] in namespaces]
        if members:
            for e in members:
                e["active"] = bool(path) and path[:8] == e["url"][:8]
            groups.append({"key": key, "label": label, "icon": icon, "entries": members,
                           "active": any(e["active"] for e in members)})
    grouped = {e["name"] for g in groups for e in g["entries"]}
    for e in entries:  # an entry of a namespace no group names still shows, alone
        if e["name"] not in grouped:
            e["active"] = bool(path) and path[:8] == e["url"][:8]
            groups.append({"key": e["name"], "label": e["label"], "icon": e["icon"], "entries": [e],
                           "active": e["active"]})
    return groups


def context(request) -> dict:
    user = getattr(request, "user", None)
    return {"nav_groups": groups_for(user, getattr(request, "path", ""))}
