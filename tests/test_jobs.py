from __future__ import annotations

import pytest
from django.core.management import call_command
from django.urls import reverse

from epicommand.core.models import Job
from epicommand.core.roles import Role
from epicommand.core.services import jobs
from epicommand.core.tasks import job_kind, run_job

pytestmark = pytest.mark.django_db(transaction=True)


@job_kind("test.count")
def count_to(job: Job) -> dict:
    total = job.params["n"]
    for i in range(1, total + 1):
        jobs.progress(job.pk, done=i, total=total, message=f"{i}/{total}")
    return {"counted": total}


@job_kind("test.fail")
def fail(job: Job) -> dict:
    raise ValueError("bad row 7")


def test_the_worker_runs_a_queued_job_to_the_end(reference_data):
    from .world import build_world

    world = build_world()
    user = world.user(Role.COMMAND)
    job = jobs.start_job(actor=user, kind="test.count", title="Count", task=run_job, params={"n": 5})
    job.refresh_from_db()
    assert job.status == Job.Status.QUEUED and job.task_id
    call_command("db_worker", batch=True, no_startup_delay=True, verbosity=0)
    job.refresh_from_db()
    assert (job.status, job.progress_done, job.progress_total, job.result) == ("done", 5, 5, {"counted": 5})
    assert job.percent == 100 and job.started_at and job.finished_at
    # Running it again does nothing: a job is claimed once.
    jobs.run(job.pk, {"test.count": count_to})
    assert Job.objects.get(pk=job.pk).finished_at == job.finished_at


def test_failures_are_recorded_and_cancel_stops_a_queued_job(reference_data, client):
    from .world import build_world

    world = build_world()
    user = world.user(Role.COMMAND)
    failing = jobs.start_job(actor=user, kind="test.fail", title="Fail", task=run_job)
    call_command("db_worker", batch=True, no_startup_delay=True, verbosity=0)
    failing.refresh_from_db()
    assert failing.status == "failed" and "bad row 7" in failing.error

    queued = jobs.start_job(actor=user, kind="test.count", title="Later", task=run_job, params={"n": 2})
    client.force_login(user)
    assert client.post(reverse("jobs:cancel", args=[queued.pk])).status_code == 302
    call_command("db_worker", batch=True, no_startup_delay=True, verbosity=0)
    queued.refresh_from_db()
    assert queued.status == "cancelled" and queued.progress_done == 0


def test_progress_raises_when_cancel_was_requested(reference_data):
    job = Job.objects.create(kind="test.count", title="x", status=Job.Status.RUNNING, cancel_requested=True)
    with pytest.raises(jobs.JobCancelled):
        jobs.progress(job.pk, done=1, total=2)


def test_progress_page_polls_until_finished(reference_data, client):
    from .world import build_world

    world = build_world()
    client.force_login(world.user(Role.COMMUNE_STATION))
    job = world.jobs["home"]
    response = client.get(reverse("jobs:detail", args=[job.pk]), HTTP_HX_REQUEST="true")
    assert b'hx-trigger="every 1s"' in response.content and b"<html" not in response.content
    Job.objects.filter(pk=job.pk).update(status="done")
    response = client.get(reverse("jobs:detail", args=[job.pk]), HTTP_HX_REQUEST="true")
    assert b"hx-trigger" not in response.content and b"100%" in response.content


@job_kind("test.killed")
def killed(job: Job) -> dict:
    raise KeyboardInterrupt  # what the worker gets when it is stopped mid-job


def test_a_job_whose_worker_is_stopped_is_marked_failed_not_left_running(reference_data):
    job = Job.objects.create(kind="test.killed", title="x")
    with pytest.raises(KeyboardInterrupt):
        jobs.run(job.pk, {"test.killed": killed})
    assert Job.objects.get(pk=job.pk).status == "failed"
    unknown = Job.objects.create(kind="no.such.kind", title="y")
    jobs.run(unknown.pk, {})
    assert Job.objects.get(pk=unknown.pk).status == "failed"


def test_only_the_starter_or_the_command_centre_may_cancel(reference_data, client):
    from .world import build_world

    world = build_world()
    job = world.jobs["home"]  # started by the home commune station
    client.force_login(world.user(Role.MOBILE_STATION, "home"))
    assert client.post(reverse("jobs:cancel", args=[job.pk])).status_code == 403
    assert not Job.objects.get(pk=job.pk).cancel_requested
    client.force_login(world.user(Role.COMMUNE_STATION, "home"))
    assert client.post(reverse("jobs:cancel", args=[job.pk])).status_code == 302
    assert Job.objects.get(pk=job.pk).cancel_requested
