from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "epicommand.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        from . import auth_events, lookups, tasks  # noqa: F401  (audit receivers; field__any; job kinds)
