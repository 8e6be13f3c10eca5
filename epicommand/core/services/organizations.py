from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from .. import audit
from ..jurisdiction import can, place_is_within, visible_to
from ..models import AuditEvent, Organization, Place, User
from ..roles import Cap
from ..text import fold, nfc

# Kinds of unit that answer for a whole province, and so may only be placed at a province.
PROVINCIAL_KINDS = frozenset({Organization.Kind.COMMAND_CENTRE, Organization.Kind.HEALTH_DEPARTMENT,
                              Organization.Kind.CDC})

FIELDS = ("name", "code", "kind", "tier", "place", "parent", "address", "contact_name", "phone", "email", "is_active")


def _check(actor: User, *, place: Place, parent: Organization | None, kind: str, tier: int | None,
           parent_changed: bool = True) -> None:
    if not can(actor, Cap.ORGS_MANAGE):
        raise PermissionDenied
    if not place_is_within(actor, place):
        raise ValidationError({"place": _("The place is outside your jurisdiction.")})
    if parent is not None and parent_changed and not visible_to(actor, Organization).filter(pk=parent.pk).exists():
        raise ValidationError({"parent": _("The parent organization is outside your jurisdiction.")})
    if kind in PROVINCIAL_KINDS and place.level != Place.Level.PROVINCE:
        # These units speak for the whole province (the CDC receives every serious AEFI alert): a commune must not
        # be able to create one of them for itself.
        message = _("This kind of unit (%(kind)s) answers for the whole province: choose the province as its place.")
        raise ValidationError({"kind": message % {"kind": Organization.Kind(kind).label}})
    if tier is not None and kind not in Organization.TREATING_KINDS:
        raise ValidationError({"tier": _("Only treatment facilities and hospitals have a tier.")})


def _snapshot(org: Organization) -> dict:
    return {f: getattr(org, f) for f in FIELDS}


@transaction.atomic
def create_organization(*, actor: User, name: str, kind: str, place: Place, **fields) -> Organization:
    _check(actor, place=place, parent=fields.get("parent"), kind=kind, tier=fields.get("tier"))
    org = Organization(name=nfc(name), name_folded=fold(name), kind=kind, place=place, **fields)
    org.full_clean()
    org.save()
    audit.record(actor=actor, action=AuditEvent.Action.CREATE, obj=org, changes=audit.diff({}, _snapshot(org)))
    return org


@transaction.atomic
def update_organization(*, actor: User, organization: Organization, **fields) -> Organization:
    org = Organization.objects.select_for_update().get(pk=organization.pk)
    before = _snapshot(org)
    for field, value in fields.items():
        if field not in FIELDS:
            raise ValueError(field)
        setattr(org, field, value)
    if org.parent_id is not None and _is_below(org.parent_id, org.pk):
        raise ValidationError({"parent": _("An organization cannot sit below itself.")})
    previous_parent_id = before["parent"].pk if before["parent"] else None
    _check(actor, place=org.place, parent=org.parent, kind=org.kind, tier=org.tier,
           parent_changed=org.parent_id != previous_parent_id)
    org.name = nfc(org.name)
    org.name_folded = fold(org.name)
    org.full_clean()
    org.save()
    changes = audit.diff(before, _snapshot(org))
    if changes:
        audit.record(actor=actor, action=AuditEvent.Action.UPDATE, obj=org, changes=changes)
    return org


def _is_below(candidate_id: int, org_id: int) -> bool:
    """Whether `candidate_id` is `org_id` or one of its descendants (walking up from the candidate)."""
    seen: set[int] = set()
    current: int | None = candidate_id
    while current is not None and current not in seen:
        if current == org_id:
            return True
        seen.add(current)
        current = Organization.objects.filter(pk=current).values_list("parent_id", flat=True).first()
    return False
