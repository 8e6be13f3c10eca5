"""Vaccines and their stock: products, lots, what each organization holds, and every movement.

Stock is a balance per (holding organization, lot) that only changes through
`stock.move()`: a conditional UPDATE that refuses to go below zero, written together with a ledger
row. Many vaccinators drawing from one lot at once can never take more than is there, and no movement
is lost."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from epicommand.core.models import Organization, Place


class Product(models.Model):
    """A vaccine as the policies name it ("astrazeneca", "pfizer"…): its schedule is a policy."""

    key = models.CharField(_("code"), max_length=24, unique=True)
    name = models.CharField(_("name"), max_length=80)
    manufacturer = models.CharField(_("manufacturer"), max_length=120, blank=True)
    doses_per_vial = models.PositiveSmallIntegerField(_("doses per vial"), default=10)
    is_active = models.BooleanField(_("in use"), default=True)

    class Meta:
        verbose_name = _("vaccine")
        verbose_name_plural = _("vaccines")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Lot(models.Model):
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="lots", verbose_name=_("vaccine"))
    number = models.CharField(_("lot number"), max_length=40)
    expiry = models.DateField(_("expiry date"))
    doses_per_vial = models.PositiveSmallIntegerField(_("doses per vial"))
    source = models.CharField(_("source"), max_length=120, blank=True)  # e.g. COVAX, purchase, donation

    class Meta:
        verbose_name = _("lot")
        verbose_name_plural = _("lots")
        ordering = ["expiry", "number"]
        constraints = [models.UniqueConstraint(fields=["product", "number"], name="lot_product_number_uniq")]

    def __str__(self) -> str:
        return f"{self.product} · {self.number}"


class Stock(models.Model):
    """Doses of a lot held by an organization right now (the sum of its ledger rows)."""

    holder = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="stock",
                               verbose_name=_("held by"))
    lot = models.ForeignKey(Lot, on_delete=models.PROTECT, related_name="stock", verbose_name=_("lot"))
    doses = models.IntegerField(_("doses"), default=0)

    class Meta:
        verbose_name = _("stock")
        verbose_name_plural = _("stock")
        constraints = [
            models.UniqueConstraint(fields=["holder", "lot"], name="stock_holder_lot_uniq"),
            # The last line of defence: even a write that bypasses the service cannot go negative.
            models.CheckConstraint(condition=Q(doses__gte=0), name="stock_never_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.holder} · {self.lot}: {self.doses}"


class Movement(models.Model):
    """One change of stock, never edited: the ledger."""

    class Kind(models.TextChoices):
        RECEIPT = "receipt", _("Received from a supplier")
        DISPATCH_OUT = "dispatch_out", _("Sent to another unit")
        DISPATCH_IN = "dispatch_in", _("Received from another unit")
        ADMINISTERED = "administered", _("Administered")
        WASTED = "wasted", _("Wasted")
        ADJUSTMENT = "adjustment", _("Stock count adjustment")
        UNDONE = "undone", _("Dose undone")

    class Waste(models.TextChoices):
        BREAKAGE = "breakage", _("Breakage")
        EXPIRY = "expiry", _("Expired")
        OPEN_VIAL = "open_vial", _("Open vial discarded")
        COLD_CHAIN = "cold_chain", _("Cold chain failure")

    holder = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    lot = models.ForeignKey(Lot, on_delete=models.PROTECT, related_name="movements")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    doses = models.IntegerField()  # signed: + in, − out
    balance_after = models.IntegerField()
    reason = models.CharField(max_length=16, choices=Waste.choices, blank=True)
    note = models.CharField(max_length=255, blank=True)
    reference = models.CharField(max_length=64, blank=True)  # "dose:123", "dispatch:45"
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("stock movement")
        verbose_name_plural = _("stock movements")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["holder", "lot", "at"], name="movement_holder_lot_idx")]

    def __str__(self) -> str:
        return f"{self.kind} {self.doses:+d} {self.lot}"


class AllocationPlan(models.Model):
    """How the province shares the doses of one vaccine it holds among communes. Suggested from each
    commune's coverage gap, edited by the officer, then dispatched line by line."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        DISPATCHED = "dispatched", _("Dispatched")

    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+", verbose_name=_("vaccine"))
    source = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("dispatched from"))
    doses = models.PositiveIntegerField(_("doses to allocate"))
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.DRAFT)
    note = models.CharField(_("note"), max_length=255, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("allocation plan")
        verbose_name_plural = _("allocation plans")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.product} · {self.doses} · {self.created_at:%d/%m/%Y}" if self.created_at else str(self.product)


class AllocationLine(models.Model):
    plan = models.ForeignKey(AllocationPlan, on_delete=models.CASCADE, related_name="lines")
    commune = models.ForeignKey(Place, on_delete=models.PROTECT, related_name="+", verbose_name=_("commune"))
    recipient = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+",
                                  verbose_name=_("receiving unit"))
    gap = models.IntegerField(_("people not yet covered"), default=0)
    suggested = models.PositiveIntegerField(_("suggested doses"), default=0)
    doses = models.PositiveIntegerField(_("doses"), default=0)

    class Meta:
        verbose_name = _("allocation line")
        verbose_name_plural = _("allocation lines")
        ordering = ["plan", "-gap", "id"]
        constraints = [models.UniqueConstraint(fields=["plan", "commune"], name="allocation_line_commune_uniq")]

    def __str__(self) -> str:
        return f"{self.commune}: {self.doses}"


class Dispatch(models.Model):
    """Doses of a lot sent from one unit to another. They leave the sender's stock when sent and enter
    the receiver's when the receiver confirms; until then they are in transit, visible to both."""

    class Status(models.TextChoices):
        SENT = "sent", _("In transit")
        RECEIVED = "received", _("Received")

    sender = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+", verbose_name=_("from"))
    recipient = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+", verbose_name=_("to"))
    lot = models.ForeignKey(Lot, on_delete=models.PROTECT, related_name="+", verbose_name=_("lot"))
    doses = models.PositiveIntegerField(_("doses"))
    line = models.ForeignKey(AllocationLine, null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="dispatches")
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.SENT)
    received_doses = models.PositiveIntegerField(_("doses received"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=255, blank=True)
    sent_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    sent_at = models.DateTimeField(auto_now_add=True)
    received_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    received_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("dispatch")
        verbose_name_plural = _("dispatches")
        ordering = ["-sent_at", "-id"]

    def __str__(self) -> str:
        return f"{self.lot} · {self.doses} → {self.recipient}"
