from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ImportsConfig(AppConfig):
    name = "epicommand.imports"
    label = "imports"
    verbose_name = _("Imports")

    def ready(self) -> None:
        from epicommand.core import navigation
        from epicommand.core.jurisdiction import Scope, register
        from epicommand.core.roles import Cap
        from epicommand.core.tasks import JOB_KINDS

        from . import services, spec
        from .models import ImportRun
        from .people import PEOPLE_SPEC
        from .population_reference import REFERENCE_SPEC

        register(ImportRun, Scope(place=("place",), organization=("organization",), manage=Cap.PEOPLE_IMPORT))
        spec.register(PEOPLE_SPEC)
        spec.register(REFERENCE_SPEC)
        JOB_KINDS["import"] = services.job_body
        navigation.add(navigation.Entry("imports:list", _("Imports"), "file-earmark-arrow-up", Cap.PEOPLE_IMPORT,
                                        _("Bring lists in from Excel or CSV, check them, and see what was rejected.")))
