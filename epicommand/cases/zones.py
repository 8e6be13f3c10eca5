"""Village zones of the mobile medical stations (Quyết định 4042/QĐ-BYT): each village of a commune is
followed by one health worker. A new home patient goes to the worker of their village's zone; a zone handed
to another worker takes its active patients along; one patient may be handed over on their own."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from epicommand.core import audit
from epicommand.core.jurisdiction import place_is_within
from epicommand.core.models import AuditEvent, Organization, Place, User
from epicommand.core.roles import Role
from epicommand.core.text import fold, nfc

from . import worker_load
from .models import CaseEvent, HomeCare, Zone

# Who may follow home patients: the mobile stations' workers, and the commune station's own staff where
# no mobile station has been set up.
WORKER_ROLES = (Role.MOBILE_STATION, Role.COMMUNE_STATION)


def workers_of(commune: Place) -> QuerySet[User]:
    return User.objects.filter(role__in=WORKER_ROLES, place=commune, is_active=True).order_by("username")


def zone_for(commune_id: int, village: str) -> Zone | None:
    folded = fold(nfc(village))
    if not folded:
        return None
    return Zone.objects.select_related("worker").filter(commune_id=commune_id, village_folded=folded).first()


def _check_worker(worker: User, commune: Place) -> None:
    if not worker.is_active or worker.role not in WORKER_ROLES or worker.place_id != commune.pk:
        raise ValidationError({"worker": _("The health worker must be an active account of this commune's "
                                           "mobile or commune health station.")})


@transaction.atomic
def save_zone(*, actor: User, commune: Place, village: str, worker: User, station: Organization | None = None,
              zone: Zone | None = None) -> Zone:
    """Create a zone, or change an existing one; a new worker takes the zone's active patients along."""
    if not place_is_within(actor, commune) or commune.level != Place.Level.COMMUNE:
        raise ValidationError({"commune": _("The commune is outside your jurisdiction.")})
    village = nfc(village)
    if not village:
        raise ValidationError({"village": _("Name the village.")})
    _check_worker(worker, commune)
    if station is not None and (station.kind != Organization.Kind.MOBILE_STATION or station.place_id != commune.pk):
        raise ValidationError({"station": _("The station must be a mobile medical station of this commune.")})
    clash = Zone.objects.filter(commune=commune, village_folded=fold(village))
    if zone is not None:
        clash = clash.exclude(pk=zone.pk)
    if clash.exists():
        raise ValidationError({"village": _("This village already has a zone.")})
    before = {} if zone is None else {"village": zone.village, "worker": zone.worker_id, "station": zone.station_id}
    previous_worker = None if zone is None else zone.worker_id
    old_village = village if zone is None else zone.village
    zone = zone or Zone(commune=commune)
    zone.village, zone.village_folded, zone.worker, zone.station = village, fold(village), worker, station
    zone.save()
    moved = 0
    if previous_worker != worker.pk:
        # A new zone picks up the village's patients nobody followed yet; a zone handed over takes its own.
        active = HomeCare.objects.filter(commune=commune, status=HomeCare.Status.ACTIVE)
        active = active.filter(worker__isnull=True) if previous_worker is None else active.filter(
            worker_id=previous_worker)
        moved = _move(actor=actor, home_cares=active, village=old_village, worker=worker)
        worker_load.refresh([previous_worker, worker.pk])
    audit.record(actor=actor, action=AuditEvent.Action.UPDATE if before else AuditEvent.Action.CREATE, obj=zone,
                 changes={**audit.diff(before, {"village": village, "worker": worker.pk, "station": getattr(
                     station, "pk", None)}), **({"patients_moved": [0, moved]} if moved else {})})
    return zone


def _move(*, actor: User, home_cares: QuerySet[HomeCare], village: str, worker: User) -> int:
    """Hand the active patients of a village over to `worker`; their open alerts go along."""
    folded = fold(village)
    chosen = [h for h in home_cares.select_for_update().order_by("pk") if fold(h.village) == folded]
    if not chosen:
        return 0
    ids = [h.pk for h in chosen]
    HomeCare.objects.filter(pk__in=ids).update(worker=worker, updated_at=timezone.now())
    from .models import Alert

    Alert.objects.filter(home_care_id__in=ids).exclude(status=Alert.Status.RESOLVED).update(worker=worker)
    now = timezone.now()
    CaseEvent.objects.bulk_create([CaseEvent(case_id=h.case_id, kind=CaseEvent.Kind.HOME_ASSIGNED, at=now, by=actor,
                                             detail={"worker": worker.get_username(), "zone": village})
                                   for h in chosen], batch_size=1000)
    return len(chosen)


@transaction.atomic
def assign_patient(*, actor: User, home_care: HomeCare, worker: User) -> HomeCare:
    """Hand one home patient to another worker of the commune (their open alerts go along)."""
    home_care = HomeCare.objects.select_for_update().get(pk=home_care.pk)
    if home_care.status != HomeCare.Status.ACTIVE:
        raise ValidationError(_("This patient is no longer under home treatment."))
    _check_worker(worker, home_care.commune)
    previous = home_care.worker_id
    if previous == worker.pk:
        return home_care
    home_care.worker = worker
    home_care.save(update_fields=["worker", "updated_at"])
    from .models import Alert

    Alert.objects.filter(home_care=home_care).exclude(status=Alert.Status.RESOLVED).update(worker=worker)
    CaseEvent.objects.create(case_id=home_care.case_id, kind=CaseEvent.Kind.HOME_ASSIGNED, at=timezone.now(),
                             by=actor, detail={"worker": worker.get_username()})
    worker_load.refresh([previous, worker.pk])
    audit.record(actor=actor, action=AuditEvent.Action.UPDATE, obj=home_care, changes={"worker": [previous, worker.pk]})
    return home_care
