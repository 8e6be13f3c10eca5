"""User accounts. A user's jurisdiction is a place subtree and/or an organization (see roles.py)."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from ..roles import Role, capabilities
from .organizations import Organization
from .places import Place


class User(AbstractUser):
    role = models.CharField(_("role"), max_length=24, choices=Role.choices)
    place = models.ForeignKey(
        Place, verbose_name=_("area"), null=True, blank=True, on_delete=models.PROTECT, related_name="users",
        limit_choices_to={"structure": Place.Structure.CURRENT},
    )
    organization = models.ForeignKey(
        Organization, verbose_name=_("organization"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="users",
    )
    full_name = models.CharField(_("full name"), max_length=150, blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    language = models.CharField(_("language"), max_length=8, blank=True)
    created_by = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )

    class Meta:
        verbose_name = _("account")
        verbose_name_plural = _("accounts")
        ordering = ["username"]

    def __str__(self) -> str:
        return self.full_name or self.username

    def can(self, capability: str) -> bool:
        return self.is_active and capability in capabilities(self.role)

    @property
    def jurisdiction_place(self) -> Place | None:
        """The area the user answers for: their place, or their organization's place."""
        if self.place_id:
            return self.place
        return self.organization.place if self.organization_id else None
