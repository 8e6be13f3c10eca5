"""Rebuilding every case fact table from the rows behind it: open cases and cases per day (cases.facts.rebuild)
and the home-treatment load per health worker (from HomeCare). Run by `manage.py rebuild_case_facts` and by the
job of kind REBUILD_JOB (the command-centre page's Rebuild button)."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Count, Min, Q

from epicommand.core.models import User

from . import facts
from .models import ActiveCases, CaseDay, HomeCare, WorkerLoad

REBUILD_JOB = "cases.facts_rebuild"


def worker_load_rows() -> list[WorkerLoad]:
    """What WorkerLoad holds when current: per health worker with patients under home treatment, how many, and
    how many of them have an open alert (HomeCare.urgency above 0). The commune is the worker's own when their
    account is bound to a commune (a mobile station's worker), else the first commune of their patients."""
    rows = (HomeCare.objects.filter(status=HomeCare.Status.ACTIVE, worker__isnull=False).values("worker_id")
            .annotate(active=Count("id"), alarming=Count("id", filter=Q(urgency__gt=0)), commune=Min("commune_id")))
    found = {r["worker_id"]: r for r in rows}
    places = dict(User.objects.filter(pk__in=list(found), place__level="commune").values_list("pk", "place_id"))
    return [WorkerLoad(worker_id=pk, commune_id=places.get(pk, r["commune"]), active=r["active"],
                       alarming=r["alarming"]) for pk, r in found.items()]


@transaction.atomic
def rebuild_worker_load() -> int:
    WorkerLoad.objects.all().delete()
    rows = worker_load_rows()
    WorkerLoad.objects.bulk_create(rows, batch_size=1000)
    return len(rows)


@transaction.atomic
def rebuild_all() -> dict:
    facts.rebuild()
    workers = rebuild_worker_load()
    return {"active_cases": ActiveCases.objects.count(), "case_days": CaseDay.objects.count(), "workers": workers}


def rebuild_and_judge() -> dict:
    """The nightly run (command and job): the figures rebuilt, and every agency's key staff judged again against
    the threshold in force today (a new policy version changes it while no case changes)."""
    from . import key_staff

    counts = rebuild_all()
    counts["key_staff_alerts"] = key_staff.judge_all(actor=None)
    return counts


def rebuild_job(job) -> dict:
    from epicommand.core.services import jobs

    jobs.progress(job.pk, done=0, total=1, message="rebuilding")
    counts = rebuild_and_judge()
    jobs.progress(job.pk, done=1, total=1, message="done")
    return counts
