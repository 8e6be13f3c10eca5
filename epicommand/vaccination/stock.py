"""The one way stock changes: move(), or take() when the caller writes the ledger row with rows of its own
(a saved dose). Callers run inside their own transaction (recording a dose and drawing its vaccine are one
transaction), so a refused draw rolls back the whole action."""

from __future__ import annotations

from contextlib import nullcontext

from django.db import connection, transaction
from django.db.models import F
from django.utils.translation import gettext as _

from epicommand.core.models import Organization, User
from epicommand.core.rows import insert

from . import record_sql
from .models import Lot, Movement, Stock

# The most doses one receipt, write-off or allocation line may carry: far above a province's whole campaign, far
# below what the integer columns hold (a larger number typed by mistake is refused, never wrapped around).
MAX_DOSES = 10_000_000


class OutOfStock(Exception):
    """Not enough doses of the lot at the holder; the message is for the user."""


def move(*, holder: Organization, lot: Lot, doses: int, kind: str, by: User | None, reason: str = "",
         note: str = "", reference: str = "") -> Movement:
    """Add (doses > 0) or take (doses < 0) stock, with its ledger row, atomically.

    Taking is one conditional UPDATE (`doses >= n`, see record_sql.take): concurrent takers are serialised by
    the row lock of that UPDATE and each sees the others' result, so exactly the doses present can be taken."""
    if doses == 0:
        raise ValueError("a movement moves something")
    # Inside the caller's transaction no savepoint is needed: a refused draw raises before writing anything,
    # so a caller that catches OutOfStock (an allocation skipping a lot) goes on with a sound transaction.
    with nullcontext() if connection.in_atomic_block else transaction.atomic():
        if doses > 0:
            stock, _created = Stock.objects.get_or_create(holder=holder, lot=lot)
            Stock.objects.filter(pk=stock.pk).update(doses=F("doses") + doses)
            balance = Stock.objects.filter(pk=stock.pk).values_list("doses", flat=True).get()
        else:
            balance = take(holder, lot, -doses)
        return insert(Movement(holder=holder, lot=lot, kind=kind, doses=doses, balance_after=balance,
                               reason=reason, note=note, reference=reference, by=by))


def take(holder: Organization, lot: Lot, doses: int) -> int:
    """Take `doses` from the holder's stock of the lot, or raise OutOfStock; the balance left. Within the
    caller's transaction, which writes the ledger row of this balance: move() does, and a saved dose writes
    it together with the dose (record_sql.save_dose)."""
    if doses <= 0 or not connection.in_atomic_block:
        raise ValueError("take() takes doses, inside the transaction that writes their ledger row")
    # The condition of the UPDATE keeps the check constraint (never negative) from ever firing.
    return taken(record_sql.take(holder.pk, lot.pk, doses), lot, doses)


def taken(balance: int | None, lot: Lot, doses: int) -> int:
    """The balance left once `doses` of the lot were taken by take()'s UPDATE (a saved dose runs it within the
    statement that reads the person's doses, record_sql.history), or OutOfStock when there were too few."""
    if balance is None:
        raise OutOfStock(_("Out of stock: lot %(lot)s has fewer than %(n)s doses left here.")
                         % {"lot": lot.number, "n": doses})
    return balance


def balance(holder: Organization, lot: Lot) -> int:
    return Stock.objects.filter(holder=holder, lot=lot).values_list("doses", flat=True).first() or 0
