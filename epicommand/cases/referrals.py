"""Referrals up or down the tower: requested by whoever holds the case, accepted (a bed is held at the
receiving facility from that moment) or declined with a reason by the receiving facility, then in transit,
then arrived (the origin's bed is freed and the patient admitted on the held bed; a home patient's home
treatment ends as escalated). Cancelling releases a held bed."""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from epicommand.core import audit
from epicommand.core.models import AuditEvent, Organization, User

from . import admissions, beds
from .models import Admission, BedKind, Beds, Case, CaseEvent, Referral
from .services import event

S = Referral.Status


def request(*, actor: User, case: Case, to_facility: Organization, bed_kind: str, reason: str,
            at: datetime | None = None) -> Referral:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Give the reason for the referral.")})
    if bed_kind not in BedKind.values:
        raise ValidationError({"bed_kind": _("Choose a bed kind.")})
    if (to_facility.tier is None or to_facility.kind not in Organization.TREATING_KINDS
            or not to_facility.is_active):
        raise ValidationError({"to_facility": _("This organization does not treat patients.")})
    if not Beds.objects.filter(facility=to_facility, kind=bed_kind, total__gt=0).exists():
        raise ValidationError({"bed_kind": _("%(facility)s has no %(kind)s.") % {
            "facility": to_facility.name, "kind": str(BedKind(bed_kind).label).lower()}})
    at = at or timezone.now()
    with transaction.atomic():
        case = Case.objects.select_for_update().get(pk=case.pk)
        if not case.is_open:
            raise ValidationError(_("This case is closed."))
        if case.facility_id == to_facility.pk and case.setting == Case.Setting.FACILITY:
            raise ValidationError({"to_facility": _("The patient is already treated there.")})
        if case.referrals.filter(status__in=Referral.OPEN).exists():
            raise ValidationError(_("This case already has a referral under way."))
        from_facility = case.facility if case.setting == Case.Setting.FACILITY else None
        try:
            with transaction.atomic():
                referral = Referral.objects.create(case=case, from_facility=from_facility, to_facility=to_facility,
                                                   bed_kind=bed_kind, reason=reason, requested_by=actor,
                                                   requested_at=at)
        except IntegrityError:  # a double submit raced this one: one referral stands
            raise ValidationError(_("This case already has a referral under way.")) from None
        event(case, CaseEvent.Kind.REFERRAL_REQUESTED, actor=actor, at=at, facility=to_facility,
              detail={"referral": referral.pk, "to": to_facility.pk, "bed_kind": bed_kind}, note=reason)
        audit.record(actor=actor, action=AuditEvent.Action.CREATE, obj=referral,
                     changes={"to": to_facility.pk, "bed_kind": bed_kind, "from": from_facility.pk if from_facility
                              else None})
        _tell_receiver(actor=actor, referral=referral)
    return referral


def _tell_receiver(*, actor: User, referral: Referral) -> None:
    """An SMS to the receiving facility's phone, when it has one: the case code, severity and bed kind, never
    the patient's name (the inbox shows the rest to those allowed to see it)."""
    facility = referral.to_facility
    if not facility.phone:
        return
    from django.utils import translation

    from epicommand.notify.services import notify

    with translation.override("vi"):
        body = _("EpiCommand: referral request for case %(code)s (%(severity)s), %(kind)s. Open the referral "
                 "inbox to accept or decline.") % {"code": referral.case.code,
                                                    "severity": referral.case.get_severity_display(),
                                                    "kind": str(BedKind(referral.bed_kind).label).lower()}
    notify(channel="sms", body=body, kind="cases.referral", sender=actor, organization=facility,
           place=facility.place, about=referral)


def _locked(referral: Referral, *statuses: str) -> Referral:
    # The case first, then the referral: the order close_case, admit and request lock in, so an arrival and a
    # closing of the same case queue up instead of deadlocking.
    Case.objects.select_for_update().filter(pk=referral.case_id).first()
    referral = Referral.objects.select_for_update().select_related("case", "to_facility").get(pk=referral.pk)
    if referral.status not in statuses:
        raise ValidationError(_("This referral is %(status)s: nothing to do.") % {
            "status": str(referral.get_status_display()).lower()})
    return referral


