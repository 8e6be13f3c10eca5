"""Positivity per commune × day sampled × kind, kept current inside every result change, with a rebuild.

A test counts once it has a result (every result but pending: invalid and "pool positive" included, since the
sample was tested); it counts as a positive only when its result is POSITIVE. A pool member's "pool positive"
is not a diagnosis, so it never counts as a positive: the member's individual follow-up test does. Tests are
counted in the commune where the person belonged when sampled (Test.commune) on the day sampled.

`moved(before, after)` is called by the services with each changed test's contribution before and after the
change; `rebuild()` recomputes the table from the tests; tests/test_testing_positivity.py checks both agree."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from django.db import transaction
from django.db.models import Count, Q

from epicommand.core.facts import add_to_facts

from .models import PositivityDay, Result, Test

Key = tuple[int, date, str]  # commune, day sampled, kind


@dataclass(frozen=True)
class Fact:
    """One test's contribution to the table."""

    key: Key
    positive: bool


def fact(*, commune_id: int, sampled_on: date, kind: str, result: str) -> Fact | None:
    if result == Result.PENDING:
        return None
    return Fact((commune_id, sampled_on, kind), result == Result.POSITIVE)


def fact_of(test: Test) -> Fact | None:
    return fact(commune_id=test.commune_id, sampled_on=test.sampled_on, kind=test.kind, result=test.result)


class Moves:
    """Deltas gathered over one service call, written once at the end (sorted, so concurrent writers lock
    fact rows in the same order and never deadlock)."""

    def __init__(self) -> None:
        self.tests: Counter = Counter()
        self.positives: Counter = Counter()

    def move(self, before: Fact | None, after: Fact | None) -> None:
        if before == after:
            return
        for item, sign in ((before, -1), (after, +1)):
            if item is not None:
                self.tests[item.key] += sign
                if item.positive:
                    self.positives[item.key] += sign

    def write(self) -> None:
        keys = sorted({k for k, n in self.tests.items() if n} | {k for k, n in self.positives.items() if n})
        if keys:
            bump([(key, self.tests[key], self.positives[key]) for key in keys])
        self.tests.clear()
        self.positives.clear()


def moved(before: Fact | None, after: Fact | None) -> None:
    moves = Moves()
    moves.move(before, after)
    moves.write()


def bump(rows: Iterable[tuple[Key, int, int]]) -> None:
    """Add to fact rows, creating those missing, in one upsert (SQLite and PostgreSQL alike)."""
    add_to_facts(PositivityDay, keys=["commune_id", "day", "kind"], counts=["tests", "positives"],
                 rows=[(*key, tests, positives) for key, tests, positives in rows])


def counted() -> dict[Key, tuple[int, int]]:
    """The table as the tests say it should be: key → (tests, positives)."""
    rows = (Test.objects.exclude(result=Result.PENDING).values("commune_id", "sampled_on", "kind")
            .annotate(tests=Count("id"), positives=Count("id", filter=Q(result=Result.POSITIVE))))
    return {(r["commune_id"], r["sampled_on"], r["kind"]): (r["tests"], r["positives"]) for r in rows}


def stored() -> dict[Key, tuple[int, int]]:
    """The table as kept (rows that fell to zero are left out, as a rebuild never writes them)."""
    return {(r.commune_id, r.day, r.kind): (r.tests, r.positives)
            for r in PositivityDay.objects.all() if r.tests or r.positives}


def rebuild() -> int:
    """Recompute the table from the tests; returns the number of rows written."""
    with transaction.atomic():
        PositivityDay.objects.all().delete()
        rows = [PositivityDay(commune_id=commune_id, day=day, kind=kind, tests=tests, positives=positives)
                for (commune_id, day, kind), (tests, positives) in sorted(counted().items())]
        PositivityDay.objects.bulk_create(rows, batch_size=2000)
    return len(rows)
