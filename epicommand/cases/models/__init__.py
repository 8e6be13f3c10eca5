"""Cases' tables, by concept: cases (cases, their timeline, vital signs), facilities (beds, admissions,
referrals), home (zones, home treatment, patient entry links, alerts), staff (key staff and their alerts)
and facts (what the command centre reads)."""

from .cases import SEVERITY_ORDER, BedKind, Case, CaseEvent, Observation, Severity
from .facilities import Admission, Beds, Referral
from .facts import ActiveCases, CaseDay, WorkerLoad
from .home import Alert, EntryLink, HomeCare, Zone
from .staff import KeyStaff, KeyStaffAlert

__all__ = [
    "SEVERITY_ORDER", "ActiveCases", "Admission", "Alert", "BedKind", "Beds", "Case", "CaseDay", "CaseEvent",
    "EntryLink", "HomeCare", "KeyStaff", "KeyStaffAlert", "Observation", "Referral", "Severity", "WorkerLoad",
    "Zone",
]
