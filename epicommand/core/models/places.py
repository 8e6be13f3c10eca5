"""Administrative units: the current structure (province → commune, since 1/7/2025) and the
pre-2025 one (province → district → commune), with the old→new map."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Place(models.Model):
    class Structure(models.TextChoices):
        CURRENT = "current", _("Current (since 1/7/2025)")
        LEGACY = "legacy", _("Before 1/7/2025")

    class Level(models.TextChoices):
        PROVINCE = "province", _("Province")
        DISTRICT = "district", _("District")
        COMMUNE = "commune", _("Commune")

    structure = models.CharField(_("structure"), max_length=8, choices=Structure.choices)
    level = models.CharField(_("level"), max_length=8, choices=Level.choices)
    code = models.CharField(_("GSO code"), max_length=8)
    name = models.CharField(_("name"), max_length=120)
    short_name = models.CharField(_("short name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=40, blank=True)
    # Lower case without diacritics, for search that ignores them.
    name_folded = models.CharField(max_length=120, db_index=True, editable=False)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    # Ancestry as codes: "12/" for a province, "12/03388/" for its commune; legacy units start with
    # "L" ("L12/107/03430/"). "Everything inside this area" is a prefix match on this column.
    path = models.CharField(max_length=64, unique=True)
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    area_km2 = models.FloatField(null=True, blank=True)
    # For a legacy commune: the current commune that took it over (the default one when it was split).
    successor = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="predecessors"
    )

    class Meta:
        verbose_name = _("place")
        verbose_name_plural = _("places")
        constraints = [models.UniqueConstraint(fields=["structure", "code"], name="place_structure_code_uniq")]
        ordering = ["path"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_current(self) -> bool:
        return self.structure == self.Structure.CURRENT

    @property
    def province_code(self) -> str:
        return self.path.lstrip("L").split("/", 1)[0]

    def contains(self, other: Place | None) -> bool:
        return other is not None and other.path.startswith(self.path)

    def label(self) -> str:
        """The name with its parent, as people say it: "Xã Mường Tè, Tỉnh Lai Châu"."""
        return f"{self.name}, {self.parent.name}" if self.parent_id else self.name
