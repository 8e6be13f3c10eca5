"""Jobs: start one (a row plus a queued task), report progress from the task, honour cancellation.
Workers claim a job with a conditional UPDATE and check the count, so it runs once."""

from __future__ import annotations

import traceback
from collections.abc import Callable

from django.db import transaction
from django.utils import timezone

from ..models import Job, User


class JobCancelled(Exception):
    pass


def start_job(*, actor: User, kind: str, title: str, task, params: dict | None = None) -> Job:
    """Create the job row and enqueue `task(job_id)` once the row is committed."""
    with transaction.atomic():
        job = Job.objects.create(
            kind=kind, title=title, created_by=actor, params=params or {},
            place=actor.place if actor.place_id else None,
            organization=actor.organization if actor.organization_id else None,
        )

        def enqueue() -> None:
            result = task.enqueue(job.pk)
            Job.objects.filter(pk=job.pk).update(task_id=str(result.id))

        transaction.on_commit(enqueue)
    return job


def claim(job_id: int) -> bool:
    return bool(
        Job.objects.filter(pk=job_id, status=Job.Status.QUEUED)
        .update(status=Job.Status.RUNNING, started_at=timezone.now())
    )


def progress(job_id: int, *, done: int, total: int | None = None, message: str = "") -> None:
    """Record progress; raises JobCancelled when the user asked to stop, so the task can roll back."""
    fields = {"progress_done": done, "message": message[:255]}
    if total is not None:
        fields["progress_total"] = total
    Job.objects.filter(pk=job_id).update(**fields)
    if Job.objects.filter(pk=job_id, cancel_requested=True).exists():
        raise JobCancelled


def request_cancel(*, job: Job) -> None:
    Job.objects.filter(pk=job.pk).exclude(status__in=Job.FINISHED).update(cancel_requested=True)
    # A job nobody has picked up yet stops at once.
    Job.objects.filter(pk=job.pk, status=Job.Status.QUEUED).update(
        status=Job.Status.CANCELLED, finished_at=timezone.now()
    )


def run(job_id: int, body: Callable[[Job], dict]) -> None:
    """Run a job's body once, recording how it ended. The body returns the job's result."""
    if not claim(job_id):
        return
    job = Job.objects.get(pk=job_id)
    try:
        result = body(job)
    except JobCancelled:
        Job.objects.filter(pk=job_id).update(status=Job.Status.CANCELLED, finished_at=timezone.now())
    except Exception as exc:
        Job.objects.filter(pk=job_id).update(
            status=Job.Status.FAILED, finished_at=timezone.now(), error=f"{exc}\n\n{traceback.format_exc()}"[:20000]
        )
    else:
        Job.objects.filter(pk=job_id).update(
            status=Job.Status.DONE, finished_at=timezone.now(), result=result or {}
        )
