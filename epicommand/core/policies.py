"""Reading rule values: `policy(key, on=date)` is the one way code learns a threshold or an interval.
A record is always judged by the version in force on its own date."""

from __future__ import annotations

from datetime import date
from typing import Any

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
    """Every policy whose key starts with `prefix`, as in force on `on`, in one query: for callers that
    need a whole family of rules at once (the vaccination rules of a day)."""
    on = on or timezone.localdate()
    found: dict[str, Any] = {}
    rows = (PolicyVersion.objects.filter(key__startswith=prefix, effective_from__lte=on)
            .order_by("key", "-effective_from").values_list("key", "value"))
    for key, value in rows:
        found.setdefault(key, value)  # the first row of each key is the latest in force
    return found
