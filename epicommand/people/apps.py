from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PeopleConfig(AppConfig):
    name = "epicommand.people"
    label = "people"
    verbose_name = _("People")

    def ready(self) -> None:
        from epicommand.core import navigation
        from epicommand.core.jurisdiction import Scope, register
        from epicommand.core.roles import Cap
        from epicommand.core.tasks import JOB_KINDS

        from . import links, reconcile_views
        from .models import DuplicateCandidate, Household, Merge, Person, ReferenceCandidate

        # People belong to their commune; facility scoping (patients) is added by the cases app.
        # A vaccination site finds the people of the commune it stands in, to vaccinate them (served_to).
        register(Person, Scope(place=("commune",), manage=Cap.PEOPLE_MANAGE, served=("commune",),
                               served_cap=Cap.DOSES_RECORD))
        register(Household, Scope(place=("commune",), manage=Cap.PEOPLE_MANAGE))
        register(ReferenceCandidate, Scope(place=("person__commune",), manage=Cap.PEOPLE_RECONCILE))
        register(DuplicateCandidate, Scope(place=("first__commune",), manage=Cap.PEOPLE_RECONCILE))
        register(Merge, Scope(place=("kept__commune",), manage=Cap.PEOPLE_RECONCILE))
        links.register(Household, "head")
        JOB_KINDS["people.reconcile"] = reconcile_views.job_body
        navigation.add(navigation.Entry("people:quality", _("Data quality"), "clipboard-check", Cap.PEOPLE_VIEW,
                                        _("How the register matches the National Population Database, commune by "
                                          "commune; proposed matches and duplicates to review.")))
        navigation.add(navigation.Entry("people:list", _("People"), "person-vcard", Cap.PEOPLE_VIEW,
                                        _("The population register and each person's health book.")), first=True)
