"""The 3-tier tower: beds per facility and kind with live occupancy, admissions, and referrals between
facilities (or from home) that the receiving facility accepts or declines."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from epicommand.core.models import Organization

from .cases import BedKind, Case


class Beds(models.Model):
    """A facility's beds of one kind. `occupied` is kept by the admission and referral services (a bed is
    held from the moment a referral is accepted), never by hand; `total` is the facility's to set."""

    facility = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="beds",
                                 verbose_name=_("facility"))
    kind = models.CharField(_("bed kind"), max_length=10, choices=BedKind.choices)
    total = models.PositiveIntegerField(_("beds"), default=0)
    occupied = models.PositiveIntegerField(_("occupied"), default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("beds")
        verbose_name_plural = _("beds")
        ordering = ["facility_id", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["facility", "kind"], name="beds_one_row_per_kind"),
            # Never more patients than beds: a second acceptance of the last bed fails at the database.
            models.CheckConstraint(condition=Q(occupied__lte=F("total")), name="beds_occupied_within_total"),
        ]

    def __str__(self) -> str:
        return f"{self.facility_id} {self.kind}: {self.occupied}/{self.total}"

    @property
    def free(self) -> int:
        return max(self.total - self.occupied, 0)


class Admission(models.Model):
    class Outcome(models.TextChoices):
        RECOVERED = "recovered", _("Recovered")
        DIED = "died", _("Died")
        REFERRED = "referred", _("Referred to another facility")
        HOME = "home", _("Moved to home treatment")
        TRANSFERRED = "transferred", _("Transferred out of the province")

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="admissions")
    facility = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+", verbose_name=_("facility"))
    bed_kind = models.CharField(_("bed kind"), max_length=10, choices=BedKind.choices)
    admitted_at = models.DateTimeField(_("admitted at"))
    admitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    discharged_at = models.DateTimeField(_("discharged at"), null=True, blank=True)
    discharged_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                      related_name="+")
    outcome = models.CharField(_("outcome"), max_length=12, choices=Outcome.choices, blank=True)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("admission")
        verbose_name_plural = _("admissions")
        ordering = ["-admitted_at"]
        constraints = [
            models.UniqueConstraint(fields=["case"], condition=Q(discharged_at__isnull=True),
                                    name="admission_one_open_per_case"),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} @ {self.facility_id}"


class Referral(models.Model):
    class Status(models.TextChoices):
        REQUESTED = "requested", _("Requested")
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined")
        IN_TRANSIT = "in_transit", _("In transit")
        ARRIVED = "arrived", _("Arrived")
        CANCELLED = "cancelled", _("Cancelled")

    OPEN = (Status.REQUESTED, Status.ACCEPTED, Status.IN_TRANSIT)

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="referrals")
    # None: from home treatment or from the commune, before any admission.
    from_facility = models.ForeignKey(Organization, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                      verbose_name=_("from"))
    to_facility = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+", verbose_name=_("to"))
    bed_kind = models.CharField(_("bed kind"), max_length=10, choices=BedKind.choices)
    reason = models.TextField(_("reason"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.REQUESTED)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+")
    requested_at = models.DateTimeField(_("requested at"))
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_reason = models.TextField(_("reason for the decision"), blank=True)
    departed_at = models.DateTimeField(_("left at"), null=True, blank=True)
    arrived_at = models.DateTimeField(_("arrived at"), null=True, blank=True)

    class Meta:
        verbose_name = _("referral")
        verbose_name_plural = _("referrals")
        ordering = ["-requested_at"]
        indexes = [models.Index(fields=["to_facility", "status"], name="referral_to_status_idx")]
        constraints = [
            models.UniqueConstraint(fields=["case"], condition=Q(status__in=["requested", "accepted", "in_transit"]),
                                    name="referral_one_open_per_case"),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} → {self.to_facility_id} ({self.status})"
