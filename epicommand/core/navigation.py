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


def context(request) -> dict:
    return {"nav_entries": entries_for(getattr(request, "user", None))}
