"""Writes to the population register: one transaction each, audited inside it."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from epicommand.core import audit
from epicommand.core.jurisdiction import can, get_for_user, place_is_within
from epicommand.core.models import AuditEvent, Place, User
from epicommand.core.repeats import saved_moments_ago
from epicommand.core.roles import Cap
from epicommand.core.text import fold, nfc

from . import links
from .identity import cccd_problems, clean_number, cmnd_problems, insurance_problems, passport_problems
from .models import Household, Person
from .vulnerability import Rules

FIELDS = (
    "full_name", "birth_date", "birth_year", "sex", "cccd", "cmnd", "passport", "insurance_number", "ethnicity",
    "nationality", "commune", "village", "address", "household", "phone", "occupation", "priority_group",
    "chronic_conditions", "pregnant", "expected_delivery", "disability",
)


def normalise(data: dict[str, Any]) -> dict[str, Any]:
    """Stored forms: names NFC, numbers bare, year filled from the date."""
    data = dict(data)
    if "full_name" in data:
        data["full_name"] = nfc(data["full_name"])
    for field in ("cccd", "cmnd", "passport", "insurance_number"):
        if field in data:
            data[field] = clean_number(data[field]) or ("" if field != "cccd" else None)
    if data.get("phone"):
        data["phone"] = clean_number(data["phone"])
    if data.get("birth_date"):
        data["birth_year"] = data["birth_date"].year
    if "village" in data:
        data["village"] = nfc(data["village"] or "")
    return data


def problems(person: Person, today: date | None = None) -> dict[str, list[str]]:
    """Field → what is wrong, by the register's rules (shared by forms, imports and the API)."""
    today = today or timezone.localdate()
    found: dict[str, list[str]] = {}
    if not person.full_name:
        found["full_name"] = [_("The full name is required.")]
    if person.birth_year is None:
        found["birth_year"] = [_("The date or at least the year of birth is required.")]
    elif not 1880 <= person.birth_year <= today.year:
        found["birth_year"] = [_("The year of birth is not plausible.")]
    if person.sex not in ("M", "F"):
        found["sex"] = [_("The sex is required (male or female).")]
    if person.cccd:
        if issues := cccd_problems(person.cccd, sex=person.sex, birth_year=person.birth_year):
            found["cccd"] = issues
    for field, check in (("cmnd", cmnd_problems), ("insurance_number", insurance_problems),
                         ("passport", passport_problems)):
        value = getattr(person, field)
        if value and (issues := check(value)):
            found[field] = issues
    if person.expected_delivery and not person.pregnant:
        found["expected_delivery"] = [_("An expected delivery date needs the pregnancy box ticked.")]
    if person.pregnant and person.sex != "F":
        found["pregnant"] = [_("Only a woman can be recorded as pregnant.")]
    return found


# Fields other apps derive figures from (coverage counts people by commune, age and priority group): a change
# tells them (links.people_changed).
DERIVED_FROM = {"commune", "birth_date", "birth_year", "priority_group", "pregnant"}


def _snapshot(person: Person) -> dict:
    return {f: getattr(person, f) for f in FIELDS}


def _check_place(actor: User, commune: Place) -> None:
    if not can(actor, Cap.PEOPLE_MANAGE):
        raise PermissionDenied
    if not place_is_within(actor, commune) or commune.level != Place.Level.COMMUNE:
        raise ValidationError({"commune": _("The commune is outside your jurisdiction.")})


def _finish(person: Person) -> None:
    person.name_folded = fold(person.full_name)
    person.vulnerable = Rules(timezone.localdate()).is_vulnerable(person)
    if issues := problems(person):
        raise ValidationError(issues)
    if person.cccd and Person.objects.filter(cccd=person.cccd).exclude(pk=person.pk).exists():
        raise ValidationError({"cccd": [_("Another person in the register has this CCCD.")]})


@transaction.atomic
def create_person(*, actor: User, **data) -> Person:
    data = normalise(data)
    _check_place(actor, data["commune"])
    person = Person(created_by=actor, **data)
    # Save pressed twice: the person this user added a moment ago with the very same details is given back, not
    # registered again. The commune's row is locked, so two taps arriving together are checked one after the other.
    for same in saved_moments_ago(Place.objects.filter(pk=person.commune_id),
                                  Person.objects.filter(created_by=actor, commune=person.commune_id,
                                                        full_name=person.full_name), "created_at"):
        if _snapshot(same) == _snapshot(person):
            return same
    _finish(person)
    person.save()
    audit.record(actor=actor, action=AuditEvent.Action.CREATE, obj=person, changes=audit.diff({}, _snapshot(person)))
    return person


@transaction.atomic
def update_person(*, actor: User, person: Person, **data) -> Person:
    person = get_for_user(actor, Person.objects.select_for_update(), person.pk, write=True)
    before = _snapshot(person)
    for field, value in normalise(data).items():
        if field not in FIELDS:
            raise ValueError(field)
        setattr(person, field, value)
    _check_place(actor, person.commune)
    _finish(person)
    person.save()
    if changes := audit.diff(before, _snapshot(person)):
        audit.record(actor=actor, action=AuditEvent.Action.UPDATE, obj=person, changes=changes)
        if DERIVED_FROM & set(changes):
            links.people_changed([person.pk])
    return person


def record_view(*, actor: User, person: Person) -> None:
    """Opening a person's record is itself audited (health data)."""
    audit.record(actor=actor, action=AuditEvent.Action.VIEW, obj=person)


@transaction.atomic
def create_household(*, actor: User, head: Person, code: str = "") -> Household:
    head = get_for_user(actor, Person, head.pk, write=True)
    household = Household.objects.create(commune=head.commune, village=head.village, code=code.strip(), head=head)
    Person.objects.filter(pk=head.pk).update(household=household)
    audit.record(actor=actor, action=AuditEvent.Action.CREATE, obj=household, place=head.commune,
                 changes={"head": [None, str(head)]})
    return household


@transaction.atomic
def add_to_household(*, actor: User, household: Household, person: Person) -> None:
    household = get_for_user(actor, Household, household.pk, write=True)
    person = get_for_user(actor, Person, person.pk, write=True)
    if person.commune_id != household.commune_id:
        raise ValidationError(_("A household's members live in its commune."))
    before = person.household_id
    Person.objects.filter(pk=person.pk).update(household=household)
    audit.record(actor=actor, action=AuditEvent.Action.UPDATE, obj=person,
                 changes={"household": [before, household.pk]})
