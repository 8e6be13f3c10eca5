"""The outbox: `notify()` queues a message inside the caller's transaction; `deliver()` sends one and
records how it went; `deliver_due()` is the sweep the worker command runs; `retry_now()` is the
button on the message page.

Exactly-once between workers: a worker claims a message with one conditional UPDATE (due, and not
claimed by a live worker) and goes on only if it changed a row. A claim lasts a lease far longer than
any send takes, so a second worker can take a message over only from a worker that died mid-send;
that attempt is logged as interrupted and the message is sent again (a health alert delivered twice
is better than one lost)."""

from __future__ import annotations

import logging
import random
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import models, transaction
from django.db.models import F, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from epicommand.core import audit
from epicommand.core.jurisdiction import can
from epicommand.core.models import AuditEvent, Organization, Place, User
from epicommand.core.roles import Cap

from . import channels, conf
from .channels import Channel, PermanentError, TransientError
from .models import Attempt, Message

logger = logging.getLogger("epicommand.notify")

# Proposed capability (roles.py): retry any message one can see, not only one's own. Until a role holds
# it, others' messages are retried by the command centre (Cap.AUDIT_VIEW), as with jobs.
NOTIFY_MANAGE = "notify.manage"
# Who sees the outbox at all: every role (rows are then filtered by jurisdiction).
VIEW_CAPABILITY = Cap.JOBS_VIEW

S = Message.Status
About = models.Model | tuple[str, object] | None


# ---- queueing ----------------------------------------------------------------------------------

def address_problem(channel: str, to: str) -> str:
    """Why `to` cannot be an address of `channel`, in the user's language ("" when it can): a form refuses it at
    once rather than queue a message that can only fail."""
    try:
        channels.get(channel).check_address(to)
    except PermanentError:
        return _("“%(to)s” is not an address the %(channel)s channel can reach.") % {
            "to": to[:200], "channel": Message.Channel(channel).label}
    return ""


def notify(**details: Any) -> Message:
    """Queue one message (the keyword arguments of `draft()`); it is sent once the caller's transaction commits
    (never if it rolls back)."""
    message = draft(**details)
    with transaction.atomic():
        message.save(force_insert=True)
        if message.sender_id is not None:
            audit.record_many([_audit_event(message)])
        transaction.on_commit(partial(enqueue, message.pk), robust=True)
    return message


def draft(
    *,
    channel: str,
    to: str = "",
    body: str,
    subject: str = "",
    sender: User | None = None,
    place: Place | None = None,
    organization: Organization | None = None,
    recipient: User | None = None,
    kind: str = "",
    about: About = None,
) -> Message:
    """An unsaved, checked message: what `notify()` queues, or one of those `notify_many()` queues together.

    `to` defaults to the recipient's (else the organization's) e-mail or phone, by channel. `place`,
    the area the message concerns and so who may see it, defaults to the sender's area, else the
    organization's, else the recipient's, else the province. A malformed or missing address does
    not raise: the message is recorded and gives up at its first attempt, visibly, so a bad phone
    number in a register never rolls back the caller's change.
    """
    if channel not in Message.Channel.values:
        raise ValueError(f"unknown channel {channel!r}; one of {', '.join(Message.Channel.values)}")
    if not body or not body.strip():
        raise ValueError("a message needs a body")
    if place is not None and not place.is_current:
        raise ValueError("a message is placed in the current structure (a commune or the province)")
    about_type, about_id = about_key(about)
    to = (to or _address_of(channel, recipient, organization)).strip()
    return Message(
        channel=channel, to=to[:500], body=body, subject=subject[:255], kind=kind[:64],
        sender=sender if _is_user(sender) else None, recipient=recipient, organization=organization,
        place=place or _default_place(sender, organization, recipient),
        about_type=about_type, about_id=about_id, status=S.QUEUED, next_attempt_at=timezone.now(),
    )


def notify_many(messages: list[Message]) -> list[Message]:
    """Queue many drafted messages at once (the alerts of an import batch): one insert for the messages, one
    for their audit events, and one delivery task after the caller's transaction commits."""
    if not messages:
        return messages
    with transaction.atomic():
        Message.objects.bulk_create(messages, batch_size=1000)
        audit.record_many([_audit_event(m) for m in messages if m.sender_id is not None])
        transaction.on_commit(partial(enqueue_many, [m.pk for m in messages]), robust=True)
    return messages


def _audit_event(message: Message):
    # Kind and recipient only: the body may hold health data, and the audit log keeps it forever.
    return audit.event(actor=message.sender, action=AuditEvent.Action.CREATE, obj=message,
                       changes={"kind": [None, message.kind], "channel": [None, message.channel],
                                "to": [None, message.to]})


