"""Coverage kept current: each person's status from their live doses, and the fact tables it feeds.

`refresh_people()` is called by every service that changes doses (inside its transaction): it recomputes
the status of the people touched, and moves their contributions in `CoverageDay` from the old stage days
to the new. Recording a dose, the busiest of them, takes the same restatement from `restated()` and writes it
with the dose (record_sql.save_dose). `rebuild()` recomputes everything from the doses and the register;
`tests/test_dose_services.py` checks that both give the same tables.

Stages, under the rules in force on the day of computing (eligibility.Rules):
- first: the day of the first dose;
- primary: the day the primary series became complete (its product's number of doses, or the last primary
  dose before a dose recorded as additional or booster);
- booster: the day of the first dose after the primary series.
The age group is the one the person is in on the day of computing; a nightly rebuild moves people who
had a birthday into their new group (the incremental path keeps the group they were counted in).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from django.db import connection, transaction
from django.utils import timezone

from epicommand.people.models import Person

from . import record_sql
from .eligibility import Candidate, PastDose, Rules
from .models import CoverageDay, Dose, TargetFact, VaccinationStatus
from .models.coverage import Stage

FactKey = tuple[int, date, str, str, str]  # commune, day, age group, priority group, stage


@dataclass
class Status:
    person_id: int
    commune_id: int
    age_group: str
    priority_group: str
    doses: int
    first_on: date | None
    primary_on: date | None
    booster_on: date | None
    last_on: date | None
    last_product: str
    next_due: date | None

    def row(self) -> VaccinationStatus:
        return VaccinationStatus(
            person_id=self.person_id, commune_id=self.commune_id, age_group=self.age_group,
            priority_group=self.priority_group, doses=self.doses, first_on=self.first_on, primary_on=self.primary_on,
            booster_on=self.booster_on, last_on=self.last_on, last_product=self.last_product, next_due=self.next_due)


STATUS_FIELDS = ["person_id", "commune_id", "age_group", "priority_group", "doses", "first_on", "primary_on",
                 "booster_on", "last_on", "last_product", "next_due"]


def age_group(rules: Rules, birth_date: date | None, birth_year: int | None) -> str:
    age = rules.age(Candidate(birth_date=birth_date, birth_year=birth_year, doses=()))
    return (rules.group_of(age.youngest) or "") if age else ""


def compute(rules: Rules, *, person_id: int, commune_id: int, birth_date: date | None, birth_year: int | None,
            priority_group: str, pregnant: bool, doses: list[PastDose]) -> Status | None:
    """The status of one person from their live doses (any order); None without doses."""
    if not doses:
        return None
    history = sorted(doses, key=lambda d: d.day)
    series = rules.series(history)
    primary_on = None
    if series.required is not None and len(series.primary) >= series.required:
        primary_on = series.primary[series.required - 1].day
    elif series.post and series.primary:
        primary_on = series.primary[-1].day
    candidate = Candidate(birth_date=birth_date, birth_year=birth_year, doses=tuple(history), pregnant=pregnant)
    next_due, _code = rules.due_date(candidate)
    return Status(
        person_id=person_id, commune_id=commune_id, age_group=age_group(rules, birth_date, birth_year),
        priority_group=priority_group or "", doses=len(history), first_on=history[0].day, primary_on=primary_on,
        booster_on=series.post[0].day if series.post else None, last_on=history[-1].day,
        last_product=history[-1].product, next_due=next_due)


def _doses_of(person_ids: Iterable[int]) -> dict[int, list[PastDose]]:
    found: dict[int, list[PastDose]] = {}
    for person_id, day, product, kind in Dose.objects.filter(person_id__in=list(person_ids)).values_list(
            "person_id", "given_on", "product__key", "kind"):
        found.setdefault(person_id, []).append(PastDose(day, product, kind))
    return found


def contributions(status: VaccinationStatus | Status) -> list[FactKey]:
    """The fact rows a person counts in: one per stage reached, on the day it was reached (the stored row
    and a freshly computed status have the same attribute names)."""
    return [(status.commune_id, day, status.age_group, status.priority_group, stage)
            for stage, day in ((Stage.FIRST, status.first_on), (Stage.PRIMARY, status.primary_on),
                               (Stage.BOOSTER, status.booster_on)) if day is not None]


def _add(counts: Counter, status: VaccinationStatus | Status | None, sign: int) -> None:
    if status is None:
        return
    for key in contributions(status):
        counts[key] += sign


def refresh_people(person_ids: Iterable[int], *, on: date | None = None, rules: Rules | None = None) -> None:
    """Recompute the status of these people and move their fact contributions; call inside the
    transaction that changed their doses. `rules` (of the day) saves reading the policies again."""
    ids = sorted(set(person_ids))
    if not ids:
        return
    rules = rules or Rules(on or timezone.localdate())
    old = {s.person_id: s for s in VaccinationStatus.objects.filter(person_id__in=ids)}
    doses = _doses_of(ids)
    counts: Counter = Counter()
    for person in Person.objects.filter(pk__in=ids).only("id", "commune_id", "birth_date", "birth_year",
                                                        "priority_group", "pregnant"):
        _restate(counts, rules, person_id=person.pk, commune_id=person.commune_id, birth_date=person.birth_date,
                 birth_year=person.birth_year, priority_group=person.priority_group, pregnant=person.pregnant,
                 doses=doses.get(person.pk, []), previous=old.get(person.pk))
    _bump_all(counts)


def restated(rules: Rules, *, person_id: int, commune_id: int, birth_date: date | None, birth_year: int | None,
             priority_group: str, pregnant: bool, doses: list[PastDose], previous: VaccinationStatus | Status | None
             ) -> tuple[Status | None, list[tuple[FactKey, int]]]:
    """One person's new status from their live doses and stored status (`previous`, or None), and the moves of
    their fact contributions, sorted by key; nothing is written. Recording a dose reads all that under the
    person's lock anyway and writes both with the dose (record_sql.save_dose)."""
    counts: Counter = Counter()
    new = _restated(counts, rules, person_id=person_id, commune_id=commune_id, birth_date=birth_date,
                    birth_year=birth_year, priority_group=priority_group, pregnant=pregnant, doses=doses,
                    previous=previous)
    return new, _moves(counts)


