from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "epicommand.cases"
    label = "cases"
    verbose_name = _("Cases and treatment")

    def ready(self) -> None:
        from epicommand.core.jurisdiction import Scope, register
        from epicommand.core.roles import Cap
        from epicommand.people import links

        from .models import (
            ActiveCases,
            Admission,
            Alert,
            Beds,
            Case,
            CaseDay,
            CaseEvent,
            EntryLink,
            HomeCare,
            KeyStaff,
            KeyStaffAlert,
            Observation,
            Referral,
            WorkerLoad,
            Zone,
        )

        # A case is the commune's where it was found and where the person lives now, and the facility's
        # treating them now. Whatever hangs on a case follows it.
        register(Case, Scope(place=("person__commune", "commune"), organization=("facility",),
                             manage=Cap.CASES_MANAGE))
        on_case = Scope(place=("case__person__commune", "case__commune"), organization=("case__facility",))
        register(CaseEvent, on_case)
        register(Observation, Scope(place=on_case.place, organization=on_case.organization,
                                    manage=Cap.CASES_MONITOR))
        register(Alert, Scope(place=on_case.place, organization=on_case.organization, manage=Cap.CASES_MONITOR))
        # An admission is the facility's; a referral is seen by both facilities (the receiving one decides).
        register(Admission, Scope(place=on_case.place, organization=("facility",), manage=Cap.CASES_MANAGE))
        register(Referral, Scope(place=on_case.place, organization=("to_facility", "from_facility"),
                                 manage=Cap.CASES_MANAGE))
        register(Beds, Scope(place=("facility__place",), organization=("facility",), manage=Cap.BEDS_MANAGE))
        # Home treatment is the commune's: its station and the mobile station's workers.
        register(HomeCare, Scope(place=("case__person__commune", "commune"), manage=Cap.HOME_CARE))
        register(EntryLink, Scope(place=("home_care__commune",), manage=Cap.CASES_MONITOR))
        register(Zone, Scope(place=("commune",), manage=Cap.HOME_CARE))
        register(KeyStaff, Scope(place=("organization__place",), organization=("organization",),
                                 manage=Cap.KEY_STAFF_MANAGE))
        register(KeyStaffAlert, Scope(place=("organization__place",), organization=("organization",)))
        for model in (ActiveCases, CaseDay, WorkerLoad):
            register(model, Scope(place=("commune",)))
        links.register(Case, "person")
        links.register(KeyStaff, "person")
        # Each area registers its own timeline entries, listeners, menu entries and jobs.
        from . import hooks_cases, hooks_home, hooks_staff

        for hooks in (hooks_cases, hooks_home, hooks_staff):
            hooks.ready()
