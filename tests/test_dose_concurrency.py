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


@pytest.mark.django_db(transaction=True)
def test_the_same_person_saved_from_eight_phones_at_once_gets_one_dose(reference_data):
    """The person's row is locked before their doses are read: the saves queue on it, the first records the dose
    and every other one finds it (the second dose would be too early) and answers with that dose."""
    from epicommand.vaccination.models import CoverageDay, VaccinationStatus

    from .world import build_world

    world = build_world()
    session, station = world.vaccination.sessions["home"], world.vaccination.sites["home"].organization
    person = Person.objects.create(full_name="Người đông người hỏi", name_folded="nguoi dong nguoi hoi", sex="F",
                                   birth_date=date(1980, 2, 2), birth_year=1980, commune=world.communes["home"])
    held = {row.lot_id: row.doses for row in Stock.objects.filter(holder=station)}
    facts_before = sum(CoverageDay.objects.filter(commune=world.communes["home"], stage="first")
                       .values_list("people", flat=True))
    nurse = world.user(Role.COMMUNE_STATION)
    url = reverse("vaccination:dose_new", kwargs={"session_pk": session.pk, "person_pk": person.pk})
    start = threading.Barrier(8)
    locations: list[str] = []

    def save() -> None:
        client = Client()
        try:
            client.force_login(nurse)
            start.wait()
            response = client.post(url, {"product": "pfizer", "outcome": "proceed"})
            locations.append(response["Location"] if response.status_code == 302 else f"{response.status_code}")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=save) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    dose = Dose.objects.get(person=person)
    assert locations == [reverse("vaccination:dose", kwargs={"pk": dose.pk})] * 8
    assert {row.lot_id: row.doses for row in Stock.objects.filter(holder=station)} == {
        lot_id: n - (lot_id == dose.lot_id) for lot_id, n in held.items()}
    assert Movement.objects.filter(reference=f"dose:{dose.pk}").count() == 1
    assert VaccinationStatus.objects.get(person=person).doses == 1
    assert sum(CoverageDay.objects.filter(commune=world.communes["home"], stage="first")
               .values_list("people", flat=True)) == facts_before + 1