def about_key(about: About) -> tuple[str, str]:
    """(object type, id) for a model instance or a ("app.Model", id) pair."""
    if about is None:
        return "", ""
    if isinstance(about, models.Model):
        return about._meta.label, str(about.pk)
    kind, pk = about
    return str(kind)[:64], str(pk)[:64]


def messages_about(about: About, *, kind: str = "") -> QuerySet[Message]:
    """Messages about one object (e.g. "was this commune reminded this week?"), newest first."""
    about_type, about_id = about_key(about)
    qs = Message.objects.filter(about_type=about_type, about_id=about_id)
    return qs.filter(kind=kind) if kind else qs


def enqueue(message_id: int, *, run_after: datetime | None = None) -> None:
    """Hand one delivery to the task worker. Failing to enqueue loses nothing: the sweep sends it."""
    from .tasks import deliver_message

    task = deliver_message
    try:
        if run_after is not None:
            if not task.get_backend().supports_defer:
                return
            task = task.using(run_after=run_after)
        task.enqueue(message_id)
    except Exception:
        logger.exception("could not enqueue delivery of message %s; the sweep will send it", message_id)


def enqueue_many(message_ids: list[int]) -> None:
    """Hand many deliveries to the task worker as one task. Failing to enqueue loses nothing: the sweep
    sends them."""
    from .tasks import deliver_messages

    try:
        deliver_messages.enqueue(message_ids)
    except Exception:
        logger.exception("could not enqueue delivery of %s messages; the sweep will send them", len(message_ids))


def _is_user(user: User | None) -> bool:
    return user is not None and getattr(user, "is_authenticated", False)


def _address_of(channel: str, recipient: User | None, organization: Organization | None) -> str:
    field = {"email": "email", "sms": "phone"}.get(channel)
    if not field:
        return ""
    for holder in (recipient, organization):
        if holder is not None and getattr(holder, field, ""):
            return getattr(holder, field)
    return ""


def _default_place(sender: User | None, organization: Organization | None, recipient: User | None) -> Place:
    candidates = (
        sender.jurisdiction_place if _is_user(sender) else None,
        organization.place if organization is not None else None,
        recipient.jurisdiction_place if recipient is not None else None,
    )
    for place in candidates:
        if place is not None and place.is_current:
            return place
    return Place.objects.get(structure=Place.Structure.CURRENT, level=Place.Level.PROVINCE,
                             code=settings.PROVINCE_CODE)


# ---- delivering --------------------------------------------------------------------------------

def backoff(round_attempt: int) -> timedelta:
    """The wait after the n-th failed attempt of a round: BASE × FACTOR^(n-1), capped, plus up to 10%
    so that messages failing together (a gateway outage) do not all come back in the same second."""
    base = float(conf.get("NOTIFY_BACKOFF_SECONDS"))
    factor = float(conf.get("NOTIFY_BACKOFF_FACTOR"))
    seconds = min(base * factor ** max(round_attempt - 1, 0), float(conf.get("NOTIFY_BACKOFF_MAX_SECONDS")))
    return timedelta(seconds=seconds * (1 + random.random() / 10))  # noqa: S311 (not security)


def claim(message_id: int, now: datetime) -> bool:
    return bool(
        Message.objects.filter(pk=message_id, status__in=Message.CLAIMABLE, next_attempt_at__lte=now)
        .update(status=S.SENDING, attempts=F("attempts") + 1,
                next_attempt_at=now + timedelta(seconds=conf.lease_seconds()))
    )


def deliver(message_id: int) -> str | None:
    """Try to send one message if it is due and nobody else holds it; returns its new status, or None
    when there was nothing to do."""
    now = timezone.now()
    if not claim(message_id, now):
        return None
    message = Message.objects.select_related("place").get(pk=message_id)
    # An attempt left open belongs to a worker that died mid-send: whether it arrived is unknown.
    Attempt.objects.filter(message_id=message_id, outcome="").update(
        outcome=Attempt.Outcome.INTERRUPTED, finished_at=now, error="the worker stopped during this attempt")
    attempt = Attempt.objects.create(message=message, number=message.attempts, started_at=now)
    try:
        channel = _channel_for(message)
        attempt.channel = channel.name
        provider_id = channel.send(message)
    except PermanentError as exc:
        return _failed(message, attempt, str(exc), final=True)
    except TransientError as exc:
        return _failed(message, attempt, str(exc), final=False)
    except Exception as exc:
        # A fault in a channel's own code: retried like a network error, then given up.
        logger.exception("sending message %s failed", message_id)
        return _failed(message, attempt, f"{type(exc).__name__}: {exc}", final=False)
    except BaseException:
        # The worker is being stopped mid-send: free the message for a later attempt, then stop.
        _failed(message, attempt, "interrupted: the worker was stopped", final=False,
                outcome=Attempt.Outcome.INTERRUPTED)
        raise
    return _sent(message, attempt, provider_id, channel)


