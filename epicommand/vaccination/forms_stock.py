"""Forms of the stock screens. Choices come from the jurisdiction module (through stock_services.kept_by and
visible_to), so a form offers only the units whose stock the user books: never another area's, and not the
communes' stations to a province officer who merely sees them."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from epicommand.core.forms import StyledForm, day_field
from epicommand.core.jurisdiction import visible_to
from epicommand.core.models import Organization, User

from .models import Dispatch, Movement, Product, Stock
from .stock import MAX_DOSES
from .stock_services import SHORTFALL_REASONS, SOURCES, kept_by


class HolderField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Organization) -> str:
        return obj.name


class StockField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Stock) -> str:
        return _("%(holder)s · %(vaccine)s lot %(lot)s (exp. %(expiry)s) · %(n)s doses") % {
            "holder": obj.holder.name, "vaccine": obj.lot.product.name, "lot": obj.lot.number,
            "expiry": obj.lot.expiry.strftime("%d/%m/%Y"), "n": obj.doses}


class ReceiptForm(StyledForm, forms.Form):
    UNITS = [("doses", _("doses")), ("vials", _("vials"))]

    holder = HolderField(queryset=Organization.objects.none(), label=_("Received by"))
    product = forms.ModelChoiceField(queryset=Product.objects.filter(is_active=True), label=_("Vaccine"))
    number = forms.CharField(label=_("Lot number"), max_length=40)
    expiry = day_field(_("Expiry date"))
    doses_per_vial = forms.IntegerField(label=_("Doses per vial"), min_value=1, max_value=50, required=False,
                                        help_text=_("Leave empty to use the vaccine's usual vial size."))
    quantity = forms.IntegerField(label=_("Quantity"), min_value=1, max_value=MAX_DOSES)
    unit = forms.ChoiceField(label=_("Counted in"), choices=UNITS, initial="vials")
    source = forms.ChoiceField(label=_("Source"), choices=list(SOURCES.items()))
    note = forms.CharField(label=_("Note"), max_length=255, required=False)

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["holder"].queryset = kept_by(user)

    def clean(self):
        data = super().clean()
        product = data.get("product")
        if product and not data.get("doses_per_vial"):
            data["doses_per_vial"] = product.doses_per_vial
        if data.get("quantity") and data.get("doses_per_vial"):
            per_vial = data["doses_per_vial"]
            data["doses"] = data["quantity"] * per_vial if data.get("unit") == "vials" else data["quantity"]
        return data


class WasteForm(StyledForm, forms.Form):
    stock = StockField(queryset=Stock.objects.none(), label=_("Lot and holder"))
    doses = forms.IntegerField(label=_("Doses wasted"), min_value=1, max_value=MAX_DOSES)
    reason = forms.ChoiceField(label=_("Reason"), choices=Movement.Waste.choices)
    note = forms.CharField(label=_("Note"), max_length=255, required=False)

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["stock"].queryset = (
            visible_to(user, Stock).filter(doses__gt=0, holder__in=kept_by(user))
            .select_related("holder", "lot__product").order_by("holder__name", "lot__expiry", "lot__number"))


class PlanForm(StyledForm, forms.Form):
    product = forms.ModelChoiceField(queryset=Product.objects.filter(is_active=True), label=_("Vaccine"))
    source = HolderField(queryset=Organization.objects.none(), label=_("Dispatched from"))
    doses = forms.IntegerField(label=_("Doses to share"), min_value=1, max_value=MAX_DOSES, required=False,
                               help_text=_("Leave empty to share everything the unit holds, in whole vials."))
    note = forms.CharField(label=_("Note"), max_length=255, required=False)

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        # Units the allocator keeps that hold something (for the province: its CDC). Doses leave a unit's stock
        # when the plan is dispatched, so only the side holding the vials may send them.
        holding = visible_to(user, Stock).filter(doses__gt=0).values("holder_id")
        self.fields["source"].queryset = kept_by(user).filter(pk__in=holding).order_by("place__path", "name")


class ConfirmReceiptForm(StyledForm, forms.Form):
    received = forms.IntegerField(label=_("Doses received in usable state"), min_value=0)
    reason = forms.ChoiceField(label=_("If fewer: why"), required=False,
                               choices=[("", "—"), *[(r.value, r.label) for r in SHORTFALL_REASONS]])
    note = forms.CharField(label=_("Note"), max_length=255, required=False)

    def __init__(self, *args, dispatch: Dispatch, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["received"].max_value = dispatch.doses
        self.fields["received"].initial = dispatch.doses
        self.fields["received"].widget.attrs["max"] = dispatch.doses
