from __future__ import annotations

from datetime import datetime, time

from django.db.models import Q
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import audit
from ..forms import AuditFilterForm
from ..jurisdiction import require, visible_to
from ..models import AuditEvent
from ..roles import Cap
from ..spreadsheets import download
from .common import paginate


def _events(request):
    form = AuditFilterForm(request.GET or None)
    qs = visible_to(request.user, AuditEvent)
    if form.is_valid():
        d = form.cleaned_data
        if q := d["q"].strip():
            qs = qs.filter(Q(actor_username__icontains=q) | Q(object_repr__icontains=q) | Q(object_id=q)
                           | Q(object_type__icontains=q))
        if d["action"]:
            qs = qs.filter(action=d["action"])
        tz = timezone.get_current_timezone()
        if d["date_from"]:
            qs = qs.filter(at__gte=datetime.combine(d["date_from"], time.min, tzinfo=tz))
        if d["date_to"]:
            qs = qs.filter(at__lte=datetime.combine(d["date_to"], time.max, tzinfo=tz))
    return form, qs


def audit_list(request):
    require(request.user, Cap.AUDIT_VIEW)
    form, qs = _events(request)
    return render(request, "audit/list.html", {"form": form, "page": paginate(request, qs),
                                               "querystring": request.GET.urlencode()})


EXPORT_LIMIT = 100_000


def audit_export(request, fmt: str):
    require(request.user, Cap.AUDIT_VIEW)
    _form, qs = _events(request)
    rows = ([e.at.astimezone(timezone.get_current_timezone()).strftime("%d/%m/%Y %H:%M:%S"), e.actor_username,
             e.get_action_display(), e.object_type, e.object_id, e.object_repr, e.ip_address or "", e.reason]
            for e in qs[:EXPORT_LIMIT].iterator(chunk_size=2000))
    headers = [_("When"), _("Who"), _("Action"), _("Object type"), _("Object id"), _("Object"), _("From"),
               _("Reason")]
    audit.record(actor=request.user, action=AuditEvent.Action.EXPORT, object_type="core.AuditEvent",
                 object_repr=_("audit events"), changes={"filters": request.GET.dict()})
    return download(fmt, "nhat-ky", headers, rows, title=_("Audit"))
