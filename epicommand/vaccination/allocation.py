"""The suggested share of a provincial holder's doses among communes, from each commune's coverage gap.

A commune's gap is its target population (the register's count per vaccinated age group, replaced per
age group by an official figure when one exists) minus the people who already have at least one dose,
minus the doses already in the commune (held by its units or on their way to them). Doses go in whole
vials, in proportion to the gaps, by largest remainder, and no commune gets more than its gap rounded up
to a vial. Each commune receives through its active commune health station; a commune without one is
listed and gets nothing (someone must sign for the vaccine)."""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from fractions import Fraction

from django.db.models import Sum
from django.utils import timezone

from epicommand.core.models import Organization, Place

from .models import CoverageDay, Dispatch, OfficialTarget, Product, Stock, TargetFact
from .models.coverage import NO_GROUP, Stage


@dataclass
class Share:
    commune: Place
    recipient: Organization | None  # None: no active commune health station to receive
    target: int    # people to vaccinate
    covered: int   # people with at least one dose
    held: int      # doses already in the commune (in stock or in transit to it)
    doses: int = 0

    @property
    def people_gap(self) -> int:
        return max(0, self.target - self.covered)

    @property
    def gap(self) -> int:
        """Doses the commune still lacks to give everyone their first dose."""
        return max(0, self.people_gap - self.held)


def communes_of(place: Place) -> list[Place]:
    """The current communes under a province (geography, not access: callers are province officers)."""
    return list(Place.objects.filter(path__startswith=place.path, structure=Place.Structure.CURRENT,
                                     level=Place.Level.COMMUNE).order_by("name"))


def receiving_units(communes: list[Place]) -> dict[int, Organization]:
    """Each commune's active commune health station (the oldest, if a commune has several)."""
    found: dict[int, Organization] = {}
    for org in (Organization.objects.filter(place__in=communes, kind=Organization.Kind.COMMUNE_STATION,
                                            is_active=True).order_by("pk")):
        found.setdefault(org.place_id, org)
    return found


def targets(communes: list[Place]) -> dict[int, int]:
    """Target population per commune over the vaccinated age groups; official figures win per age group."""
    by_group: dict[tuple[int, str], int] = defaultdict(int)
    for commune_id, group, people in (TargetFact.objects.filter(commune__in=communes).exclude(age_group=NO_GROUP)
                                      .values_list("commune_id", "age_group").annotate(n=Sum("people"))):
        by_group[(commune_id, group)] = people or 0
    for commune_id, group, people in (OfficialTarget.objects.filter(commune__in=communes)
                                      .exclude(age_group=NO_GROUP).values_list("commune_id", "age_group", "people")):
        by_group[(commune_id, group)] = people
    totals: dict[int, int] = defaultdict(int)
    for (commune_id, _group), people in by_group.items():
        totals[commune_id] += people
    return totals


def covered(communes: list[Place]) -> dict[int, int]:
    """People with at least one dose per commune, over the vaccinated age groups (as the targets)."""
    rows = (CoverageDay.objects.filter(commune__in=communes, stage=Stage.FIRST).exclude(age_group=NO_GROUP)
            .values_list("commune_id").annotate(n=Sum("people")))
    return {commune_id: people or 0 for commune_id, people in rows}


def held(communes: list[Place], product: Product, on: date) -> dict[int, int]:
    """Doses of the product in each commune: unexpired stock of its units, and dispatches on their way."""
    totals: dict[int, int] = defaultdict(int)
    stock = (Stock.objects.filter(holder__place__in=communes, lot__product=product, lot__expiry__gte=on)
             .values_list("holder__place_id").annotate(n=Sum("doses")))
    transit = (Dispatch.objects.filter(recipient__place__in=communes, lot__product=product, lot__expiry__gte=on,
                                       status=Dispatch.Status.SENT)
               .values_list("recipient__place_id").annotate(n=Sum("doses")))
    for commune_id, doses in [*stock, *transit]:
        totals[commune_id] += doses or 0
    return totals


def available(source: Organization, product: Product, on: date) -> int:
    """Unexpired doses of the product the source holds."""
    return (Stock.objects.filter(holder=source, lot__product=product, lot__expiry__gte=on)
            .aggregate(n=Sum("doses"))["n"] or 0)


def whole_vials(doses: int, per_vial: int) -> int:
    return doses // per_vial * per_vial


def share_vials(gaps: dict[int, int], vials: int, per_vial: int) -> dict[int, int]:
    """Split `vials` among keys in proportion to their gaps (doses), capped at each gap rounded up to a vial,
    by largest remainder. Ties go to the larger gap, then to the smaller key (stable for tests)."""
    caps = {k: math.ceil(g / per_vial) for k, g in gaps.items() if g > 0}
    if sum(caps.values()) <= vials:
        return caps
    # Proportional quotas, re-spreading what a capped commune cannot take over the others.
    quotas: dict[int, Fraction] = {}
    free, left = dict(caps), Fraction(vials)
    while free:
        total = sum(gaps[k] for k in free)
        over = {k for k in free if left * gaps[k] / total >= caps[k]}
        if not over:
            quotas.update({k: left * gaps[k] / total for k in free})
            break
        for k in over:
            quotas[k] = Fraction(caps[k])
            left -= caps[k]
            del free[k]
    shares = {k: math.floor(q) for k, q in quotas.items()}
    spare = vials - sum(shares.values())
    order = sorted((k for k in quotas if shares[k] < caps[k]),
                   key=lambda k: (-(quotas[k] - shares[k]), -gaps[k], k))
    for k in order[:spare]:
        shares[k] += 1
    return shares


def suggest(*, product: Product, source: Organization, doses: int, province: Place | None = None,
            on: date | None = None) -> list[Share]:
    """Every commune of the province with its figures and suggested doses (0 where no gap or no station)."""
    on = on or timezone.localdate()
    province = province or source.place
    while province is not None and province.level != Place.Level.PROVINCE:
        province = province.parent
    if province is None:
        return []
    communes = communes_of(province)
    units, target, done, there = receiving_units(communes), targets(communes), covered(communes), held(
        communes, product, on)
    shares = [Share(commune=c, recipient=units.get(c.pk), target=target.get(c.pk, 0), covered=done.get(c.pk, 0),
                    held=there.get(c.pk, 0)) for c in communes]
    per_vial = product.doses_per_vial or 1
    given = share_vials({s.commune.pk: s.gap for s in shares if s.recipient is not None}, doses // per_vial,
                        per_vial)
    for s in shares:
        s.doses = given.get(s.commune.pk, 0) * per_vial
    return shares
