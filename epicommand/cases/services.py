"""Cases: opening (from positive tests by the confirmation policy, or clinically), the severity a clinician
confirms, and closing. Each function is one transaction with its audit event, its timeline event and the
fact-table update (`facts.case_moved`, `facts.count_day`) inside. Admissions and referrals are in
admissions.py and referrals.py."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import date, datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from epicommand.core import audit
from epicommand.core.models import AuditEvent, Organization, User
from epicommand.core.policies import policy
from epicommand.people.models import Person
from epicommand.testing.models import Kind, Result, Test

from . import facts, home_services, key_staff, placement, risk
from .models import Case, CaseEvent, HomeCare, Severity

# A second identical confirmation within this time is a double submit, not a new assessment.
DOUBLE_SUBMIT = timedelta(minutes=10)


def event(case: Case, kind: str, *, actor: User | None, at: datetime | None = None,
          facility: Organization | None = None, detail: dict | None = None, note: str = "") -> CaseEvent:
    return CaseEvent.objects.create(case=case, kind=kind, at=at or timezone.now(),
                                    by=actor if getattr(actor, "is_authenticated", False) else None,
                                    facility=facility, detail=detail or {}, note=note)


def code_for(case: Case) -> str:
    """F0-<commune code>-<number>: unique because the number is the row's own."""
    return f"F0-{case.commune.code}-{case.pk:06d}"


# ---- opening ------------------------------------------------------------------------------------

def confirms(test: Test) -> bool:
    """Whether a positive test confirms a case on its own, by the policy in force on its sampling day.
    A citizen's self-test never does."""
    if test.result != Result.POSITIVE or test.self_reported or test.kind == Kind.SELF_TEST:
        return False
    rule = policy("cases.confirmation", test.sampled_on)
    if test.kind not in rule.get("kinds", []):
        return False
    if test.kind == Kind.ANTIGEN and rule.get("antigen_if"):
        return test.reason in rule["antigen_if"]
    return True


def open_case(*, actor: User | None, person: Person, opened_on: date, basis: str = Case.Basis.CLINICAL,
              test: Test | None = None, onset_on: date | None = None, note: str = "") -> tuple[Case, bool]:
    """The person's open case, opened now if there is none: (case, created). A second positive adds a timeline
    event to the open case (once per test); a clinical opening of a person with an open case changes nothing."""
    if opened_on > timezone.localdate():
        raise ValidationError({"opened_on": _("The confirmation date cannot be in the future.")})
    if onset_on and onset_on > opened_on:
        raise ValidationError({"onset_on": _("Symptom onset cannot be after the confirmation date.")})
    if person.merged_into_id:
        raise ValidationError(_("This entry was merged into another person: open the case there."))
    with transaction.atomic():
        # The person's row serialises openings: two results arriving together make one case.
        Person.objects.select_for_update().filter(pk=person.pk).first()
        existing = Case.objects.filter(person=person, closed_on__isnull=True).first()
        if existing is not None:
            if test is not None and not existing.events.filter(kind=CaseEvent.Kind.NOTE,
                                                               detail__test=test.pk).exists():
                event(existing, CaseEvent.Kind.NOTE, actor=actor, detail={"test": test.pk, "result": "positive"},
                      note=_("Another positive test: %(test)s") % {"test": str(test)})
            return existing, False
        case = Case(person=person, commune=person.commune, basis=basis, test=test, opened_on=opened_on,
                    onset_on=onset_on, note=note, code=uuid.uuid4().hex[:24],
                    opened_by=actor if getattr(actor, "is_authenticated", False) else None)
        try:
            with transaction.atomic():
                case.save()
        except IntegrityError:  # a concurrent opening won the partial unique index: use its case
            return Case.objects.get(person=person, closed_on__isnull=True), False
        case.code = code_for(case)
        case.save(update_fields=["code"])
        event(case, CaseEvent.Kind.OPENED, actor=actor,
              detail={"basis": basis, **({"test": test.pk} if test else {})}, note=note)
        facts.case_moved(None, facts.key_of(case))
        facts.count_day(commune_id=case.commune_id, day=opened_on, opened=1)
        audit.record(actor=actor, action=AuditEvent.Action.CREATE, obj=case,
                     changes={"basis": basis, "opened_on": str(opened_on), "test": test.pk if test else None})
        key_staff.cases_changed(actor=actor, person_ids=[person.pk])
    return case, True


