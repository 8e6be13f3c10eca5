"""Every record that points at a person, so a merge can move them all and an undo can move them back.
Apps register their links (doses, tests, cases…) from AppConfig.ready(), and may also register:

- a merge check, called before a merge moves anything: it raises ValidationError (in the user's language)
  when the two entries' records cannot be joined (two copies of the same dose);
- a change listener, called inside the transaction after people's records moved (merge, undo) or their
  commune, birth or priority group changed, so what an app derives from them (coverage) stays current."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.db import models

_LINKS: list[tuple[type[models.Model], str]] = []
_MERGE_CHECKS: list[Callable[[object, object], None]] = []
_LISTENERS: list[Callable[[list[int]], None]] = []


def register(model: type[models.Model], field: str) -> None:
    if (model, field) not in _LINKS:
        _LINKS.append((model, field))


def links() -> list[tuple[type[models.Model], str]]:
    return list(_LINKS)


def register_merge_check(check: Callable[[object, object], None]) -> None:
    if check not in _MERGE_CHECKS:
        _MERGE_CHECKS.append(check)


def register_listener(listener: Callable[[list[int]], None]) -> None:
    if listener not in _LISTENERS:
        _LISTENERS.append(listener)


def check_merge(kept, merged) -> None:
    for check in _MERGE_CHECKS:
        check(kept, merged)


def people_changed(person_ids: Iterable[int]) -> None:
    ids = sorted(set(person_ids))
    for listener in _LISTENERS:
        listener(ids)
