from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TestingConfig(AppConfig):
    name = "epicommand.testing"
    label = "testing"
    verbose_name = _("Testing")

    def ready(self) -> None:
        from epicommand.core import navigation
        from epicommand.core.jurisdiction import Scope, register
        from epicommand.core.roles import Cap
        from epicommand.people import links, timeline

        from . import health_book, import_specs  # noqa: F401  (import_specs registers the lab results import)
        from .models import Pool, PositivityDay, Test

        # A test is the person's commune's (now, and where they were sampled), and the units that took or ran it.
        register(Test, Scope(place=("person__commune", "commune"), organization=("sampled_at", "lab"),
                             manage=Cap.TESTING_RECORD))
        register(Pool, Scope(place=("commune",), organization=("sampled_at", "lab"), manage=Cap.TESTING_RECORD))
        register(PositivityDay, Scope(place=("commune",)))
        links.register(Test, "person")
        timeline.register("testing", health_book.entries)
        navigation.add(navigation.Entry(
            "testing:list", _("Testing"), "eyedropper", Cap.TESTING_VIEW,
            _("Samples and results, pooled samples and their follow-ups, positivity by commune and day.")))
