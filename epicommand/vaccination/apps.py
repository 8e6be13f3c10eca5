from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VaccinationConfig(AppConfig):
    name = "epicommand.vaccination"
    label = "vaccination"
    verbose_name = _("Vaccination")

    def ready(self) -> None:
        from epicommand.core import navigation
        from epicommand.core.jurisdiction import Scope, register
        from epicommand.core.roles import Cap
        from epicommand.core.tasks import JOB_KINDS
        from epicommand.people import links, timeline

        from . import health_book, import_specs, merge_checks, views_coverage  # noqa: F401  (import_specs registers the doses and targets imports)
        from .models import (
            Aefi,
            AllocationLine,
            AllocationPlan,
            Campaign,
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
        # A campaign is a plan for an area: read by everyone answering for a place inside it, around it or above it.
        register(Campaign, Scope(areas=("area",), manage=Cap.VACCINATION_PLAN))
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
        links.register_merge_check(merge_checks.no_shared_dose)
        links.register_listener(merge_checks.refresh_coverage)
        timeline.register("vaccination", health_book.entries)
        # Registered here, not by the URLconf: a worker that never loads the URLs runs the job too.
        JOB_KINDS[views_coverage.REBUILD_JOB] = views_coverage.rebuild_job
        for entry in (
            navigation.Entry("vaccination:record", _("Vaccinate"), "droplet", Cap.DOSES_RECORD,
                             _("Today's sessions: find the person, screen, record the dose, print the certificate.")),
            navigation.Entry("vaccination:campaigns", _("Campaigns and sessions"), "calendar-event",
                             Cap.VACCINATION_VIEW,
                             _("Campaigns, vaccination sites, sessions and their invitation lists.")),
            navigation.Entry("vaccination:coverage", _("Vaccination coverage"), "graph-up", Cap.VACCINATION_VIEW,
                             _("Coverage by commune, trend and map; low-coverage communes and reminders; people due.")),
            navigation.Entry("vaccination:stock", _("Vaccine stock"), "box-seam", Cap.STOCK_MANAGE,
                             _("Lots held, expiry warnings, days of stock left; receipts, wastage and dispatches.")),
            navigation.Entry("vaccination:allocations", _("Allocation"), "diagram-3", Cap.STOCK_ALLOCATE,
                             _("Share the province's vaccine among communes by their coverage gap; shortage report.")),
        ):
            navigation.add(entry)
