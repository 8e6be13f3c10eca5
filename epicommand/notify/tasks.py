"""The delivery task. `notify()` enqueues it on commit; a failed attempt enqueues it again for the
time of the next attempt. The periodic sweep is not a task (django-tasks has no scheduler, and a task
that re-enqueues itself forever multiplies when started twice and stops silently when a run is lost):
it is the `notify_deliver` command."""

from __future__ import annotations

from django_tasks import task

from . import services


@task()
def deliver_message(message_id: int) -> str | None:
    return services.deliver(message_id)


@task()
def deliver_messages(message_ids: list[int]) -> list[str | None]:
    """The messages queued together (an import's alerts), one after the other."""
    return [services.deliver(message_id) for message_id in message_ids]
