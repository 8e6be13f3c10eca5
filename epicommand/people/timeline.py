"""The health book's timeline. Each domain app registers one provider that returns its records for a
person (doses, tests, cases, quarantine…); the health book page shows them all by date."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

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


def entries(person: Person, user) -> list[TimelineEntry]:
    def sort_key(entry: TimelineEntry):
        when = entry.when
        return datetime.combine(when, datetime.min.time()) if not isinstance(when, datetime) else when.replace(
            tzinfo=None)

    found = [entry for provider in _PROVIDERS.values() for entry in provider(person, user)]
    return sorted(found, key=sort_key, reverse=True)
