from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from epicommand.core.forms import PlaceChoiceField, StyledForm
from epicommand.core.jurisdiction import assignable_places
from epicommand.core.models import Place

from .ethnicities import ETHNICITY_CHOICES
from .models import Person, Reconciliation, Sex
from .vulnerability import CONDITION_LABELS

AGE_BANDS = [("0-4", "0–4"), ("5-11", "5–11"), ("12-17", "12–17"), ("18-49", "18–49"), ("50-64", "50–64"),
             ("65-", "65+")]


def communes_for(user):
    return assignable_places(user).filter(level=Place.Level.COMMUNE)


class PersonForm(StyledForm, forms.ModelForm):
    chronic_conditions = forms.MultipleChoiceField(
        label=_("Chronic conditions"), required=False, widget=forms.CheckboxSelectMultiple,
        choices=list(CONDITION_LABELS.items()))

    class Meta:
        model = Person
        fields = ["full_name", "birth_date", "birth_year", "sex", "cccd", "cmnd", "passport", "insurance_number",
                  "ethnicity", "nationality", "commune", "village", "address", "phone", "occupation",
                  "priority_group", "chronic_conditions", "pregnant", "expected_delivery", "disability"]
        help_texts = {"birth_year": _("Enough when the full date is not known."),
                      "birth_date": _("dd/mm/yyyy")}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        communes = communes_for(user)
        self.fields["commune"] = PlaceChoiceField(label=_("Commune"), queryset=communes)
        if not self.instance.pk and len(communes) == 1:
            self.fields["commune"].initial = communes[0]  # a commune nurse registers people of her commune
        self.fields["ethnicity"].choices = [("", "—"), *ETHNICITY_CHOICES]
        self.fields["birth_year"].required = False
        self.fields["cccd"].required = False
        self.style()

    def clean(self):
        data = super().clean()
        if not data.get("birth_date") and not data.get("birth_year"):
            self.add_error("birth_year", _("The date or at least the year of birth is required."))
        return data

    def _post_clean(self):
        # The service validates the whole person (CCCD against sex and year, uniqueness…) and reports
        # field by field; the model's own full_clean would only repeat part of it.
        pass


class PersonFilterForm(StyledForm, forms.Form):
    q = forms.CharField(label=_("Search"), required=False, widget=forms.TextInput(
        attrs={"placeholder": _("Name, CCCD, phone or insurance number"), "type": "search"}))
    commune = PlaceChoiceField(label=_("Commune"), required=False, queryset=Place.objects.none(),
                               empty_label=_("All communes"))
    village = forms.CharField(label=_("Village"), required=False,
                              widget=forms.TextInput(attrs={"placeholder": _("Village")}))
    age = forms.ChoiceField(label=_("Age"), required=False, choices=[("", _("All ages")), *AGE_BANDS])
    sex = forms.ChoiceField(label=_("Sex"), required=False, choices=[("", _("Both sexes")), *Sex.choices])
    ethnicity = forms.ChoiceField(label=_("Ethnicity"), required=False)
    vulnerable = forms.BooleanField(label=_("Vulnerable only"), required=False)
    no_cccd = forms.BooleanField(label=_("Without CCCD"), required=False)
    reconciliation = forms.ChoiceField(label=_("Reconciliation"), required=False,
                                       choices=[("", _("Any reconciliation status")), *Reconciliation.choices])

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["commune"].queryset = communes_for(user)
        self.fields["ethnicity"].choices = [("", _("All ethnic groups")), *ETHNICITY_CHOICES]
        self.style()
