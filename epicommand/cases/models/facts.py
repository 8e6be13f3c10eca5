"""Fact tables the command centre reads: open cases per commune × severity × tier × setting, and cases
opened and closed per commune × day. Kept current by cases.facts inside every case change; rebuilt from
scratch by `manage.py rebuild_case_facts`."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from epicommand.core.models import Place


class ActiveCases(models.Model):
    commune = models.ForeignKey(Place, on_delete=models.PROTECT, related_name="+")
    severity = models.CharField(max_length=12)
    tier = models.PositiveSmallIntegerField(default=0)  # 0: not yet decided
    setting = models.CharField(max_length=8)
    cases = models.IntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["commune", "severity", "tier", "setting"],
                                               name="active_cases_key")]

    def __str__(self) -> str:
        return f"{self.commune_id} {self.severity} t{self.tier} {self.setting}: {self.cases}"


class CaseDay(models.Model):
    commune = models.ForeignKey(Place, on_delete=models.PROTECT, related_name="+")
    day = models.DateField()
    opened = models.IntegerField(default=0)
    recovered = models.IntegerField(default=0)
    died = models.IntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["commune", "day"], name="case_day_key")]
        indexes = [models.Index(fields=["day"], name="case_day_day_idx")]

    def __str__(self) -> str:
        return f"{self.commune_id} {self.day}: +{self.opened}"


class WorkerLoad(models.Model):
    """Home patients per health worker: under treatment now, and of them with an open alert."""

    worker = models.OneToOneField(settings.AUTH_USER_MODEL, primary_key=True, on_delete=models.CASCADE,
                                  related_name="+")
    commune = models.ForeignKey(Place, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    active = models.IntegerField(default=0)
    alarming = models.IntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.worker_id}: {self.active}"
