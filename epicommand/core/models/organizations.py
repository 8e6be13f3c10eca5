"""The bodies the directives name: the command centre, health services, facilities, sites,
checkpoints, establishments and agencies."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from .places import Place


class Organization(models.Model):
    class Kind(models.TextChoices):
        COMMAND_CENTRE = "command_centre", _("Command centre")
        HEALTH_DEPARTMENT = "health_department", _("Department of Health")
        CDC = "cdc", _("Centre for Disease Control")
        PROVINCIAL_HOSPITAL = "provincial_hospital", _("Provincial hospital")
        DISTRICT_HOSPITAL = "district_hospital", _("District hospital")
        HEALTH_CENTRE = "health_centre", _("Health centre")
        COMMUNE_STATION = "commune_station", _("Commune health station")
        MOBILE_STATION = "mobile_station", _("Mobile medical station")
        PRIVATE_CLINIC = "private_clinic", _("Private clinic")
        TREATMENT_FACILITY = "treatment_facility", _("Treatment facility")
        ISOLATION_FACILITY = "isolation_facility", _("Isolation facility")
        VACCINATION_SITE = "vaccination_site", _("Vaccination site")
        CHECKPOINT = "checkpoint", _("Checkpoint")
        SCHOOL = "school", _("School")
        LODGING = "lodging", _("Lodging (hotel, guest house)")
        AGENCY = "agency", _("Department or agency")

    class Tier(models.IntegerChoices):
        TIER_1 = 1, _("Tier 1: asymptomatic and mild")
        TIER_2 = 2, _("Tier 2: moderate, mild with comorbidities")
        TIER_3 = 3, _("Tier 3: severe and critical")

    # Kinds that treat patients and so carry a tier of the 3-tier tower.
    TREATING_KINDS = frozenset(
        {Kind.PROVINCIAL_HOSPITAL, Kind.DISTRICT_HOSPITAL, Kind.HEALTH_CENTRE, Kind.TREATMENT_FACILITY}
    )

    name = models.CharField(_("name"), max_length=200)
    name_folded = models.CharField(max_length=200, db_index=True, editable=False)
    code = models.CharField(_("code"), max_length=32, blank=True)
    kind = models.CharField(_("kind"), max_length=24, choices=Kind.choices, db_index=True)
    tier = models.PositiveSmallIntegerField(_("tier"), choices=Tier.choices, null=True, blank=True)
    place = models.ForeignKey(
        Place, verbose_name=_("place"), on_delete=models.PROTECT, related_name="organizations",
        limit_choices_to={"structure": Place.Structure.CURRENT},
    )
    parent = models.ForeignKey(
        "self", verbose_name=_("parent organization"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="children",
    )
    address = models.CharField(_("address"), max_length=255, blank=True)
    contact_name = models.CharField(_("contact person"), max_length=120, blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("organization")
        verbose_name_plural = _("organizations")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(tier__isnull=True) | models.Q(tier__in=[1, 2, 3]), name="organization_tier_valid"
            )
        ]

    def __str__(self) -> str:
        return self.name
