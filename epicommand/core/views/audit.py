from __future__ import annotations

from datetime import datetime, time

from django.db.models import Q
from django.shortcuts import render
from django.utils import timezone

from ..forms import AuditFilterForm
from ..jurisdiction import require, visible_to
from ..models import AuditEvent
from ..roles import Cap
from .common import paginate


def audit_list(request):
    require(request.user, Cap.AUDIT_VIEW)
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
    return render(request, "audit/list.html", {"form": form, "page": paginate(request, qs)})
