"""The allocation suggestion: gaps from targets, coverage and doses already in the commune; shares in whole
vials, in proportion, by largest remainder, capped at each gap; communes without a station get nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from epicommand.core.models import Organization
from epicommand.vaccination import allocation, stock
from epicommand.vaccination.allocation import share_vials
from epicommand.vaccination.models import CoverageDay, Lot, Movement, OfficialTarget, Product, TargetFact

from .world import K

# ---- the sharing rule alone ----------------------------------------------------------------------


def test_shares_are_proportional_with_the_spare_vial_to_the_largest_remainder():
    # 7 vials over gaps 600 : 300 : 100 → 4.2, 2.1, 0.7 → 4, 2, 0 and the spare vial to the 0.7.
    assert share_vials({1: 600, 2: 300, 3: 100}, 7, 10) == {1: 4, 2: 2, 3: 1}


def test_ties_go_to_the_larger_gap():
    # 1 vial over gaps 50 : 40 : 10 → 0.5, 0.4, 0.1; then 2 vials: 1.0, 0.8, 0.2 → 1 and the spare to the 0.8.
    assert share_vials({1: 50, 2: 40, 3: 10}, 1, 10) == {1: 1, 2: 0, 3: 0}
    assert share_vials({1: 50, 2: 40, 3: 10}, 2, 10) == {1: 1, 2: 1, 3: 0}
    assert share_vials({7: 30, 3: 30}, 1, 10) == {3: 1, 7: 0}


def test_nobody_gets_more_than_the_gap_rounded_up_to_a_vial():
    # Enough for everyone: each gets its gap in whole vials, not a proportional share of the surplus.
    assert share_vials({1: 7, 2: 12}, 100, 6) == {1: 2, 2: 2}
    # 2 vials over gaps 1 : 1 : 10 (10-dose vials): proportionally 0.17, 0.17, 1.67, but commune 3 needs only
    # one vial; the vial it cannot take goes to the others.
    assert share_vials({1: 1, 2: 1, 3: 10}, 2, 10) == {1: 1, 2: 0, 3: 1}
    shares = share_vials({1: 5, 2: 600, 3: 35}, 30, 6)
    assert shares[1] <= 1 and shares[3] <= 6 and sum(shares.values()) == 30


def test_communes_without_a_gap_get_nothing():
    assert share_vials({1: 0, 2: 60}, 5, 6) == {2: 5}


# ---- the suggestion on a crafted province ----------------------------------------------------------

@pytest.mark.django_db
def test_suggestion_from_targets_official_figures_coverage_and_doses_held(world):
    pfizer = Product.objects.get(key="pfizer")
    today = timezone.localdate()
    home, neighbour, unrelated = (world.communes[k] for k in ("home", "neighbour", "unrelated"))
    facts = [(home, "adult", "", 250), (home, "adult", "group1", 50), (home, "teen", "", 40),
             (home, "", "", 999),  # outside the vaccinated ages: not a target
             (neighbour, "adult", "", 150), (unrelated, "adult", "", 500)]
    for commune, group, priority, people in facts:
        TargetFact.objects.create(commune=commune, age_group=group, priority_group=priority, people=people,
                                  computed_on=today)
    OfficialTarget.objects.create(commune=home, age_group="teen", people=80, source="Cục Thống kê")
    for commune, group, stage, people in [(home, "adult", "first", 20), (home, "", "first", 5),
                                          (home, "adult", "primary", 10)]:
        CoverageDay.objects.create(day=today, commune=commune, age_group=group, stage=stage, people=people)
    # Expired doses at the neighbour's station do not count as held.
    old = Lot.objects.create(product=pfizer, number="OLD", expiry=today - timedelta(days=1), doses_per_vial=6)
    stock.move(holder=world.org(K.COMMUNE_STATION, "neighbour"), lot=old, doses=600, kind=Movement.Kind.RECEIPT,
               by=None)
    # The unrelated ward's station is closed: nobody there can receive vaccine.
    Organization.objects.filter(pk=world.org(K.COMMUNE_STATION, "unrelated").pk).update(is_active=False)

    shares = {s.commune.pk: s for s in allocation.suggest(product=pfizer, source=world.vaccination.cdc, doses=120)}
    h, n, u = shares[home.pk], shares[neighbour.pk], shares[unrelated.pk]
    # home: 250 + 50 adults + 80 teens (official figure) = 380; 20 with a dose; 60 in stock + 12 in transit.
    assert (h.target, h.covered, h.held, h.gap) == (380, 20, 72, 288)
    assert (n.target, n.covered, n.held, n.gap) == (150, 0, 72, 78)
    assert u.recipient is None and u.doses == 0 and u.gap == 500 - 72  # its stock still counts as there
    assert h.recipient == world.org(K.COMMUNE_STATION, "home")
    # 20 vials over 288 : 78 → 15.74 and 4.26 → 15 + 4, the spare vial to home.
    assert (h.doses, n.doses) == (96, 24)
    others = [s for pk, s in shares.items() if pk not in (home.pk, neighbour.pk, unrelated.pk)]
    assert others and all(s.doses == 0 and s.recipient is None for s in others)
    assert sum(s.doses for s in shares.values()) == 120
