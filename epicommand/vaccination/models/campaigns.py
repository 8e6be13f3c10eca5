"""Campaigns, the sites that vaccinate, and their sessions."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from epicommand.core.models import Organization, Place

from .stock import Lot, Product


class Campaign(models.Model):
    """A drive with its target groups, area, dates and vaccines (seed 000 §4: all adults, then 12–17, 5–11,
    priority groups first). Campaigns hold no personal data: every vaccination role may read them."""

    name = models.CharField(_("name"), max_length=150)
    area = models.ForeignKey(Place, on_delete=models.PROTECT, related_name="+", verbose_name=_("area"))
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"), null=True, blank=True)
    age_groups = models.JSONField(_("age groups"), default=list, blank=True)  # keys of vaccination.age_groups
    priority_groups = models.JSONField(_("priority groups"), default=list, blank=True)  # empty: everyone
    products = models.ManyToManyField(Product, related_name="+", verbose_name=_("vaccines"))
    note = models.TextField(_("note"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        ordering = ["-starts_on", "name"]

    def __str__(self) -> str:
        return self.name


class Site(models.Model):
    """Where doses are given: fixed at a facility, or mobile at a village, an agency or an industrial zone.
    Its stock is the stock of the organization that runs it."""

    class Kind(models.TextChoices):
        FIXED = "fixed", _("Fixed, at a facility")
        VILLAGE = "village", _("Mobile, at a village")
        AGENCY = "agency", _("Mobile, at an agency")
        INDUSTRIAL_ZONE = "industrial_zone", _("Mobile, at an industrial zone")

    name = models.CharField(_("name"), max_length=150)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.FIXED)
    commune = models.ForeignKey(Place, on_delete=models.PROTECT, related_name="+", verbose_name=_("commune"))
    village = models.CharField(_("village"), max_length=120, blank=True)
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="vaccination_sites",
                                     verbose_name=_("run by"))
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("vaccination site")
        verbose_name_plural = _("vaccination sites")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Session(models.Model):
    """One day of vaccination at a site. No cap on people: the invitation list is everyone due."""

    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Closed")

    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="sessions", verbose_name=_("site"))
    campaign = models.ForeignKey(Campaign, null=True, blank=True, on_delete=models.SET_NULL, related_name="sessions",
                                 verbose_name=_("campaign"))
    date = models.DateField(_("date"), db_index=True)
    team = models.CharField(_("team"), max_length=255, blank=True)
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.PLANNED)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("session")
        verbose_name_plural = _("sessions")
        ordering = ["-date", "site__name"]

    def __str__(self) -> str:
        return f"{self.site} · {self.date:%d/%m/%Y}"


class SessionLot(models.Model):
    """Vials of a lot opened in a session: kept equal to the vials the session's doses needed, so closing
    the session discards what is left in the last vial as open-vial wastage."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="lots")
    lot = models.ForeignKey(Lot, on_delete=models.PROTECT, related_name="+")
    vials_opened = models.PositiveIntegerField(default=0)
    doses_given = models.PositiveIntegerField(default=0)
    discarded = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["session", "lot"], name="session_lot_uniq")]

    def __str__(self) -> str:
        return f"{self.session} · {self.lot}"
