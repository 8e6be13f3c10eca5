"""Positivity per commune and day, read from the fact table only (positivity.py keeps it current), with its
export."""

from __future__ import annotations

from django.db.models import Sum
from django.http import Http404
from django.shortcuts import render
from django.utils.translation import gettext as _

from epicommand.core import audit
from epicommand.core.jurisdiction import require, visible_to
from epicommand.core.models import AuditEvent
from epicommand.core.roles import Cap
from epicommand.core.spreadsheets import download

from .forms import PositivityForm
from .models import Kind, PositivityDay


def _rows(request):
    form = PositivityForm(request.GET or None)
    since, until, kind = form.period()
    qs = visible_to(request.user, PositivityDay).filter(day__gte=since, day__lte=until)
    if kind:
        qs = qs.filter(kind=kind)
    rows = list(qs.values("commune_id", "commune__name", "day").annotate(tests=Sum("tests"), positives=Sum("positives"))
                .filter(tests__gt=0).order_by("-day", "commune__name"))
    for row in rows:
        row["share"] = round(100 * row["positives"] / row["tests"], 1) if row["tests"] else None
    tests = sum(r["tests"] for r in rows)
    positives = sum(r["positives"] for r in rows)
    total = {"tests": tests, "positives": positives,
             "share": round(100 * positives / tests, 1) if tests else None}
    return form, since, until, kind, rows, total


def positivity(request):
    require(request.user, Cap.TESTING_VIEW)
    form, since, until, kind, rows, total = _rows(request)
    return render(request, "testing/positivity.html", {
        "form": form, "since": since, "until": until, "rows": rows, "total": total,
        "kind_label": Kind(kind).label if kind else _("All kinds"), "querystring": request.GET.urlencode()})


def positivity_export(request, fmt: str):
    require(request.user, Cap.TESTING_VIEW)
    if fmt not in ("xlsx", "csv"):
        raise Http404
    _form, since, until, kind, rows, _total = _rows(request)
    headers = ["Xã/phường", "Ngày lấy mẫu", "Số xét nghiệm có kết quả", "Số dương tính", "Tỷ lệ dương tính (%)"]
    lines = [[r["commune__name"], r["day"].strftime("%d/%m/%Y"), r["tests"], r["positives"], r["share"]]
             for r in rows]
    audit.record(actor=request.user, action=AuditEvent.Action.EXPORT, object_type="testing.PositivityDay",
                 object_repr=_("test positivity (%(format)s)") % {"format": fmt},
                 changes={"filters": request.GET.dict()})
    return download(fmt, f"ty-le-duong-tinh-{since:%Y%m%d}-{until:%Y%m%d}", headers, lines,
                    title="Tỷ lệ xét nghiệm dương tính")
