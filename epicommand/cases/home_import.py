"""Monitoring entries through the one import pipeline ("home_observations"): case code, when taken, values,
symptoms. Registered by hooks_home.ready().

Each batch is written in bulk: the rules of each day in the batch are read once (warnings.RulesByDay), the
observations go in with one COPY (PostgreSQL) or executemany (SQLite), the alerts with one bulk insert, the
home-care rows with one executemany, and one SMS goes to each worker with new alerts. Idempotent: an entry
whose case and moment exist already is "unchanged"; the same entry twice in a file is rejected as a repeat.
An entry older than `home_care.no_entry_hours` is history: its warnings are kept on the observation and
order nothing; newer ones raise alerts as a live entry does. Cases are found among those the importer may
see (a code from elsewhere is "not found", as a missing one). The severity suggested from vital signs follows
the next live entry, not imports."""

from __future__ import annotations

import json
import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import connection, transaction
from django.db.models import F, Max
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from epicommand.core import audit
from epicommand.core.jurisdiction import visible_to
from epicommand.core.models import AuditEvent
from epicommand.core.roles import Cap
from epicommand.core.text import fold
from epicommand.imports import spec as import_spec
from epicommand.imports.bulk import insert_rows
from epicommand.imports.spec import Column, Context, ImportSpec, Outcome, Prepared, RowRejected
from epicommand.notify.services import notify_many
from epicommand.people.models import age_on

from . import worker_load
from .models import Alert, Case, CaseEvent, HomeCare, Observation, WorkerLoad
from .monitoring import RANGES, alert_draft
from .warnings import SYMPTOMS, RulesByDay, Values, evaluate

COLUMNS = (
    Column("case_code", gettext_lazy("Case code"), ("ma ca benh", "ma benh nhan", "ma ca", "ma f0", "case code",
                                                     "case", "ma so"), required=True),
    Column("taken_at", gettext_lazy("Taken at"), ("thoi gian do", "thoi gian", "ngay gio do", "ngay do", "ngay",
                                                  "taken at", "date", "datetime", "ngay gio"), required=True),
    Column("time", gettext_lazy("Time"), ("gio do", "gio", "time")),
    Column("respiratory_rate", gettext_lazy("Breaths per minute"), ("nhip tho", "tan so tho", "nhip tho lan phut",
                                                                    "respiratory rate", "rr")),
    Column("pulse", gettext_lazy("Pulse"), ("mach", "nhip tim", "mach lan phut", "pulse", "heart rate")),
    Column("temperature", gettext_lazy("Temperature"), ("nhiet do", "than nhiet", "temperature", "temp")),
    Column("spo2", "SpO2", ("spo2", "spo 2", "do bao hoa oxy", "bao hoa oxy", "oxy mau")),
    Column("systolic", gettext_lazy("Systolic pressure"), ("huyet ap tam thu", "tam thu", "systolic", "ha tam thu")),
    Column("diastolic", gettext_lazy("Diastolic pressure"), ("huyet ap tam truong", "tam truong", "diastolic",
                                                             "ha tam truong")),
    Column("symptoms", gettext_lazy("Symptoms"), ("trieu chung", "dau hieu", "symptoms")),
)

# Symptoms as people write them (folded) → checklist key.
_SYMPTOM_WORDS = {
    "sot": "fever", "fever": "fever", "ho": "cough", "cough": "cough", "dau hong": "sore_throat",
    "sore throat": "sore_throat", "met": "tiredness", "met moi": "tiredness", "tiredness": "tiredness",
    "mat khuu giac": "loss_of_smell", "mat vi giac": "loss_of_smell", "loss of smell": "loss_of_smell",
    "tieu chay": "diarrhoea", "diarrhoea": "diarrhoea", "kho tho": "shortness_of_breath",
    "shortness of breath": "shortness_of_breath", "dau nguc": "chest_pain", "tuc nguc": "chest_pain",
    "chest pain": "chest_pain", "lu lan": "confusion", "li bi": "confusion", "confusion": "confusion",
    "tim tai": "cyanosis", "moi tim": "cyanosis", "cyanosis": "cyanosis",
}
_SPLIT = re.compile(r"[,;/\n]+")
FIELDS = ["case", "taken_at", "respiratory_rate", "pulse", "temperature", "spo2", "systolic", "diastolic", "symptoms",
          "source", "by", "warnings", "urgency", "created_at"]


def _begin(ctx: Context) -> None:
    ctx.state["rules"] = RulesByDay()
    ctx.state["now"] = timezone.now()
    ctx.state["tz"] = timezone.get_current_timezone()


_DAY_TIME = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})(?:[ T]+(\d{1,2})[:h](\d{2}))?")


