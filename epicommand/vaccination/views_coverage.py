"""Coverage screens: coverage by commune (table, trend, map), the low-coverage table with its reminder
action, and each commune's list of people due or overdue. Figures come from the fact tables only
(coverage_queries); the due list reads the register (people of the commune today) with their VaccinationStatus."""

from __future__ import annotations

from datetime import date

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from epicommand.core import audit
from epicommand.core.forms import add_service_errors
from epicommand.core.jurisdiction import can, get_place_for_user, holds_province, require, visible_to
from epicommand.core.models import AuditEvent, Place, User
from epicommand.core.roles import Cap
from epicommand.core.spreadsheets import download
from epicommand.core.text import page_number
from epicommand.notify.models import Message
from epicommand.people.models import Person

from . import coverage_queries as cq
from . import reminders
from .forms_coverage import (
    CoverageFilterForm,
    DueFilterForm,
    LowCoverageForm,
    ReminderForm,
    age_group_label,
    priority_label,
)
from .models import Reminder
from .models.coverage import Stage

PAGE = 50
EXPORT_LIMIT = 200_000


def _commune_for_user(user: User, pk: object) -> Place:
    return get_place_for_user(user, pk, level=Place.Level.COMMUNE)


def _source_label(source: str) -> str:
    return {cq.REGISTER: _("register"), cq.OFFICIAL: _("official"), cq.MIXED: _("official and register")}[source]


def _percent(share: float | None) -> str:
    if share is None:
        return ""
    value = 100 * share
    return f"{number_format(value, 0 if value == int(value) else 1)}%"


# ---- coverage by commune --------------------------------------------------------------------------

def _coverage(request):
    form = CoverageFilterForm(request.GET or None)
    sel = form.selection()
    found = cq.rows(request.user, sel)
    total = cq.total(found, _("Province total")) if holds_province(request.user) and found else None
    return form, sel, found, total


def coverage(request):
    require(request.user, Cap.VACCINATION_VIEW)
    form, sel, found, total = _coverage(request)
    overall = total or (found[0] if len(found) == 1 else cq.total(found, _("Total")))
    threshold = cq.low_threshold()
    points = [{"name": r.name, "lat": r.latitude, "lon": r.longitude, "share": r.first_share,
               "label": _percent(r.first_share) or "—", "target": r.target, "first": r.counts[Stage.FIRST],
               "url": reverse("vaccination:due", kwargs={"pk": r.commune_id})}
              for r in found if r.latitude is not None and r.longitude is not None]
    return render(request, "vaccination/coverage/coverage.html", {
        "form": form, "sel": sel, "rows": found, "total": total, "threshold": threshold,
        "age_label": age_group_label(sel.age_group) if sel.age_group else _("All age groups"),
        "trend": cq.trend(request.user, sel, overall.target), "points": points,
        "unplaced": [r for r in found if r.latitude is None or r.longitude is None],
        "chart_labels": {"first": str(Stage.FIRST.label), "primary": str(Stage.PRIMARY.label),
                         "booster": str(Stage.BOOSTER.label), "share": _("Share of target (%)"),
                         "threshold": _("Low-coverage threshold"), "no_data": _("No data"),
                         "target": _("Target"), "low": _("below %(t)s") % {"t": _percent(threshold)},
                         "high": _("%(t)s or more") % {"t": _percent(threshold)}},
        "querystring": request.GET.urlencode(), "threshold_percent": 100 * threshold,
        "priority_label": priority_label(sel.priority_group) if sel.priority_group else "",
        "can_rebuild": can(request.user, Cap.COVERAGE_REMIND) and holds_province(request.user),
    })


def _table(found: list[cq.Row], total: cq.Row | None):
    headers = ["Xã/phường", "Đối tượng", "Nguồn số đối tượng", "Tiêm ≥ 1 mũi", "Tỷ lệ ≥ 1 mũi (%)",
               "Tiêm đủ liều cơ bản", "Tỷ lệ đủ liều cơ bản (%)", "Tiêm nhắc lại", "Tỷ lệ tiêm nhắc lại (%)"]

    def line(r: cq.Row) -> list:
        cells: list = [r.name, r.target, _source_label(r.source)]
        for _stage, n, share in r.stages():
            cells += [n, round(100 * share, 1) if share is not None else ""]
        return cells

    return headers, [line(r) for r in found] + ([line(total)] if total else [])


def _back_to_the_page(request, url: str):
    """An export asked for with a filter the page refuses (a date that does not exist): the page, with the same
    filter and its error, rather than a file of other figures than those asked for."""
    return redirect(f"{url}?{request.GET.urlencode()}")


def coverage_export(request, fmt: str):
    require(request.user, Cap.VACCINATION_VIEW)
    if fmt not in ("xlsx", "csv"):
        raise Http404
    form, sel, found, total = _coverage(request)
    if form.is_bound and not form.is_valid():
        return _back_to_the_page(request, reverse("vaccination:coverage"))
    headers, lines = _table(found, total)
    audit.record(actor=request.user, action=AuditEvent.Action.EXPORT, object_type="vaccination.CoverageDay",
                 object_repr=_("vaccination coverage (%(format)s)") % {"format": fmt},
                 changes={"filters": request.GET.dict()})
    return download(fmt, f"ty-le-bao-phu-{sel.on:%Y%m%d}", headers, lines, title="Tỷ lệ bao phủ")


