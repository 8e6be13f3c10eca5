"""Rule values with the date they take effect, their source and whether they were verified."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class PolicyVersion(models.Model):
    key = models.CharField(_("rule"), max_length=80, db_index=True)
    value = models.JSONField(_("value"))
    effective_from = models.DateField(_("in force from"))
    source = models.CharField(_("source"), max_length=255)
    unverified = models.BooleanField(_("unverified"), default=False)
    note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("policy version")
        verbose_name_plural = _("policy versions")
        ordering = ["key", "-effective_from"]
        constraints = [models.UniqueConstraint(fields=["key", "effective_from"], name="policy_key_date_uniq")]

    def __str__(self) -> str:
        return f"{self.key} @ {self.effective_from:%d/%m/%Y}"
