"""Writing audit events. Callers are services (inside their transaction) and the auth receivers."""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any

from django.conf import settings
from django.db import models

from .models import AuditEvent, Place
from .rows import insert

# The address of the request being served, set by RequestContextMiddleware, so that services
# record "from where" without every call threading the request through.
current_ip: ContextVar[str | None] = ContextVar("epicommand_current_ip", default=None)


def record(**details: Any) -> AuditEvent:
    """Write one event (keyword arguments of `event()`)."""
    return insert(event(**details))  # one plain INSERT: every change writes one, the saved dose included


def record_many(events: list[AuditEvent]) -> None:
    """Write many events built with `event()` in one insert (an import's messages)."""
    AuditEvent.objects.bulk_create(events, batch_size=1000)


def event(
    *,
    actor: Any,
    action: str,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: str = "",
    object_repr: str = "",
    changes: dict | None = None,
    reason: str = "",
    place: Place | None = None,
    username: str = "",
) -> AuditEvent:
    """An unsaved event: who did what to which object, from where, and the area it belongs to."""
    if obj is not None:
        from .jurisdiction import place_of

        object_type = object_type or obj._meta.label
        object_id = object_id or str(obj.pk)
        object_repr = object_repr or str(obj)[:255]
        place = place or place_of(obj)
    authenticated = actor is not None and getattr(actor, "is_authenticated", False)
    if place is None and authenticated:
        place = actor.jurisdiction_place
    # Events tied to no area (a failed login with an unknown name) belong to the whole province,
    # so the command centre sees them.
    place_path = place.path if place else f"{settings.PROVINCE_CODE}/"
    return AuditEvent(
        actor=actor if authenticated else None,
        actor_username=username or (actor.get_username() if authenticated else ""),
        action=action,
        object_type=object_type,
        object_id=object_id,
        object_repr=object_repr,
        changes=changes or {},
        reason=reason,
        ip_address=current_ip.get(),
        place_path=place_path,
    )


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """Field → [old, new] for the fields that changed, values as readable strings."""
    return {k: [_show(before.get(k)), _show(after.get(k))] for k in after if before.get(k) != after.get(k)}


def _show(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)
