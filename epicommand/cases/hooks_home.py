"""Registrations of the home-treatment screens made when the app is ready: menu entries and the import of
monitoring entries. (Home-treatment events reach the health book as case events.)"""

from __future__ import annotations


def ready() -> None:
    from django.utils.translation import gettext_lazy as _

    from epicommand.core import navigation
    from epicommand.core.roles import Cap

    from . import home_import  # noqa: F401  (registers the "home_observations" import)

    navigation.add(navigation.Entry("cases:day_list", _("Day list"), "clipboard2-pulse", Cap.CASES_MONITOR,
                                    _("Home patients to call or visit this half-day, overdue and alarming.")))
    navigation.add(navigation.Entry("cases:escalation", _("Escalation"), "exclamation-triangle", Cap.CASES_MONITOR,
                                    _("Home patients with warning signs or without entries, most urgent first.")))
