"""Filters of the coverage screens and the reminder form."""

from __future__ import annotations

from datetime import date

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from epicommand.core.forms import StyledForm
from epicommand.notify.models import Message

from . import coverage_queries as cq

AGE_GROUP_LABELS = {"adult": _("Adults (18+)"), "teen": _("Ages 12–17"), "child": _("Ages 5–11")}
# Values of the two priority-group policies; a value added to a policy later shows as its key.
PRIORITY_LABELS = {
    "frontline": _("Frontline (health, response teams, army, police)"),
    "diplomatic_customs_immigration": _("Diplomats, customs, immigration"),
    "essential_services": _("Essential services"),
    "teachers_public_facing": _("Teachers and public-facing officials"),
    "chronic_or_over_65": _("Chronically ill and over 65"),
    "outbreak_area_residents": _("Residents of outbreak areas"),
    "poor_social_policy": _("Poor and social-policy beneficiaries"),
    "sent_abroad_by_state": _("Sent abroad by the state"),
    "other_moh_decided": _("Others decided by the Ministry of Health"),
    "health_workers": _("Health workers"),
    "response_forces": _("Epidemic response forces"),
    "army": _("Army"),
    "police": _("Police"),
    "teachers_education": _("Teachers and education staff"),
    "chronic_conditions": _("People with chronic conditions"),
    "over_65": _("People over 65"),
    "abroad_work_study": _("Going abroad for work or study"),
}


def age_group_label(key: str) -> str:
    return str(AGE_GROUP_LABELS.get(key, key))


def priority_label(key: str) -> str:
    return str(PRIORITY_LABELS.get(key, key))


class CoverageFilterForm(StyledForm, forms.Form):
    age_group = forms.ChoiceField(label=_("Age group"), required=False)
    priority_group = forms.ChoiceField(label=_("Priority group"), required=False)
    as_of = forms.DateField(label=_("As of"), required=False, help_text=_("dd/mm/yyyy; today when empty."),
                            widget=forms.DateInput(attrs={"placeholder": _("As of (dd/mm/yyyy)")}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        today = timezone.localdate()
        self.fields["age_group"].choices = [("", _("All age groups"))] + [
            (key, age_group_label(key)) for key in cq.age_groups(today)]
        self.fields["priority_group"].choices = [("", _("All priority groups"))] + [
            (key, priority_label(key)) for key in cq.priority_groups(today)]

    def clean_as_of(self) -> date | None:
        day = self.cleaned_data.get("as_of")
        if day and day > timezone.localdate():
            raise forms.ValidationError(_("Coverage is known up to today, not later."))
        return day

    def selection(self) -> cq.Selection:
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        return cq.Selection(on=data.get("as_of") or timezone.localdate(), age_group=data.get("age_group") or "",
                            priority_group=data.get("priority_group") or "")


class LowCoverageForm(CoverageFilterForm):
    bottom = forms.IntegerField(label=_("Or the lowest"), required=False, min_value=1, max_value=1000,
                                help_text=_("Show this many communes with the lowest share, whatever the threshold."),
                                widget=forms.NumberInput(attrs={"placeholder": _("Number of communes")}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["as_of"]  # the threshold in force today, on today's figures

    def bottom_n(self) -> int | None:
        return self.cleaned_data.get("bottom") if self.is_bound and self.is_valid() else None


class DueFilterForm(StyledForm, forms.Form):
    as_of = forms.DateField(label=_("Due by"), required=False, help_text=_("dd/mm/yyyy; today when empty."),
                            widget=forms.DateInput(attrs={"placeholder": _("Due by (dd/mm/yyyy)")}))

    def day(self) -> date:
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        return data.get("as_of") or timezone.localdate()


class ReminderForm(StyledForm, forms.Form):
    channel = forms.ChoiceField(label=_("Channel"), choices=Message.Channel.choices)
    to = forms.CharField(label=_("To"), required=False, max_length=500,
                         help_text=_("Empty: the station's e-mail address or phone number, by channel."))
    body = forms.CharField(label=_("Message"), widget=forms.Textarea(attrs={"rows": 10}), max_length=4000)
