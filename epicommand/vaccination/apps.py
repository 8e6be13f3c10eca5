from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VaccinationConfig(AppConfig):
    name = "epicommand.vaccination"
    label = "vaccination"
    verbose_name = _("Vaccination")

    def ready(self) -> None:
        from epicommand.core.jurisdiction import Scope, register
        from epicommand.core.roles import Cap
        from epicommand.people import links, timeline

        from . import health_book
        from .models import (
            Aefi,
            AllocationLine,
            AllocationPlan,
            Certificate,
            CoverageDay,
            Dispatch,
            Dose,
            Movement,
            OfficialTarget,
            Reminder,
            Screening,
            Session,
            SessionLot,
            Site,
            Stock,
            TargetFact,
            VaccinationStatus,
        )

        # Stock belongs to the organization holding it, and so to that organization's area.
        register(Stock, Scope(place=("holder__place",), organization=("holder",), manage=Cap.STOCK_MANAGE))
        register(Movement, Scope(place=("holder__place",), organization=("holder",)))
        # A dispatch is seen by both ends; the receiving end confirms it.
        register(Dispatch, Scope(place=("recipient__place", "sender__place"), organization=("recipient", "sender"),
                                 manage=Cap.STOCK_MANAGE))
        register(AllocationPlan, Scope(place=("source__place",), manage=Cap.STOCK_ALLOCATE))
        register(AllocationLine, Scope(place=("commune",), manage=Cap.STOCK_ALLOCATE))
        # Sites and sessions: the commune's, and the organization's that runs them.
        register(Site, Scope(place=("commune",), organization=("organization",), manage=Cap.VACCINATION_PLAN))
        register(Session, Scope(place=("site__commune",), organization=("site__organization",),
                                manage=Cap.VACCINATION_PLAN))
        register(SessionLot, Scope(place=("session__site__commune",), organization=("session__site__organization",)))
        # A dose is the person's commune's, and the unit's that gave it.
        register(Dose, Scope(place=("person__commune",), organization=("organization",), manage=Cap.DOSES_RECORD))
        register(Aefi, Scope(place=("dose__person__commune",), organization=("dose__organization",),
                             manage=Cap.DOSES_RECORD))
        register(Screening, Scope(place=("person__commune",), manage=Cap.DOSES_RECORD))
        register(Certificate, Scope(place=("person__commune",), manage=Cap.DOSES_RECORD))
        for model in (VaccinationStatus, CoverageDay, TargetFact, OfficialTarget, Reminder):
            register(model, Scope(place=("commune",), manage=Cap.COVERAGE_REMIND))
        links.register(Dose, "person")
        links.register(Screening, "person")
        links.register(Certificate, "person")
        timeline.register("vaccination", health_book.entries)
