"""The sweep's entries for the vaccination doses screens (merged by test_sweep.py)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from django.utils import timezone

from . import sweep_targets as t
from .world import World


def _session_person(world: World, where: str) -> t.Target:
    """The dose form: a commune's session and its person; a deferral is a valid change (the person already
    has today's Pfizer dose)."""
    target = t.session(world, where)
    return replace(target, kwargs={"session_pk": target.instance.pk, "person_pk": world.people[where].pk},
                   payload={"outcome": "defer", "answer_acute_illness": "on", "temperature": "38.5"})


def _new_person(world: World, where: str) -> t.Target:
    return replace(t.session(world, where), payload={"full_name": "HACKED", "sex": "M", "birth_year": 1980,
                                                     "nationality": "VN"})


def _aefi_on_dose(world: World, where: str) -> t.Target:
    onset = timezone.localtime().strftime("%Y-%m-%dT%H:%M")
    return replace(t.dose(world, where), payload={"symptoms": "fever", "onset": onset, "severity": "serious",
                                                  "outcome": "recovering"})


# url name → the object of a commune the URL is about
OBJECT_URLS: dict[str, Callable] = {
    "vaccination:session_record": t.session,
    "vaccination:session_person_new": _new_person,
    "vaccination:dose_new": _session_person,
    "vaccination:dose": t.dose,
    "vaccination:dose_undo": t.dose,
    "vaccination:aefi_new": _aefi_on_dose,
    # Issued from the register's view of the person (not a site's served area): see views_certificates.
    "vaccination:certificate_issue": t.person,
    "vaccination:certificate": t.certificate,
}
# lists whose URL takes arguments (formats)
LIST_URLS: dict[str, list[dict]] = {}
# URLs anyone may open without an account, with the reason
PUBLIC: dict[str, str] = {
    "verify": "public certificate check: shows only what the signed token itself carries (initials, birth year, "
              "doses, validity), reads nothing from the database",
    "vaccination:public_key": "the province's public key, published so anyone can verify certificates offline",
}
