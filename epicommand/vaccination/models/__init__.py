"""Vaccination's tables, by concept: stock (products, lots, balances, the ledger, dispatches), campaigns
(campaigns, sites, sessions), doses (screening, doses, AEFI, certificates) and coverage (per-person status,
the fact tables dashboards read, official targets, reminders)."""

from .campaigns import Campaign, Session, SessionLot, Site
from .coverage import CoverageDay, OfficialTarget, Reminder, TargetFact, VaccinationStatus
from .doses import Aefi, Certificate, Dose, DoseKind, Screening
from .stock import AllocationLine, AllocationPlan, Dispatch, Lot, Movement, Product, Stock

__all__ = [
    "Aefi", "AllocationLine", "AllocationPlan", "Campaign", "Certificate", "CoverageDay", "Dispatch", "Dose",
    "DoseKind", "Lot", "Movement", "OfficialTarget", "Product", "Reminder", "Screening", "Session", "SessionLot",
    "Site", "Stock", "TargetFact", "VaccinationStatus",
]