def _channel_for(message: Message) -> Channel:
    channel = channels.get(message.channel)
    if message.channel in conf.enabled_channels():
        return channel
    channel.check_address(message.to)  # a bad address shows in development too
    if conf.get("NOTIFY_CONSOLE_FALLBACK"):
        return channels.get("console")
    raise PermanentError(f"the {message.channel} channel is not enabled on this server (EPICOMMAND_NOTIFY_CHANNELS)")


def _mine(message: Message):
    """The message as long as this worker's claim on it holds."""
    return Message.objects.filter(pk=message.pk, status=S.SENDING, attempts=message.attempts)


def _sent(message: Message, attempt: Attempt, provider_id: str, channel: Channel) -> str | None:
    now = timezone.now()
    provider_id = str(provider_id or "")[:255]
    Attempt.objects.filter(pk=attempt.pk).update(outcome=Attempt.Outcome.SENT, finished_at=now,
                                                 provider_id=provider_id, channel=channel.name)
    done = _mine(message).update(status=S.SENT, sent_at=now, provider_id=provider_id, delivered_via=channel.name,
                                 next_attempt_at=None, last_error="")
    return S.SENT if done else None


def _failed(message: Message, attempt: Attempt, error: str, *, final: bool,
            outcome: str | None = None) -> str | None:
    now = timezone.now()
    error = error[:2000]
    final = final or message.round_attempts >= int(conf.get("NOTIFY_MAX_ATTEMPTS"))
    Attempt.objects.filter(pk=attempt.pk).update(
        outcome=outcome or (Attempt.Outcome.FAILED if final else Attempt.Outcome.RETRY), finished_at=now,
        error=error, channel=attempt.channel)
    if final:
        done = _mine(message).update(status=S.DEAD, next_attempt_at=None, last_error=error)
        return S.DEAD if done else None
    next_at = now + backoff(message.round_attempts)
    done = _mine(message).update(status=S.FAILED, next_attempt_at=next_at, last_error=error)
    if done:
        # One delayed task per retry. Safe: the claim makes an early, late or duplicate run a no-op,
        # and the sweep sends anything a lost task leaves behind.
        enqueue(message.pk, run_after=next_at)
    return S.FAILED if done else None


def deliver_due(*, limit: int | None = None, should_stop: Callable[[], bool] | None = None) -> Counter:
    """Deliver everything due now (new messages and retries whose time has come, and messages whose
    worker died); returns how many ended in each status ("skipped": another worker had it)."""
    counts: Counter = Counter()
    seen: set[int] = set()
    while True:
        due = Message.objects.filter(status__in=Message.CLAIMABLE, next_attempt_at__lte=timezone.now())
        ids = [pk for pk in due.order_by("next_attempt_at", "id").values_list("pk", flat=True)[:200]
               if pk not in seen]
        if not ids:
            return counts
        for pk in ids:
            if (should_stop and should_stop()) or (limit is not None and len(seen) >= limit):
                return counts
            seen.add(pk)
            counts[deliver(pk) or "skipped"] += 1


# ---- retrying by hand --------------------------------------------------------------------------

def may_retry(user: User, message: Message) -> bool:
    """The sender may retry their message; so may the command centre, and whoever holds notify.manage."""
    return bool(
        user.is_authenticated and user.is_active
        and (message.sender_id == user.pk or can(user, Cap.AUDIT_VIEW) or can(user, NOTIFY_MANAGE))
    )


@transaction.atomic
def retry_now(*, actor: User, message: Message) -> bool:
    """Queue a failed or dead message again at once, with a fresh series of attempts. False when the
    message is not waiting for a retry (sent, queued, being sent)."""
    if not may_retry(actor, message):
        raise PermissionDenied
    before = Message.objects.filter(pk=message.pk).values_list("status", flat=True).first()
    updated = Message.objects.filter(pk=message.pk, status__in=Message.RETRYABLE).update(
        status=S.QUEUED, next_attempt_at=timezone.now(), attempts_before_retry=F("attempts"))
    if not updated:
        return False
    audit.record(actor=actor, action=AuditEvent.Action.UPDATE, obj=message,
                 changes={"status": [before, S.QUEUED.value]}, reason=_("retry now"))
    transaction.on_commit(partial(enqueue, message.pk), robust=True)
    return True
