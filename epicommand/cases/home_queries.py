"""What the home-treatment screens read: the escalation queue and a health worker's day list.

Both read the home-care rows only (urgency of the open alerts and the time of the last entry are kept on
them by the monitoring services), through indexes on (status, urgency), (status, last_entry_at) and
(worker, status); the oldest open alert of each listed patient comes from one subquery. A patient without an
entry for `home_care.no_entry_hours` is on the queue whether or not the periodic sweep has run."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Case as Choose
from django.db.models import F, IntegerField, OuterRef, Q, QuerySet, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from epicommand.core.jurisdiction import visible_to
from epicommand.core.models import User

from .models import Alert, HomeCare
from .monitoring import overdue_filter
from .warnings import URGENCY_NO_ENTRY, URGENCY_ONE_SIGN, Rules


def _oldest_open_alert(field: str = "raised_at") -> Subquery:
    return Subquery(Alert.objects.filter(home_care=OuterRef("pk")).exclude(status=Alert.Status.RESOLVED)
                    .order_by("raised_at", "pk").values(field)[:1])


def _with_details(qs: QuerySet[HomeCare]) -> QuerySet[HomeCare]:
    return qs.select_related("case__person", "worker", "commune").only(
        "id", "village", "started_on", "started_at", "last_entry_at", "entries", "urgency", "status", "case__id",
        "case__code",
        "case__severity", "case__severity_suggested", "case__person__id", "case__person__full_name",
        "case__person__phone", "case__person__birth_year", "case__person__birth_date", "worker__id",
        "worker__username", "worker__full_name", "commune__id", "commune__name")


def escalation_queue(user: User, *, commune_id: int | None = None, now: datetime | None = None) -> QuerySet[HomeCare]:
    """Patients with open alerts, by urgency then by the age of their oldest open alert, and patients with no
    entry for the policy's hours (urgency 1 when no alert says more), oldest entry first. Light rows (id, rank,
    oldest alert): `page_of` fetches the details of one page only."""
    now = now or timezone.now()
    rules = Rules.on(timezone.localdate(now))
    cutoff = now - timedelta(hours=rules.no_entry_hours)
    qs = visible_to(user, HomeCare.objects.filter(status=HomeCare.Status.ACTIVE))
    if commune_id:
        qs = qs.filter(commune_id=commune_id)
    qs = qs.filter(Q(urgency__gt=0) | overdue_filter(cutoff)).annotate(
        rank=Choose(When(urgency__gt=0, then="urgency"), default=Value(URGENCY_NO_ENTRY), output_field=IntegerField()),
        oldest_alert=_oldest_open_alert())
    return qs.only("id", "urgency", "last_entry_at", "started_at").order_by("-rank", *_LONGEST_WAITING)


# Within a rank: the oldest open alert first, then the longest silence (since the last entry, or since the
# start for a patient who never entered one). NULLs are placed explicitly: PostgreSQL and SQLite put them at
# opposite ends by default, and the order must not depend on the database.
_SILENCE = (Coalesce("last_entry_at", "started_at").asc(), "pk")
_LONGEST_WAITING = (F("oldest_alert").asc(nulls_last=True), *_SILENCE)


def page_of(rows) -> list[HomeCare]:
    """The rows of one page of the queue with what the screen shows, in the queue's order."""
    rows = list(rows)
    found = {h.pk: h for h in _with_details(HomeCare.objects.filter(pk__in=[r.pk for r in rows])).annotate(
        alert_id=_oldest_open_alert("pk"))}
    page = []
    for row in rows:
        home = found[row.pk]
        home.rank, home.oldest_alert = row.rank, row.oldest_alert
        page.append(home)
    return page


@dataclass
class DayList:
    alarming: list[HomeCare]   # open warning alerts: visit or call now
    overdue: list[HomeCare]    # no entry for the policy's hours
    due: list[HomeCare]        # no entry yet in this half-day: call for it
    done: int                  # entered in this half-day
    half_day_start: datetime
    cutoff: datetime


def half_day_start(now: datetime, checks_per_day: int) -> datetime:
    """The start of the current monitoring period (two checks a day: midnight and noon, local time)."""
    local = timezone.localtime(now)
    period = 24 // max(checks_per_day, 1)
    start_hour = (local.hour // period) * period
    return local.replace(hour=start_hour, minute=0, second=0, microsecond=0)


def day_list(user: User, *, worker: User | None = None, now: datetime | None = None) -> DayList:
    """A worker's patients for this half-day: who is alarming, who is overdue, who is due a call or a visit.
    Without `worker`, every visible patient (a commune station's view of its whole commune)."""
    now = now or timezone.now()
    rules = Rules.on(timezone.localdate(now))
    cutoff = now - timedelta(hours=rules.no_entry_hours)
    start = half_day_start(now, rules.checks_per_day)
    qs = visible_to(user, HomeCare.objects.filter(status=HomeCare.Status.ACTIVE))
    if worker is not None:
        qs = qs.filter(worker=worker)
    alarming = list(_with_details(qs.filter(urgency__gte=URGENCY_ONE_SIGN))
                    .annotate(oldest_alert=_oldest_open_alert(), alert_id=_oldest_open_alert("pk"))
                    .order_by("-urgency", *_LONGEST_WAITING))
    rest = qs.filter(urgency__lt=URGENCY_ONE_SIGN)
    overdue = list(_with_details(rest.filter(overdue_filter(cutoff))).order_by(*_SILENCE))
    due_filter = Q(last_entry_at__lt=start) | Q(last_entry_at__isnull=True)
    due = list(_with_details(rest.filter(due_filter).exclude(overdue_filter(cutoff)))
               .order_by("village", *_SILENCE))
    done = rest.filter(last_entry_at__gte=start).count()
    return DayList(alarming=alarming, overdue=overdue, due=due, done=done, half_day_start=start, cutoff=cutoff)
