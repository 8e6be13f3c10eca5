"""A synthetic, deterministic population for the loaded province (demo and benchmarks)."""

from __future__ import annotations

from collections.abc import Callable

from django.db import transaction
from django.utils import timezone

from epicommand.core.models import Place
from epicommand.core.text import fold

from .models import Household, Person
from .synthetic import Commune, SyntheticPerson, generate
from .vulnerability import Rules

CHUNK = 5000


def communes_of(province: Place) -> list[Commune]:
    # No per-commune census figures ship with the place data: wards, denser, weigh a little more.
    return [Commune(code=p.code, name=p.name, weight=1.5 if p.kind == "Phường" else 1.0, kind=p.kind)
            for p in Place.objects.filter(parent=province, level=Place.Level.COMMUNE).order_by("code")]


def seed_population(province: Place, n: int, seed: int, progress: Callable[[int], None] | None = None) -> int:
    """Add `n` synthetic people (in households) to the province's communes. Returns how many."""
    today = timezone.localdate()
    by_code = {p.code: p for p in Place.objects.filter(parent=province)}
    rules = Rules(today)
    chunk: list[SyntheticPerson] = []
    written = 0
    carried: dict[str, Household] = {}
    for synthetic in generate(communes_of(province), n, seed, today=today):
        chunk.append(synthetic)
        if len(chunk) >= CHUNK:
            carried = _write(chunk, by_code, rules, carried)
            written += len(chunk)
            chunk = []
            if progress:
                progress(written)
    if chunk:
        _write(chunk, by_code, rules, carried)
        written += len(chunk)
    return written


@transaction.atomic
def _write(chunk: list[SyntheticPerson], by_code: dict[str, Place], rules: Rules,
           carried: dict[str, Household]) -> dict[str, Household]:
    """Write one chunk. The generator yields people household by household, so only the last
    household of a chunk can continue into the next: it is carried over."""
    households = dict(carried)
    new: dict[str, Household] = {}
    for s in chunk:
        if s.household_key not in households and s.household_key not in new:
            new[s.household_key] = Household(commune=by_code[s.commune_code], village=s.village)
    Household.objects.bulk_create(new.values())
    households.update(new)
    people = []
    for s in chunk:
        person = Person(
            full_name=s.full_name, name_folded=fold(s.full_name), birth_date=s.birth_date, birth_year=s.birth_year,
            sex=s.sex, cccd=s.cccd, insurance_number=s.insurance_number or "", phone=s.phone or "",
            ethnicity=s.ethnicity, commune=by_code[s.commune_code], village=s.village,
            household=households[s.household_key], occupation=s.occupation,
            chronic_conditions=s.chronic_conditions, pregnant=s.pregnant, expected_delivery=s.expected_delivery,
            disability=s.disability,
        )
        person.vulnerable = rules.is_vulnerable(person)
        people.append(person)
    Person.objects.bulk_create(people, batch_size=1000)
    heads = []
    for s, person in zip(chunk, people, strict=True):
        if s.is_household_head:
            households[s.household_key].head = person
            heads.append(households[s.household_key])
    Household.objects.bulk_update(heads, ["head"], batch_size=1000)
    last = chunk[-1].household_key
    return {last: households[last]}
