"""Forms of the facility screens: admission, referral, discharge, the receiving facility's decision, beds."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from epicommand.core.forms import StyledForm
from epicommand.core.models import Organization

from .forms_cases import FacilityField
from .models import Admission, BedKind


class AdmitForm(StyledForm, forms.Form):
    facility = FacilityField(label=_("Facility"), queryset=Organization.objects.none())
    bed_kind = forms.ChoiceField(label=_("Bed kind"), choices=BedKind.choices)
    note = forms.CharField(label=_("Note"), required=False)

    def __init__(self, *args, facilities, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["facility"].queryset = facilities


class ReferForm(StyledForm, forms.Form):
    to_facility = FacilityField(label=_("Refer to"), queryset=Organization.objects.none())
    bed_kind = forms.ChoiceField(label=_("Bed kind"), choices=BedKind.choices)
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, facilities, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_facility"].queryset = facilities


class DecideForm(StyledForm, forms.Form):
    decision = forms.ChoiceField(label=_("Decision"), choices=[("accept", _("Accept: hold a bed")),
                                                               ("decline", _("Decline"))], widget=forms.RadioSelect)
    reason = forms.CharField(label=_("Reason"), required=False, widget=forms.Textarea(attrs={"rows": 2}),
                             help_text=_("Required when declining."))


class DischargeForm(StyledForm, forms.Form):
    OUTCOMES = [(o.value, o.label) for o in Admission.Outcome if o != Admission.Outcome.REFERRED]

    outcome = forms.ChoiceField(label=_("Outcome"), choices=OUTCOMES, widget=forms.RadioSelect)
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class BedsForm(StyledForm, forms.Form):
    def __init__(self, *args, current: dict[str, tuple[int, int]], **kwargs):
        super().__init__(*args, **kwargs)
        for kind, label in BedKind.choices:
            total, occupied = current.get(kind, (0, 0))
            self.fields[kind] = forms.IntegerField(
                label=label, min_value=0, max_value=10000, initial=total,
                help_text=_("%(n)s in use") % {"n": occupied})
        self.style()
