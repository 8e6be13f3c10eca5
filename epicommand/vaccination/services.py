"""Recording doses and what goes with them: screening, eligibility with its override, drawing the lot,
undo, AEFI reports and certificates. Each function is one transaction with its audit events; coverage
is refreshed inside it (coverage.refresh_people, or for a recorded dose coverage.restated written with it)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from epicommand.core import audit
from epicommand.core.jurisdiction import can
from epicommand.core.models import AuditEvent, Organization, Place, User
from epicommand.core.policies import PolicyMissing, policy
from epicommand.core.repeats import saved_moments_ago
from epicommand.core.roles import Cap, Role
from epicommand.core.rows import insert
from epicommand.notify.services import notify
from epicommand.people.models import Person

from . import certificates, coverage, record_sql, stock
from .eligibility import Candidate, PastDose, Rules, Verdict
from .models import Aefi, Certificate, Dose, DoseKind, Lot, Movement, Product, Screening, Session, SessionLot, Stock

# Short product codes printed in certificates (the QR payload stays small).
SHORT_CODES = {"astrazeneca": "AZ", "pfizer": "PF", "moderna": "MD", "sputnik_v": "SP", "vero_cell": "VC",
               "hayat_vax": "HV", "janssen": "JJ", "abdala": "AB"}


class Ineligible(Exception):
    """The rules refuse this dose; `verdict` says why. Pass `override_reason` to record it anyway."""

    def __init__(self, verdict: Verdict):
        super().__init__("; ".join(verdict.reasons))
        self.verdict = verdict


class DoseRefused(Exception):
    """The dose cannot be recorded (session closed, expired lot, no stock…): the message is for the user."""


class AlreadyReported(DoseRefused):
    """The same adverse event was reported for this dose a moment ago (Save pressed twice): nothing was saved."""


@dataclass(frozen=True)
class Recorded:
    dose: Dose | None
    screening: Screening
    verdict: Verdict | None


def undo_minutes(on: date) -> int:
    try:
        return int(policy("vaccination.dose_undo_minutes", on))
    except PolicyMissing:
        return 10


def candidate_for(person: Person, *, excluding: int | None = None) -> Candidate:
    doses = Dose.objects.filter(person=person).exclude(pk=excluding).values_list("given_on", "product__key", "kind")
    return Candidate(birth_date=person.birth_date, birth_year=person.birth_year,
                     doses=tuple(PastDose(day, product, kind) for day, product, kind in doses),
                     pregnant=person.pregnant)


def judge(person: Person, product: Product, on: date) -> Verdict:
    return Rules(on).check(candidate_for(person), product.key)


def lots_available(holder: Organization, product: Product, on: date) -> list[tuple[Lot, int]]:
    """Lots of the product the holder has in stock and that have not expired on `on`, earliest expiry first."""
    rows = (Stock.objects.filter(holder=holder, lot__product=product, lot__expiry__gte=on, doses__gt=0)
            .select_related("lot__product").order_by("lot__expiry", "lot__number"))
    return [(row.lot, row.doses) for row in rows]


def lots_in_stock(holder: Organization, product_key: str, on: date, *, lot_id: int | None = None
                  ) -> list[tuple[Lot, int]]:
    """lots_available() for a vaccine in use named by its code: the vaccine is read with its lots, in one
    statement (the dose form's save reads it); with `lot_id`, only that lot, if it is one of them."""
    return record_sql.lots_in_stock(holder.pk, product_key, on, lot_id=lot_id)


def record_dose(*, actor: User, person: Person, session: Session, product: Product, lot: Lot | None = None,
                answers: dict[str, bool] | None = None, temperature=None, outcome: str = Screening.Outcome.PROCEED,
                screening_note: str = "", override_reason: str = "", on: date | None = None) -> Recorded:
    """Screen the person and, when the outcome is to vaccinate, record the dose drawn from the session's
    stock. Raises Ineligible (rules refuse, no override), DoseRefused or stock.OutOfStock; nothing is
    written then, except that a deferral or referral is itself recorded.

    The busiest write of a campaign day, so it is a handful of statements (record_sql), in one transaction:
    lock the person and read the session's status; read their doses and stored status, opening the session
    and taking the vaccine from stock in the same statement (the policies of the day come from the cache);
    then write the screening, the dose, its ledger row, the vial count, the restated coverage and the audit
    event (each of the two one statement on PostgreSQL)."""
    if not can(actor, Cap.DOSES_RECORD):
        raise PermissionDenied
    on = on or timezone.localdate()
    override_reason = (override_reason or "").strip()
    # The policies of the day, read once for the verdict and the coverage refresh, before any row is locked.
    rules = Rules(on) if outcome == Screening.Outcome.PROCEED else None
    with transaction.atomic():
        # Lock the person's row: two vaccinators saving the same person at once cannot both pass the checks.
        # The same statement reads the session afresh: it may have been closed since the page was loaded.
        locked = record_sql.lock_person(person.pk, session.pk)
        if locked is None:
            raise Person.DoesNotExist
        if locked.session_status == Session.Status.CLOSED:
            raise DoseRefused(_("This session is closed."))
        if session.date != on:
            raise DoseRefused(_("This session is on %(date)s: doses are recorded on the day they are given.")
                              % {"date": session.date.strftime("%d/%m/%Y")})
        if outcome not in Screening.Outcome.values:
            raise ValidationError(_("Choose the outcome of the screening."))
        screening = Screening(person=person, session=session, answers=answers or {}, temperature=temperature,
                              outcome=outcome, note=screening_note[:255], by=actor)
        if outcome != Screening.Outcome.PROCEED:
            insert(screening)
            audit.record(actor=actor, action=AuditEvent.Action.CREATE, obj=screening,
                         place=person.commune, changes={"outcome": [None, outcome]})
            return Recorded(None, screening, None)
        holder = session.site.organization
        lot, refusal = _lot_to_draw(holder, product, lot, on)
        # Read after the lock, so a dose saved a moment ago by the next table is seen; the same statement opens
        # a planned session, holds the session open until the dose is saved (a closing waits for it) and takes
        # the dose from stock (all undone with the rest if the rules refuse). Session before stock: rows are
        # locked in the order closing a session locks them (session, stock, vials), so a dose and a closing at
        # the same moment wait for each other, never deadlock.
        read = record_sql.history(person.pk, session_id=session.pk, opening=session.status == Session.Status.PLANNED,
                                  taking=None if refusal else (holder.pk, lot.pk, 1))
        if read.session_status == Session.Status.CLOSED:  # closed while this dose waited for it
            raise DoseRefused(_("This session is closed."))
        previous, doses = read.counted, read.doses
        candidate = Candidate(birth_date=locked.birth_date, birth_year=locked.birth_year, doses=tuple(doses),
                              pregnant=locked.pregnant)
        verdict = rules.check(candidate, product.key)
        # The rules' refusal first, then the lot's: the vaccinator learns first whether the person may have it.
        if not verdict.eligible and not override_reason:
            raise Ineligible(verdict)
        if refusal:
            raise refusal
        balance = stock.taken(read.balance, lot, 1)
        kind = DoseKind.BOOSTER if verdict.kind == "booster" else DoseKind.PRIMARY
        dose = Dose(
            person=person, product=product, lot=lot, lot_number=lot.number, given_on=on, number=verdict.dose_number,
            kind=kind, session=session, site=session.site, organization=holder, vaccinator=actor,
            screening=screening, override_codes=list(verdict.codes) if not verdict.eligible else [],
            override_reason=override_reason if not verdict.eligible else "")
        status, moves = coverage.restated(
            rules, person_id=person.pk, commune_id=locked.commune_id, birth_date=locked.birth_date,
            birth_year=locked.birth_year, priority_group=locked.priority_group, pregnant=locked.pregnant,
            doses=[*doses, PastDose(on, product.key, kind)], previous=previous)
        changes = {"product": [None, product.key], "lot": [None, lot.number], "number": [None, dose.number],
                   "kind": [None, kind]}
        if verdict.eligible:
            event = audit.event(actor=actor, action=AuditEvent.Action.CREATE, obj=dose, place=person.commune,
                                changes=changes)
        else:
            # The override is the audit event's reason: who overrode which rules, and why, kept forever.
            event = audit.event(actor=actor, action=AuditEvent.Action.CREATE, obj=dose, place=person.commune,
                                changes={**changes, "override": [None, list(verdict.codes)]}, reason=override_reason)
        counted = record_sql.save_dose(
            screening=screening, dose=dose, vials=(session.pk, lot.pk, lot.doses_per_vial), status=status,
            moves=moves, event=event,
            movement=Movement(holder=holder, lot=lot, kind=Movement.Kind.ADMINISTERED, doses=-1,
                              balance_after=balance, by=actor))
        if not counted:
            _first_vial(session, lot, +1)
    return Recorded(dose, screening, verdict)


def _lot_to_draw(holder: Organization, product: Product, lot: Lot | None, on: date
                 ) -> tuple[Lot | None, Exception | None]:
    """The lot a dose is drawn from (the one chosen, or the earliest expiry in stock) and, when it cannot be,
    the refusal to raise once the rules have had their say."""
    if lot is None:
        available = lots_available(holder, product, on)
        if not available:
            return None, stock.OutOfStock(_("Out of stock: no lot of %(product)s left at %(holder)s.")
                                          % {"product": product.name, "holder": holder.name})
        lot = available[0][0]
    if lot.product_id != product.pk:
        return lot, DoseRefused(_("Lot %(lot)s is not %(product)s.") % {"lot": lot.number, "product": product.name})
    if lot.expiry < on:
        return lot, DoseRefused(_("Lot %(lot)s expired on %(date)s.")
                                % {"lot": lot.number, "date": lot.expiry.strftime("%d/%m/%Y")})
    return lot, None


def _count_vial(session: Session, lot: Lot, delta: int) -> None:
    """Count a dose in (or out of) the session's vials of the lot: one UPDATE that also opens a new vial when
    the doses given need one (vials opened never go down: a vial opened stays opened)."""
    if not record_sql.count_vial(session.pk, lot.pk, lot.doses_per_vial, delta):
        _first_vial(session, lot, delta)


def _first_vial(session: Session, lot: Lot, delta: int) -> None:
    """The session's first doses of the lot: its vial count created."""
    per_vial = max(lot.doses_per_vial, 1)
    try:
        with transaction.atomic():
            SessionLot.objects.create(session=session, lot=lot, doses_given=max(delta, 0),
                                      vials_opened=math.ceil(max(delta, 0) / per_vial))
    except IntegrityError:  # created by a vaccinator at the next table meanwhile
        record_sql.count_vial(session.pk, lot.pk, per_vial, delta)


def may_undo(user: User, dose: Dose, now=None) -> bool:
    now = now or timezone.now()
    return (dose.undone_at is None and not dose.historical and dose.vaccinator_id == user.pk
            and now - dose.recorded_at <= timedelta(minutes=undo_minutes(dose.given_on))
            and not _session_closed(dose))


def _session_closed(dose: Dose, *, lock: bool = False) -> bool:
    """Whether the dose's session is closed, read afresh (and with `lock`, holding its row until commit)."""
    if not dose.session_id:
        return False
    # The lock is taken on the row whatever its status (a filter on the status would lock nothing while open).
    sessions = Session.objects.select_for_update() if lock else Session.objects
    return sessions.filter(pk=dose.session_id).values_list("status", flat=True).first() == Session.Status.CLOSED


def undo_dose(*, actor: User, dose: Dose) -> Dose:
    """Take back a dose recorded by mistake, within the policy's minutes, by its vaccinator: the dose
    stays (marked undone, for the audit trail), its vaccine returns to the stock."""
    closed = _("This session is closed and what was left in its open vials was discarded: the dose can no longer "
               "be undone.")
    if _session_closed(dose):
        raise DoseRefused(closed)
    if not may_undo(actor, dose):
        raise DoseRefused(_("This dose can no longer be undone: only its vaccinator may, within %(n)s minutes.")
                          % {"n": undo_minutes(dose.given_on)})
    with transaction.atomic():
        # The person first, as recording a dose locks them: an undo and a new dose of the same person queue here
        # rather than lock the dose's row and the stock in opposite orders (a deadlock).
        record_sql.lock_person(dose.person_id, dose.session_id)
        # Closing a session discards what is left in its opened vials; a dose taken back afterwards would
        # return to stock vaccine already written off as waste. The session row is locked so that a close
        # running at the same moment either waits for this undo (and counts the vial it frees) or has won.
        if _session_closed(dose, lock=True):
            raise DoseRefused(closed)
        if not Dose.objects.filter(pk=dose.pk, undone_at__isnull=True).update(undone_at=timezone.now(),
                                                                               undone_by=actor):
            raise DoseRefused(_("This dose was already undone."))
        if dose.lot_id and dose.organization_id:
            stock.move(holder=dose.organization, lot=dose.lot, doses=+1, kind=Movement.Kind.UNDONE, by=actor,
                       reference=f"dose:{dose.pk}")
            if dose.session_id:
                _count_vial(dose.session, dose.lot, -1)
        coverage.refresh_people([dose.person_id], on=dose.given_on)
        audit.record(actor=actor, action=AuditEvent.Action.DELETE, obj=dose, place=dose.person.commune,
                     changes={"undone": [False, True]})
    dose.refresh_from_db()
    return dose


def close_session(*, actor: User, session: Session) -> list[Movement]:
    """Close the session; what is left in its opened vials is discarded as open-vial wastage."""
    if not can(actor, Cap.VACCINATION_PLAN) and not can(actor, Cap.DOSES_RECORD):
        raise PermissionDenied
    movements = []
    with transaction.atomic():
        if not Session.objects.filter(pk=session.pk).exclude(status=Session.Status.CLOSED).update(
                status=Session.Status.CLOSED, closed_at=timezone.now()):
            raise DoseRefused(_("This session is closed."))
        holder = session.site.organization
        for row in SessionLot.objects.filter(session=session).select_related("lot"):
            left = row.vials_opened * row.lot.doses_per_vial - row.doses_given - row.discarded
            if left <= 0:
                continue
            # Lock the stock row before reading it: a dose drawn by another vaccinator between the read and the
            # move would otherwise leave fewer doses than this move takes (OutOfStock, the close rolled back).
            held = (Stock.objects.select_for_update().filter(holder=holder, lot=row.lot)
                    .values_list("doses", flat=True).first() or 0)
            available = min(left, held)
            if available > 0:
                movements.append(stock.move(holder=holder, lot=row.lot, doses=-available, kind=Movement.Kind.WASTED,
                                            reason=Movement.Waste.OPEN_VIAL, by=actor,
                                            reference=f"session:{session.pk}"))
                SessionLot.objects.filter(pk=row.pk).update(discarded=F("discarded") + available)
        audit.record(actor=actor, action=AuditEvent.Action.UPDATE, obj=session,
                     place=session.site.commune, changes={"status": [session.status, Session.Status.CLOSED]})
    return movements


# ---- AEFI ---------------------------------------------------------------------------------------------

# An identical report (dose, severity, onset, symptoms) within these minutes is a double submit, not a new event.
AEFI_REPEAT_MINUTES = 10


def report_aefi(*, actor: User, dose: Dose, symptoms: list[str], onset, severity: str, outcome: str,
                description: str = "") -> Aefi:
    """Attach an adverse event to a dose; a serious one alerts the CDC at once (through the outbox)."""
    if not can(actor, Cap.DOSES_RECORD):
        raise PermissionDenied
    if severity not in Aefi.Severity.values or outcome not in Aefi.Outcome.values:
        raise ValidationError(_("Choose the severity and the outcome."))
    if onset is None:
        raise ValidationError(_("Give the time the symptoms began."))
    onset_day = timezone.localtime(onset).date() if hasattr(onset, "tzinfo") else onset
    if onset_day < dose.given_on:
        raise ValidationError(_("The symptoms cannot begin before the dose (%(date)s).")
                              % {"date": dose.given_on.strftime("%d/%m/%Y")})
    with transaction.atomic():
        # A second tap on Save would alert the CDC twice: the same report for the same dose within a few minutes
        # is refused. The dose row is locked so that two posts at the same moment are checked one after the other.
        recent = saved_moments_ago(Dose.all_objects.filter(pk=dose.pk),
                                   Aefi.objects.filter(dose=dose, severity=severity, onset=onset), "reported_at",
                                   within=timedelta(minutes=AEFI_REPEAT_MINUTES))
        if any(sorted(found) == sorted(symptoms) for found in recent.values_list("symptoms", flat=True)):
            raise AlreadyReported(_("This adverse event was already reported a moment ago (Save pressed twice?): "
                                    "nothing more was saved, and no second alert was sent."))
        aefi = Aefi.objects.create(dose=dose, symptoms=list(symptoms), onset=onset, severity=severity,
                                   outcome=outcome, description=description, reported_by=actor)
        audit.record(actor=actor, action=AuditEvent.Action.CREATE, obj=aefi, place=dose.person.commune,
                     changes={"severity": [None, severity], "outcome": [None, outcome]})
        if severity == Aefi.Severity.SERIOUS:
            _alert_cdc(actor, aefi)
    return aefi


def _alert_cdc(actor: User, aefi: Aefi) -> None:
    dose = aefi.dose
    person = dose.person
    body = _("Serious adverse event after vaccination: %(product)s dose %(number)s, lot %(lot)s, given on %(day)s "
             "at %(site)s. Onset %(onset)s, outcome: %(outcome)s. Person #%(person)s, %(commune)s.") % {
        "product": dose.product.name, "number": dose.number, "lot": dose.lot_number or "-",
        "day": dose.given_on.strftime("%d/%m/%Y"), "site": dose.site or dose.site_name or "-",
        "onset": timezone.localtime(aefi.onset).strftime("%d/%m/%Y %H:%M") if hasattr(aefi.onset, "tzinfo")
        else aefi.onset, "outcome": aefi.get_outcome_display(), "person": person.pk,
        "commune": person.commune.name}
    subject = _("Serious AEFI: %(product)s, %(commune)s") % {"product": dose.product.name,
                                                             "commune": person.commune.name}
    # Only the CDC of the person's own province, placed at the province itself: an organization merely named
    # CDC elsewhere (a commune could create one) hears nothing, and neither does another province's CDC.
    provinces = _provinces_of(person.commune)
    cdcs = list(Organization.objects.filter(kind=Organization.Kind.CDC, is_active=True,
                                            place__level=Place.Level.PROVINCE, place__path__in=provinces))
    for cdc in cdcs:
        for channel in ("email", "sms"):
            notify(channel=channel, body=body, subject=subject, sender=actor, organization=cdc, kind="aefi.serious",
                   about=aefi, place=person.commune)
    if not cdcs:  # no CDC organization registered yet: the province's health officers hear of it instead
        for officer in User.objects.filter(role=Role.HEALTH_OFFICER, is_active=True,
                                           place__level=Place.Level.PROVINCE, place__path__in=provinces):
            notify(channel="email", body=body, subject=subject, sender=actor, recipient=officer,
                   kind="aefi.serious", about=aefi, place=person.commune)


def _provinces_of(commune: Place) -> list[str]:
    """The paths a province containing `commune` can have: the prefixes of its path ("12/" for "12/03388/")."""
    parts = commune.path.strip("/").split("/")
    return ["/".join(parts[:end]) + "/" for end in range(1, len(parts) + 1)]


# ---- certificates -------------------------------------------------------------------------------------

def certificate_doses(person: Person) -> list[Dose]:
    return list(Dose.objects.filter(person=person).select_related("product").order_by("given_on", "id"))


def issue_certificate(*, actor: User, person: Person, on: date | None = None) -> Certificate:
    """Sign a certificate of the person's live doses. Valid for a year from issue (policy
    `vaccination.certificate_valid_days` when set)."""
    if not can(actor, Cap.DOSES_RECORD):
        raise PermissionDenied
    on = on or timezone.localdate()
    doses = certificate_doses(person)
    if not doses:
        raise DoseRefused(_("No dose is recorded: there is nothing to certify."))
    try:
        days = int(policy("vaccination.certificate_valid_days", on))
    except PolicyMissing:
        days = 365
    listed = [(d.given_on, SHORT_CODES.get(d.product.key, d.product.key[:2].upper()), d.number) for d in doses]
    with transaction.atomic():
        # Issue pressed twice (or two phones at once): the person's row is locked, and the certificate the same
        # person issued a moment ago for the same doses is the one given back, not a second signed token.
        recent = saved_moments_ago(Person.objects.filter(pk=person.pk),
                                   Certificate.objects.filter(person=person, issued_by=actor), "issued_at"
                                   ).order_by("-issued_at", "-pk").first()
        if (recent is not None and recent.payload.get("iat") == on.isoformat()
                and recent.payload.get("d") == [[day.isoformat(), code, n] for day, code, n in listed]):
            return recent
        certificate = Certificate.objects.create(person=person, token="", payload={}, issued_by=actor)
        payload = certificates.payload_for(
            certificate_id=str(certificate.pk), full_name=person.full_name, birth_year=person.birth_year,
            doses=listed, issued=on, valid_until=on + timedelta(days=days))
        certificate.token = certificates.sign(payload)
        certificate.payload = certificates.verify(certificate.token, today=on)
        certificate.save(update_fields=["token", "payload"])
        audit.record(actor=actor, action=AuditEvent.Action.CREATE, obj=certificate, place=person.commune,
                     changes={"doses": [None, len(doses)]})
    return certificate
