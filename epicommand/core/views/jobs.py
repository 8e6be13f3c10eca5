from __future__ import annotations

from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from ..jurisdiction import get_job_for_user, require, visible_to
from ..models import Job
from ..roles import Cap
from ..services.jobs import can_cancel, request_cancel
from .common import paginate


def job_list(request):
    require(request.user, Cap.JOBS_VIEW)
    qs = visible_to(request.user, Job.objects.select_related("created_by"))
    return render(request, "jobs/list.html", {"page": paginate(request, qs)})


def job_detail(request, pk: int):
    require(request.user, Cap.JOBS_VIEW)
    job = get_job_for_user(request.user, pk)
    template = "jobs/_progress.html" if request.headers.get("HX-Request") else "jobs/detail.html"
    return render(request, template, {"job": job, "can_cancel": can_cancel(request.user, job)})


@require_POST
def job_cancel(request, pk: int):
    require(request.user, Cap.JOBS_VIEW)
    job = get_job_for_user(request.user, pk)
    request_cancel(actor=request.user, job=job)
    return redirect("jobs:detail", pk=job.pk)
