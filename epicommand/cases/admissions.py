"""Admission to a facility (holds a bed) and discharge (frees it) with the outcome. A direct admission is
for a facility the actor sees (their own, or one of their area); anything else goes through a referral,
which the receiving facility accepts."""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from epicommand.core import audit
from epicommand.core.models import AuditEvent, Organization, User

from . import beds, facts
from .home_services import end_home_care
from .models import Admission, BedKind, Case, CaseEvent, HomeCare
from .services import close_case, event

# Discharge outcomes that end the case (transferred: out of the province, no longer ours to follow).
CLOSING = {Admission.Outcome.RECOVERED: Case.Outcome.RECOVERED, Admission.Outcome.DIED: Case.Outcome.DIED,
           Admission.Outcome.TRANSFERRED: Case.Outcome.TRANSFERRED}


def admit(*, actor: User | None, case: Case, facility: Organization, bed_kind: str, at: datetime | None = None,
          bed_held: bool = False, note: str = "") -> Admission:
    """Admit the case to `facility` on a bed of `bed_kind` (held here unless a referral already holds it)."""
    if bed_kind not in BedKind.values:
        raise ValidationError({"bed_kind": _("Choose a bed kind.")})
    if facility.tier is None or facility.kind not in Organization.TREATING_KINDS or not facility.is_active:
        raise ValidationError({"facility": _("This organization does not treat patients.")})
    at = at or timezone.now()
    with transaction.atomic():
        case = Case.objects.select_for_update().get(pk=case.pk)
        if not case.is_open:
            raise ValidationError(_("This case is closed."))
        if case.admissions.filter(discharged_at__isnull=True).exists():
            raise ValidationError(_("The patient is already admitted: discharge or refer them first."))
        if not bed_held:
            beds.hold(facility=facility, kind=bed_kind)
        admission = Admission.objects.create(case=case, facility=facility, bed_kind=bed_kind, admitted_at=at,
                                             admitted_by=actor if getattr(actor, "is_authenticated", False) else None,
                                             note=note)
        if case.setting == Case.Setting.HOME:
            end_home_care(actor=actor, case=case, status=HomeCare.Status.ESCALATED, at=at)
            case.refresh_from_db()
        before = facts.key_of(case)
        case.setting, case.facility = Case.Setting.FACILITY, facility
        case.save(update_fields=["setting", "facility", "updated_at"])
        facts.case_moved(before, facts.key_of(case))
        event(case, CaseEvent.Kind.ADMITTED, actor=actor, at=at, facility=facility,
              detail={"bed_kind": bed_kind, "admission": admission.pk}, note=note)
        audit.record(actor=actor, action=AuditEvent.Action.CREATE, obj=admission,
                     changes={"facility": facility.pk, "bed_kind": bed_kind})
    return admission


def discharge(*, actor: User | None, admission: Admission, outcome: str, at: datetime | None = None,
              note: str = "", close: bool = True) -> Admission:
    """Discharge with an outcome: the bed is freed; recovered, died and transferred out close the case; moved
    home leaves it awaiting home treatment; referred is set by a referral's arrival."""
    if outcome not in Admission.Outcome.values:
        raise ValidationError({"outcome": _("Choose an outcome.")})
    at = at or timezone.now()
    with transaction.atomic():
        # The case before the admission, in the order close_case and the referral steps lock them.
        Case.objects.select_for_update().filter(pk=admission.case_id).first()
        admission = Admission.objects.select_for_update().select_related("case").get(pk=admission.pk)
        if admission.discharged_at is not None:
            raise ValidationError(_("This admission has already ended."))
        if at < admission.admitted_at:
            raise ValidationError({"at": _("Discharge cannot be before admission.")})
        admission.discharged_at, admission.outcome, admission.note = at, outcome, note or admission.note
        admission.discharged_by = actor if getattr(actor, "is_authenticated", False) else None
        admission.save(update_fields=["discharged_at", "outcome", "note", "discharged_by"])
        beds.release(facility_id=admission.facility_id, kind=admission.bed_kind)
        case = admission.case
        event(case, CaseEvent.Kind.DISCHARGED, actor=actor, at=at, facility=admission.facility,
              detail={"outcome": outcome, "admission": admission.pk}, note=note)
        audit.record(actor=actor, action=AuditEvent.Action.UPDATE, obj=admission,
                     changes={"outcome": [None, outcome]})
        if outcome in CLOSING and close and case.is_open:
            close_case(actor=actor, case=case, outcome=CLOSING[outcome], closed_on=timezone.localdate(at),
                       note=note, _from_discharge=True)
        elif outcome == Admission.Outcome.HOME and case.is_open:
            case = Case.objects.select_for_update().get(pk=case.pk)
            before = facts.key_of(case)
            case.setting, case.facility = Case.Setting.PENDING, None
            case.save(update_fields=["setting", "facility", "updated_at"])
            facts.case_moved(before, facts.key_of(case))
    return admission
