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
    # Vaccination: the catalogue, campaigns and coverage are read by every vaccination role; stock is
    # kept by whoever holds it; allocation and reminders are the province's; doses by vaccinators.
    VACCINATION_VIEW = "vaccination.view"
    VACCINATION_PLAN = "vaccination.plan"          # campaigns, sites, sessions
    STOCK_MANAGE = "vaccination.stock"             # receipts, wastage, confirming a dispatch received
    STOCK_ALLOCATE = "vaccination.allocate"        # allocation plans and dispatches to communes
    DOSES_RECORD = "vaccination.record"            # screening, doses, AEFI, certificates
    COVERAGE_REMIND = "vaccination.remind"         # reminders to low-coverage communes
    # Testing and cases: samples and results are taken wherever people are tested; cases are opened and
    # placed by the commune and the facilities; home patients are followed by the mobile stations' workers.
    TESTING_VIEW = "testing.view"
    TESTING_RECORD = "testing.record"              # samples, pools, results, lab result imports
    CASES_VIEW = "cases.view"
    CASES_MANAGE = "cases.manage"                  # open, classify, place, admit, refer, discharge, close
    CASES_MONITOR = "cases.monitor"                # vital signs, alerts, patients' entry links, release
    HOME_CARE = "cases.home_care"                  # start home treatment, zones and assignment of workers
    BEDS_MANAGE = "cases.beds"                     # a facility's beds by kind
    KEY_STAFF_MANAGE = "cases.key_staff"           # mark an agency's key staff


_BASE = {Cap.PLACES_VIEW, Cap.ORGS_VIEW, Cap.POLICIES_VIEW, Cap.JOBS_VIEW}

# The register: commune stations keep it; province officers oversee and reconcile it.
_REGISTER = {Cap.PEOPLE_VIEW, Cap.PEOPLE_MANAGE, Cap.PEOPLE_IMPORT}
# Vaccination at the commune: plan sessions, keep the station's stock, vaccinate.
_VACCINATE = {Cap.VACCINATION_VIEW, Cap.VACCINATION_PLAN, Cap.STOCK_MANAGE, Cap.DOSES_RECORD}
# The province also allocates vaccine and reminds communes.
_VACCINATION_PROVINCE = _VACCINATE | {Cap.STOCK_ALLOCATE, Cap.COVERAGE_REMIND}
_TESTING = {Cap.TESTING_VIEW, Cap.TESTING_RECORD}
# Following patients: what a mobile station's health worker does at home and facility staff at the bedside.
_MONITOR = _TESTING | {Cap.CASES_VIEW, Cap.CASES_MONITOR}
# The commune answers for the units standing in it (as for their accounts): their beds and key staff too.
_CASES_COMMUNE = _MONITOR | {Cap.CASES_MANAGE, Cap.HOME_CARE, Cap.BEDS_MANAGE, Cap.KEY_STAFF_MANAGE}

CAPABILITIES: dict[str, frozenset[str]] = {
    Role.COMMAND: frozenset(_BASE | _REGISTER | {Cap.ORGS_MANAGE, Cap.ACCOUNTS_MANAGE, Cap.POLICIES_EDIT,
                                                 Cap.AUDIT_VIEW, Cap.PEOPLE_RECONCILE, Cap.NOTIFY_MANAGE}
                                | _VACCINATION_PROVINCE | _CASES_COMMUNE),
    Role.HEALTH_OFFICER: frozenset(_BASE | _REGISTER | _VACCINATION_PROVINCE | _CASES_COMMUNE | {
        Cap.ORGS_MANAGE, Cap.ACCOUNTS_MANAGE, Cap.POLICIES_EDIT, Cap.PEOPLE_RECONCILE, Cap.NOTIFY_MANAGE}),
    Role.COMMUNE_STATION: frozenset(_BASE | _REGISTER | _VACCINATE | _CASES_COMMUNE
                                    | {Cap.ORGS_MANAGE, Cap.ACCOUNTS_MANAGE}),
    Role.MOBILE_STATION: frozenset(_BASE | _MONITOR | {Cap.PEOPLE_VIEW, Cap.VACCINATION_VIEW, Cap.DOSES_RECORD}),
    # Facility staff see their own patients and the referrals addressed to them (jurisdiction: organization).
    Role.FACILITY: frozenset(_BASE | _MONITOR | {Cap.CASES_MANAGE, Cap.BEDS_MANAGE}),
    # A site vaccinates the people of the commune it stands in (see jurisdiction: served area).
    Role.VACCINATION_SITE: frozenset(_BASE | {Cap.VACCINATION_VIEW, Cap.STOCK_MANAGE, Cap.DOSES_RECORD}),
    Role.CHECKPOINT: frozenset(_BASE | _TESTING),  # rapid tests at entry
    Role.ESTABLISHMENT: frozenset(_BASE),
    Role.DEPARTMENT: frozenset(_BASE | {Cap.KEY_STAFF_MANAGE}),
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
