"""Confirmed cases (F0), their status timeline and the vital signs observed on them."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from epicommand.core.models import Organization, Place
from epicommand.people.models import Person
from epicommand.testing.models import Test


class Severity(models.TextChoices):
    ASYMPTOMATIC = "asymptomatic", _("Asymptomatic")
    MILD = "mild", _("Mild")
    MODERATE = "moderate", _("Moderate")
    SEVERE = "severe", _("Severe")
    CRITICAL = "critical", _("Critical")


SEVERITY_ORDER = [s.value for s in Severity]  # least to most severe


class BedKind(models.TextChoices):
    REGULAR = "regular", _("Regular bed")
    OXYGEN = "oxygen", _("Oxygen bed")
    ICU = "icu", _("Intensive care bed")
    VENTILATOR = "ventilator", _("Ventilator bed")


class Case(models.Model):
    class Basis(models.TextChoices):
        TEST = "test", _("Positive test")
        CLINICAL = "clinical", _("Clinical diagnosis")

    class Setting(models.TextChoices):
        PENDING = "pending", _("Awaiting placement")
        HOME = "home", _("Treated at home")
        FACILITY = "facility", _("In a treatment facility")
        CLOSED = "closed", _("Closed")

    class Outcome(models.TextChoices):
        RECOVERED = "recovered", _("Recovered")
        DIED = "died", _("Died")
        TRANSFERRED = "transferred", _("Transferred out of the province")

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="cases", verbose_name=_("person"))
    code = models.CharField(_("case code"), max_length=24, unique=True)
    # Where the case was found: the commune's figures count it there even if the person moves later.
    commune = models.ForeignKey(Place, on_delete=models.PROTECT, related_name="+", verbose_name=_("commune"))
    basis = models.CharField(_("basis"), max_length=8, choices=Basis.choices)
    test = models.ForeignKey(Test, null=True, blank=True, on_delete=models.PROTECT, related_name="cases",
                             verbose_name=_("confirming test"))
    opened_on = models.DateField(_("confirmed on"), db_index=True)
    onset_on = models.DateField(_("symptom onset"), null=True, blank=True)
    # Severity as suggested from the latest vital signs (with its reasons) and as confirmed by a clinician.
    severity = models.CharField(_("severity"), max_length=12, choices=Severity.choices, default=Severity.ASYMPTOMATIC)
    severity_suggested = models.CharField(_("suggested severity"), max_length=12, choices=Severity.choices,
                                          blank=True)
    severity_reasons = models.JSONField(default=list, blank=True)
    severity_confirmed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                              on_delete=models.SET_NULL, related_name="+")
    severity_confirmed_at = models.DateTimeField(null=True, blank=True)
    tier = models.PositiveSmallIntegerField(_("tier needed"), null=True, blank=True)
    setting = models.CharField(_("where treated"), max_length=8, choices=Setting.choices, default=Setting.PENDING)
    # The facility treating the patient now (its staff see the case); None at home or awaiting placement.
    facility = models.ForeignKey(Organization, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                 verbose_name=_("facility"))
    outcome = models.CharField(_("outcome"), max_length=12, choices=Outcome.choices, blank=True)
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        ordering = ["-opened_on", "-id"]
        indexes = [
            models.Index(fields=["commune", "setting"], name="case_commune_setting_idx"),
            models.Index(fields=["facility", "setting"], name="case_facility_setting_idx"),
        ]
        constraints = [
            # One open case per person: a second positive test (or a double submit) adds to it.
            models.UniqueConstraint(fields=["person"], condition=Q(closed_on__isnull=True),
                                    name="case_one_open_per_person"),
            models.CheckConstraint(condition=Q(tier__isnull=True) | Q(tier__in=[1, 2, 3]), name="case_tier_valid"),
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def is_open(self) -> bool:
        return self.closed_on is None


class CaseEvent(models.Model):
    """The status timeline of a case: what happened, when, by whom, with the details that explain it."""

    class Kind(models.TextChoices):
        OPENED = "opened", _("Case confirmed")
        SEVERITY = "severity", _("Severity assessed")
        HOME_STARTED = "home_started", _("Home treatment started")
        HOME_ASSIGNED = "home_assigned", _("Health worker assigned")
        ALERT = "alert", _("Warning signs")
        REFERRAL_REQUESTED = "ref_requested", _("Referral requested")
        REFERRAL_ACCEPTED = "ref_accepted", _("Referral accepted")
        REFERRAL_DECLINED = "ref_declined", _("Referral declined")
        REFERRAL_CANCELLED = "ref_cancelled", _("Referral cancelled")
        IN_TRANSIT = "in_transit", _("In transit")
        ADMITTED = "admitted", _("Admitted")
        DISCHARGED = "discharged", _("Discharged")
        RELEASED = "released", _("Released from home treatment")
        CLOSED = "closed", _("Case closed")
        NOTE = "note", _("Note")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    at = models.DateTimeField(db_index=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                           related_name="+")
    facility = models.ForeignKey(Organization, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    detail = models.JSONField(default=dict, blank=True)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.case_id} {self.kind}"


class Observation(models.Model):
    """One set of vital signs and symptoms: entered at a facility, by a health worker at home, by the patient
    through a one-time link, or imported. `warnings` holds the warning signs found by the rules in force on
    the day it was taken; `urgency` orders the escalation queue (0: none)."""

    class Source(models.TextChoices):
        FACILITY = "facility", _("Facility staff")
        WORKER = "worker", _("Health worker")
        PATIENT = "patient", _("Patient")
        IMPORT = "import", _("Imported")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="observations")
    taken_at = models.DateTimeField(_("taken at"))
    respiratory_rate = models.PositiveSmallIntegerField(_("respiratory rate (/min)"), null=True, blank=True)
    pulse = models.PositiveSmallIntegerField(_("pulse (/min)"), null=True, blank=True)
    temperature = models.DecimalField(_("temperature (°C)"), max_digits=3, decimal_places=1, null=True, blank=True)
    spo2 = models.PositiveSmallIntegerField(_("SpO2 (%)"), null=True, blank=True)
    systolic = models.PositiveSmallIntegerField(_("systolic pressure (mmHg)"), null=True, blank=True)
    diastolic = models.PositiveSmallIntegerField(_("diastolic pressure (mmHg)"), null=True, blank=True)
    symptoms = models.JSONField(_("symptoms"), default=list, blank=True)
    source = models.CharField(_("entered by"), max_length=8, choices=Source.choices)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                           related_name="+")
    warnings = models.JSONField(default=list, blank=True)
    urgency = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("observation")
        verbose_name_plural = _("observations")
        ordering = ["-taken_at", "-id"]
        constraints = [
            # The same entry sent twice (a double submit, an import run again) is one observation.
            models.UniqueConstraint(fields=["case", "taken_at"], name="observation_one_per_case_instant"),
            models.CheckConstraint(condition=Q(spo2__isnull=True) | Q(spo2__lte=100), name="observation_spo2_range"),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.taken_at:%d/%m/%Y %H:%M}"
