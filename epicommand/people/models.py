"""The population register: people, households, and the population-database extract they are
reconciled against."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from epicommand.core.models import Place

from .ethnicities import ETHNICITY_CHOICES


class Sex(models.TextChoices):
    MALE = "M", _("Male")
    FEMALE = "F", _("Female")


class Reconciliation(models.TextChoices):
    UNCHECKED = "unchecked", _("Not checked yet")
    VERIFIED = "verified", _("Verified")
    MISMATCH = "mismatch", _("Mismatch")
    NOT_FOUND = "not_found", _("Number not found")
    MALFORMED = "malformed", _("Malformed number")
    NO_NUMBER = "no_number", _("No number")


class Household(models.Model):
    commune = models.ForeignKey(Place, on_delete=models.PROTECT, related_name="+", verbose_name=_("commune"))
    village = models.CharField(_("village"), max_length=120, blank=True)
    code = models.CharField(_("household book number"), max_length=32, blank=True)
    head = models.ForeignKey("Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                             verbose_name=_("head of household"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("household")
        verbose_name_plural = _("households")

    def __str__(self) -> str:
        return f"{self.head or _('Household')} · {self.village}" if self.village else str(self.head or self.pk)


def age_on(day, birth_date, birth_year) -> int | None:
    """Age in whole years on `day`; from a year of birth alone, the older age (day.year - year)."""
    if birth_date:
        return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))
    return day.year - birth_year if birth_year else None


class Person(models.Model):
    full_name = models.CharField(_("full name"), max_length=150)
    name_folded = models.CharField(max_length=150, editable=False)
    birth_date = models.DateField(_("date of birth"), null=True, blank=True)
    # Always set when anything is known; alone when only the year is known (common among the elderly).
    birth_year = models.PositiveSmallIntegerField(_("year of birth"), null=True, blank=True)
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices)
    cccd = models.CharField(_("CCCD"), max_length=12, null=True, blank=True)
    cmnd = models.CharField(_("CMND"), max_length=9, blank=True)
    passport = models.CharField(_("passport"), max_length=12, blank=True)
    insurance_number = models.CharField(_("health-insurance number"), max_length=15, blank=True)
    ethnicity = models.CharField(_("ethnicity"), max_length=2, choices=ETHNICITY_CHOICES, blank=True)
    nationality = models.CharField(_("nationality"), max_length=2, default="VN")
    commune = models.ForeignKey(Place, on_delete=models.PROTECT, related_name="+", verbose_name=_("commune"),
                                limit_choices_to={"structure": Place.Structure.CURRENT, "level": "commune"})
    village = models.CharField(_("village"), max_length=120, blank=True)
    address = models.CharField(_("address"), max_length=255, blank=True)
    household = models.ForeignKey(Household, null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="members", verbose_name=_("household"))
    phone = models.CharField(_("phone"), max_length=16, blank=True)
    occupation = models.CharField(_("occupation"), max_length=120, blank=True)
    priority_group = models.CharField(_("priority group"), max_length=40, blank=True)
    chronic_conditions = models.JSONField(_("chronic conditions"), default=list, blank=True)
    pregnant = models.BooleanField(_("pregnant"), default=False)
    expected_delivery = models.DateField(_("expected delivery date"), null=True, blank=True)
    disability = models.CharField(_("disability"), max_length=200, blank=True)
    # Kept current by the services and by `refresh_vulnerability` (ages and policies change with time),
    # so lists can filter on it; the health book recomputes it live with its reasons.
    vulnerable = models.BooleanField(_("vulnerable"), default=False)
    reconciliation = models.CharField(_("reconciliation"), max_length=10, choices=Reconciliation.choices,
                                      default=Reconciliation.UNCHECKED)
    reconciliation_detail = models.JSONField(default=dict, blank=True)
    # A person merged into another stays as a row (so the merge can be undone) but leaves every list.
    merged_into = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    # Which import run and row created the person. A number, not a foreign key: the imports app sits
    # below people and people never depends on it.
    source_import = models.PositiveIntegerField(null=True, blank=True)
    source_row = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("people")
        constraints = [
            models.UniqueConstraint(fields=["cccd"], condition=Q(cccd__isnull=False), name="person_cccd_uniq"),
        ]
        indexes = [
            models.Index(fields=["commune", "name_folded"], name="person_commune_name_idx"),
            models.Index(fields=["name_folded"], name="person_name_idx"),
            models.Index(fields=["commune", "birth_year"], name="person_commune_year_idx"),
            models.Index(fields=["phone"], name="person_phone_idx"),
            models.Index(fields=["insurance_number"], name="person_insurance_idx"),
            models.Index(fields=["commune", "reconciliation"], name="person_commune_recon_idx"),
            models.Index(fields=["commune", "vulnerable"], name="person_commune_vuln_idx"),
        ]

    def __str__(self) -> str:
        return self.full_name

    @property
    def birth_label(self) -> str:
        if self.birth_date:
            return self.birth_date.strftime("%d/%m/%Y")
        return str(self.birth_year or "")

    def age_on(self, day) -> int | None:
        return age_on(day, self.birth_date, self.birth_year)


class ReferenceRecord(models.Model):
    """A row of the National Population Database extract the register is reconciled against."""

    cccd = models.CharField(max_length=12, db_index=True)
    full_name = models.CharField(max_length=150)
    name_folded = models.CharField(max_length=150, db_index=True)
    birth_date = models.DateField(null=True, blank=True)
    birth_year = models.PositiveSmallIntegerField(null=True, blank=True)
    sex = models.CharField(max_length=1, blank=True)
    address = models.CharField(max_length=255, blank=True)
    commune = models.ForeignKey(Place, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    loaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("population database record")
        verbose_name_plural = _("population database records")

    def __str__(self) -> str:
        return f"{self.cccd} {self.full_name}"


class Decision(models.TextChoices):
    PENDING = "pending", _("To review")
    ACCEPTED = "accepted", _("Accepted")
    REJECTED = "rejected", _("Rejected")


class Proposal(models.Model):
    """What record linkage proposes and an officer decides: a probability and a decision."""

    probability = models.FloatField(_("match probability"))
    status = models.CharField(max_length=8, choices=Decision.choices, default=Decision.PENDING, db_index=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        abstract = True
        ordering = ["-probability"]


class ReferenceCandidate(Proposal):
    """A population-database row that record linkage proposes for a person without a usable number."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="reference_candidates")
    reference = models.ForeignKey(ReferenceRecord, on_delete=models.CASCADE, related_name="+")

    class Meta(Proposal.Meta):
        constraints = [models.UniqueConstraint(fields=["person", "reference"], name="refcandidate_uniq")]

    def __str__(self) -> str:
        return f"{self.person_id} ~ {self.reference_id} ({self.probability:.2f})"


class DuplicateCandidate(Proposal):
    """Two register entries that record linkage thinks are the same person."""

    first = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    second = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")

    class Meta(Proposal.Meta):
        constraints = [models.UniqueConstraint(fields=["first", "second"], name="duplicate_pair_uniq")]

    def __str__(self) -> str:
        return f"{self.first_id} ~ {self.second_id} ({self.probability:.2f})"


class Merge(models.Model):
    """One person merged into another, with every record that moved, so that it can be undone."""

    kept = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    merged = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    moved = models.JSONField(default=list)  # [[model label, field, [pks]], …]
    merged_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    merged_at = models.DateTimeField(auto_now_add=True)
    undone_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="+")
    undone_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-merged_at"]

    def __str__(self) -> str:
        return f"{self.merged_id} → {self.kept_id}"
