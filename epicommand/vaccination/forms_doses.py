"""Forms of the dose-recording screens: the dose (screening, vaccine, lot, override), the AEFI report and the
short registration of a new person at a session."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from epicommand.core.forms import StyledForm
from epicommand.people.forms import PersonForm

from .models import Aefi, Screening
from .screening import CHECKLIST

# Common reactions and the signs a vaccinator must not miss (after the MoH AEFI reporting form); the keys
# are stored on the AEFI, the free text goes to its description.
SYMPTOMS: dict[str, object] = {
    "fever": _("Fever"),
    "injection_site": _("Pain, redness or swelling where injected"),
    "headache": _("Headache"),
    "fatigue": _("Tiredness"),
    "muscle_pain": _("Muscle or joint pain"),
    "nausea": _("Nausea or vomiting"),
    "dizziness": _("Dizziness or fainting"),
    "rash": _("Rash or hives"),
    "breathing": _("Difficulty breathing"),
    "chest_pain": _("Chest pain or palpitations"),
    "anaphylaxis": _("Anaphylaxis"),
    "seizure": _("Seizure"),
}


def answer_field(key: str) -> str:
    return f"answer_{key}"


class _SharedFields(dict):
    """A form's fields, shared by its instances instead of deep-copied for each (Django copies them so that one
    instance may change its own). The dose form's fields are never changed after the class is built (the dose
    page writes its inputs itself and only reads values and errors), and copying its fourteen fields was a
    tenth of a millisecond of the busiest POST of a campaign day."""

    def __deepcopy__(self, memo):
        return dict(self)


class DoseForm(forms.Form):
    """One POST records the screening and the dose. Fields are plain so that a load test can post them:
    product (key), lot (pk, optional), outcome, answer_<key> checkboxes, temperature, override_reason.
    Its fields are shared by every instance (_SharedFields): change none of them on an instance."""

    product = forms.CharField(label=_("Vaccine"), required=False, max_length=24)
    lot = forms.IntegerField(label=_("Lot"), required=False, min_value=1, max_value=2**63 - 1)  # a key, never more
    outcome = forms.ChoiceField(label=_("Outcome of the screening"), choices=Screening.Outcome.choices)
    temperature = forms.DecimalField(label=_("Temperature (°C)"), required=False, max_digits=3, decimal_places=1,
                                     min_value=Decimal("30"), max_value=Decimal("45"))
    screening_note = forms.CharField(label=_("Note"), required=False, max_length=255)
    override_reason = forms.CharField(label=_("Reason for vaccinating despite the rules"), required=False,
                                      max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))

    def clean(self):
        data = super().clean()
        if data.get("outcome") == Screening.Outcome.PROCEED and not data.get("product"):
            self.add_error("product", _("Choose the vaccine."))
        return data

    def answers(self) -> dict[str, bool]:
        return {item.key: bool(self.cleaned_data.get(answer_field(item.key))) for item in CHECKLIST}


# One checkbox per checklist item, after the declared fields: built once with the class, not for every request.
DoseForm.base_fields = _SharedFields({**DoseForm.base_fields, **{
    answer_field(item.key): forms.BooleanField(label=item.question, required=False) for item in CHECKLIST}})


class AefiForm(StyledForm, forms.Form):
    symptoms = forms.MultipleChoiceField(label=_("Symptoms"), required=False, widget=forms.CheckboxSelectMultiple,
                                         choices=list(SYMPTOMS.items()))
    description = forms.CharField(label=_("Other symptoms and what was done"), required=False, max_length=4000,
                                  widget=forms.Textarea(attrs={"rows": 3}))
    onset = forms.DateTimeField(label=_("Symptoms began"), input_formats=["%Y-%m-%dT%H:%M", "%d/%m/%Y %H:%M"],
                                widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"))
    severity = forms.ChoiceField(label=_("Severity"), choices=Aefi.Severity.choices, widget=forms.RadioSelect)
    outcome = forms.ChoiceField(label=_("Outcome"), choices=Aefi.Outcome.choices, initial=Aefi.Outcome.RECOVERING)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.fields["onset"].initial = timezone.localtime().replace(second=0, microsecond=0)

    def clean(self):
        data = super().clean()
        if not data.get("symptoms") and not (data.get("description") or "").strip():
            self.add_error("symptoms", _("Tick the symptoms or describe them."))
        if data.get("onset") and data["onset"] > timezone.now() + timedelta(minutes=5):
            self.add_error("onset", _("The onset cannot be in the future."))
        return data


class QuickPersonForm(PersonForm):
    """Registering someone at the session: the register's own form and service, with the fields a busy
    site asks for; the commune is the session's."""

    class Meta(PersonForm.Meta):
        fields = ["full_name", "birth_date", "birth_year", "sex", "cccd", "phone", "ethnicity", "commune", "village",
                  "priority_group", "chronic_conditions", "pregnant"]
