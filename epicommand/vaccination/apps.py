from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VaccinationConfig(AppConfig):
    name = "epicommand.vaccination"
    label = "vaccination"
    verbose_name = _("Vaccination")

    def ready(self) -> None:
        from epicommand.core.jurisdiction import Scope, register
        from epicommand.core.roles import Cap

        from .models import Movement, Stock

        # Stock belongs to the organization holding it, and so to that organization's area.
        register(Stock, Scope(place=("holder__place",), organization=("holder",), manage=Cap.ORGS_MANAGE))
        register(Movement, Scope(place=("holder__place",), organization=("holder",)))
