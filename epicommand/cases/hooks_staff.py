"""Registrations of the key-staff and command-figures part: menu entries and the fact-rebuild job kind."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _


def ready() -> None:
    from epicommand.core import navigation
    from epicommand.core.roles import Cap
    from epicommand.core.tasks import JOB_KINDS
    from epicommand.people import links

    from . import facts_rebuild, key_staff

    # A merge (or its undo) moves key-staff rows and cases between entries: refused when both are key staff of
    # one organization, and the organizations concerned are judged again afterwards.
    links.register_merge_check(key_staff.no_shared_organization)
    links.register_listener(key_staff.people_changed)
    # Registered here, not by the URLconf: a worker that never loads the URLs runs the job too.
    JOB_KINDS[facts_rebuild.REBUILD_JOB] = facts_rebuild.rebuild_job
    navigation.add(navigation.Entry(
        "dashboard:command", _("Command figures"), "speedometer2", Cap.CASES_VIEW,
        _("Active cases by severity, tier and commune; new cases; beds; home-treatment load; alerts; positivity.")))
    navigation.add(navigation.Entry(
        "cases:key_staff", _("Key staff"), "person-badge", Cap.KEY_STAFF_MANAGE,
        _("Mark an agency's key staff; the share of them infected; alerts to the command centre.")))
