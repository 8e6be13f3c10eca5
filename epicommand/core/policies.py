"""Reading rule values: `policy(key, on=date)` is the one way code learns a threshold or an interval.
A record is always judged by the version in force on its own date."""

from __future__ import annotations

import time
from datetime import date
from typing import Any

from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils import timezone

from .models import PolicyVersion


class PolicyMissing(LookupError):
    pass


def policy(key: str, on: date | None = None) -> Any:
    return policy_version(key, on).value


def policy_version(key: str, on: date | None = None) -> PolicyVersion:
    on = on or timezone.localdate()
    version = PolicyVersion.objects.filter(key=key, effective_from__lte=on).order_by("-effective_from").first()
    if version is None:
        raise PolicyMissing(f"No version of policy {key!r} is in force on {on:%d/%m/%Y}")
    return version


def policies_in_force(prefix: str, on: date | None = None) -> dict[str, Any]:
    """Every policy whose key starts with `prefix`, as in force on `on`: for callers that need a whole family
    of rules at once (the vaccination rules of a day, read by every saved dose).

    Answered from the cache, shared by the server's processes: versions are only ever added, and adding one
    (`forget()`, on save and again on commit) moves the cache to a new generation, so no stale rule survives a
    change; the entries also expire after a few minutes."""
    on = on or timezone.localdate()
    key = f"policies:{_generation()}:{prefix}:{on.isoformat()}"
    found = cache.get(key)
    if found is None:
        found = _read_in_force(prefix, on)
        cache.set(key, found, CACHE_SECONDS)
    return found


def _read_in_force(prefix: str, on: date) -> dict[str, Any]:
    found: dict[str, Any] = {}
    rows = (PolicyVersion.objects.filter(key__startswith=prefix, effective_from__lte=on)
            .order_by("key", "-effective_from").values_list("key", "value"))
    for key, value in rows:
        found.setdefault(key, value)  # the first row of each key is the latest in force
    return found


CACHE_SECONDS = 300
_GENERATION = "policies:generation"


def _generation() -> int:
    generation = cache.get(_GENERATION)
    if generation is None:
        generation = time.time_ns()
        cache.add(_GENERATION, generation, None)
        generation = cache.get(_GENERATION, generation)
    return generation


def forget() -> None:
    """Drop every cached family of rules: a version was added (or removed, in tests and migrations)."""
    cache.set(_GENERATION, time.time_ns(), None)


@receiver([post_save, post_delete], sender=PolicyVersion)
def _version_changed(**_kwargs) -> None:
    forget()
    # Again once it commits: a request reading between the save and the commit cached what it saw then.
    transaction.on_commit(forget)
