from __future__ import annotations

import threading
from datetime import date

import pytest
from django.db import connections

from epicommand.core.roles import Role
from epicommand.vaccination import stock
from epicommand.vaccination.models import Lot, Movement, Product, Stock

from .world import K


def _lot() -> Lot:
    product, _ = Product.objects.get_or_create(key="pfizer", defaults={"name": "Pfizer", "doses_per_vial": 6})
    return Lot.objects.create(product=product, number="FK1234", expiry=date(2027, 6, 30), doses_per_vial=6)


@pytest.mark.django_db
def test_moves_keep_a_ledger_and_never_go_below_zero(world):
    site, officer = world.org(K.VACCINATION_SITE), world.user(Role.HEALTH_OFFICER)
    lot = _lot()
    stock.move(holder=site, lot=lot, doses=12, kind=Movement.Kind.RECEIPT, by=officer)
    stock.move(holder=site, lot=lot, doses=-5, kind=Movement.Kind.ADMINISTERED, by=officer, reference="dose:1")
    with pytest.raises(stock.OutOfStock):
        stock.move(holder=site, lot=lot, doses=-8, kind=Movement.Kind.ADMINISTERED, by=officer)
    assert stock.balance(site, lot) == 7
    ledger = list(Movement.objects.filter(lot=lot).order_by("id").values_list("kind", "doses", "balance_after"))
    assert ledger == [("receipt", 12, 12), ("administered", -5, 7)]


@pytest.mark.django_db(transaction=True)
def test_fifty_vaccinators_drawing_from_thirty_doses_record_exactly_thirty(reference_data):
    """Fifty concurrent draws, each on its own connection, against one lot holding 30 doses."""
    from .world import build_world

    world = build_world()
    site, officer = world.org(K.VACCINATION_SITE), world.user(Role.HEALTH_OFFICER)
    lot = _lot()
    stock.move(holder=site, lot=lot, doses=30, kind=Movement.Kind.RECEIPT, by=officer)
    start = threading.Barrier(50)
    outcomes: list[str] = []

    def vaccinate(n: int) -> None:
        try:
            start.wait()
            stock.move(holder=site, lot=lot, doses=-1, kind=Movement.Kind.ADMINISTERED, by=officer,
                       reference=f"dose:{n}")
            outcomes.append("recorded")
        except stock.OutOfStock:
            outcomes.append("out of stock")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=vaccinate, args=(n,)) for n in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes.count("recorded") == 30 and outcomes.count("out of stock") == 20
    assert Stock.objects.get(holder=site, lot=lot).doses == 0
    assert Movement.objects.filter(lot=lot, kind="administered").count() == 30
