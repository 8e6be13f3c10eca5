"""Roles and what each may do. Who may see which rows lives in jurisdiction.py; this module only
names roles, their capabilities and the kind of jurisdiction each is bound to."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    COMMAND = "command", _("Command centre")
    HEALTH_OFFICER = "health_officer", _("Health officer (DoH/CDC)")
    COMMUNE_STATION = "commune_station", _("Commune health station")
    FACILITY = "facility", _("Facility staff")
    MOBILE_STATION = "mobile_station", _("Mobile medical station")
    VACCINATION_SITE = "vaccination_site", _("Vaccination site staff")
    CHECKPOINT = "checkpoint", _("Checkpoint staff")
    ESTABLISHMENT = "establishment", _("Establishment (school, lodging)")
    DEPARTMENT = "department", _("Department focal point")


class Cap:
    """Capability names. A screen asks for one; a role holds a set."""

    PLACES_VIEW = "places.view"
    ORGS_VIEW = "organizations.view"
    ORGS_MANAGE = "organizations.manage"
    ACCOUNTS_MANAGE = "accounts.manage"
    POLICIES_VIEW = "policies.view"
    POLICIES_EDIT = "policies.edit"
    AUDIT_VIEW = "audit.view"
    JOBS_VIEW = "jobs.view"
    PEOPLE_VIEW = "people.view"
    PEOPLE_MANAGE = "people.manage"
    PEOPLE_IMPORT = "people.import"
    PEOPLE_RECONCILE = "people.reconcile"
    NOTIFY_MANAGE = "notify.manage"


_BASE = {Cap.PLACES_VIEW, Cap.ORGS_VIEW, Cap.POLICIES_VIEW, Cap.JOBS_VIEW}

# The register: commune stations keep it; province officers oversee and reconcile it.
_REGISTER = {Cap.PEOPLE_VIEW, Cap.PEOPLE_MANAGE, Cap.PEOPLE_IMPORT}

CAPABILITIES: dict[str, frozenset[str]] = {
    Role.COMMAND: frozenset(_BASE | _REGISTER | {Cap.ORGS_MANAGE, Cap.ACCOUNTS_MANAGE, Cap.POLICIES_EDIT,
                                                 Cap.AUDIT_VIEW, Cap.PEOPLE_RECONCILE, Cap.NOTIFY_MANAGE}),
    Role.HEALTH_OFFICER: frozenset(_BASE | _REGISTER | {Cap.ORGS_MANAGE, Cap.ACCOUNTS_MANAGE, Cap.POLICIES_EDIT,
                                                        Cap.PEOPLE_RECONCILE, Cap.NOTIFY_MANAGE}),
    Role.COMMUNE_STATION: frozenset(_BASE | _REGISTER | {Cap.ORGS_MANAGE, Cap.ACCOUNTS_MANAGE}),
    Role.MOBILE_STATION: frozenset(_BASE | {Cap.PEOPLE_VIEW}),
    Role.FACILITY: frozenset(_BASE),
    Role.VACCINATION_SITE: frozenset(_BASE),
    Role.CHECKPOINT: frozenset(_BASE),
    Role.ESTABLISHMENT: frozenset(_BASE),
    Role.DEPARTMENT: frozenset(_BASE),
}

# How each role's jurisdiction is given: a place subtree (province or commune), or an organization.
PLACE_LEVEL: dict[str, str] = {
    Role.COMMAND: "province",
    Role.HEALTH_OFFICER: "province",
    Role.COMMUNE_STATION: "commune",
    Role.MOBILE_STATION: "commune",
}
ORGANIZATION_ROLES = frozenset(
    {Role.FACILITY, Role.VACCINATION_SITE, Role.CHECKPOINT, Role.ESTABLISHMENT, Role.DEPARTMENT}
)


def capabilities(role: str) -> frozenset[str]:
    return CAPABILITIES.get(role, frozenset())
