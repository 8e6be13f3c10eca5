"""Pooled samples: the list, a new pool with its members, the pool's page and its result."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from epicommand.core import audit
from epicommand.core.forms import add_service_errors
from epicommand.core.jurisdiction import can, get_for_user, require, visible_to
from epicommand.core.models import AuditEvent
from epicommand.core.roles import Cap
from epicommand.core.views.common import paginate

from . import services
from .forms import PoolForm, ResultForm
from .models import Pool, Result, Test


def pool_list(request):
    require(request.user, Cap.TESTING_VIEW)
    qs = visible_to(request.user, Pool).select_related("commune", "lab").order_by("-sampled_on", "-id")
    return render(request, "testing/pools.html", {"page": paginate(request, qs),
                                                  "can_record": can(request.user, Cap.TESTING_RECORD)})


def pool_new(request):
    require(request.user, Cap.TESTING_RECORD)
    form = PoolForm(request.POST if request.method == "POST" else None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            pool = services.create_pool(actor=request.user, code=data["code"], sampled_on=data["sampled_on"],
                                        commune=data["commune"], members=data["members"],
                                        sampled_at=data["sampled_at"], lab=data["lab"], reason=data["reason"])
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Pool %(code)s recorded.") % {"code": pool.code})
            return redirect("testing:pool", pk=pool.pk)
    limit = services.pool_max_size(timezone.localdate())
    return render(request, "testing/pool_form.html", {"form": form, "limit": limit})


def pool_detail(request, pk: int):
    pool = get_for_user(request.user, Pool.objects.select_related("commune", "lab", "sampled_at"), pk)
    require(request.user, Cap.TESTING_VIEW)
    # Members' names and results are health data: the page is audited like a test's, and a member's follow-up
    # (counted where the person lives now) shows only to those who may see it.
    audit.record(actor=request.user, action=AuditEvent.Action.VIEW, obj=pool, place=pool.commune)
    follow_ups = Prefetch("follow_ups", queryset=visible_to(request.user, Test.objects.order_by("id")))
    members = list(visible_to(request.user, Test.objects.filter(pool=pool)).select_related("person")
                   .prefetch_related(follow_ups).order_by("person__full_name", "id"))
    return render(request, "testing/pool.html", {
        "pool": pool, "members": members,
        "can_enter": can(request.user, Cap.TESTING_RECORD) and pool.result in (Result.PENDING, Result.INVALID)})


def pool_result(request, pk: int):
    pool = get_for_user(request.user, Pool.objects.select_related("commune"), pk, write=True)
    form = ResultForm(request.POST if request.method == "POST" else None)
    del form.fields["ct_value"]  # a pool's Ct says nothing about any one member
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            opened = services.enter_pool_result(actor=request.user, pool=pool, result=data["result"],
                                                resulted_on=data["resulted_on"])
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            if opened:
                messages.warning(request, ngettext(
                    "Pool positive: %(count)s individual RT-PCR test was opened.",
                    "Pool positive: %(count)s individual RT-PCR tests were opened, one per member.",
                    len(opened)) % {"count": len(opened)})
            else:
                messages.success(request, _("Pool result saved."))
            return redirect("testing:pool", pk=pool.pk)
    return render(request, "testing/pool_result.html", {"pool": pool, "form": form})
