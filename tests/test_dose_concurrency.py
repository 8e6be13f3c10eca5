"""Fifty vaccinators saving at once through the dose form, against a lot with thirty doses left: exactly thirty
doses are recorded and the twenty others are told, in Vietnamese, that the vaccine ran out."""

from __future__ import annotations

import threading
from datetime import date, timedelta

import pytest
from django.db import connections
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from epicommand.core.roles import Role
from epicommand.people.models import Person
from epicommand.vaccination import stock
from epicommand.vaccination.models import Dose, Lot, Movement, Product, SessionLot, Stock

from .browsing import vi


@pytest.mark.django_db(transaction=True)
def test_fifty_concurrent_dose_requests_on_thirty_doses_record_exactly_thirty(reference_data):
    from .world import build_world

    world = build_world()
    v = world.vaccination
    session, station = v.sessions["home"], v.sites["home"].organization
    Stock.objects.filter(holder=station).delete()  # only the lot below, so every request competes for it
    pfizer = Product.objects.get(key="pfizer")
    lot = Lot.objects.create(product=pfizer, number="RUSH-HTTP", expiry=timezone.localdate() + timedelta(days=30),
                             doses_per_vial=6)
    stock.move(holder=station, lot=lot, doses=30, kind=Movement.Kind.RECEIPT, by=None)
    people = [Person.objects.create(full_name=f"Người chờ {n}", name_folded=f"nguoi cho {n}", sex="M",
                                    birth_date=date(1960 + n % 40, 1 + n % 12, 1), birth_year=1960 + n % 40,
                                    commune=world.communes["home"]) for n in range(50)]
    nurse = world.user(Role.COMMUNE_STATION)
    out_of_stock = vi("Out of stock: no lot of %(product)s left at %(holder)s.").split(":")[0]
    assert out_of_stock == "Hết vắc xin"  # the answer is read in the interface's language
    start = threading.Barrier(50)
    answers: list[str] = []

    def vaccinate(person: Person) -> None:
        client = Client()
        try:
            client.force_login(nurse)
            url = reverse("vaccination:dose_new", kwargs={"session_pk": session.pk, "person_pk": person.pk})
            start.wait()
            response = client.post(url, {"product": "pfizer", "outcome": "proceed"})
            if response.status_code == 302:
                answers.append("recorded")
            elif response.status_code == 200 and out_of_stock in response.content.decode():
                answers.append("out of stock")
            else:
                answers.append(f"unexpected {response.status_code}")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=vaccinate, args=(person,)) for person in people]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(set(answers)) == ["out of stock", "recorded"], answers
    assert answers.count("recorded") == 30 and answers.count("out of stock") == 20
    assert Dose.objects.filter(lot=lot).count() == 30 and stock.balance(station, lot) == 0
    assert Movement.objects.filter(lot=lot, kind=Movement.Kind.ADMINISTERED).count() == 30
    assert SessionLot.objects.get(session=session, lot=lot).doses_given == 30
