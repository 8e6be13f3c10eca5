"""The health book's timeline. Each domain app registers one provider that returns its records for a
person (doses, tests, cases, quarantine…); the health book page shows them all by date."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from django.utils import timezone

from .models import Person


@dataclass(frozen=True)
class TimelineEntry:
    when: date | datetime
    kind: str            # short machine name, e.g. "dose", "test", "case"
    title: str
    detail: str = ""
    url: str = ""
    icon: str = "circle"


Provider = Callable[[Person, object], list[TimelineEntry]]  # (person, viewing user)
_PROVIDERS: dict[str, Provider] = {}


def register(kind: str, provider: Provider) -> None:
    _PROVIDERS[kind] = provider


def _sort_key(entry: TimelineEntry) -> datetime:
    """Dates and moments on one local clock: a date is its local midnight, and an aware moment is read in local
    time first (06:00 in Lai Châu is 23:00 UTC the day before, and must not sort before that day's dose)."""
    when = entry.when
    if not isinstance(when, datetime):
        return datetime.combine(when, datetime.min.time())
    return timezone.localtime(when).replace(tzinfo=None) if timezone.is_aware(when) else when


def entries(person: Person, user) -> list[TimelineEntry]:
    found = [entry for provider in _PROVIDERS.values() for entry in provider(person, user)]
    return sorted(found, key=_sort_key, reverse=True)
