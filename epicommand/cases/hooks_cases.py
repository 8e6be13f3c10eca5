"""Registrations of the cases and facilities screens, made when the app is ready: the health book's
timeline, the register's merge check, the testing result listener and the menu entries."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _


def ready() -> None:
    from epicommand.core import navigation
    from epicommand.core.roles import Cap
    from epicommand.people import links, timeline
    from epicommand.testing.links import register_result_listener

    from . import health_book, merge_checks, services

    timeline.register("cases", health_book.entries)
    links.register_merge_check(merge_checks.no_two_open_cases)
    # A positive result opens (or adds to) the person's case inside the testing transaction.
    register_result_listener(services.open_from_tests)
    for entry in (
        navigation.Entry("cases:list", _("Cases"), "clipboard2-pulse", Cap.CASES_VIEW,
                         _("Confirmed cases: severity, risk, where they are treated, placement and timeline.")),
        navigation.Entry("cases:referrals", _("Referrals"), "arrow-left-right", Cap.CASES_VIEW,
                         _("Referrals between facilities and from home: accept, decline, transport, arrival.")),
        navigation.Entry("cases:beds", _("Beds"), "hospital", Cap.CASES_VIEW,
                         _("Beds of the 3-tier tower by facility and kind, with free beds.")),
    ):
        navigation.add(entry)