def _restated(counts: Counter, rules: Rules, *, previous: VaccinationStatus | Status | None, **person) -> Status | None:
    new = compute(rules, **person)
    if new is not None and previous is not None:
        # Counted where they were counted: a birthday moves them at the next rebuild, not mid-day.
        new.age_group = previous.age_group
    _add(counts, previous, -1)
    _add(counts, new, +1)
    return new


def _restate(counts: Counter, rules: Rules, *, person_id: int, previous: VaccinationStatus | Status | None,
             **person) -> None:
    """Write one person's new status and add the moves of their contributions to `counts`."""
    new = _restated(counts, rules, person_id=person_id, previous=previous, **person)
    if new is None:
        if previous is not None:
            record_sql.delete_status(person_id)
    else:
        record_sql.write_status(new)


def _moves(counts: Counter) -> list[tuple[FactKey, int]]:
    """The fact rows to move, sorted, so that concurrent writers lock fact rows in the same order and never
    deadlock."""
    return [(key, counts[key]) for key in sorted(k for k, v in counts.items() if v)]


def _bump_all(counts: Counter) -> None:
    """Add the moves to the fact rows (creating those missing; safe with concurrent writers)."""
    record_sql.bump_facts(_moves(counts))


# ---- rebuilding from scratch --------------------------------------------------------------------------

def _statuses(rules: Rules, chunk: int = 20_000) -> Iterable[Status]:
    """Every dosed person's status, streaming the doses in person order."""
    rows = (Dose.objects.filter(person__merged_into__isnull=True)
            .order_by("person_id", "given_on", "id")
            .values_list("person_id", "given_on", "product__key", "kind", "person__commune_id",
                         "person__birth_date", "person__birth_year", "person__priority_group", "person__pregnant")
            .iterator(chunk_size=chunk))
    current: int | None = None
    doses: list[PastDose] = []
    info: tuple = ()
    for person_id, day, product, kind, *person in rows:
        if person_id != current:
            if current is not None:
                yield _finish(rules, current, info, doses)
            current, doses, info = person_id, [], tuple(person)
        doses.append(PastDose(day, product, kind))
    if current is not None:
        yield _finish(rules, current, info, doses)


def _finish(rules: Rules, person_id: int, info: tuple, doses: list[PastDose]) -> Status:
    commune_id, birth_date, birth_year, priority_group, pregnant = info
    status = compute(rules, person_id=person_id, commune_id=commune_id, birth_date=birth_date, birth_year=birth_year,
                     priority_group=priority_group, pregnant=pregnant, doses=doses)
    assert status is not None
    return status


def rebuild(*, on: date | None = None, batch: int = 10_000) -> dict[str, int]:
    """Recompute statuses, coverage facts and register targets from the doses and the register."""
    from epicommand.imports.bulk import insert_rows

    on = on or timezone.localdate()
    rules = Rules(on)
    counts: Counter = Counter()
    people = 0
    with transaction.atomic():
        VaccinationStatus.objects.all().delete()
        CoverageDay.objects.all().delete()
        TargetFact.objects.all().delete()
        pending: list[tuple] = []
        for status in _statuses(rules):
            people += 1
            _add(counts, status, +1)
            pending.append(tuple(getattr(status, f) for f in STATUS_FIELDS))
            if len(pending) >= batch:
                insert_rows(VaccinationStatus, STATUS_FIELDS, pending)
                pending = []
        insert_rows(VaccinationStatus, STATUS_FIELDS, pending)
        insert_rows(CoverageDay, ["commune_id", "day", "age_group", "priority_group", "stage", "people"],
                    [(*key, n) for key, n in sorted(counts.items()) if n])
        targets = register_targets(rules)
        insert_rows(TargetFact, ["commune_id", "age_group", "priority_group", "people", "computed_on"],
                    [(*key, n, on) for key, n in sorted(targets.items())])
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:  # fresh tables: give the planner their new sizes
            for model in (VaccinationStatus, CoverageDay, TargetFact):
                cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
    return {"people": people, "facts": len([n for n in counts.values() if n]), "targets": len(targets)}


def register_targets(rules: Rules) -> Counter:
    """People in the register per (commune, age group, priority group), ages as on the rules' day."""
    targets: Counter = Counter()
    rows = (Person.objects.filter(merged_into__isnull=True)
            .values_list("commune_id", "birth_date", "birth_year", "priority_group").iterator(chunk_size=20_000))
    groups: dict[tuple, str] = {}
    for commune_id, birth_date, birth_year, priority in rows:
        born = (birth_date, birth_year)
        group = groups.get(born)
        if group is None:
            group = groups[born] = age_group(rules, birth_date, birth_year)
        targets[(commune_id, group, priority or "")] += 1
    return targets
