"""Home treatment of mild and asymptomatic patients (Quyết định 261/QĐ-BYT): village zones of the mobile
medical stations' health workers, the home-care record with what the escalation queue orders by, one-time
entry links for patients without an account, and alerts."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from epicommand.core.models import Organization, Place
from epicommand.notify.models import Message

from .cases import Case, Observation


class Zone(models.Model):
    """A village of a commune and the health worker who follows its home patients."""

    commune = models.ForeignKey(Place, on_delete=models.PROTECT, related_name="+", verbose_name=_("commune"))
    village = models.CharField(_("village"), max_length=120)
    village_folded = models.CharField(max_length=120, editable=False)
    worker = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("health worker"))
    station = models.ForeignKey(Organization, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                verbose_name=_("mobile medical station"))
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("zone")
        verbose_name_plural = _("zones")
        ordering = ["commune_id", "village"]
        constraints = [
            models.UniqueConstraint(fields=["commune", "village_folded"], name="zone_one_worker_per_village"),
        ]

    def __str__(self) -> str:
        return self.village


class HomeCare(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", _("Under home treatment")
        RELEASED = "released", _("Released")
        ESCALATED = "escalated", _("Moved to a facility")
        ENDED = "ended", _("Ended")

    case = models.OneToOneField(Case, on_delete=models.PROTECT, related_name="home_care")
    commune = models.ForeignKey(Place, on_delete=models.PROTECT, related_name="+", verbose_name=_("commune"))
    village = models.CharField(_("village"), max_length=120, blank=True)
    worker = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="+", verbose_name=_("health worker"))
    started_on = models.DateField(_("started on"))
    started_at = models.DateTimeField(_("started at"))
    # The eligibility check as judged on the start day: {"eligible": bool, "reasons": [...], "policy_on": date}.
    eligibility = models.JSONField(default=dict)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE)
    ended_on = models.DateField(_("ended on"), null=True, blank=True)
    # Kept by the monitoring services for the escalation queue and the day lists (no scan of observations).
    last_entry_at = models.DateTimeField(_("last entry"), null=True, blank=True)
    entries = models.PositiveIntegerField(default=0)
    urgency = models.PositiveSmallIntegerField(default=0)  # of the open alerts; 0: none
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("home treatment")
        verbose_name_plural = _("home treatments")
        ordering = ["-started_at"]
        indexes = [
            models.Index(fields=["status", "urgency"], name="homecare_status_urgency_idx"),
            models.Index(fields=["status", "last_entry_at"], name="homecare_status_last_idx"),
            models.Index(fields=["worker", "status"], name="homecare_worker_status_idx"),
            models.Index(fields=["commune", "status"], name="homecare_commune_status_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} ({self.status})"


class EntryLink(models.Model):
    """A one-time link (and short code) that lets a patient without an account enter one set of vital
    signs. Only a hash of the secret is kept; the secret is shown or sent once."""

    home_care = models.ForeignKey(HomeCare, on_delete=models.CASCADE, related_name="links")
    token_hash = models.CharField(max_length=64, unique=True)
    code_hash = models.CharField(max_length=64, db_index=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    failed_attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"link {self.pk} for {self.home_care_id}"


class Alert(models.Model):
    class Kind(models.TextChoices):
        WARNING = "warning", _("Warning signs")
        NO_ENTRY = "no_entry", _("No entry")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        ACKNOWLEDGED = "ack", _("Being handled")
        RESOLVED = "resolved", _("Resolved")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="alerts")
    home_care = models.ForeignKey(HomeCare, null=True, blank=True, on_delete=models.CASCADE, related_name="alerts")
    observation = models.ForeignKey(Observation, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    reasons = models.JSONField(default=list)
    urgency = models.PositiveSmallIntegerField(default=1)
    worker = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="+", verbose_name=_("health worker"))
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.OPEN)
    raised_at = models.DateTimeField(_("raised at"), db_index=True)
    handled_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    handled_at = models.DateTimeField(null=True, blank=True)
    note = models.TextField(_("note"), blank=True)
    message = models.ForeignKey(Message, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")
        ordering = ["-urgency", "raised_at"]
        indexes = [models.Index(fields=["status", "worker"], name="alert_status_worker_idx")]
        constraints = [
            # At most one open "no entry" alert per patient: the periodic sweep may run again safely.
            models.UniqueConstraint(fields=["home_care"], condition=Q(kind="no_entry", status="open"),
                                    name="alert_one_open_no_entry"),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.kind} ({self.status})"
