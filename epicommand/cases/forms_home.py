"""Forms of the home-treatment screens: vital signs (worker, facility staff and patient alike), starting
home treatment, handling an alert, zones and hand-overs, the patient's code page."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from epicommand.core.forms import StyledForm
from epicommand.core.models import Organization, User

from .warnings import SYMPTOMS

NUMBER = {"inputmode": "numeric", "class": "form-control"}


class VitalsForm(StyledForm, forms.Form):
    """The monitoring entry. Every measurement is optional (blood pressure "when available")."""

    spo2 = forms.IntegerField(label=_("SpO2 (%)"), required=False, min_value=50, max_value=100,
                              widget=forms.NumberInput(attrs=NUMBER))
    respiratory_rate = forms.IntegerField(label=_("Breaths per minute"), required=False, min_value=4, max_value=120,
                                          widget=forms.NumberInput(attrs=NUMBER))
    pulse = forms.IntegerField(label=_("Pulse (beats per minute)"), required=False, min_value=20, max_value=250,
                               widget=forms.NumberInput(attrs=NUMBER))
    temperature = forms.DecimalField(label=_("Temperature (°C)"), required=False, min_value=30, max_value=45,
                                     decimal_places=1, max_digits=3,
                                     widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "0.1",
                                                                     "class": "form-control"}))
    systolic = forms.IntegerField(label=_("Systolic pressure (mmHg)"), required=False, min_value=40, max_value=300,
                                  widget=forms.NumberInput(attrs=NUMBER))
    diastolic = forms.IntegerField(label=_("Diastolic pressure (mmHg)"), required=False, min_value=20, max_value=200,
                                   widget=forms.NumberInput(attrs=NUMBER))
    symptoms = forms.MultipleChoiceField(label=_("Symptoms"), required=False, choices=list(SYMPTOMS.items()),
                                         widget=forms.CheckboxSelectMultiple)

    def clean(self):
        data = super().clean()
        measured = [data.get(k) for k in ("spo2", "respiratory_rate", "pulse", "temperature", "systolic", "diastolic")]
        if all(v is None for v in measured) and not data.get("symptoms"):
            raise forms.ValidationError(_("Enter at least one measurement or symptom."))
        return data

    def values(self) -> dict:
        measured = ("spo2", "respiratory_rate", "pulse", "temperature", "systolic", "diastolic")
        return {k: self.cleaned_data.get(k) for k in measured} | {"symptoms": self.cleaned_data.get("symptoms") or []}


class ObservationForm(VitalsForm):
    """Staff enter the time the measurement was taken (a visit written up later keeps its own time)."""

    taken_at = forms.DateTimeField(label=_("Taken at"), input_formats=["%Y-%m-%dT%H:%M", "%d/%m/%Y %H:%M"],
                                   widget=forms.DateTimeInput(attrs={"type": "datetime-local", "class": "form-control"},
                                                              format="%Y-%m-%dT%H:%M"))

    field_order = ["taken_at", "spo2", "respiratory_rate", "pulse", "temperature", "systolic", "diastolic", "symptoms"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("taken_at", timezone.localtime().replace(second=0, microsecond=0))


class PatientCodeForm(VitalsForm):
    phone = forms.CharField(label=_("Your phone number"), max_length=20,
                            widget=forms.TextInput(attrs={"inputmode": "tel", "class": "form-control",
                                                          "autocomplete": "tel"}))
    code = forms.CharField(label=_("Code from your health worker"), max_length=6, min_length=6,
                           widget=forms.TextInput(attrs={"inputmode": "numeric", "class": "form-control",
                                                         "autocomplete": "one-time-code"}))

    field_order = ["phone", "code", "spo2", "respiratory_rate", "pulse", "temperature", "systolic", "diastolic",
                   "symptoms"]


class StartForm(StyledForm, forms.Form):
    village = forms.CharField(label=_("Village"), max_length=120, required=False,
                              widget=forms.TextInput(attrs={"class": "form-control"}))
    self_care = forms.BooleanField(label=_("Can care for themselves (or has a carer)"), required=False, initial=True)
    unstable_comorbidity = forms.BooleanField(label=_("Has an underlying disease that is not stable"), required=False)


class AlertForm(StyledForm, forms.Form):
    action = forms.ChoiceField(choices=[("acknowledge", _("Being handled")), ("resolve", _("Resolved"))],
                               widget=forms.HiddenInput)
    note = forms.CharField(label=_("Note"), required=False, max_length=2000,
                           widget=forms.Textarea(attrs={"rows": 2, "class": "form-control"}))


class ZoneForm(StyledForm, forms.Form):
    village = forms.CharField(label=_("Village"), max_length=120)
    worker = forms.ModelChoiceField(label=_("Health worker"), queryset=User.objects.none(),
                                    widget=forms.Select(attrs={"class": "form-select"}))
    station = forms.ModelChoiceField(label=_("Mobile medical station"), queryset=Organization.objects.none(),
                                     required=False, widget=forms.Select(attrs={"class": "form-select"}))

    def __init__(self, *args, workers=None, stations=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["worker"].queryset = workers if workers is not None else User.objects.none()
        self.fields["worker"].label_from_instance = lambda u: u.full_name or u.get_username()
        self.fields["station"].queryset = stations if stations is not None else Organization.objects.none()


class AssignForm(StyledForm, forms.Form):
    worker = forms.ModelChoiceField(label=_("Health worker"), queryset=User.objects.none(),
                                    widget=forms.Select(attrs={"class": "form-select"}))

    def __init__(self, *args, workers=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["worker"].queryset = workers if workers is not None else User.objects.none()
        self.fields["worker"].label_from_instance = lambda u: u.full_name or u.get_username()


class ReleaseForm(StyledForm, forms.Form):
    note = forms.CharField(label=_("Note"), required=False, max_length=2000,
                           widget=forms.Textarea(attrs={"rows": 2, "class": "form-control"}))
