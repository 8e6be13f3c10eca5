"""Beds: holding and freeing one (by conditional UPDATE, so concurrent admissions to the last bed cannot
both win: the database re-checks `occupied < total` on the row each one updates), and the facility's totals,
which are never set below the beds in use."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from epicommand.core import audit
from epicommand.core.models import AuditEvent, Organization, User

from .models import BedKind, Beds


class NoFreeBed(ValidationError):
    pass


def hold(*, facility: Organization, kind: str) -> None:
    """Take one bed of `kind` at `facility` (inside the caller's transaction); NoFreeBed when none is free."""
    taken = Beds.objects.filter(facility=facility, kind=kind, occupied__lt=F("total")).update(
        occupied=F("occupied") + 1)
    if not taken:
        raise NoFreeBed(_("No free %(kind)s at %(facility)s.") % {
            "kind": str(BedKind(kind).label).lower(), "facility": facility.name})


def release(*, facility_id: int, kind: str) -> None:
    """Give one bed back (never below zero: a bed freed twice is a bug we refuse to turn into a negative)."""
    Beds.objects.filter(facility_id=facility_id, kind=kind, occupied__gt=0).update(occupied=F("occupied") - 1)


def set_totals(*, actor: User, facility: Organization, totals: dict[str, int]) -> list[Beds]:
    """The facility's beds per kind. A total below the beds in use now is refused with the figures."""
    if facility.tier is None or facility.kind not in Organization.TREATING_KINDS:
        raise ValidationError(_("Only treating facilities with a tier have beds."))
    errors: dict[str, str] = {}
    changes: dict[str, list[int]] = {}
    with transaction.atomic():
        for kind, total in totals.items():
            if kind not in BedKind.values or total is None:
                continue
            if total < 0:
                errors[kind] = _("A number of beds cannot be negative.")
                continue
            row = Beds.objects.filter(facility=facility, kind=kind).first()
            if row is None:
                if total == 0:  # a kind the facility does not have stays without a row
                    continue
                row = Beds.objects.create(facility=facility, kind=kind)
            if row.total == total:
                continue
            # Conditional: an admission between reading the form and saving it is not undercut.
            if not Beds.objects.filter(pk=row.pk, occupied__lte=total).update(total=total):
                row.refresh_from_db()
                errors[kind] = _("%(n)s beds are in use: the total cannot be lower.") % {"n": row.occupied}
                continue
            changes[kind] = [row.total, total]
        if errors:
            transaction.set_rollback(True)
            raise ValidationError(errors)
        if changes:
            audit.record(actor=actor, action=AuditEvent.Action.UPDATE, obj=facility, object_type="cases.Beds",
                         changes=changes)
    return list(Beds.objects.filter(facility=facility).order_by("kind"))