# ---- low coverage and reminders --------------------------------------------------------------------

def _low(request):
    form = LowCoverageForm(request.GET or None)
    sel, bottom = form.selection(), form.bottom_n()
    threshold = cq.low_threshold(sel.on)
    found = cq.low(cq.rows(request.user, sel), threshold=threshold, bottom=bottom)
    return form, sel, threshold, bottom, found


def low_coverage(request):
    require(request.user, Cap.VACCINATION_VIEW)
    form, sel, threshold, bottom, found = _low(request)
    ids = [r.commune_id for r in found]
    latest, stations = cq.last_reminders(request.user, ids), cq.focal_points(request.user, ids)
    return render(request, "vaccination/coverage/low.html", {
        "form": form, "sel": sel, "rows": [(r, latest.get(r.commune_id), stations.get(r.commune_id)) for r in found],
        "threshold_percent": 100 * threshold, "bottom": bottom,
        "can_remind": can(request.user, Cap.COVERAGE_REMIND), "querystring": request.GET.urlencode(),
    })


def low_coverage_export(request, fmt: str):
    require(request.user, Cap.VACCINATION_VIEW)
    if fmt not in ("xlsx", "csv"):
        raise Http404
    _form, sel, threshold, _bottom, found = _low(request)
    latest = cq.last_reminders(request.user, [r.commune_id for r in found])
    headers = ["Xã/phường", "Đối tượng", "Tiêm ≥ 1 mũi", "Tỷ lệ ≥ 1 mũi (%)", "Số người chưa tiêm",
               "Ngưỡng (%)", "Nhắc nhở gần nhất"]
    lines = [[r.name, r.target, r.counts[Stage.FIRST], round(100 * (r.first_share or 0), 1), r.gap,
              round(100 * threshold, 1),
              timezone.localtime(latest[r.commune_id].sent_at).strftime("%d/%m/%Y %H:%M")
              if r.commune_id in latest else ""] for r in found]
    audit.record(actor=request.user, action=AuditEvent.Action.EXPORT, object_type="vaccination.CoverageDay",
                 object_repr=_("low-coverage communes (%(format)s)") % {"format": fmt},
                 changes={"filters": request.GET.dict()})
    return download(fmt, f"xa-bao-phu-thap-{sel.on:%Y%m%d}", headers, lines, title="Bao phủ thấp")


