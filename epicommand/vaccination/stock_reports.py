"""Figures about stock: expiry warnings, days of stock left at the current rate of use, and the shortage
report behind a request to the Ministry. Every function takes querysets the caller has already limited to
the user's jurisdiction (visible_to), so a report never shows more than its reader may see."""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import QuerySet, Sum
from django.utils import timezone

from epicommand.core.models import Organization, Place
from epicommand.core.policies import PolicyMissing, policy

from . import allocation
from .models import Dispatch, Movement, Product, Stock

# What counts as use: doses given and doses wasted; an undone dose gives its dose back.
USE_KINDS = (Movement.Kind.ADMINISTERED, Movement.Kind.WASTED, Movement.Kind.UNDONE)


def _setting(key: str, on: date, fallback: int) -> int:
    try:
        return int(policy(key, on))
    except PolicyMissing:
        return fallback


def warning_days(on: date) -> int:
    return _setting("vaccination.stock.expiry_warning_days", on, 30)


def window_days(on: date) -> int:
    return max(1, _setting("vaccination.stock.use_window_days", on, 14))


def cover_days(on: date) -> int:
    return _setting("vaccination.stock.cover_days", on, 30)


def expiring(stock: QuerySet[Stock], on: date) -> list[Stock]:
    """Stock with doses left whose lot has expired or expires within the warning period, soonest first."""
    rows = (stock.filter(doses__gt=0, lot__expiry__lte=on + timedelta(days=warning_days(on)))
            .select_related("holder", "lot__product").order_by("lot__expiry", "holder__name", "lot__number"))
    for row in rows:
        row.days_to_expiry = (row.lot.expiry - on).days
        row.expired = row.days_to_expiry < 0
    return list(rows)


def use(movements: QuerySet[Movement], on: date) -> dict[tuple[int, int], int]:
    """Doses used (given + wasted − undone) per (holder, product) over the window ending on `on`."""
    since = timezone.make_aware(datetime.combine(on - timedelta(days=window_days(on) - 1), time.min))
    rows = (movements.filter(kind__in=USE_KINDS, at__gte=since).values_list("holder_id", "lot__product_id")
            .annotate(n=Sum("doses")))
    return {(holder, product): max(0, -(n or 0)) for holder, product, n in rows}


@dataclass
class Cover:
    holder: Organization
    product: Product
    doses: int          # unexpired doses held
    per_day: float      # doses used per day over the window
    days: int | None    # whole days the doses last at that rate; None: no use in the window


def days_left(stock: QuerySet[Stock], movements: QuerySet[Movement], on: date) -> list[Cover]:
    """Per holder × product: unexpired doses held and how many days they last at the current rate."""
    used, window = use(movements, on), window_days(on)
    held: dict[tuple[int, int], int] = defaultdict(int)
    for holder, product, n in (stock.filter(lot__expiry__gte=on).values_list("holder_id", "lot__product_id")
                               .annotate(n=Sum("doses"))):
        held[(holder, product)] += n or 0
    keys = set(held) | set(used)
    holders = Organization.objects.in_bulk({h for h, _p in keys})
    products = Product.objects.in_bulk({p for _h, p in keys})
    rows = []
    for key in keys:
        per_day = used.get(key, 0) / window
        doses = held.get(key, 0)
        rows.append(Cover(holders[key[0]], products[key[1]], doses, round(per_day, 1),
                          math.floor(doses / per_day) if per_day else None))
    return sorted(rows, key=lambda r: (r.days if r.days is not None else 10**9, r.holder.name, r.product.name))


@dataclass
class Shortage:
    product: Product
    held: int          # unexpired doses in stock, and in transit between units
    per_day: float
    days: int | None
    need: int          # doses for `cover_days` days of use
    request: int       # max(0, need − held): what to ask the Ministry for


@dataclass
class ShortageReport:
    rows: list[Shortage]
    cover_days: int
    window_days: int
    people_gap: int     # people of the vaccinated age groups without any dose yet


def shortage(*, stock: QuerySet[Stock], dispatches: QuerySet[Dispatch], movements: QuerySet[Movement],
             communes: list[Place], on: date | None = None) -> ShortageReport:
    on = on or timezone.localdate()
    window, cover = window_days(on), cover_days(on)
    held: dict[int, int] = defaultdict(int)
    for product, n in (stock.filter(lot__expiry__gte=on).values_list("lot__product_id").annotate(n=Sum("doses"))):
        held[product] += n or 0
    for product, n in (dispatches.filter(status=Dispatch.Status.SENT, lot__expiry__gte=on)
                       .values_list("lot__product_id").annotate(n=Sum("doses"))):
        held[product] += n or 0
    used: dict[int, int] = defaultdict(int)
    for (_holder, product), n in use(movements, on).items():
        used[product] += n
    rows = []
    for product in Product.objects.filter(is_active=True).order_by("name"):
        per_day = used.get(product.pk, 0) / window
        doses = held.get(product.pk, 0)
        need = math.ceil(per_day * cover)
        rows.append(Shortage(product, doses, round(per_day, 1), math.floor(doses / per_day) if per_day else None,
                             need, max(0, need - doses)))
    targets, covered = allocation.targets(communes), allocation.covered(communes)
    gap = sum(max(0, targets.get(c.pk, 0) - covered.get(c.pk, 0)) for c in communes)
    return ShortageReport(rows, cover, window, gap)
