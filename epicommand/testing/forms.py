"""Forms of the testing screens: the list filters, a new test, a result, a pool and its result, positivity."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from epicommand.core.forms import PlaceChoiceField, StyledForm, day_field
from epicommand.core.jurisdiction import assignable_places, visible_to
from epicommand.core.models import Place, User

from . import labs
from .models import Kind, Payer, Reason, Result

# What a person recording a sample may choose: pooled samples are recorded as pools.
KINDS_RECORDED = [(k, label) for k, label in Kind.choices if k != Kind.POOLED_PCR]
RESULTS_ENTERED = [(r, label) for r, label in Result.choices if r in (Result.POSITIVE, Result.NEGATIVE,
                                                                     Result.INVALID)]


def communes_for(user: User):
    return assignable_places(user).filter(level=Place.Level.COMMUNE).order_by("name")


class TestFilterForm(StyledForm, forms.Form):
    commune = PlaceChoiceField(label=_("Commune"), queryset=Place.objects.none(), required=False,
                               empty_label=_("All communes"))
    kind = forms.ChoiceField(label=_("Kind"), required=False, choices=[("", _("All kinds"))] + Kind.choices)
    result = forms.ChoiceField(label=_("Result"), required=False, choices=[("", _("All results"))] + Result.choices)
    since = day_field(_("Sampled from"), required=False)
    until = day_field(_("Sampled until"), required=False)

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["commune"].queryset = communes_for(user)
        self.style()

    def apply(self, qs):
        if not self.is_valid():
            return qs
        data = self.cleaned_data
        if data.get("commune"):
            qs = qs.filter(commune=data["commune"])
        if data.get("kind"):
            qs = qs.filter(kind=data["kind"])
        if data.get("result"):
            qs = qs.filter(result=data["result"])
        if data.get("since"):
            qs = qs.filter(sampled_on__gte=data["since"])
        if data.get("until"):
            qs = qs.filter(sampled_on__lte=data["until"])
        return qs


class TestForm(StyledForm, forms.Form):
    kind = forms.ChoiceField(label=_("Kind of test"), choices=KINDS_RECORDED, initial=Kind.ANTIGEN)
    reason = forms.ChoiceField(label=_("Reason"), choices=[c for c in Reason.choices if c[0] != Reason.FOLLOW_UP],
                               initial=Reason.SYMPTOMS)
    sampled_on = day_field(_("Date sampled"))
    sampled_at = forms.ModelChoiceField(label=_("Sampled by"), queryset=None, required=False)
    lab = forms.ModelChoiceField(label=_("Laboratory"), queryset=None, required=False)
    lab_code = forms.CharField(label=_("Laboratory sample code"), max_length=40, required=False)
    payer = forms.ChoiceField(label=_("Paid by"), choices=Payer.choices, initial=Payer.STATE)
    fee = forms.IntegerField(label=_("Fee (VND)"), min_value=0, required=False,
                             help_text=_("Empty: the fee in force on the day sampled."))
    result = forms.ChoiceField(label=_("Result, when already known (rapid and self-tests)"), required=False,
                               choices=[("", _("Pending"))] + RESULTS_ENTERED)

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sampled_at"].queryset = labs.sampling_units_for(user)
        self.fields["lab"].queryset = labs.labs_for(user)
        if not self.is_bound:
            self.fields["sampled_on"].initial = timezone.localdate()
            if user.organization_id:
                self.fields["sampled_at"].initial = user.organization_id
        self.style()

    def clean_sampled_on(self):
        day = self.cleaned_data["sampled_on"]
        if day > timezone.localdate():
            raise forms.ValidationError(_("The date cannot be in the future."))
        return day


class ResultForm(StyledForm, forms.Form):
    result = forms.ChoiceField(label=_("Result"), choices=RESULTS_ENTERED, widget=forms.RadioSelect)
    resulted_on = day_field(_("Date of the result"))
    ct_value = forms.DecimalField(label=_("Ct value (RT-PCR)"), required=False, max_digits=4, decimal_places=1,
                                  min_value=Decimal("0.1"), max_value=Decimal("59.9"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.fields["resulted_on"].initial = timezone.localdate()


class PoolForm(StyledForm, forms.Form):
    code = forms.CharField(label=_("Pool code"), max_length=40)
    commune = PlaceChoiceField(label=_("Commune"), queryset=Place.objects.none())
    sampled_on = day_field(_("Date sampled"))
    reason = forms.ChoiceField(label=_("Reason"), choices=[c for c in Reason.choices if c[0] != Reason.FOLLOW_UP],
                               initial=Reason.SCREENING)
    sampled_at = forms.ModelChoiceField(label=_("Sampled by"), queryset=None, required=False)
    lab = forms.ModelChoiceField(label=_("Laboratory"), queryset=None, required=False)
    members = forms.CharField(label=_("Members"), widget=forms.Textarea(attrs={"rows": 5}),
                              help_text=_("One CCCD per line (or the record number shown in the register)."))

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["commune"].queryset = communes_for(user)
        self.fields["sampled_at"].queryset = labs.sampling_units_for(user)
        self.fields["lab"].queryset = labs.labs_for(user)
        if not self.is_bound:
            self.fields["sampled_on"].initial = timezone.localdate()
        self.user = user
        self.style()

    def clean_members(self):
        """People of the user's register, by CCCD (12 digits), CMND (9 digits) or record number, in one query;
        anyone else reads as not found, whether they exist elsewhere or not."""
        from epicommand.people.models import Person

        lines = [line.strip() for line in self.cleaned_data["members"].replace(",", "\n").splitlines()]
        lines = list(dict.fromkeys(line for line in lines if line))
        wanted = {"cccd": {x for x in lines if x.isdigit() and len(x) == 12},
                  "cmnd": {x for x in lines if x.isdigit() and len(x) == 9},
                  "pk": {int(x) for x in lines if x.isdigit() and len(x) < 9}}
        condition = Q(cccd__in=wanted["cccd"]) | Q(cmnd__in=wanted["cmnd"]) | Q(pk__in=wanted["pk"])
        people = list(visible_to(self.user, Person.objects.filter(merged_into__isnull=True)).filter(condition))
        by_line: dict[str, Person] = {}
        for person in people:
            for line in (person.cccd, person.cmnd, str(person.pk)):
                if line in lines:
                    by_line.setdefault(line, person)
        missing = [line for line in lines if line not in by_line]
        if missing:
            raise forms.ValidationError(_("Not found in your register: %(lines)s") % {"lines": ", ".join(missing)})
        return list({by_line[line].pk: by_line[line] for line in lines}.values())


class PositivityForm(StyledForm, forms.Form):
    since = day_field(_("From"), required=False)
    until = day_field(_("Until"), required=False)
    kind = forms.ChoiceField(label=_("Kind"), required=False, choices=[("", _("All kinds"))] + Kind.choices)

    def period(self):
        today = timezone.localdate()
        data = self.cleaned_data if self.is_valid() else {}
        until = data.get("until") or today
        since = data.get("since") or until - timedelta(days=13)
        return since, until, data.get("kind") or ""