def decide(*, actor: User, referral: Referral, accept: bool, reason: str = "") -> Referral:
    """The receiving facility's answer. Accepting holds a bed there (refused when none is free)."""
    reason = (reason or "").strip()
    if not accept and not reason:
        raise ValidationError({"reason": _("Give the reason for declining.")})
    with transaction.atomic():
        referral = _locked(referral, S.REQUESTED)
        if accept:
            beds.hold(facility=referral.to_facility, kind=referral.bed_kind)
        referral.status = S.ACCEPTED if accept else S.DECLINED
        referral.decided_by, referral.decided_at, referral.decision_reason = actor, timezone.now(), reason
        referral.save(update_fields=["status", "decided_by", "decided_at", "decision_reason"])
        event(referral.case, CaseEvent.Kind.REFERRAL_ACCEPTED if accept else CaseEvent.Kind.REFERRAL_DECLINED,
              actor=actor, facility=referral.to_facility, detail={"referral": referral.pk}, note=reason)
        audit.record(actor=actor, action=AuditEvent.Action.UPDATE, obj=referral,
                     changes={"status": [S.REQUESTED, referral.status]}, reason=reason)
    return referral


def depart(*, actor: User, referral: Referral, at: datetime | None = None) -> Referral:
    with transaction.atomic():
        referral = _locked(referral, S.ACCEPTED)
        referral.status, referral.departed_at = S.IN_TRANSIT, at or timezone.now()
        referral.save(update_fields=["status", "departed_at"])
        event(referral.case, CaseEvent.Kind.IN_TRANSIT, actor=actor, at=referral.departed_at,
              facility=referral.to_facility, detail={"referral": referral.pk})
        audit.record(actor=actor, action=AuditEvent.Action.UPDATE, obj=referral,
                     changes={"status": [S.ACCEPTED, S.IN_TRANSIT]})
    return referral


def arrive(*, actor: User, referral: Referral, at: datetime | None = None) -> Admission:
    """The patient reached the receiving facility: the origin admission ends as referred (its bed freed), the
    patient is admitted on the bed held since acceptance; home treatment ends as escalated."""
    at = at or timezone.now()
    with transaction.atomic():
        referral = _locked(referral, S.ACCEPTED, S.IN_TRANSIT)
        before = referral.status
        origin = referral.case.admissions.filter(discharged_at__isnull=True).first()
        if origin is not None:
            admissions.discharge(actor=actor, admission=origin, outcome=Admission.Outcome.REFERRED, at=at,
                                 note=referral.reason)
        referral.status, referral.arrived_at = S.ARRIVED, at
        referral.departed_at = referral.departed_at or at
        referral.save(update_fields=["status", "arrived_at", "departed_at"])
        audit.record(actor=actor, action=AuditEvent.Action.UPDATE, obj=referral,
                     changes={"status": [before, S.ARRIVED]})
        admission = admissions.admit(actor=actor, case=referral.case, facility=referral.to_facility,
                                     bed_kind=referral.bed_kind, at=at, bed_held=True)
    return admission


def cancel(*, actor: User | None, referral: Referral, reason: str = "") -> Referral:
    with transaction.atomic():
        referral = _locked(referral, *Referral.OPEN)
        before = referral.status
        if before in (S.ACCEPTED, S.IN_TRANSIT):
            beds.release(facility_id=referral.to_facility_id, kind=referral.bed_kind)
        referral.status = S.CANCELLED
        referral.decision_reason = reason or referral.decision_reason
        referral.save(update_fields=["status", "decision_reason"])
        event(referral.case, CaseEvent.Kind.REFERRAL_CANCELLED, actor=actor, facility=referral.to_facility,
              detail={"referral": referral.pk}, note=reason)
        audit.record(actor=actor, action=AuditEvent.Action.UPDATE, obj=referral,
                     changes={"status": [before, S.CANCELLED]}, reason=reason)
    return referral
