"""Jobs: start one (a row plus a queued task), report progress from the task, honour cancellation.
Workers claim a job with a conditional UPDATE and check the count, so it runs once."""

from __future__ import annotations

import traceback
from collections.abc import Callable

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from .. import audit
from ..jurisdiction import can
from ..models import AuditEvent, Job, User
from ..roles import Cap


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
        audit.record(actor=actor, action=AuditEvent.Action.CREATE, obj=job, changes={"kind": [None, kind]})

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


def can_cancel(user: User, job: Job) -> bool:
    """Whoever started a job may stop it; so may the command centre."""
    return job.created_by_id == user.pk or can(user, Cap.AUDIT_VIEW)


@transaction.atomic
def request_cancel(*, actor: User, job: Job) -> None:
    if not can_cancel(actor, job):
        raise PermissionDenied
    audit.record(actor=actor, action=AuditEvent.Action.UPDATE, obj=job, changes={"cancel": [False, True]})
    Job.objects.filter(pk=job.pk).exclude(status__in=Job.FINISHED).update(cancel_requested=True)
    # A job nobody has picked up yet stops at once.
    Job.objects.filter(pk=job.pk, status=Job.Status.QUEUED).update(
        status=Job.Status.CANCELLED, finished_at=timezone.now()
    )


def run(job_id: int, bodies: dict[str, Callable[[Job], dict]]) -> None:
    """Run a job's body once, recording how it ended, whatever ended it (the worker being stopped
    included, so no job stays "running" forever). The body returns the job's result."""
    if not claim(job_id):
        return
    job = Job.objects.get(pk=job_id)
    try:
        result = bodies[job.kind](job)
    except JobCancelled:
        Job.objects.filter(pk=job_id).update(status=Job.Status.CANCELLED, finished_at=timezone.now())
    except BaseException as exc:
        Job.objects.filter(pk=job_id).update(
            status=Job.Status.FAILED, finished_at=timezone.now(),
            error=f"{type(exc).__name__}: {exc}\n\n{traceback.format_exc()}"[:20000],
        )
        if not isinstance(exc, Exception):
            raise
    else:
        Job.objects.filter(pk=job_id).update(
            status=Job.Status.DONE, finished_at=timezone.now(), result=result or {}
        )
