"""Forms of the campaign, site and session screens. Choices come from the jurisdiction module and the
policies in force; the services check everything again."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from epicommand.core.forms import PlaceChoiceField, StyledForm, day_field
from epicommand.core.jurisdiction import assignable_places
from epicommand.core.models import Place, User

from . import campaign_services as cs
from .models import Campaign, Product, Site


class CampaignForm(StyledForm, forms.Form):
    name = forms.CharField(label=_("Name"), max_length=150)
    area = PlaceChoiceField(label=_("Area"), queryset=Place.objects.none(),
                            help_text=_("The province, or one commune."))
    starts_on = day_field(_("Starts on"))
    ends_on = day_field(_("Ends on"), required=False)
    age_groups = forms.MultipleChoiceField(label=_("Target age groups"), required=False,
                                           widget=forms.CheckboxSelectMultiple,
                                           help_text=_("None ticked: every age group vaccinated."))
    products = forms.ModelMultipleChoiceField(label=_("Vaccines"), queryset=Product.objects.none(), required=False,
                                              widget=forms.CheckboxSelectMultiple)
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, user: User, campaign: Campaign | None = None, **kwargs):
        initial = kwargs.pop("initial", {}) or {}
        if campaign is not None:
            initial.update({"name": campaign.name, "area": campaign.area_id, "starts_on": campaign.starts_on,
                            "ends_on": campaign.ends_on, "age_groups": campaign.age_groups,
                            "products": list(campaign.products.all()), "note": campaign.note})
        super().__init__(*args, initial=initial, **kwargs)
        today = timezone.localdate()
        self.fields["area"].queryset = cs.campaign_areas(user)
        groups = cs.age_groups(today)
        self.fields["age_groups"].choices = [(k, cs.age_label(k, v)) for k, v in groups.items()]
        self.fields["products"].queryset = Product.objects.filter(is_active=True).order_by("name")
        # One box list per priority list: the two lists name some groups alike, a tick in either counts.
        self.priority_fields = []
        chosen = set(campaign.priority_groups) if campaign else set()
        for index, (_key, title, keys) in enumerate(cs.priority_lists(today)):
            name = f"priority_{index}"
            self.fields[name] = forms.MultipleChoiceField(
                label=title, required=False, widget=forms.CheckboxSelectMultiple,
                choices=[(k, f"{n}. {cs.priority_label(k)}") for n, k in enumerate(keys, start=1)],
                initial=[k for k in keys if k in chosen])
            self.priority_fields.append(name)
        self.style()

    def priority_groups(self) -> list[str]:
        order = cs.priority_order()
        chosen = {k for name in self.priority_fields for k in self.cleaned_data.get(name, [])}
        return sorted(chosen, key=lambda k: order.get(k, len(order)))

    def service_data(self) -> dict:
        d = self.cleaned_data
        return {"name": d["name"], "area": d["area"], "starts_on": d["starts_on"], "ends_on": d.get("ends_on"),
                "age_groups": list(d.get("age_groups") or []), "priority_groups": self.priority_groups(),
                "products": list(d.get("products") or []), "note": d.get("note", "")}


class SiteForm(StyledForm, forms.Form):
    name = forms.CharField(label=_("Name"), max_length=150)
    kind = forms.ChoiceField(label=_("Kind"), choices=Site.Kind.choices)
    commune = PlaceChoiceField(label=_("Commune"), queryset=Place.objects.none())
    village = forms.CharField(label=_("Village"), max_length=120, required=False,
                              help_text=_("Required for a mobile site at a village: only its people are invited."))
    organization = forms.ModelChoiceField(label=_("Run by"), queryset=None,
                                          help_text=_("The unit whose staff and vaccine stock serve the site."))
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args, user: User, site: Site | None = None, **kwargs):
        initial = kwargs.pop("initial", {}) or {}
        if site is not None:
            initial.update({"name": site.name, "kind": site.kind, "commune": site.commune_id,
                            "village": site.village, "organization": site.organization_id,
                            "is_active": site.is_active})
        super().__init__(*args, initial=initial, **kwargs)
        communes = assignable_places(user).filter(level=Place.Level.COMMUNE).order_by("name")
        self.fields["commune"].queryset = communes
        if site is None and communes.count() == 1:
            self.fields["commune"].initial = communes.first()
        self.fields["organization"].queryset = cs.site_organizations(user)
        self.style()


class SessionForm(StyledForm, forms.Form):
    date = day_field(_("Date"))
    campaign = forms.ModelChoiceField(label=_("Campaign"), queryset=Campaign.objects.none(), required=False,
                                      empty_label=_("— no campaign —"))
    team = forms.CharField(label=_("Team"), max_length=255, required=False,
                           help_text=_("Names of the vaccinators, screeners and the emergency team."))

    def __init__(self, *args, user: User, site: Site, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["campaign"].queryset = cs.session_campaigns(user, site)
        self.fields["date"].initial = timezone.localdate()
        self.style()
