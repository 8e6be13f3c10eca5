"""The outbox: every message the system sends, with its delivery state, and a log of its attempts."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from epicommand.core.models import Organization, Place

from .explain import explain


class Message(models.Model):
    class Channel(models.TextChoices):
        CONSOLE = "console", _("Console (development)")
        EMAIL = "email", _("E-mail")
        SMS = "sms", _("SMS")
        ZALO = "zalo", _("Zalo")
        WEBHOOK = "webhook", _("Webhook")

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed, will retry")
        DEAD = "dead", _("Gave up")

    # What a worker may claim (a "sending" row only once its lease has run out: its worker died).
    CLAIMABLE = (Status.QUEUED, Status.FAILED, Status.SENDING)
    RETRYABLE = (Status.FAILED, Status.DEAD)
    FINAL = (Status.SENT, Status.DEAD)

    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    to = models.CharField(_("to"), max_length=500, blank=True,
                          help_text=_("E-mail address, phone number, Zalo user id or URL."))
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("recipient"), null=True, blank=True,
                                  on_delete=models.SET_NULL, related_name="+")
    organization = models.ForeignKey(Organization, verbose_name=_("organization"), null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="+")
    subject = models.CharField(_("subject"), max_length=255, blank=True)
    body = models.TextField(_("message"))
    # The area the message concerns (a current commune or the province): who may see it follows it.
    place = models.ForeignKey(Place, verbose_name=_("place"), on_delete=models.PROTECT, related_name="+")
    sender = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("sender"), null=True, blank=True,
                               on_delete=models.SET_NULL, related_name="+")
    kind = models.CharField(_("kind"), max_length=64, blank=True)
    about_type = models.CharField(max_length=64, blank=True)
    about_id = models.CharField(max_length=64, blank=True)
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    # Attempts made before the last "retry now": back-off and the limit count from there.
    attempts_before_retry = models.PositiveSmallIntegerField(default=0)
    # When a worker may next take it; while "sending", when its claim runs out.
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    provider_id = models.CharField(_("provider message id"), max_length=255, blank=True)
    # The channel that delivered it: its own, or the console when the channel is not enabled here.
    delivered_via = models.CharField(max_length=16, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["-created_at", "-id"]
        indexes = [
            # The worker's query: what is due, oldest first; partial so sent mail does not weigh on it.
            models.Index(fields=["next_attempt_at"], name="notify_message_due",
                         condition=Q(status__in=["queued", "failed", "sending"])),
            models.Index(fields=["-created_at", "-id"], name="notify_message_created"),
            models.Index(fields=["kind", "-created_at"], name="notify_message_kind"),
            models.Index(fields=["status", "-created_at"], name="notify_message_status"),
            # "Was this commune already reminded?": later apps look messages up by what they are about.
            models.Index(fields=["about_type", "about_id"], name="notify_message_about"),
        ]

    def __str__(self) -> str:
        # No body: this is what audit events and lists name the message by.
        return f"{self.kind or self.channel} → {self.to or '—'}"

    @property
    def error_meaning(self) -> str:
        """The last error as the sender should read it (the error itself is the details)."""
        return explain(self.last_error)

    @property
    def round_attempts(self) -> int:
        return self.attempts - self.attempts_before_retry

    @property
    def is_final(self) -> bool:
        return self.status in self.FINAL

    @property
    def can_be_retried(self) -> bool:
        return self.status in self.RETRYABLE


class Attempt(models.Model):
    """One try at delivering a message: what was used and how it ended."""

    class Outcome(models.TextChoices):
        SENT = "sent", _("Sent")
        RETRY = "retry", _("Failed, will retry")
        FAILED = "failed", _("Failed for good")
        INTERRUPTED = "interrupted", _("Interrupted")

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attempt_log")
    number = models.PositiveSmallIntegerField()
    channel = models.CharField(max_length=16, blank=True)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=12, choices=Outcome.choices, blank=True)
    error = models.TextField(blank=True)
    provider_id = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["message", "-number"]
        constraints = [models.UniqueConstraint(fields=["message", "number"], name="notify_attempt_number_uniq")]

    def __str__(self) -> str:
        return f"{self.message_id}#{self.number}"
