"""The one way stock changes. Callers run inside their own transaction (recording a dose and drawing
its vaccine are one transaction), so a refused draw rolls back the whole action."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.translation import gettext as _

from epicommand.core.models import Organization, User

from .models import Lot, Movement, Stock


class OutOfStock(Exception):
    """Not enough doses of the lot at the holder; the message is for the user."""


def move(*, holder: Organization, lot: Lot, doses: int, kind: str, by: User | None, reason: str = "",
         note: str = "", reference: str = "") -> Movement:
    """Add (doses > 0) or take (doses < 0) stock, with its ledger row, atomically.

    Taking is one conditional UPDATE (`doses >= n`): concurrent takers are serialised by the row lock
    of that UPDATE and each sees the others' result, so exactly the doses present can be taken."""
    if doses == 0:
        raise ValueError("a movement moves something")
    with transaction.atomic():
        if doses > 0:
            stock, _created = Stock.objects.get_or_create(holder=holder, lot=lot)
            Stock.objects.filter(pk=stock.pk).update(doses=F("doses") + doses)
        else:
            try:
                taken = Stock.objects.filter(holder=holder, lot=lot, doses__gte=-doses).update(
                    doses=F("doses") + doses)
            except IntegrityError:  # the check constraint: only reachable if the filter were bypassed
                taken = 0
            if not taken:
                raise OutOfStock(_("Out of stock: lot %(lot)s has fewer than %(n)s doses left here.")
                                 % {"lot": lot.number, "n": -doses})
        balance = Stock.objects.filter(holder=holder, lot=lot).values_list("doses", flat=True).get()
        return Movement.objects.create(holder=holder, lot=lot, kind=kind, doses=doses, balance_after=balance,
                                       reason=reason, note=note, reference=reference, by=by)


def balance(holder: Organization, lot: Lot) -> int:
    return Stock.objects.filter(holder=holder, lot=lot).values_list("doses", flat=True).first() or 0
