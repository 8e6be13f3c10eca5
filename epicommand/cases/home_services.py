"""Home treatment (Quyết định 261/QĐ-BYT): who may be treated at home, starting and ending it, release.

Eligibility (DOMAIN.md §6) is judged by `home_care.eligibility` in force on the case's own date (the day the
confirming test was sampled, else the day the case was confirmed), so a policy version added later never
re-judges an earlier case: asymptomatic or mild, latest respiratory rate below and SpO2 above the policy's
limits, no unstable comorbidity, able to care for themselves, a phone to be reached on. Missing vital signs
make a patient ineligible: nobody goes home unmeasured. The verdict with its reasons is kept on the home-care
row as judged on the start day.

The CASES part calls `end_home_care` when a referral of a home patient arrives (ESCALATED) and when a case
closes (ENDED); `release_home_care` ends it by policy (days since start or onset, and a supervised negative
antigen or PCR test on or after the release day) and closes the case as recovered."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from epicommand.core import audit
from epicommand.core.models import AuditEvent, User
from epicommand.core.policies import policy
from epicommand.testing.models import Kind, Result, Test

from . import facts, worker_load, zones
from .models import Admission, Alert, Case, CaseEvent, HomeCare, Observation


class HomeCareRefused(ValidationError):
    """The patient may not be treated at home (the messages are the reasons)."""


@dataclass
class Eligibility:
    eligible: bool
    policy_on: date
    reasons: list[str] = field(default_factory=list)   # why not, in the reader's language
    codes: list[str] = field(default_factory=list)
    values: dict = field(default_factory=dict)          # the vital signs judged

    def as_json(self) -> dict:
        return {"eligible": self.eligible, "reasons": self.reasons, "codes": self.codes,
                "policy_on": self.policy_on.isoformat(), "values": self.values}


def judged_on(case: Case) -> date:
    """The case's own date: when the confirming test was sampled, else when the case was confirmed."""
    test = case.test if case.test_id else None
    return test.sampled_on if test is not None else case.opened_on


def latest_observation(case: Case) -> Observation | None:
    return case.observations.order_by("-taken_at", "-id").first()


def eligibility(case: Case, *, unstable_comorbidity: bool = False, self_care: bool = True,
                phone: str | None = None) -> Eligibility:
    on = judged_on(case)
    rules = policy("home_care.eligibility", on=on)
    verdict = Eligibility(eligible=True, policy_on=on)

    def refuse(code: str, reason: str) -> None:
        verdict.eligible = False
        verdict.codes.append(code)
        verdict.reasons.append(reason)

    severities = rules.get("severities", ["asymptomatic", "mild"])
    severity = case.severity_suggested if _more_severe(case.severity_suggested, case.severity) else case.severity
    if severity not in severities:
        refuse("severity", _("Severity is %(severity)s; home treatment is for %(allowed)s.") % {
            "severity": Case(severity=severity).get_severity_display().lower(),
            "allowed": ", ".join(str(Case(severity=s).get_severity_display()).lower() for s in severities)})
    seen = latest_observation(case)
    rr = seen.respiratory_rate if seen else None
    spo2 = seen.spo2 if seen else None
    verdict.values = {"respiratory_rate": rr, "spo2": spo2, "taken_at": seen.taken_at.isoformat() if seen else None}
    if "rr_below" in rules:
        if rr is None:
            refuse("rr_missing", _("No respiratory rate has been recorded."))
        elif rr >= rules["rr_below"]:
            refuse("rr", _("Respiratory rate %(value)s/min is not below %(limit)s/min.") % {
                "value": rr, "limit": rules["rr_below"]})
    if "spo2_above" in rules:
        if spo2 is None:
            refuse("spo2_missing", _("No SpO2 has been recorded."))
        elif spo2 <= rules["spo2_above"]:
            refuse("spo2", _("SpO2 %(value)s%% is not above %(limit)s%%.") % {
                "value": spo2, "limit": rules["spo2_above"]})
    if rules.get("no_unstable_comorbidity") and unstable_comorbidity:
        refuse("comorbidity", _("An underlying disease is not stable."))
    if rules.get("self_care") and not self_care:
        refuse("self_care", _("The patient cannot care for themselves and has no carer."))
    if rules.get("phone") and not (phone if phone is not None else case.person.phone):
        refuse("phone", _("The patient has no phone to be reached on."))
    return verdict


def _more_severe(a: str, b: str) -> bool:
    from .models import SEVERITY_ORDER

    return bool(a) and a in SEVERITY_ORDER and b in SEVERITY_ORDER and SEVERITY_ORDER.index(a) > SEVERITY_ORDER.index(b)


