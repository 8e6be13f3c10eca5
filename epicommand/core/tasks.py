"""Background tasks. One task runs any job by its kind; apps register the body of each kind."""

from __future__ import annotations

from collections.abc import Callable

from django_tasks import task

from .models import Job
from .services import jobs

JOB_KINDS: dict[str, Callable[[Job], dict]] = {}


def job_kind(kind: str):
    def register(body: Callable[[Job], dict]):
        JOB_KINDS[kind] = body
        return body

    return register


@task()
def run_job(job_id: int) -> None:
    jobs.run(job_id, JOB_KINDS)


@job_kind("places.reload")
def reload_places(job: Job) -> dict:
    from .places import load_province

    jobs.progress(job.pk, done=0, total=1, message="reading administrative units")
    result = load_province(job.params["province"])
    jobs.progress(job.pk, done=1, total=1, message="done")
    return {"created": result.created, "updated": result.updated, "current_communes": result.current_communes,
            "legacy_communes": result.legacy_communes}
