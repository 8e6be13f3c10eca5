"""Forms of the case screens: the list's filters, clinical opening, severity confirmation, closing."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from epicommand.core.forms import PlaceChoiceField, StyledForm
from epicommand.core.jurisdiction import assignable_places, visible_to
from epicommand.core.models import Organization, Place, User

from .models import Case, Severity


def date_widget() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class FacilityField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Organization) -> str:
        return f"{obj.name} ({_('tier')} {obj.tier})" if obj.tier else obj.name


SETTINGS = [("", _("Open cases")), *[(s.value, s.label) for s in Case.Setting if s != Case.Setting.CLOSED],
            (Case.Setting.CLOSED.value, Case.Setting.CLOSED.label), ("all", _("All cases"))]


class CaseFilterForm(StyledForm, forms.Form):
    q = forms.CharField(label=_("Search"), required=False,
                        widget=forms.TextInput(attrs={"placeholder": _("Name or case code")}))
    commune = PlaceChoiceField(label=_("Commune"), required=False, queryset=Place.objects.none(),
                               empty_label=_("All communes"))
    severity = forms.ChoiceField(label=_("Severity"), required=False,
                                 choices=[("", _("All severities")), *Severity.choices])
    setting = forms.ChoiceField(label=_("Where treated"), required=False, choices=SETTINGS)
    facility = FacilityField(label=_("Facility"), required=False, queryset=Organization.objects.none(),
                             empty_label=_("All facilities"))

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["commune"].queryset = assignable_places(user).filter(level=Place.Level.COMMUNE).order_by("name")
        self.fields["facility"].queryset = visible_to(user, Organization).filter(
            kind__in=Organization.TREATING_KINDS, tier__isnull=False).order_by("tier", "name")


class OpenCaseForm(StyledForm, forms.Form):
    person = forms.CharField(label=_("Person"), max_length=20,
                             help_text=_("CCCD (12 digits) or the record number shown in the health book."))
    opened_on = forms.DateField(label=_("Confirmed on"), widget=date_widget())
    onset_on = forms.DateField(label=_("Symptom onset"), required=False, widget=date_widget())
    note = forms.CharField(label=_("Clinical note"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["opened_on"].initial = timezone.localdate()

    def clean_person(self):
        from epicommand.people.models import Person

        raw = "".join(self.cleaned_data["person"].split())
        people = visible_to(self.user, Person).filter(merged_into__isnull=True)
        found = None
        if raw.isdigit() and len(raw) == 12:
            found = people.filter(cccd=raw).first()
        elif raw.isdigit():
            found = people.filter(pk=int(raw)).first()
        if found is None:
            # The same answer for "nobody" and "someone outside your area": nothing is revealed.
            raise forms.ValidationError(_("No person with this number in your area."))
        return found


class SeverityForm(StyledForm, forms.Form):
    severity = forms.ChoiceField(label=_("Severity"), choices=Severity.choices, widget=forms.RadioSelect)
    note = forms.CharField(label=_("Clinical note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class CloseCaseForm(StyledForm, forms.Form):
    outcome = forms.ChoiceField(label=_("Outcome"), choices=Case.Outcome.choices, widget=forms.RadioSelect)
    closed_on = forms.DateField(label=_("Closed on"), widget=date_widget())
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["closed_on"].initial = timezone.localdate()
