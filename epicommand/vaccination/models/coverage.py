"""What the coverage screens read: each person's vaccination status, and small fact tables per commune.

`VaccinationStatus` is derived from a person's live doses; `CoverageDay` counts the people who reached a
stage on a day (cumulating the days gives coverage on any date, hence the trend); `TargetFact` counts the
register's people per commune × age group × priority group. The services keep them current as doses
change; `manage.py rebuild_coverage` recomputes them from scratch and a test checks both agree."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from epicommand.core.models import Place
from epicommand.notify.models import Message
from epicommand.people.models import Person


class Stage(models.TextChoices):
    FIRST = "first", _("At least one dose")
    PRIMARY = "primary", _("Primary series complete")
    BOOSTER = "booster", _("Booster")


NO_GROUP = ""  # people of no priority group, and ages outside the vaccinated groups


class VaccinationStatus(models.Model):
    person = models.OneToOneField(Person, primary_key=True, on_delete=models.CASCADE,
                                  related_name="vaccination_status")
    commune = models.ForeignKey(Place, on_delete=models.PROTECT, related_name="+")
    age_group = models.CharField(max_length=8, blank=True)  # on the day the status was computed
    priority_group = models.CharField(max_length=40, blank=True)
    doses = models.PositiveSmallIntegerField(default=0)
    first_on = models.DateField(null=True, blank=True)
    primary_on = models.DateField(null=True, blank=True)
    booster_on = models.DateField(null=True, blank=True)
    last_on = models.DateField(null=True, blank=True)
    last_product = models.CharField(max_length=24, blank=True)
    next_due = models.DateField(null=True, blank=True)  # None: nothing due under the rules in force

    class Meta:
        indexes = [models.Index(fields=["commune", "next_due"], name="vstatus_commune_due_idx")]

    def __str__(self) -> str:
        return f"{self.person_id}: {self.doses}"


class CoverageDay(models.Model):
    """People of a commune × age group × priority group who reached `stage` on `day`."""

    day = models.DateField()
    commune = models.ForeignKey(Place, on_delete=models.PROTECT, related_name="+")
    age_group = models.CharField(max_length=8, blank=True)
    priority_group = models.CharField(max_length=40, blank=True)
    stage = models.CharField(max_length=8, choices=Stage.choices)
    people = models.IntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["commune", "day", "age_group", "priority_group", "stage"],
                                               name="coverage_day_uniq")]

    def __str__(self) -> str:
        return f"{self.commune_id} {self.day} {self.stage}: {self.people}"


class TargetFact(models.Model):
    """People in the register per commune × age group × priority group (rebuilt with the aggregates)."""

    commune = models.ForeignKey(Place, on_delete=models.PROTECT, related_name="+")
    age_group = models.CharField(max_length=8, blank=True)
    priority_group = models.CharField(max_length=40, blank=True)
    people = models.IntegerField(default=0)
    computed_on = models.DateField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["commune", "age_group", "priority_group"],
                                               name="target_fact_uniq")]

    def __str__(self) -> str:
        return f"{self.commune_id} {self.age_group}: {self.people}"


class OfficialTarget(models.Model):
    """An official target population (statistics office, the Ministry's plan) that overrides the register's
    count for a commune × age group."""

    commune = models.ForeignKey(Place, on_delete=models.PROTECT, related_name="+", verbose_name=_("commune"))
    age_group = models.CharField(_("age group"), max_length=8)
    people = models.PositiveIntegerField(_("target population"))
    source = models.CharField(_("source"), max_length=200, blank=True)
    source_import = models.PositiveIntegerField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("official target population")
        verbose_name_plural = _("official target populations")
        constraints = [models.UniqueConstraint(fields=["commune", "age_group"], name="official_target_uniq")]

    def __str__(self) -> str:
        return f"{self.commune} {self.age_group}: {self.people}"


class Reminder(models.Model):
    """A reminder sent to a commune's focal point about its coverage: when, by whom, what, and the figures
    it was sent on."""

    commune = models.ForeignKey(Place, on_delete=models.PROTECT, related_name="+", verbose_name=_("commune"))
    message = models.ForeignKey(Message, on_delete=models.PROTECT, related_name="+")
    figures = models.JSONField(default=dict)
    sent_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("coverage reminder")
        verbose_name_plural = _("coverage reminders")
        ordering = ["-sent_at", "-id"]

    def __str__(self) -> str:
        return f"{self.commune} · {self.sent_at:%d/%m/%Y %H:%M}" if self.sent_at else str(self.commune)