def remind(request, pk: int):
    commune = _commune_for_user(request.user, pk)  # first: another area's commune is 404, not 403
    require(request.user, Cap.COVERAGE_REMIND)
    threshold = cq.low_threshold()
    row = cq.commune_row(request.user, commune)
    station = reminders.focal_point(request.user, commune)
    channel = Message.Channel.SMS if station and station.phone else (
        Message.Channel.EMAIL if station and station.email else Message.Channel.CONSOLE)
    form = ReminderForm(request.POST or None, initial={
        "channel": channel, "body": reminders.default_body(row, threshold=threshold, station=station)})
    if request.method == "POST" and form.is_valid():
        try:
            reminder = reminders.send_reminder(actor=request.user, commune=commune, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Reminder to %(station)s queued in the outbox.") % {"station": station.name})
            return redirect("notify:detail", pk=reminder.message_id)
    return render(request, "vaccination/coverage/remind.html", {
        "form": form, "commune": commune, "row": row, "station": station, "threshold": threshold,
        "history": visible_to(request.user, Reminder.objects.filter(commune=commune))
        .select_related("message", "sent_by").order_by("-sent_at", "-id")[:10],
    })


# ---- people due or overdue -------------------------------------------------------------------------

def _add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return date(day.year + years, 3, 1)


def _due_conditions(day: date) -> tuple[Q, Q | None]:
    """(a dose due by `day`, of vaccinable age and never vaccinated), on Person; None: no age is vaccinated."""
    due = Q(vaccination_status__next_due__lte=day)
    groups = cq.age_groups(day)
    youngest = min((low for low, _high in groups.values()), default=None)
    if youngest is None:
        return due, None
    # Old enough for certain: born on or before this day `youngest` years ago; with a year only, the rules
    # take 31 December as the birthday (never call someone due too young).
    year_limit = day.year - youngest - (0 if (day.month, day.day) == (12, 31) else 1)
    never = Q(vaccination_status__isnull=True) & (Q(birth_date__lte=_add_years(day, -youngest))
                                                  | Q(birth_date__isnull=True, birth_year__lte=year_limit))
    return due, never


def _register(user: User, commune: Place):
    """The commune's people as the register has them today.

    Not VaccinationStatus.commune: the status keeps the commune of the person's last dose change, so
    someone who moved would stay on the old commune's list (name, phone, village) and be missing from the
    new one until a rebuild."""
    return visible_to(user, Person.objects.filter(commune=commune, merged_into__isnull=True))


def _due(user: User, commune: Place, day: date):
    """(people with a dose due by `day`, people of vaccinable age never vaccinated): two Person querysets."""
    due, never = _due_conditions(day)
    people = _register(user, commune)
    statuses = people.filter(due).select_related("vaccination_status").order_by(
        "vaccination_status__next_due", "name_folded", "id")
    return statuses, (people.filter(never).order_by("name_folded", "id") if never else Person.objects.none())


def _due_counts(user: User, commune: Place, day: date) -> tuple[int, int]:
    """Both counts in one pass over the commune's people (a commune may hold 19,000 of them)."""
    due, never = _due_conditions(day)
    counts = _register(user, commune).aggregate(
        due=Count("pk", filter=due), **({"never": Count("pk", filter=never)} if never else {}))
    return counts["due"], counts.get("never", 0)


def _entries(day: date, statuses, never) -> list[dict]:
    found = []
    for p in statuses:
        s = p.vaccination_status
        found.append({"person": p, "doses": s.doses, "last_on": s.last_on, "due": s.next_due,
                      "overdue": max((day - s.next_due).days, 0)})
    for p in never:
        found.append({"person": p, "doses": 0, "last_on": None, "due": None, "overdue": None})
    return found


def due(request, pk: int):
    commune = _commune_for_user(request.user, pk)
    require(request.user, Cap.VACCINATION_VIEW)
    form = DueFilterForm(request.GET or None)
    day = form.day()
    statuses, never = _due(request.user, commune, day)
    number = page_number(request.GET.get("page"))
    n_due, n_never = _due_counts(request.user, commune, day)
    start, stop = (number - 1) * PAGE, number * PAGE
    page_due = list(statuses[start:stop]) if start < n_due else []
    rest_start = max(start - n_due, 0)
    page_never = list(never[rest_start:rest_start + PAGE - len(page_due)]) if stop > n_due else []
    params = request.GET.copy()
    params.pop("page", None)
    return render(request, "vaccination/coverage/due.html", {
        "form": form, "commune": commune, "day": day, "entries": _entries(day, page_due, page_never),
        "n_due": n_due, "n_never": n_never, "page_number": number, "has_previous": number > 1,
        "has_next": stop < n_due + n_never, "querystring": params.urlencode(),
        "can_open_people": can(request.user, Cap.PEOPLE_VIEW),
    })


def due_export(request, pk: int, fmt: str):
    commune = _commune_for_user(request.user, pk)
    require(request.user, Cap.VACCINATION_VIEW)
    if fmt not in ("xlsx", "csv"):
        raise Http404
    form = DueFilterForm(request.GET or None)
    if form.is_bound and not form.is_valid():
        return _back_to_the_page(request, reverse("vaccination:due", kwargs={"pk": commune.pk}))
    day = form.day()
    statuses, never = _due(request.user, commune, day)
    headers = ["Họ và tên", "Năm sinh", "Thôn/bản", "SĐT", "Số mũi đã tiêm", "Ngày tiêm gần nhất", "Ngày đến hạn",
               "Số ngày quá hạn"]

    def lines():
        for e in _entries(day, statuses.iterator(chunk_size=2000),
                          never[:EXPORT_LIMIT].iterator(chunk_size=2000)):
            p = e["person"]
            yield [p.full_name, p.birth_year or "", p.village, p.phone, e["doses"],
                   e["last_on"].strftime("%d/%m/%Y") if e["last_on"] else "",
                   e["due"].strftime("%d/%m/%Y") if e["due"] else "Chưa tiêm mũi nào",
                   "" if e["overdue"] is None else e["overdue"]]

    audit.record(actor=request.user, action=AuditEvent.Action.EXPORT, object_type="vaccination.VaccinationStatus",
                 object_repr=_("people due for vaccination in %(commune)s (%(format)s)")
                 % {"commune": commune.name, "format": fmt}, place=commune, changes={"day": day.isoformat()})
    return download(fmt, f"den-han-tiem-{commune.code}-{day:%Y%m%d}", headers, lines(), title="Đến hạn tiêm")


# ---- rebuilding the aggregates ---------------------------------------------------------------------

@require_POST
def rebuild(request):
    """A province officer recomputes the coverage tables from the doses (a background job)."""
    from epicommand.core.services.jobs import start_job
    from epicommand.core.tasks import run_job

    if not (can(request.user, Cap.COVERAGE_REMIND) and holds_province(request.user)):
        raise PermissionDenied
    job = start_job(actor=request.user, kind=REBUILD_JOB, title=_("Rebuild the vaccination coverage tables"),
                    task=run_job)
    return redirect("jobs:detail", pk=job.pk)


REBUILD_JOB = "vaccination.coverage_rebuild"


def rebuild_job(job) -> dict:
    from epicommand.core.services import jobs

    from . import coverage

    jobs.progress(job.pk, done=0, total=1, message="rebuilding")
    counts = coverage.rebuild()
    jobs.progress(job.pk, done=1, total=1, message="done")
    return counts
