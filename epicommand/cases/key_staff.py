"""Key staff of agencies and the alert the command centre receives when too many of one agency's key staff are
infected at once (seed 004 §1).

- `mark_key_staff` / `remove_key_staff`: who answers for an organization marks its key staff (KEY_STAFF_MANAGE:
  an agency's focal point for its own agency, a commune for the units standing in it, the province for all).
- `cases_changed(actor=, person_ids=)`: called by the case services inside the transaction that opens or closes
  a case; re-judges every organization where those people are key staff.
- `figures()`: infected and total per organization, for screens that show counts and shares, never names.

The share that alerts is the policy `cases.key_staff_alert_share` in force on the day the share is judged:
reaching it opens one KeyStaffAlert (the database holds at most one open per organization) with a message to
the command centre; falling below it closes the alert."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from epicommand.core import audit
from epicommand.core.jurisdiction import can, findable_for_unit, visible_to
from epicommand.core.models import AuditEvent, Organization, Place, User
from epicommand.core.policies import policy
from epicommand.core.roles import Cap, Role
from epicommand.notify.services import notify
from epicommand.people.identity import clean_number
from epicommand.people.models import Person

from .models import Case, KeyStaff, KeyStaffAlert

POLICY = "cases.key_staff_alert_share"
MESSAGE_KIND = "key_staff.alert"


class KeyStaffError(ValidationError):
    pass


@dataclass(frozen=True)
class Figures:
    infected: int
    total: int

    @property
    def share(self) -> float | None:
        return self.infected / self.total if self.total else None


# ---- who may mark whom --------------------------------------------------------------------------------------

def organizations_for(user: User) -> QuerySet[Organization]:
    """The active organizations whose key staff the user may mark: those they see (a focal point its own unit and
    the units under it, a commune the units standing in it, the province all)."""
    if not can(user, Cap.KEY_STAFF_MANAGE):
        return Organization.objects.none()
    return visible_to(user, Organization.objects.filter(is_active=True))


def find_person(user: User, organization: Organization, cccd: str) -> Person | None:
    """The person with exactly this CCCD among those the user may look up for this organization (None
    otherwise: "not registered" and "not yours" read alike)."""
    number = clean_number(cccd)
    if len(number) != 12 or not number.isdigit():
        return None
    people = findable_for_unit(user, organization, Person.objects.filter(merged_into__isnull=True), place="commune")
    return people.filter(cccd=number).first()


def names_shown_to(user: User, person_ids: Iterable[int]) -> set[int]:
    """Of these people, those the user may see by name: the ones in the register they see."""
    ids = list(set(person_ids))
    if not ids or not can(user, Cap.PEOPLE_VIEW):
        return set()
    return set(visible_to(user, Person.objects.filter(pk__in=ids)).values_list("pk", flat=True))


def masked_cccd(number: str | None) -> str:
    return f"••••••••{number[-4:]}" if number else "—"


# ---- marking ---------------------------------------------------------------------------------------------

def _check_organization(actor: User, organization: Organization) -> None:
    if not organizations_for(actor).filter(pk=organization.pk).exists():
        raise PermissionDenied


def mark_key_staff(*, actor: User, organization: Organization, cccd: str, position: str = "") -> KeyStaff:
    _check_organization(actor, organization)
    number = clean_number(cccd)
    if len(number) != 12 or not number.isdigit():
        raise KeyStaffError({"cccd": _("Enter the 12 digits of the CCCD.")})
    person = find_person(actor, organization, number)
    if person is None:
        raise KeyStaffError({"cccd": _("No one with this CCCD is registered in the area you may search.")})
    with transaction.atomic():
        Organization.objects.select_for_update().filter(pk=organization.pk).first()
        if KeyStaff.objects.filter(organization=organization, person=person).exists():
            raise KeyStaffError({"cccd": _("This person is already a key staff member of %(org)s.")
                                 % {"org": organization.name}})
        row = KeyStaff.objects.create(organization=organization, person=person, position=position.strip()[:120],
                                      marked_by=actor)
        audit.record(actor=actor, action=AuditEvent.Action.CREATE, obj=row,
                     object_repr=f"{organization.name}: {row.position}"[:255],
                     changes={"person": [None, person.pk], "position": [None, row.position]})
        _judge(actor=actor, organization_id=organization.pk)
    return row


def remove_key_staff(*, actor: User, key_staff: KeyStaff) -> None:
    _check_organization(actor, key_staff.organization)
    with transaction.atomic():
        Organization.objects.select_for_update().filter(pk=key_staff.organization_id).first()
        audit.record(actor=actor, action=AuditEvent.Action.DELETE, obj=key_staff,
                     object_repr=f"{key_staff.organization.name}: {key_staff.position}"[:255],
                     changes={"person": [key_staff.person_id, None], "position": [key_staff.position, None]})
        organization_id = key_staff.organization_id
        key_staff.delete()
        _judge(actor=actor, organization_id=organization_id)


# ---- the share of key staff infected ----------------------------------------------------------------------

def _open_case() -> Exists:
    return Exists(Case.objects.filter(person_id=OuterRef("person_id"), closed_on__isnull=True))


def figures(organization_ids: Iterable[int]) -> dict[int, Figures]:
    """Infected (with an open case) and total key staff per organization, in one query."""
    ids = list(set(organization_ids))
    rows = (KeyStaff.objects.filter(organization_id__in=ids).annotate(infected=_open_case())
            .values("organization_id").annotate(total=Count("id"), sick=Count("id", filter=Q(infected=True))))
    return {r["organization_id"]: Figures(infected=r["sick"], total=r["total"]) for r in rows}


def threshold(on=None) -> float:
    return float(policy(POLICY, on or timezone.localdate()))


def cases_changed(*, actor: User | None, person_ids: Iterable[int]) -> None:
    """Re-judge every organization where these people are key staff (inside the caller's transaction)."""
    ids = list(set(person_ids))
    if not ids:
        return
    _judge_all_of(actor, KeyStaff.objects.filter(person_id__in=ids).values_list("organization_id", flat=True))


def judge_all(*, actor: User | None = None) -> int:
    """Re-judge every organization with key staff or an open alert against the threshold in force today (run with
    the nightly rebuild: a policy version taking effect changes the threshold while no case changes). Returns the
    number of open alerts."""
    with transaction.atomic():
        _judge_all_of(actor, [*KeyStaff.objects.values_list("organization_id", flat=True).distinct(),
                              *KeyStaffAlert.objects.filter(closed_at__isnull=True)
                              .values_list("organization_id", flat=True)])
        return KeyStaffAlert.objects.filter(closed_at__isnull=True).count()


def _judge_all_of(actor: User | None, organization_ids: Iterable[int]) -> None:
    ids = sorted(set(organization_ids))
    # Rows locked in id order, so two case services judging overlapping agencies never deadlock.
    for organization_id in ids:
        Organization.objects.select_for_update().filter(pk=organization_id).first()
    for organization_id in ids:
        _judge(actor=actor, organization_id=organization_id)


def people_changed(person_ids: list[int]) -> None:
    """The register's change listener (people.links): a merge moves key-staff rows and cases from one entry to the
    other (an undo moves them back), so the share of the organizations concerned may have changed."""
    cases_changed(actor=None, person_ids=person_ids)


def no_shared_organization(kept: Person, merged: Person) -> None:
    """The register's merge check: two entries that are both key staff of one organization cannot be merged as
    they are (the organization would count the person twice, and the database holds one row per person); one of
    the two rows must be removed first."""
    shared = (Organization.objects.filter(key_staff__person=kept).filter(key_staff__person=merged)
              .order_by("name").values_list("name", flat=True))
    names = list(shared)
    if names:
        raise ValidationError(_("Both entries are key staff of %(orgs)s: remove one of them from the key staff "
                                "before merging.") % {"orgs": ", ".join(names)})


def _judge(*, actor: User | None, organization_id: int) -> KeyStaffAlert | None:
    """Open or close the organization's alert to match its figures today. Returns the open alert, if any."""
    now = timezone.now()
    found = figures([organization_id]).get(organization_id, Figures(0, 0))
    limit = threshold(timezone.localdate())
    current = KeyStaffAlert.objects.filter(organization_id=organization_id, closed_at__isnull=True).first()
    above = found.total > 0 and found.infected / found.total >= limit
    if above and current is None:
        organization = Organization.objects.select_related("place").get(pk=organization_id)
        alert = KeyStaffAlert.objects.create(organization=organization, raised_at=now, infected=found.infected,
                                             total=found.total, threshold=limit)
        alert.message = _tell_command_centre(actor, organization, found, limit, raised=True)
        alert.save(update_fields=["message"])
        audit.record(actor=actor, action=AuditEvent.Action.CREATE, obj=alert, place=organization.place,
                     changes={"infected": [None, found.infected], "total": [None, found.total],
                              "threshold": [None, limit]})
        return alert
    if not above and current is not None:
        current.closed_at = now
        current.save(update_fields=["closed_at"])
        organization = Organization.objects.select_related("place").get(pk=organization_id)
        _tell_command_centre(actor, organization, found, limit, raised=False)
        audit.record(actor=actor, action=AuditEvent.Action.UPDATE, obj=current, place=organization.place,
                     changes={"closed_at": [None, now.isoformat()], "infected": [current.infected, found.infected]})
        return None
    return current


def _percent(share: float) -> str:
    return f"{round(100 * share)}%"


def _tell_command_centre(actor: User | None, organization: Organization, found: Figures, limit: float, *,
                         raised: bool):
    """One e-mail and one SMS to each command-centre unit of the organization's province (to the province's
    command-centre accounts when there is none). Counts only: who is infected is health data."""
    values = {"org": organization.name, "infected": found.infected, "total": found.total,
              "share": _percent(found.share or 0), "threshold": _percent(limit)}
    if raised:
        subject = _("Key staff infected: %(org)s") % values
        body = _("%(infected)s of the %(total)s key staff of %(org)s are infected now (%(share)s; alert threshold "
                 "%(threshold)s).") % values
    else:
        subject = _("Key staff alert closed: %(org)s") % values
        body = _("The share of infected key staff of %(org)s is back below the threshold: %(infected)s of "
                 "%(total)s (%(share)s; threshold %(threshold)s).") % values
    kind = MESSAGE_KIND if raised else f"{MESSAGE_KIND}_closed"
    province = _province_of(organization.place)
    sender = actor if actor is not None and getattr(actor, "is_authenticated", False) else None
    first = None
    centres = list(Organization.objects.filter(kind=Organization.Kind.COMMAND_CENTRE, is_active=True,
                                               place=province).order_by("id")) if province else []
    for centre in centres:
        for channel in ("email", "sms"):
            message = notify(channel=channel, body=body, subject=subject, sender=sender, organization=centre,
                             kind=kind, about=organization, place=province)
            first = first or message
    if not centres and province is not None:
        for user in User.objects.filter(role=Role.COMMAND, is_active=True, place=province).order_by("id"):
            message = notify(channel="email", body=body, subject=subject, sender=sender, recipient=user,
                             kind=kind, about=organization, place=province)
            first = first or message
    return first


def _province_of(place: Place | None) -> Place | None:
    if place is None:
        return None
    code = place.path.split("/", 1)[0]
    return Place.objects.filter(structure=Place.Structure.CURRENT, level=Place.Level.PROVINCE, path=f"{code}/").first()
