"""The command centre's case figures: active cases by severity, tier and commune, the trend of new cases, beds per
tier with free beds, home-treatment load per health worker, open alerts and the week's test positivity. Read from
the fact tables (command_figures); exported to Excel or CSV; a province officer may rebuild the tables."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from epicommand.cases import facts_rebuild
from epicommand.core import audit
from epicommand.core.jurisdiction import can, holds_province, is_place_scoped, require
from epicommand.core.models import AuditEvent
from epicommand.core.roles import Cap
from epicommand.core.text import whole_number

from . import command_figures

PERIODS = (14, 30, 90)


def _days(request) -> int:
    days = whole_number(request.GET.get("days"))
    return days if days in PERIODS else 30


def _can_rebuild(user) -> bool:
    return can(user, Cap.CASES_MANAGE) and holds_province(user)


def command(request):
    require(request.user, Cap.CASES_VIEW)
    figures = command_figures.collect(request.user, on=timezone.localdate(), days=_days(request))
    return render(request, "dashboard/command.html", {
        "f": figures, "area": request.user.jurisdiction_place, "by_area": is_place_scoped(request.user),
        "periods": PERIODS, "querystring": request.GET.urlencode(), "can_rebuild": _can_rebuild(request.user),
        "chart": {"days": [p["day"] for p in figures.trend], "opened": [p["opened"] for p in figures.trend],
                  "recovered": [p["recovered"] for p in figures.trend], "died": [p["died"] for p in figures.trend]},
        "chart_labels": {"opened": _("New cases"), "recovered": _("Recovered"), "died": _("Died")},
        "severity_headers": [label for _value, label, _n in figures.by_severity],
    })


def _percent(share: float | None) -> str | float:
    return "" if share is None else round(100 * share, 1)


def _lines(f: command_figures.Figures) -> list[list]:
    lines: list[list] = [["Ca đang điều trị", "Tổng", f.total, ""]]
    lines += [["Theo mức độ", label, n, ""] for _v, label, n in f.by_severity]
    lines += [["Theo tầng điều trị", label, n, ""] for _t, label, n in f.by_tier]
    lines += [["Theo nơi điều trị", label, n, ""] for _s, label, n in f.by_setting]
    lines += [["Theo xã/phường", r["name"], r["total"], ""] for r in f.by_commune]
    lines += [["Ca mới theo ngày", p["day"], p["opened"], f"khỏi {p['recovered']}, tử vong {p['died']}"]
              for p in f.trend]
    lines += [["Giường", f"{b['tier_label']} · {b['kind_label']}", b["free"], f"{b['occupied']}/{b['total']}"]
              for b in f.beds]
    lines += [["Điều trị tại nhà", w.worker.full_name or w.worker.username, w.active, w.alarming] for w in f.workers]
    lines += [["Cảnh báo đang mở", "Dấu hiệu cảnh báo, không nhập số liệu", f.open_alerts, ""],
              ["Cảnh báo đang mở", "Cán bộ chủ chốt nhiễm", f.open_key_staff_alerts, ""],
              ["Tỷ lệ dương tính 7 ngày", "Tất cả", f.positivity["positives"],
               f"{f.positivity['tests']} xét nghiệm; {_percent(f.positivity['share'])}%"]]
    lines += [["Tỷ lệ dương tính 7 ngày", k["label"], k["positives"],
               f"{k['tests']} xét nghiệm; {_percent(k['share'])}%"] for k in f.positivity["kinds"]]
    return lines


def command_export(request, fmt: str):
    from epicommand.core.spreadsheets import download

    require(request.user, Cap.CASES_VIEW)
    if fmt not in ("xlsx", "csv"):
        raise Http404
    on = timezone.localdate()
    figures = command_figures.collect(request.user, on=on, days=_days(request))
    audit.record(actor=request.user, action=AuditEvent.Action.EXPORT, object_type="cases.ActiveCases",
                 object_repr=_("command-centre figures (%(format)s)") % {"format": fmt},
                 changes={"filters": request.GET.dict()})
    return download(fmt, f"so-lieu-chi-huy-{on:%Y%m%d}", ["Mục", "Chỉ tiêu", "Số", "Ghi chú"], _lines(figures),
                    title="Số liệu chỉ huy")


@require_POST
def command_rebuild(request):
    """A province officer recomputes the case fact tables from the cases and home treatments (a background job)."""
    from epicommand.core.services.jobs import start_job
    from epicommand.core.tasks import run_job

    if not _can_rebuild(request.user):
        raise PermissionDenied
    job = start_job(actor=request.user, kind=facts_rebuild.REBUILD_JOB, title=_("Rebuild the case figures"),
                    task=run_job)
    return redirect("jobs:detail", pk=job.pk)
