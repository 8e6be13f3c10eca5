"""The command centre's case figures, read from the fact tables only (ActiveCases, CaseDay, WorkerLoad,
PositivityDay) and from tables small by nature (Beds: a row per facility and bed kind; open alerts counted
through their status index). Every read goes through jurisdiction: the province sees all, a commune its own."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db.models import Count, Sum
from django.utils.translation import gettext as _

from epicommand.cases.models import (
    SEVERITY_ORDER,
    ActiveCases,
    Alert,
    Beds,
    Case,
    CaseDay,
    KeyStaffAlert,
    Severity,
    WorkerLoad,
)
from epicommand.core.jurisdiction import visible_to
from epicommand.core.models import Organization, Place, User
from epicommand.testing.models import PositivityDay

WORKERS_SHOWN = 50
BED_KINDS = ["regular", "oxygen", "icu", "ventilator"]


@dataclass
class Figures:
    on: date
    days: int
    total: int = 0
    by_severity: list[tuple[str, str, int]] = field(default_factory=list)   # value, label, cases
    by_tier: list[tuple[int, str, int]] = field(default_factory=list)       # tier (0: undecided), label, cases
    by_setting: list[tuple[str, str, int]] = field(default_factory=list)
    by_commune: list[dict] = field(default_factory=list)                    # name, total, per severity
    trend: list[dict] = field(default_factory=list)                         # day, opened, recovered, died
    beds: list[dict] = field(default_factory=list)                          # tier, kind, total, occupied, free
    workers: list[WorkerLoad] = field(default_factory=list)
    worker_totals: dict = field(default_factory=dict)
    open_alerts: int = 0
    open_key_staff_alerts: int = 0
    positivity: dict = field(default_factory=dict)                          # tests, positives, share, by kind


def tier_label(tier: int) -> str:
    return str(Organization.Tier(tier).label) if tier in (1, 2, 3) else _("Tier not yet decided")


def collect(user: User, *, on: date, days: int) -> Figures:
    f = Figures(on=on, days=days)
    _active(user, f)
    _trend(user, f)
    _beds(user, f)
    _workers(user, f)
    f.open_alerts = visible_to(user, Alert.objects.filter(status=Alert.Status.OPEN)).count()
    f.open_key_staff_alerts = visible_to(user, KeyStaffAlert.objects.filter(closed_at__isnull=True)).count()
    _positivity(user, f)
    return f


def _active(user: User, f: Figures) -> None:
    # A few thousand rows at most (communes × severities × tiers × settings): read once, summed here.
    rows = visible_to(user, ActiveCases.objects.filter(cases__gt=0)).values_list(
        "commune_id", "severity", "tier", "setting", "cases")
    severity, tier, setting = defaultdict(int), defaultdict(int), defaultdict(int)
    communes: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for commune_id, sev, t, sett, n in rows:
        severity[sev] += n
        tier[t] += n
        setting[sett] += n
        communes[commune_id][sev] += n
        f.total += n
    f.by_severity = [(s, str(Severity(s).label), severity.get(s, 0)) for s in SEVERITY_ORDER]
    f.by_tier = [(t, tier_label(t), tier.get(t, 0)) for t in (1, 2, 3, 0)]
    f.by_setting = [(s.value, str(s.label), setting.get(s.value, 0)) for s in Case.Setting if s != Case.Setting.CLOSED]
    names = dict(Place.objects.filter(pk__in=list(communes)).values_list("pk", "name"))
    f.by_commune = sorted(({"name": names.get(pk, ""), "total": sum(per.values()),
                            "severity": [per.get(s, 0) for s in SEVERITY_ORDER]} for pk, per in communes.items()),
                          key=lambda r: (-r["total"], r["name"]))


def _trend(user: User, f: Figures) -> None:
    start = f.on - timedelta(days=f.days - 1)
    rows = (visible_to(user, CaseDay.objects.filter(day__gte=start, day__lte=f.on)).values("day")
            .annotate(opened=Sum("opened"), recovered=Sum("recovered"), died=Sum("died")))
    found = {r["day"]: r for r in rows}
    for i in range(f.days):
        day = start + timedelta(days=i)
        r = found.get(day, {})
        f.trend.append({"day": day.strftime("%d/%m"), "opened": r.get("opened", 0),
                        "recovered": r.get("recovered", 0), "died": r.get("died", 0)})


def _beds(user: User, f: Figures) -> None:
    rows = (visible_to(user, Beds.objects.filter(facility__is_active=True)).values("facility__tier", "kind")
            .annotate(total=Sum("total"), occupied=Sum("occupied"), facilities=Count("facility", distinct=True)))
    labels = dict(Beds._meta.get_field("kind").choices)
    order = {k: i for i, k in enumerate(BED_KINDS)}
    for r in sorted(rows, key=lambda r: (r["facility__tier"] or 9, order.get(r["kind"], 9))):
        f.beds.append({"tier": r["facility__tier"] or 0, "tier_label": tier_label(r["facility__tier"] or 0),
                       "kind": r["kind"], "kind_label": str(labels.get(r["kind"], r["kind"])), "total": r["total"],
                       "occupied": r["occupied"], "free": max(r["total"] - r["occupied"], 0),
                       "facilities": r["facilities"]})


def _workers(user: User, f: Figures) -> None:
    loads = visible_to(user, WorkerLoad.objects.filter(active__gt=0))
    f.worker_totals = loads.aggregate(workers=Count("worker"), patients=Sum("active"), alarming=Sum("alarming"))
    f.workers = list(loads.select_related("worker", "commune").order_by("-active", "-alarming", "worker_id")
                     [:WORKERS_SHOWN])


def _positivity(user: User, f: Figures) -> None:
    start = f.on - timedelta(days=6)
    rows = (visible_to(user, PositivityDay.objects.filter(day__gte=start, day__lte=f.on)).values("kind")
            .annotate(tests=Sum("tests"), positives=Sum("positives")))
    labels = dict(PositivityDay._meta.get_field("kind").choices)
    kinds = [{"label": str(labels.get(r["kind"], r["kind"])), "tests": r["tests"], "positives": r["positives"],
              "share": r["positives"] / r["tests"] if r["tests"] else None} for r in rows]
    tests = sum(k["tests"] for k in kinds)
    positives = sum(k["positives"] for k in kinds)
    f.positivity = {"start": start, "tests": tests, "positives": positives,
                    "share": positives / tests if tests else None, "kinds": kinds}