def _moment(value: Any, clock: Any, tz=None) -> datetime:
    tz = tz or timezone.get_current_timezone()
    if isinstance(value, str) and clock in (None, ""):
        # The common form, read without strptime (imports read tens of thousands of these).
        found = _DAY_TIME.fullmatch(value.strip())
        if found:
            day, month, year, hour, minute = found.groups()
            return datetime(int(year), int(month), int(day), int(hour or 0), int(minute or 0), tzinfo=tz)
    if isinstance(value, datetime):
        moment = value
    else:
        text = str(value or "").strip()
        moment = None
        if isinstance(value, date):
            moment = datetime.combine(value, time())
        else:
            for pattern in ("%d/%m/%Y %H:%M", "%d/%m/%Y %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S",
                            "%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y %H:%M"):
                try:
                    moment = datetime.strptime(text, pattern)
                    break
                except ValueError:
                    continue
        if moment is None:
            raise ValueError
    if clock not in (None, ""):
        if isinstance(clock, time):
            moment = datetime.combine(moment.date(), clock)
        elif isinstance(clock, datetime):
            moment = datetime.combine(moment.date(), clock.time())
        else:
            hours, _sep, minutes = str(clock).strip().replace("h", ":").partition(":")
            moment = datetime.combine(moment.date(), time(int(hours), int(minutes or 0)))
    if timezone.is_naive(moment):
        moment = moment.replace(tzinfo=tz)  # zoneinfo: the local time as written (Vietnam has no DST)
    return moment.replace(second=0, microsecond=0)


def _number(value: Any, key: str, problems: list) -> Any:
    if value in (None, ""):
        return None
    try:
        number = Decimal(str(value).strip().replace(",", ".").rstrip("%").strip())
    except InvalidOperation:
        problems.append((key, _("Not a number.")))
        return None
    low, high = RANGES[key]
    if not low <= number <= high:
        problems.append((key, _("Enter a value between %(low)s and %(high)s.") % {"low": low, "high": high}))
        return None
    return number.quantize(Decimal("0.1")) if key == "temperature" else int(number)


def _symptoms(value: Any, problems: list) -> list[str]:
    found = set()
    for part in _SPLIT.split(str(value or "")):
        word = fold(part).strip().lower()
        if not word or word in ("khong", "none", "-"):
            continue
        key = _SYMPTOM_WORDS.get(word) or (word if word in SYMPTOMS else None)
        if key is None:
            problems.append(("symptoms", _("Unknown symptom: %(word)s") % {"word": part.strip()}))
        else:
            found.add(key)
    return sorted(found)


def _prepare(ctx: Context, row: dict[str, Any], number: int) -> Prepared:
    problems: list[tuple[str, str]] = []
    code = str(row.get("case_code") or "").strip()
    if not code:
        problems.append(("case_code", _("The case code is missing.")))
    try:
        taken_at = _moment(row.get("taken_at"), row.get("time"), ctx.state.get("tz"))
    except (ValueError, TypeError):
        taken_at = None
        problems.append(("taken_at", _("Not a date and time (dd/mm/yyyy hh:mm).")))
    if taken_at is not None and taken_at > ctx.state["now"] + timedelta(minutes=10):
        problems.append(("taken_at", _("The time of the entry is in the future.")))
    values = {key: _number(row.get(key), key, problems) for key in RANGES}
    values["symptoms"] = _symptoms(row.get("symptoms"), problems)
    if not problems and all(values[k] is None for k in RANGES) and not values["symptoms"]:
        problems.append(("", _("Enter at least one measurement or symptom.")))
    if problems:
        raise RowRejected(problems)
    return Prepared(number, (code, taken_at), {"code": code, "taken_at": taken_at, **values})


@dataclass
class _Home:
    pk: int
    case_id: int
    worker_id: int | None
    commune_id: int
    last_entry_at: datetime | None
    entries: int
    urgency: int
    touched: bool = False
    alarm_change: int = 0  # +1: now has an open alert, -1: no longer


def _write(ctx: Context, batch: list[Prepared]) -> list[Outcome]:
    with transaction.atomic():
        return _write_batch(ctx, batch)


