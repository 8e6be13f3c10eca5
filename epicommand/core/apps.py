from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "epicommand.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        # Audit receivers; field__any; the policy cache's receivers; job kinds.
        from . import auth_events, lookups, policies, tasks  # noqa: F401
