from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from epicommand.core.models import Job, Organization, Place


class ImportRun(models.Model):
    """One upload and what became of it: the stored file, the mapping the user confirmed, the counts
    and the error report. The Job row carries its progress."""

    class Mode(models.TextChoices):
        SKIP_INVALID = "skip", _("Import the valid rows, report the others")
        ALL_OR_NOTHING = "all", _("All or nothing: import only if every row is valid")

    spec = models.CharField(_("what"), max_length=32)
    file = models.FileField(_("file"), upload_to="imports/%Y/%m/")
    original_name = models.CharField(_("file name"), max_length=255)
    size = models.PositiveBigIntegerField(default=0)
    sha256 = models.CharField(max_length=64, blank=True)
    header_row = models.PositiveIntegerField(null=True, blank=True)
    mapping = models.JSONField(default=dict, blank=True)  # sheet column index (as text) → spec column key
    mode = models.CharField(_("mode"), max_length=4, choices=Mode.choices, default=Mode.SKIP_INVALID)
    default_commune = models.ForeignKey(Place, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                        verbose_name=_("default commune"))
    dry_run = models.BooleanField(_("dry run"), default=False)
    job = models.OneToOneField(Job, null=True, blank=True, on_delete=models.SET_NULL, related_name="import_run")
    total_rows = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    rejected = models.PositiveIntegerField(default=0)
    error_report = models.FileField(upload_to="imports/%Y/%m/", blank=True)
    errors_preview = models.JSONField(default=list, blank=True)  # the first problems, shown on the page
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    place = models.ForeignKey(Place, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    organization = models.ForeignKey(Organization, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.original_name