def _write_batch(ctx: Context, batch: list[Prepared]) -> list[Outcome]:
    now, rules = timezone.now(), ctx.state["rules"]
    codes = {p.data["code"] for p in batch}
    cases = {row["code"]: row for row in visible_to(ctx.actor, Case.objects.filter(code__any=codes)).order_by().values(
        "id", "code", "person__birth_date", "person__birth_year", "person__commune_id")}
    ids = [row["id"] for row in cases.values()]
    # Light rows, locked: a batch touches thousands of patients, and only those with alerts need more.
    homes = {row[1]: _Home(*row) for row in HomeCare.objects.select_for_update().filter(
        case_id__any=ids, status=HomeCare.Status.ACTIVE).order_by("pk").values_list(
        "pk", "case_id", "worker_id", "commune_id", "last_entry_at", "entries", "urgency")}
    times = [p.data["taken_at"] for p in batch]
    existing = set(Observation.objects.filter(case_id__any=ids, taken_at__gte=min(times), taken_at__lte=max(times))
                   .order_by().values_list("case_id", "taken_at")) if ids else set()
    outcomes, rows, seen, warned = [], [], set(), []
    days: dict[datetime, date] = {}  # an import's entries share a few moments: each local day is worked out once
    actor_id = ctx.actor.pk if getattr(ctx.actor, "is_authenticated", False) else None
    for prepared in batch:
        data = prepared.data
        case = cases.get(data["code"])
        if case is None:
            outcomes.append(Outcome(prepared.row, "rejected", [("case_code", _("No case with this code was found."))]))
            continue
        key = (case["id"], data["taken_at"])
        if key in seen:
            outcomes.append(Outcome(prepared.row, "rejected", [("", _("The same entry appears twice in the file."))]))
            continue
        seen.add(key)
        if key in existing:
            outcomes.append(Outcome(prepared.row, "unchanged"))
            continue
        day = days.get(data["taken_at"]) or days.setdefault(data["taken_at"], timezone.localdate(data["taken_at"]))
        # The person's own rule (a year of birth alone gives the older age: the lower, more cautious RR band).
        found, urgency = evaluate(rules(day), Values(
            respiratory_rate=data["respiratory_rate"], pulse=data["pulse"], spo2=data["spo2"],
            systolic=data["systolic"], diastolic=data["diastolic"], symptoms=tuple(data["symptoms"])),
            age_on(day, case["person__birth_date"], case["person__birth_year"]))
        rows.append((case["id"], data["taken_at"], data["respiratory_rate"], data["pulse"], data["temperature"],
                     data["spo2"], data["systolic"], data["diastolic"], json.dumps(data["symptoms"]),
                     Observation.Source.IMPORT, actor_id, json.dumps(found), urgency, now))
        live = data["taken_at"] >= now - timedelta(hours=rules(day).no_entry_hours)
        if found and live and case["id"] in homes:
            warned.append((case["id"], data["taken_at"], found, urgency))
        outcomes.append(Outcome(prepared.row, "created"))
    if ctx.dry_run or not rows:
        return outcomes
    insert_rows(Observation, FIELDS, _adapted(rows))
    _alerts(ctx, homes, warned, now, {row["id"]: code for code, row in cases.items()})
    _update_homes(homes, rows, {w[0] for w in warned})
    _worker_load(homes)
    audit.record(actor=ctx.actor, action=AuditEvent.Action.CREATE, object_type="cases.Observation",
                 object_repr=f"import: {len(rows)}", place=ctx.actor.jurisdiction_place if actor_id else None,
                 changes={"observations": [0, len(rows)], "alerts": [0, len(warned)],
                          "import": [None, getattr(ctx.import_run, "pk", None)]})
    return outcomes


def _adapted(rows: list[tuple]) -> list[tuple]:
    """Moments and decimals as the database driver needs them (SQLite stores naive UTC text)."""
    if connection.vendor == "postgresql":
        return rows
    moment, decimal = connection.ops.adapt_datetimefield_value, connection.ops.adapt_decimalfield_value
    return [(r[0], moment(r[1]), *r[2:4], decimal(r[4], 3, 1), *r[5:13], moment(r[13])) for r in rows]


def _alerts(ctx: Context, homes: dict[int, _Home], warned: list[tuple], now: datetime, codes: dict[int, str]) -> None:
    if not warned:
        return
    observation_ids = dict(((case_id, taken_at), pk) for pk, case_id, taken_at in Observation.objects.filter(
        case_id__in={w[0] for w in warned}, taken_at__gte=min(w[1] for w in warned)).order_by().values_list(
        "id", "case_id", "taken_at"))
    user = ctx.actor if getattr(ctx.actor, "is_authenticated", False) else None
    full = {h.case_id: h for h in HomeCare.objects.filter(pk__in={homes[w[0]].pk for w in warned})
            .select_related("worker", "commune")}
    alerts = [Alert(case_id=case_id, home_care_id=homes[case_id].pk,
                    observation_id=observation_ids.get((case_id, taken_at)), kind=Alert.Kind.WARNING, reasons=found,
                    urgency=urgency, worker_id=homes[case_id].worker_id, raised_at=now)
              for case_id, taken_at, found, urgency in warned]
    # One SMS per worker, about the patient's home care (the alerts are not written yet): the alerts then go in
    # with their message in one insert.
    by_worker: dict[tuple, list[Alert]] = defaultdict(list)
    for alert in alerts:
        home = full[alert.case_id]
        alert.case = Case(pk=alert.case_id, code=codes[alert.case_id])
        by_worker[(home.worker_id, None if home.worker_id else home.commune_id)].append(alert)
    drafts = []
    for group in by_worker.values():
        home = full[group[0].case_id]
        message = alert_draft(actor=user, home=home, alerts=group, about=home)
        if message is not None:
            drafts.append(message)
            for alert in group:
                alert.message = message
    notify_many(drafts)  # one insert and one delivery task for the batch's messages
    Alert.objects.bulk_create(alerts, batch_size=1000)
    CaseEvent.objects.bulk_create([
        CaseEvent(case_id=case_id, kind=CaseEvent.Kind.ALERT, at=taken_at, by=user,
                  detail={"warnings": found, "urgency": urgency, "import": getattr(ctx.import_run, "pk", None)})
        for case_id, taken_at, found, urgency in warned], batch_size=1000)


