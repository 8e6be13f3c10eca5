"""Monitoring of patients: one set of vital signs and symptoms (`record_observation`), entered by a health
worker, facility staff or the patient through a one-time link. Warning signs (warnings.py, by the policies
in force on the day the entry was taken) raise an alert to the patient's health worker with an SMS through
the outbox; the home-care row keeps what the escalation queue and the day lists read (last entry, entries,
urgency of the open alerts), and the worker's load follows. Alerts are acknowledged and resolved with a note.

`raise_no_entry_alerts` is the periodic sweep for patients without an entry for `home_care.no_entry_hours`;
the queue shows them without it (it reads last_entry_at), the sweep adds the alert and the SMS."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from epicommand.core import audit
from epicommand.core.models import AuditEvent, Organization, User
from epicommand.notify.models import Message
from epicommand.notify.services import draft, notify

from . import worker_load
from .models import Alert, Case, CaseEvent, HomeCare, Observation
from .warnings import URGENCY_LABELS, URGENCY_NO_ENTRY, Rules, Values, describe, evaluate

# Plausible ranges: a value outside is a typing error, not a patient.
RANGES = {
    "respiratory_rate": (4, 120),
    "pulse": (20, 250),
    "temperature": (Decimal("30.0"), Decimal("45.0")),
    "spo2": (50, 100),
    "systolic": (40, 300),
    "diastolic": (20, 200),
}
VALUE_FIELDS = tuple(RANGES)
ALERT_KIND = "home_care.alert"


def check_values(values: dict, taken_at: datetime) -> None:
    problems: dict[str, str] = {}
    for name, (low, high) in RANGES.items():
        value = values.get(name)
        if value is not None and not low <= value <= high:
            problems[name] = _("Enter a value between %(low)s and %(high)s.") % {"low": low, "high": high}
    if all(values.get(name) is None for name in VALUE_FIELDS) and not values.get("symptoms"):
        problems["__all__"] = _("Enter at least one measurement or symptom.")
    systolic, diastolic = values.get("systolic"), values.get("diastolic")
    if systolic is not None and diastolic is not None and diastolic >= systolic:
        problems["diastolic"] = _("The diastolic pressure must be lower than the systolic.")
    if taken_at > timezone.now() + timedelta(minutes=10):
        problems["taken_at"] = _("The time of the entry is in the future.")
    if problems:
        raise ValidationError(problems)


def record_observation(*, actor: User | None, case: Case, taken_at: datetime, source: str,
                       respiratory_rate: int | None = None, pulse: int | None = None,
                       temperature: Decimal | float | None = None, spo2: int | None = None,
                       systolic: int | None = None, diastolic: int | None = None,
                       symptoms: Iterable[str] = ()) -> Observation:
    """Record one entry. The same entry again (same case and moment: a double submit, a link reopened)
    changes nothing and returns the first."""
    if temperature is not None:
        temperature = Decimal(str(temperature)).quantize(Decimal("0.1"))
    values = {"respiratory_rate": respiratory_rate, "pulse": pulse, "temperature": temperature, "spo2": spo2,
              "systolic": systolic, "diastolic": diastolic, "symptoms": sorted(set(symptoms))}
    existing = Observation.objects.filter(case_id=case.pk, taken_at=taken_at).first()
    if existing is not None:
        return existing
    if not Case.objects.filter(pk=case.pk, closed_on__isnull=True).exists():
        raise ValidationError(_("This case is closed."))
    check_values(values, taken_at)
    try:
        with transaction.atomic():
            return _record(actor=actor, case=case, taken_at=taken_at, source=source, values=values)
    except IntegrityError:
        existing = Observation.objects.filter(case_id=case.pk, taken_at=taken_at).first()
        if existing is None:
            raise
        return existing


def _record(*, actor: User | None, case: Case, taken_at: datetime, source: str, values: dict) -> Observation:
    user = _user(actor)
    home = (HomeCare.objects.select_for_update(of=("self",)).select_related("worker", "commune")
            .filter(case_id=case.pk, status=HomeCare.Status.ACTIVE).first())
    case = Case.objects.select_related("person").get(pk=case.pk)
    day = timezone.localdate(taken_at)
    rules = Rules.on(day)
    found, urgency = evaluate(rules, Values(**{k: values[k] for k in (
        "respiratory_rate", "pulse", "spo2", "systolic", "diastolic")}, symptoms=tuple(values["symptoms"])),
        case.person.age_on(day))
    observation = Observation.objects.create(case=case, taken_at=taken_at, source=source, by=user, warnings=found,
                                             urgency=urgency, **values)
    _suggest_severity(case, observation)
    if home is not None:
        if home.last_entry_at is None or taken_at > home.last_entry_at:
            home.last_entry_at = taken_at
        home.entries += 1
        # An entry answers a "no entry" alert.
        Alert.objects.filter(home_care=home, kind=Alert.Kind.NO_ENTRY).exclude(status=Alert.Status.RESOLVED).update(
            status=Alert.Status.RESOLVED, handled_at=timezone.now(), note=_("An entry arrived."))
        if found:
            alert = Alert.objects.create(case=case, home_care=home, observation=observation, kind=Alert.Kind.WARNING,
                                         reasons=found, urgency=urgency, worker=home.worker, raised_at=timezone.now())
            CaseEvent.objects.create(case=case, kind=CaseEvent.Kind.ALERT, at=taken_at, by=user,
                                     detail={"warnings": found, "urgency": urgency, "alert": alert.pk})
            alert.message = send_alert(actor=user, home=home, alerts=[alert])
            alert.save(update_fields=["message"])
        home.urgency = open_urgency(home.pk)
        home.save(update_fields=["last_entry_at", "entries", "urgency", "updated_at"])
        worker_load.refresh([home.worker_id])
    audit.record(actor=actor, action=AuditEvent.Action.CREATE, obj=observation, place=case.person.commune,
                 changes={"source": [None, source], "warnings": [None, ", ".join(found)]})
    return observation


def _suggest_severity(case: Case, observation: Observation) -> None:
    """The severity the latest vital signs suggest (the CASES part's rules); never the confirmed one."""
    try:
        from .severity import suggest
    except ImportError:
        return
    if observation.respiratory_rate is None and observation.spo2 is None:
        return
    if Observation.objects.filter(case_id=case.pk, taken_at__gt=observation.taken_at).exists():
        return  # a late entry does not overwrite what a newer one suggested
    severity, reasons = suggest(respiratory_rate=observation.respiratory_rate, spo2=observation.spo2,
                                on=timezone.localdate(observation.taken_at))
    Case.objects.filter(pk=case.pk).update(severity_suggested=severity, severity_reasons=list(reasons))


def open_urgency(home_care_id: int) -> int:
    return Alert.objects.filter(home_care_id=home_care_id).exclude(status=Alert.Status.RESOLVED).aggregate(
        m=Max("urgency"))["m"] or 0


# ---- the message to the worker ---------------------------------------------------------------------------

def _station(home: HomeCare) -> Organization | None:
    return Organization.objects.filter(kind=Organization.Kind.COMMUNE_STATION, place_id=home.commune_id,
                                       is_active=True).order_by("pk").first()


def send_alert(*, actor: User | None, home: HomeCare, alerts: list[Alert], about=None) -> Message | None:
    """One SMS to the patient's health worker (the commune station when nobody follows the patient) naming
    the case code, village and warning signs; never the patient's name."""
    details = _alert_message(actor=actor, home=home, alerts=alerts, about=about)
    return None if details is None else notify(**details)


def alert_draft(*, actor: User | None, home: HomeCare, alerts: list[Alert], about=None) -> Message | None:
    """The message of `send_alert`, unsaved, for an import to queue many at once (`notify_many`)."""
    details = _alert_message(actor=actor, home=home, alerts=alerts, about=about)
    return None if details is None else draft(**details)


def _alert_message(*, actor: User | None, home: HomeCare, alerts: list[Alert], about=None) -> dict | None:
    worker = home.worker
    station = None if worker is not None else _station(home)
    if worker is None and station is None:
        return None
    with translation.override((worker.language if worker else "") or "vi"):
        lines = []
        for alert in alerts:
            signs = ", ".join(describe(code) for code in alert.reasons)
            lines.append(_("%(code)s (%(village)s): %(signs)s — %(urgency)s") % {
                "code": alert.case.code if alert.case_id else "", "village": home.village or "-", "signs": signs,
                "urgency": URGENCY_LABELS.get(alert.urgency, alert.urgency)})
        body = _("EpiCommand, home treatment: %(lines)s") % {"lines": "; ".join(lines)}
    return {"channel": Message.Channel.SMS, "body": body, "kind": ALERT_KIND, "sender": actor, "recipient": worker,
            "organization": station, "place": home.commune,
            "about": about or (alerts[0] if len(alerts) == 1 else home)}


# ---- handling alerts ----------------------------------------------------------------------------------

@transaction.atomic
def handle_alert(*, actor: User, alert: Alert, action: str, note: str = "") -> Alert:
    """Acknowledge ("being handled") or resolve an alert, with a note; resolving needs the note."""
    alert = Alert.objects.select_for_update().get(pk=alert.pk)
    note = (note or "").strip()
    if alert.status == Alert.Status.RESOLVED:
        raise ValidationError(_("This alert is already resolved."))
    if action == "resolve":
        if not note:
            raise ValidationError({"note": _("Say how the alert was resolved.")})
        status = Alert.Status.RESOLVED
    elif action == "acknowledge":
        status = Alert.Status.ACKNOWLEDGED
    else:
        raise ValidationError(_("Unknown action."))
    before = alert.status
    alert.status, alert.handled_by, alert.handled_at = status, actor, timezone.now()
    alert.note = "\n".join(filter(None, [alert.note, note]))
    alert.save(update_fields=["status", "handled_by", "handled_at", "note"])
    if alert.home_care_id:
        HomeCare.objects.filter(pk=alert.home_care_id).update(urgency=open_urgency(alert.home_care_id),
                                                                updated_at=timezone.now())
        worker_load.refresh([HomeCare.objects.filter(pk=alert.home_care_id).values_list("worker_id", flat=True)
                             .first()])
    CaseEvent.objects.create(case_id=alert.case_id, kind=CaseEvent.Kind.NOTE, at=alert.handled_at, by=actor,
                             note=note, detail={"alert": alert.pk, "status": status})
    audit.record(actor=actor, action=AuditEvent.Action.UPDATE, obj=alert, changes={"status": [before, status]})
    return alert


# ---- the periodic sweep for missing entries -----------------------------------------------------------

def overdue_filter(cutoff: datetime) -> Q:
    """Active patients without an entry since `cutoff` (never any, and started before it)."""
    return Q(last_entry_at__lt=cutoff) | Q(last_entry_at__isnull=True, started_at__lt=cutoff)


def no_entry_cutoff(now: datetime | None = None) -> datetime:
    now = now or timezone.now()
    return now - timedelta(hours=Rules.on(timezone.localdate(now)).no_entry_hours)


@transaction.atomic
def raise_no_entry_alerts(*, now: datetime | None = None) -> int:
    """One open "no entry" alert per overdue patient, and one SMS per worker listing them. Running it again
    adds nothing (a unique constraint backs the check). Returns the number of alerts raised."""
    now = now or timezone.now()
    cutoff = no_entry_cutoff(now)
    # A subquery, not exclude(alerts__kind=…, alerts__status=…): on a multi-valued relation exclude() does not
    # bind both conditions to one alert, and would skip a patient with any open alert and any no-entry alert.
    already = Alert.objects.filter(kind=Alert.Kind.NO_ENTRY, status=Alert.Status.OPEN).values("home_care_id")
    homes = list(HomeCare.objects.filter(overdue_filter(cutoff), status=HomeCare.Status.ACTIVE)
                 .exclude(pk__in=already)
                 .select_related("case", "worker", "commune").order_by("pk"))
    if not homes:
        return 0
    Alert.objects.bulk_create([Alert(case_id=h.case_id, home_care=h, kind=Alert.Kind.NO_ENTRY, reasons=["no_entry"],
                                     urgency=URGENCY_NO_ENTRY, worker=h.worker, raised_at=now) for h in homes],
                              ignore_conflicts=True, batch_size=1000)
    raised = {a.home_care_id: a for a in Alert.objects.filter(
        home_care__in=homes, kind=Alert.Kind.NO_ENTRY, status=Alert.Status.OPEN, raised_at=now).select_related("case")}
    HomeCare.objects.filter(pk__in=list(raised), urgency__lt=URGENCY_NO_ENTRY).update(urgency=URGENCY_NO_ENTRY,
                                                                                      updated_at=now)
    # One message per worker; patients nobody follows go to their commune's station.
    by_worker: dict[tuple, list[HomeCare]] = defaultdict(list)
    for home in homes:
        if home.pk in raised:
            by_worker[(home.worker_id, None if home.worker_id else home.commune_id)].append(home)
    for group in by_worker.values():
        for home in group[:1]:
            message = send_alert(actor=None, home=home, alerts=[raised[h.pk] for h in group])
            if message is not None:
                Alert.objects.filter(pk__in=[raised[h.pk].pk for h in group]).update(message=message)
    worker_load.refresh(worker for worker, _commune in by_worker)
    audit.record(actor=None, action=AuditEvent.Action.CREATE, object_type="cases.Alert",
                 object_repr=f"no entry: {len(raised)}", changes={"no_entry_alerts": [0, len(raised)]})
    return len(raised)


def _user(actor: User | None) -> User | None:
    return actor if actor is not None and getattr(actor, "is_authenticated", False) else None
