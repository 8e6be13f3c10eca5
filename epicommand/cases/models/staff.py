"""Key staff of agencies (seed 004 §1: not too many key officials of one agency infected at once)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from epicommand.core.models import Organization
from epicommand.notify.models import Message
from epicommand.people.models import Person


class KeyStaff(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="key_staff",
                                     verbose_name=_("organization"))
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+", verbose_name=_("person"))
    position = models.CharField(_("position"), max_length=120, blank=True)
    marked_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("key staff member")
        verbose_name_plural = _("key staff")
        ordering = ["organization_id", "position"]
        constraints = [models.UniqueConstraint(fields=["organization", "person"], name="key_staff_once_per_org")]

    def __str__(self) -> str:
        return f"{self.organization_id}: {self.person_id}"


class KeyStaffAlert(models.Model):
    """Raised when the share of an organization's key staff currently infected passes the policy threshold;
    closed when it falls back below. The figures it was raised on are kept."""

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+",
                                     verbose_name=_("organization"))
    raised_at = models.DateTimeField(_("raised at"))
    infected = models.PositiveIntegerField(_("infected"))
    total = models.PositiveIntegerField(_("key staff"))
    threshold = models.FloatField(_("threshold"))
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    message = models.ForeignKey(Message, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-raised_at"]
        constraints = [
            models.UniqueConstraint(fields=["organization"], condition=models.Q(closed_at__isnull=True),
                                    name="key_staff_alert_one_open_per_org"),
        ]

    def __str__(self) -> str:
        return f"{self.organization_id}: {self.infected}/{self.total}"
