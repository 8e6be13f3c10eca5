from __future__ import annotations

import json

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Max
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from ..forms import PolicyVersionForm, add_service_errors
from ..jurisdiction import can, require
from ..models import PolicyVersion
from ..policies import policy_version
from ..roles import Cap
from ..services.policies import add_policy_version


def policy_list(request):
    require(request.user, Cap.POLICIES_VIEW)
    today = timezone.localdate()
    keys = PolicyVersion.objects.values("key").annotate(latest=Max("effective_from")).order_by("key")
    rows = []
    for row in keys:
        try:
            current = policy_version(row["key"], today)
        except LookupError:
            current = None
        rows.append({"key": row["key"], "current": current, "latest": row["latest"]})
    return render(request, "policies/list.html", {"rows": rows, "today": today})


def policy_detail(request, key: str):
    require(request.user, Cap.POLICIES_VIEW)
    versions = list(PolicyVersion.objects.filter(key=key).select_related("created_by").order_by("-effective_from"))
    if not versions:
        raise Http404
    in_force = policy_version(key) if versions[-1].effective_from <= timezone.localdate() else None
    form = None
    if can(request.user, Cap.POLICIES_EDIT):
        initial = {"value": json.dumps(versions[0].value, ensure_ascii=False), "source": "",
                   "effective_from": timezone.localdate()}
        form = PolicyVersionForm(request.POST or None, initial=initial)
        if request.method == "POST" and form.is_valid():
            try:
                add_policy_version(actor=request.user, key=key, **form.cleaned_data)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("New version saved."))
                return redirect("policies:detail", key=key)
    elif request.method == "POST":
        require(request.user, Cap.POLICIES_EDIT)
    return render(request, "policies/detail.html",
                  {"key": key, "versions": versions, "in_force": in_force, "form": form})