def open_from_tests(*, actor: User | None, tests: Iterable[Test]) -> list[Case]:
    """Result listener (testing.links): open or add to cases for the tests that confirm one."""
    opened: list[Case] = []
    today = timezone.localdate()
    for test in tests:
        if not confirms(test):
            continue
        # A result filed under a merged entry belongs to the person it was merged into: refusing it here would
        # roll the laboratory's result back with it.
        person = test.person
        while person.merged_into_id:
            person = person.merged_into
        case, _created = open_case(actor=actor, person=person, basis=Case.Basis.TEST, test=test,
                                   opened_on=min(test.resulted_on or test.sampled_on, today))
        opened.append(case)
    return opened


# ---- severity -----------------------------------------------------------------------------------

def confirm_severity(*, actor: User, case: Case, severity: str, note: str = "") -> Case:
    """A clinician's severity; the tier follows from the policy in force today and the person's risk factors."""
    if severity not in Severity.values:
        raise ValidationError({"severity": _("Choose a severity.")})
    with transaction.atomic():
        case = Case.objects.select_for_update().select_related("person").get(pk=case.pk)
        if not case.is_open:
            raise ValidationError(_("This case is closed."))
        today = timezone.localdate()
        found = risk.factors(case.person, today)
        tier = placement.tier_for(severity, comorbidity=risk.has_comorbidity(found), on=today)
        recent = case.severity_confirmed_at and timezone.now() - case.severity_confirmed_at < DOUBLE_SUBMIT
        if recent and (case.severity, case.tier) == (severity, tier):
            return case  # the same confirmation sent twice: one timeline entry
        before = facts.key_of(case)
        old = (case.severity, case.tier)
        case.severity, case.tier = severity, tier
        case.severity_confirmed_by, case.severity_confirmed_at = actor, timezone.now()
        case.save(update_fields=["severity", "tier", "severity_confirmed_by", "severity_confirmed_at", "updated_at"])
        facts.case_moved(before, facts.key_of(case))
        event(case, CaseEvent.Kind.SEVERITY, actor=actor, facility=case.facility, note=note, detail={
            "severity": severity, "tier": tier, "suggested": case.severity_suggested,
            "reasons": case.severity_reasons, "risk": [f.code for f in found]})
        audit.record(actor=actor, action=AuditEvent.Action.UPDATE, obj=case,
                     changes=audit.diff({"severity": old[0], "tier": old[1]}, {"severity": severity, "tier": tier}))
    return case


# ---- closing ------------------------------------------------------------------------------------

def close_case(*, actor: User | None, case: Case, outcome: str, closed_on: date | None = None, note: str = "",
               on: date | None = None, _from_discharge: bool = False) -> Case:
    """Close a case with its outcome: its open admission is discharged (the bed freed), an open referral
    cancelled (a held bed released), home treatment ended; the figures, the key-staff check follow."""
    from . import admissions, referrals

    if outcome not in Case.Outcome.values:
        raise ValidationError({"outcome": _("Choose an outcome.")})
    closed_on = closed_on or on or timezone.localdate()  # `on`: the home part's name for the same date
    with transaction.atomic():
        case = Case.objects.select_for_update().get(pk=case.pk)
        if not case.is_open:
            raise ValidationError(_("This case is already closed."))
        if closed_on < case.opened_on or closed_on > timezone.localdate():
            raise ValidationError({"closed_on": _("The closing date must lie between the confirmation date and "
                                                  "today.")})
        now = timezone.now()
        for referral in case.referrals.filter(status__in=case.referrals.model.OPEN):
            referrals.cancel(actor=actor, referral=referral, reason=_("Case closed"))
        if not _from_discharge:
            open_admission = case.admissions.filter(discharged_at__isnull=True).first()
            if open_admission is not None:
                admissions.discharge(actor=actor, admission=open_admission, outcome=outcome, at=now, note=note,
                                     close=False)
        home_services.end_home_care(actor=actor, case=case, status=HomeCare.Status.ENDED, at=now)
        case.refresh_from_db()
        before = facts.key_of(case)
        # The last facility stays on the closed case: its staff keep the record of the patient they treated.
        case.outcome, case.closed_on, case.setting = outcome, closed_on, Case.Setting.CLOSED
        case.save(update_fields=["outcome", "closed_on", "setting", "updated_at"])
        facts.case_moved(before, None)
        if outcome in (Case.Outcome.RECOVERED, Case.Outcome.DIED):
            facts.count_day(commune_id=case.commune_id, day=closed_on,
                            recovered=int(outcome == Case.Outcome.RECOVERED), died=int(outcome == Case.Outcome.DIED))
        event(case, CaseEvent.Kind.CLOSED, actor=actor, detail={"outcome": outcome}, note=note)
        audit.record(actor=actor, action=AuditEvent.Action.UPDATE, obj=case,
                     changes={"outcome": [None, outcome], "closed_on": [None, str(closed_on)]})
        key_staff.cases_changed(actor=actor, person_ids=[case.person_id])
    return case