@transaction.atomic
def start_home_care(*, actor: User | None, case: Case, village: str | None = None,
                    unstable_comorbidity: bool = False, self_care: bool = True) -> HomeCare:
    """Treat the case at home when eligible (else HomeCareRefused with the reasons), in the zone of the
    person's village, followed by that zone's health worker."""
    case = Case.objects.select_for_update(of=("self",)).select_related("person", "test").get(pk=case.pk)
    if not case.is_open:
        raise ValidationError(_("This case is closed."))
    existing = HomeCare.objects.filter(case=case).first()
    if existing is not None and existing.status == HomeCare.Status.ACTIVE:
        raise ValidationError(_("This patient is already treated at home."))
    if Admission.objects.filter(case=case, discharged_at__isnull=True).exists():
        raise ValidationError(_("The patient is admitted to a facility: discharge them to home treatment first."))
    verdict = eligibility(case, unstable_comorbidity=unstable_comorbidity, self_care=self_care)
    if not verdict.eligible:
        raise HomeCareRefused(verdict.reasons)
    now = timezone.now()
    village = (village if village is not None else case.person.village).strip()
    zone = zones.zone_for(case.person.commune_id, village)
    worker = zone.worker if zone and zone.worker.is_active else None
    home = existing or HomeCare(case=case)
    # One home-care row per case: a patient who comes home again resumes it (its history stays in the events).
    home.commune_id = case.person.commune_id
    home.village, home.worker, home.started_on, home.started_at = village, worker, timezone.localdate(), now
    home.eligibility, home.status, home.ended_on, home.urgency = verdict.as_json(), HomeCare.Status.ACTIVE, None, 0
    home.save()
    before = facts.key_of(case)
    case.setting, case.facility, case.tier = Case.Setting.HOME, None, 1
    case.save(update_fields=["setting", "facility", "tier", "updated_at"])
    facts.case_moved(before, facts.key_of(case))
    CaseEvent.objects.create(case=case, kind=CaseEvent.Kind.HOME_STARTED, at=now, by=_user(actor),
                             detail={"village": village, "policy_on": verdict.policy_on.isoformat()})
    if worker is not None:
        CaseEvent.objects.create(case=case, kind=CaseEvent.Kind.HOME_ASSIGNED, at=now, by=_user(actor),
                                 detail={"worker": worker.get_username(), "zone": zone.village})
    worker_load.refresh([getattr(worker, "pk", None)])
    audit.record(actor=actor, action=AuditEvent.Action.CREATE, obj=home,
                 changes={"setting": [before[3] if before else None, Case.Setting.HOME],
                          "worker": [None, getattr(worker, "pk", None)]})
    return home


@transaction.atomic
def end_home_care(*, actor: User | None, case: Case, status: str, at: datetime | None = None) -> HomeCare | None:
    """End an active home treatment (ESCALATED, RELEASED or ENDED); open alerts are closed with it. The case's
    setting is the caller's to change. Nothing to end: returns the row unchanged (or None)."""
    if status not in (HomeCare.Status.ESCALATED, HomeCare.Status.RELEASED, HomeCare.Status.ENDED):
        raise ValueError(f"not an end status: {status!r}")
    at = at or timezone.now()
    home = HomeCare.objects.select_for_update().filter(case_id=case.pk).first()
    if home is None or home.status != HomeCare.Status.ACTIVE:
        return home
    home.status, home.ended_on, home.urgency = status, timezone.localdate(at), 0
    home.save(update_fields=["status", "ended_on", "urgency", "updated_at"])
    Alert.objects.filter(home_care=home).exclude(status=Alert.Status.RESOLVED).update(
        status=Alert.Status.RESOLVED, handled_at=at, handled_by=_user(actor),
        note=str(HomeCare.Status(status).label))
    worker_load.refresh([home.worker_id])
    audit.record(actor=actor, action=AuditEvent.Action.UPDATE, obj=home,
                 changes={"status": [HomeCare.Status.ACTIVE, status]})
    return home


# ---- release ------------------------------------------------------------------------------------------

@dataclass
class Release:
    allowed: bool
    release_day: date
    reasons: list[str]
    test: Test | None = None


def release_check(home: HomeCare, *, on: date | None = None) -> Release:
    """Whether the patient may be released on `on` (today), by `home_care.release` in force on the start day:
    the days counted from symptom onset when known, else from the start of home treatment, and a supervised
    negative antigen or PCR test sampled on or after the release day."""
    on = on or timezone.localdate()
    case = home.case
    rules = policy("home_care.release", on=home.started_on)
    start = case.onset_on or home.started_on
    release_day = start + timedelta(days=int(rules.get("days", 7)))
    reasons: list[str] = []
    if home.status != HomeCare.Status.ACTIVE:
        reasons.append(_("This patient is no longer under home treatment."))
    if on < release_day:
        reasons.append(_("Release is possible from %(day)s (%(days)s days).") % {
            "day": release_day.strftime("%d/%m/%Y"), "days": rules.get("days", 7)})
    test = None
    if rules.get("negative_test", True):
        test = (Test.objects.filter(person_id=case.person_id, result=Result.NEGATIVE, self_reported=False,
                                    kind__in=[Kind.ANTIGEN, Kind.PCR], sampled_on__gte=release_day,
                                    sampled_on__lte=on).order_by("-sampled_on", "-id").first())
        if test is None:
            reasons.append(_("No supervised negative antigen or PCR test taken on or after %(day)s.") % {
                "day": release_day.strftime("%d/%m/%Y")})
    return Release(allowed=not reasons, release_day=release_day, reasons=reasons, test=test)


@transaction.atomic
def release_home_care(*, actor: User, case: Case, note: str = "") -> HomeCare:
    home = HomeCare.objects.select_for_update(of=("self",)).select_related("case").get(case_id=case.pk)
    check = release_check(home)
    if not check.allowed:
        raise ValidationError(check.reasons)
    now = timezone.now()
    end_home_care(actor=actor, case=case, status=HomeCare.Status.RELEASED, at=now)
    CaseEvent.objects.create(case_id=case.pk, kind=CaseEvent.Kind.RELEASED, at=now, by=_user(actor), note=note,
                             detail={"test": check.test.pk if check.test else None,
                                     "release_day": check.release_day.isoformat()})
    _close_recovered(actor=actor, case=case, at=now, note=note)
    home.refresh_from_db()
    return home


def _close_recovered(*, actor: User, case: Case, at: datetime, note: str) -> None:
    """Released from home treatment means recovered: the case closes through the cases service (the figures
    and the key-staff check follow it there)."""
    from .services import close_case

    close_case(actor=actor, case=Case.objects.get(pk=case.pk), outcome=Case.Outcome.RECOVERED,
               on=timezone.localdate(at), note=note)


def _user(actor: User | None) -> User | None:
    return actor if actor is not None and getattr(actor, "is_authenticated", False) else None
