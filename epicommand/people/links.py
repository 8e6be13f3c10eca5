"""Every record that points at a person, so a merge can move them all and an undo can move them back.
Apps register their links (doses, tests, cases…) from AppConfig.ready()."""

from __future__ import annotations

from django.db import models

_LINKS: list[tuple[type[models.Model], str]] = []


def register(model: type[models.Model], field: str) -> None:
    if (model, field) not in _LINKS:
        _LINKS.append((model, field))


def links() -> list[tuple[type[models.Model], str]]:
    return list(_LINKS)