def _update_homes(homes: dict[int, _Home], rows: list[tuple], new_alerts: set[int]) -> None:
    """Last entry, count and urgency of the touched home-care rows, in one executemany."""
    latest: dict[int, datetime] = {}
    counts: dict[int, int] = defaultdict(int)
    for row in rows:
        case_id, taken_at = row[0], row[1]
        if case_id in homes:
            counts[case_id] += 1
            latest[case_id] = max(latest.get(case_id, taken_at), taken_at)
    if not counts:
        return
    # Only patients with an open alert before this batch (urgency above 0) or a new one in it can have open
    # alerts: the others stay at 0 without a query.
    alerted = [homes[c].pk for c in counts if homes[c].urgency > 0 or c in new_alerts]
    Alert.objects.filter(home_care_id__in=[homes[c].pk for c in counts if homes[c].urgency > 0],
                         kind=Alert.Kind.NO_ENTRY).exclude(status=Alert.Status.RESOLVED).update(
        status=Alert.Status.RESOLVED, handled_at=timezone.now(), note=_("An entry arrived."))
    urgency = dict(Alert.objects.filter(home_care_id__in=alerted).exclude(status=Alert.Status.RESOLVED)
                   .values("home_care_id").annotate(m=Max("urgency")).values_list("home_care_id", "m"))
    now = timezone.now()
    rows_out = []
    for case_id, n in counts.items():
        home = homes[case_id]
        home.touched = True
        home.last_entry_at = max(filter(None, [home.last_entry_at, latest[case_id]]))
        home.entries += n
        before = home.urgency
        home.urgency = urgency.get(home.pk, 0)
        home.alarm_change = (home.urgency > 0) - (before > 0)
        rows_out.append((home.pk, home.last_entry_at, home.entries, home.urgency))
    table = connection.ops.quote_name(HomeCare._meta.db_table)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            ids, lasts, entries, urgencies = (list(column) for column in zip(*rows_out, strict=True))
            cursor.execute(
                f"UPDATE {table} AS h SET last_entry_at = v.last, entries = v.n, urgency = v.u, updated_at = %s "  # noqa: S608
                "FROM unnest(%s::bigint[], %s::timestamptz[], %s::int[], %s::int[]) AS v(id, last, n, u) "
                # The second condition lets the planner reach the few thousand rows through the primary key
                # instead of hashing the whole table (measured: 50 ms instead of 127 ms per batch).
                "WHERE h.id = v.id AND h.id = ANY(%s::bigint[])", [now, ids, lasts, entries, urgencies, ids])
        else:
            adapt = connection.ops.adapt_datetimefield_value
            cursor.executemany(f"UPDATE {table} SET last_entry_at = %s, entries = %s, urgency = %s, "  # noqa: S608
                               "updated_at = %s WHERE id = %s",
                               [(adapt(last), n, u, adapt(now), pk) for pk, last, n, u in rows_out])


def _worker_load(homes: dict[int, _Home]) -> None:
    """An import changes no worker's number of patients, only how many of them are alarming: the counts move by
    the patients whose urgency crossed zero (a handful per batch), and a worker without a load row yet is
    recounted whole."""
    changes: dict[int, int] = defaultdict(int)
    for home in homes.values():
        if home.alarm_change and home.worker_id is not None:
            changes[home.worker_id] += home.alarm_change
    missing = []
    for worker_id in sorted(changes):
        if changes[worker_id] and not WorkerLoad.objects.filter(worker_id=worker_id).update(
                alarming=F("alarming") + changes[worker_id]):
            missing.append(worker_id)
    worker_load.refresh(missing)


HOME_OBSERVATIONS_SPEC = ImportSpec(
    name="home_observations", label=gettext_lazy("Home monitoring entries"), capability=Cap.CASES_MONITOR,
    columns=COLUMNS, begin=_begin, prepare=_prepare, write=_write)
import_spec.register(HOME_OBSERVATIONS_SPEC)
