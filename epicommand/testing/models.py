"""Samples and tests: RT-PCR, rapid antigen, pooled PCR and citizens' self-tests, with who pays, and the
positivity fact table (tests and positives per commune × day × kind) the dashboards read."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from epicommand.core.models import Organization, Place
from epicommand.people.models import Person


class Kind(models.TextChoices):
    PCR = "pcr", _("RT-PCR")
    ANTIGEN = "antigen", _("Rapid antigen")
    POOLED_PCR = "pooled_pcr", _("Pooled RT-PCR")
    SELF_TEST = "self_test", _("Self-test (reported by the citizen)")


class Result(models.TextChoices):
    PENDING = "pending", _("Pending")
    POSITIVE = "positive", _("Positive")
    NEGATIVE = "negative", _("Negative")
    INVALID = "invalid", _("Invalid")
    # A pool member's own result when the pool is positive: not a diagnosis; an individual test follows.
    POOL_POSITIVE = "pool_pos", _("Pool positive: individual test pending")


class Reason(models.TextChoices):
    SYMPTOMS = "symptoms", _("Symptoms")
    CONTACT = "contact", _("Contact of a case")
    ENTRY = "entry", _("Entry into the province")
    SCREENING = "screening", _("Community screening")
    HOSPITAL = "hospital", _("Hospital admission")
    FOLLOW_UP = "follow_up", _("Follow-up of a positive pool")
    RELEASE = "release", _("Release from treatment")
    REQUEST = "request", _("On request")
    OTHER = "other", _("Other")


class Payer(models.TextChoices):
    INSURANCE = "insurance", pgettext_lazy("payer", "Health insurance")
    SELF = "self", _("Self-paid")
    STATE = "state", _("State budget")


class Pool(models.Model):
    """A pooled sample: several people's swabs tested as one. A positive pool opens one individual
    follow-up test per member (Test.follows points at the member's pooled test)."""

    code = models.CharField(_("pool code"), max_length=40)
    sampled_on = models.DateField(_("sampled on"))
    commune = models.ForeignKey(Place, on_delete=models.PROTECT, related_name="+", verbose_name=_("commune"))
    sampled_at = models.ForeignKey(Organization, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("sampled by"))
    lab = models.ForeignKey(Organization, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                            verbose_name=_("laboratory"))
    result = models.CharField(_("result"), max_length=8, choices=Result.choices, default=Result.PENDING)
    resulted_on = models.DateField(_("result date"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("pooled sample")
        verbose_name_plural = _("pooled samples")
        ordering = ["-sampled_on", "-id"]
        constraints = [models.UniqueConstraint(fields=["commune", "code"], name="pool_code_unique_in_commune")]

    def __str__(self) -> str:
        return self.code


class Test(models.Model):
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="tests", verbose_name=_("person"))
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    reason = models.CharField(_("reason"), max_length=12, choices=Reason.choices, default=Reason.OTHER)
    sampled_on = models.DateField(_("sampled on"), db_index=True)
    # Where the person belonged when sampled: positivity is counted there, whatever happens to them later.
    commune = models.ForeignKey(Place, on_delete=models.PROTECT, related_name="+", verbose_name=_("commune"))
    sampled_at = models.ForeignKey(Organization, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("sampled by"))
    lab = models.ForeignKey(Organization, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                            verbose_name=_("laboratory"))
    lab_code = models.CharField(_("laboratory sample code"), max_length=40, blank=True)
    result = models.CharField(_("result"), max_length=8, choices=Result.choices, default=Result.PENDING)
    resulted_on = models.DateField(_("result date"), null=True, blank=True)
    ct_value = models.DecimalField(_("Ct value"), max_digits=4, decimal_places=1, null=True, blank=True)
    payer = models.CharField(_("paid by"), max_length=10, choices=Payer.choices, default=Payer.STATE)
    fee = models.PositiveIntegerField(_("fee (VND)"), default=0)
    # A citizen's own report of a self-test: shown as such, never taken for a laboratory result.
    self_reported = models.BooleanField(_("reported by the citizen"), default=False)
    pool = models.ForeignKey(Pool, null=True, blank=True, on_delete=models.PROTECT, related_name="members",
                             verbose_name=_("pool"))
    follows = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="follow_ups",
                                verbose_name=_("follow-up of"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    source_import = models.PositiveIntegerField(null=True, blank=True)
    source_row = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        verbose_name = _("test")
        verbose_name_plural = _("tests")
        ordering = ["-sampled_on", "-id"]
        indexes = [
            models.Index(fields=["person", "sampled_on"], name="test_person_day_idx"),
            models.Index(fields=["commune", "sampled_on"], name="test_commune_day_idx"),
            models.Index(fields=["result", "sampled_on"], name="test_result_day_idx"),
        ]
        constraints = [
            # A laboratory's sample code names one test: importing its result list twice changes nothing.
            models.UniqueConstraint(fields=["lab", "lab_code"], condition=~Q(lab_code=""),
                                    name="test_lab_code_unique"),
            models.UniqueConstraint(fields=["follows"], condition=Q(follows__isnull=False),
                                    name="test_one_follow_up_per_member"),
            models.CheckConstraint(condition=Q(pool__isnull=True) | Q(kind="pooled_pcr"),
                                   name="test_pool_members_are_pooled"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.sampled_on:%d/%m/%Y}"


class PositivityDay(models.Model):
    """Tests with a result, and positives among them, per commune × day sampled × kind."""

    commune = models.ForeignKey(Place, on_delete=models.PROTECT, related_name="+")
    day = models.DateField()
    kind = models.CharField(max_length=12, choices=Kind.choices)
    tests = models.IntegerField(default=0)
    positives = models.IntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["commune", "day", "kind"], name="positivity_day_unique")]
        indexes = [models.Index(fields=["day"], name="positivity_day_idx")]

    def __str__(self) -> str:
        return f"{self.commune_id} {self.day} {self.kind}: {self.positives}/{self.tests}"
