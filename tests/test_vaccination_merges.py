"""Merges and moves in the register keep vaccination figures right (people.links hooks)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from epicommand.core.roles import Role
from epicommand.people import reconciliation
from epicommand.people import services as people_services
from epicommand.vaccination import coverage
from epicommand.vaccination.models import CoverageDay, Dose, Product, VaccinationStatus

pytestmark = pytest.mark.django_db


def _first_dose_counts() -> dict[int, int]:
    counts: dict[int, int] = {}
    for fact in CoverageDay.objects.filter(stage="first"):
        counts[fact.commune_id] = counts.get(fact.commune_id, 0) + fact.people
    return {k: v for k, v in counts.items() if v}


def _twins(world):
    """PERSON home An (the world's dose today) and a duplicate entry holding an earlier Pfizer dose."""
    person = world.people["home"]
    twin = world.pairs["home"].second
    Dose.objects.create(person=twin, product=Product.objects.get(key="pfizer"), number=1,
                        given_on=timezone.localdate() - timedelta(days=30))
    coverage.rebuild()
    return person, twin


def test_a_merge_moves_the_doses_and_the_person_is_counted_once(world):
    person, twin = _twins(world)
    home = world.communes["home"].pk
    assert _first_dose_counts()[home] == 2  # two entries, one human
    officer = world.user(Role.HEALTH_OFFICER)
    record = reconciliation.merge(actor=officer, kept=person, merged=twin)
    assert _first_dose_counts()[home] == 1
    status = VaccinationStatus.objects.get(person=person)
    assert status.doses == 2 and status.first_on == timezone.localdate() - timedelta(days=30)
    assert not VaccinationStatus.objects.filter(person=twin).exists()
    reconciliation.undo_merge(actor=officer, merge_record=record)
    assert _first_dose_counts()[home] == 2 and VaccinationStatus.objects.get(person=twin).doses == 1


def test_the_same_dose_on_both_entries_is_refused_and_nothing_moves(world):
    person, twin = _twins(world)
    Dose.objects.filter(person=twin).update(given_on=timezone.localdate())
    with pytest.raises(ValidationError) as refused:
        reconciliation.merge(actor=world.user(Role.HEALTH_OFFICER), kept=person, merged=twin)
    assert "Pfizer" in str(refused.value)
    assert Dose.objects.filter(person=twin).count() == 1
    twin.refresh_from_db()
    assert twin.merged_into_id is None


def test_a_person_who_moves_is_counted_in_the_new_commune(world):
    person = world.people["home"]
    coverage.rebuild()
    home, neighbour = world.communes["home"], world.communes["neighbour"]
    assert _first_dose_counts() == {home.pk: 1, neighbour.pk: 1, world.communes["unrelated"].pk: 1}
    people_services.update_person(actor=world.user(Role.HEALTH_OFFICER), person=person, commune=neighbour)
    assert _first_dose_counts() == {neighbour.pk: 2, world.communes["unrelated"].pk: 1}
    assert VaccinationStatus.objects.get(person=person).commune == neighbour
