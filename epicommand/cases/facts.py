"""Keeping the command centre's case figures current. Every service that changes a case's commune,
severity, tier or setting calls `case_moved(before, after)` inside its transaction with the case's key
before and after (`key_of`); opening and closing call `count_day`. `rebuild()` recomputes everything."""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.db.models import Count

from epicommand.core.facts import add_to_facts

from .models import ActiveCases, Case, CaseDay

Key = tuple[int, str, int, str]  # commune, severity, tier (0: undecided), setting


def key_of(case: Case) -> Key | None:
    """The fact row an open case counts in; None for a closed case."""
    if case.closed_on is not None:
        return None
    return (case.commune_id, case.severity, case.tier or 0, case.setting)


def case_moved(before: Key | None, after: Key | None) -> None:
    if before == after:
        return
    # Sorted, so that two services moving cases between the same rows lock them in the same order.
    for key, delta in sorted([(k, d) for k, d in ((before, -1), (after, 1)) if k is not None]):
        _add(key, delta)


def _add(key: Key, delta: int) -> None:
    add_to_facts(ActiveCases, keys=["commune_id", "severity", "tier", "setting"], counts=["cases"],
                 rows=[(*key, delta)])


def count_day(*, commune_id: int, day: date, opened: int = 0, recovered: int = 0, died: int = 0) -> None:
    add_to_facts(CaseDay, keys=["commune_id", "day"], counts=["opened", "recovered", "died"],
                 rows=[(commune_id, day, opened, recovered, died)])


@transaction.atomic
def rebuild() -> None:
    ActiveCases.objects.all().delete()
    CaseDay.objects.all().delete()
    open_rows = (Case.objects.filter(closed_on__isnull=True).values("commune_id", "severity", "tier", "setting")
                 .annotate(n=Count("id")))
    ActiveCases.objects.bulk_create([
        ActiveCases(commune_id=r["commune_id"], severity=r["severity"], tier=r["tier"] or 0, setting=r["setting"],
                    cases=r["n"]) for r in open_rows], batch_size=1000)
    days: dict[tuple[int, date], CaseDay] = {}
    for r in Case.objects.values("commune_id", "opened_on").annotate(n=Count("id")):
        days[(r["commune_id"], r["opened_on"])] = CaseDay(commune_id=r["commune_id"], day=r["opened_on"], opened=r["n"])
    closed = (Case.objects.filter(closed_on__isnull=False, outcome__in=[Case.Outcome.RECOVERED, Case.Outcome.DIED])
              .values("commune_id", "closed_on", "outcome").annotate(n=Count("id")))
    for r in closed:
        key = (r["commune_id"], r["closed_on"])
        row = days.setdefault(key, CaseDay(commune_id=r["commune_id"], day=r["closed_on"]))
        if r["outcome"] == Case.Outcome.RECOVERED:
            row.recovered += r["n"]
        else:
            row.died += r["n"]
    CaseDay.objects.bulk_create(days.values(), batch_size=1000)
