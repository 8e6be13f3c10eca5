from __future__ import annotations

import json
from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import audit
from ..jurisdiction import can
from ..models import AuditEvent, PolicyVersion, User
from ..roles import Cap


@transaction.atomic
def add_policy_version(
    *, actor: User, key: str, value: Any, effective_from: date, source: str, unverified: bool = False, note: str = "",
) -> PolicyVersion:
    """A new version from a date onward. Past versions never change, and no version takes effect in
    the past, so a record already judged keeps the rule it was judged by."""
    if not can(actor, Cap.POLICIES_EDIT):
        raise PermissionDenied
    versions = PolicyVersion.objects.select_for_update().filter(key=key)
    latest = versions.order_by("-effective_from").first()
    if latest is None:
        raise ValidationError(_("There is no such rule."))
    if effective_from < timezone.localdate():
        raise ValidationError({"effective_from": _("A new version cannot take effect in the past.")})
    if effective_from <= latest.effective_from:
        raise ValidationError(
            {"effective_from": _("A new version must start after the latest one (%(date)s).")
             % {"date": latest.effective_from.strftime("%d/%m/%Y")}}
        )
    if not source.strip():
        raise ValidationError({"source": _("Cite the document the value comes from.")})
    if problem := shape_problem(latest.value, value):
        raise ValidationError({"value": problem})
    version = PolicyVersion.objects.create(
        key=key, value=value, effective_from=effective_from, source=source.strip(),
        unverified=unverified, note=note.strip(), created_by=actor,
    )
    audit.record(
        actor=actor, action=AuditEvent.Action.CREATE, obj=version,
        changes={"value": [latest.value, value], "effective_from": [None, effective_from.isoformat()]},
    )
    return version


def shape_problem(old: Any, new: Any) -> str | None:
    """Code reads a rule's value by its shape: a new version keeps the type and, for a structured
    value, the same keys, so that nothing judged from its date on breaks."""
    if isinstance(old, bool) != isinstance(new, bool) or (
        not isinstance(old, bool) and isinstance(old, int | float) != isinstance(new, int | float)
    ) or (not isinstance(old, int | float) and type(old) is not type(new)):
        return _("The new value must be of the same kind as the current one (%(example)s).") % {
            "example": json.dumps(old, ensure_ascii=False)[:80]}
    if isinstance(old, dict) and set(old) != set(new):
        return _("The new value must have the same keys as the current one: %(keys)s.") % {
            "keys": ", ".join(sorted(old))}
    return None
