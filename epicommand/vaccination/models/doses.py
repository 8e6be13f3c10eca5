"""Doses and what surrounds them: the screening before, adverse events after, the certificate."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from epicommand.core.models import Organization
from epicommand.people.models import Person

from .campaigns import Session, Site
from .stock import Lot, Product


class DoseKind(models.TextChoices):
    PRIMARY = "primary", _("Primary series")
    ADDITIONAL = "additional", _("Additional dose")
    BOOSTER = "booster", _("Booster")


class Screening(models.Model):
    """The pre-vaccination checklist (Quyết định 5002/QĐ-BYT style): answers and the outcome."""

    class Outcome(models.TextChoices):
        PROCEED = "proceed", _("Vaccinate")
        DEFER = "defer", _("Defer")
        REFER = "refer", _("Refer to hospital")

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    session = models.ForeignKey(Session, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    answers = models.JSONField(default=dict)  # checklist item key → True (yes) / False (no)
    temperature = models.DecimalField(_("temperature"), max_digits=3, decimal_places=1, null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=8, choices=Outcome.choices)
    note = models.CharField(_("note"), max_length=255, blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("screening")
        verbose_name_plural = _("screenings")
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.person_id} · {self.outcome}"


class LiveDoses(models.Manager):
    """Doses that count: an undone dose stays for the audit trail but counts nowhere."""

    def get_queryset(self):
        return super().get_queryset().filter(undone_at__isnull=True)


class Dose(models.Model):
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="doses", verbose_name=_("person"))
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+", verbose_name=_("vaccine"))
    lot = models.ForeignKey(Lot, null=True, blank=True, on_delete=models.PROTECT, related_name="doses",
                            verbose_name=_("lot"))
    lot_number = models.CharField(_("lot number"), max_length=40, blank=True)  # as written, also without a Lot row
    given_on = models.DateField(_("date"), db_index=True)
    number = models.PositiveSmallIntegerField(_("dose number"))
    kind = models.CharField(_("kind"), max_length=10, choices=DoseKind.choices, default=DoseKind.PRIMARY)
    session = models.ForeignKey(Session, null=True, blank=True, on_delete=models.PROTECT, related_name="doses",
                                verbose_name=_("session"))
    site = models.ForeignKey(Site, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                             verbose_name=_("site"))
    site_name = models.CharField(_("site"), max_length=150, blank=True)  # historical doses: as written
    # The unit whose stock the dose came from (and whose staff gave it): scopes the dose to a site's staff.
    organization = models.ForeignKey(Organization, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                     verbose_name=_("given by unit"))
    vaccinator = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+", verbose_name=_("vaccinator"))
    screening = models.OneToOneField(Screening, null=True, blank=True, on_delete=models.PROTECT, related_name="dose")
    # The rules' refusal that a vaccinator overrode, with the written reason (also in the audit event).
    override_codes = models.JSONField(default=list, blank=True)
    override_reason = models.TextField(_("reason for the override"), blank=True)
    historical = models.BooleanField(default=False)  # imported, not recorded at a session
    off_schedule = models.JSONField(default=list, blank=True)  # historical: rule codes it breaks (flagged only)
    source_import = models.PositiveIntegerField(null=True, blank=True)
    source_row = models.PositiveIntegerField(null=True, blank=True)
    recorded_at = models.DateTimeField(auto_now_add=True)
    undone_at = models.DateTimeField(null=True, blank=True)
    undone_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="+")

    all_objects = models.Manager()
    objects = LiveDoses()

    class Meta:
        verbose_name = _("dose")
        verbose_name_plural = _("doses")
        ordering = ["given_on", "id"]
        base_manager_name = "all_objects"
        default_manager_name = "objects"
        indexes = [models.Index(fields=["person", "given_on"], name="dose_person_day_idx")]
        constraints = [
            # A dose imported twice is the same dose (idempotent imports).
            models.UniqueConstraint(fields=["person", "given_on", "product"], condition=Q(undone_at__isnull=True),
                                    name="dose_person_day_product_uniq"),
        ]

    def __str__(self) -> str:
        return f"{self.product} #{self.number} · {self.given_on:%d/%m/%Y}"


class Aefi(models.Model):
    """An adverse event following immunization, attached to the dose."""

    class Severity(models.TextChoices):
        MILD = "mild", _("Mild (common reaction)")
        MODERATE = "moderate", _("Moderate")
        SERIOUS = "serious", _("Serious")

    class Outcome(models.TextChoices):
        RECOVERING = "recovering", _("Recovering")
        RECOVERED = "recovered", _("Recovered")
        HOSPITALISED = "hospitalised", _("Hospitalised")
        SEQUELAE = "sequelae", _("Recovered with sequelae")
        DIED = "died", _("Died")
        UNKNOWN = "unknown", _("Unknown")

    dose = models.ForeignKey(Dose, on_delete=models.PROTECT, related_name="aefis", verbose_name=_("dose"))
    symptoms = models.JSONField(_("symptoms"), default=list)
    description = models.TextField(_("description"), blank=True)
    onset = models.DateTimeField(_("onset"))
    severity = models.CharField(_("severity"), max_length=10, choices=Severity.choices)
    outcome = models.CharField(_("outcome"), max_length=14, choices=Outcome.choices, default=Outcome.RECOVERING)
    reported_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    reported_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("adverse event (AEFI)")
        verbose_name_plural = _("adverse events (AEFI)")
        ordering = ["-onset"]

    def __str__(self) -> str:
        return f"AEFI {self.get_severity_display()} · {self.onset:%d/%m/%Y}"


class Certificate(models.Model):
    """A signed certificate as issued: the token printed in the QR code and what it says."""

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+", verbose_name=_("person"))
    token = models.TextField(unique=True)
    payload = models.JSONField()
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    issued_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("vaccination certificate")
        verbose_name_plural = _("vaccination certificates")
        ordering = ["-issued_at", "-id"]

    def __str__(self) -> str:
        return f"{_('Certificate')} {self.pk}"
