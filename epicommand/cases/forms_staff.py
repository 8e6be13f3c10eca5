"""The key-staff form: which organization, the person's CCCD, their position."""

from __future__ import annotations

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from epicommand.core.forms import StyledForm
from epicommand.core.models import Organization


class KeyStaffForm(StyledForm, forms.Form):
    organization = forms.ModelChoiceField(label=_("Organization"), queryset=Organization.objects.none())
    cccd = forms.CharField(label=_("CCCD"), max_length=20,
                           help_text=_("The 12 digits of the person's citizen identity card (exact)."),
                           widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}))
    position = forms.CharField(label=_("Position"), max_length=120, required=False,
                               help_text=_("For example: director, deputy director, head of division."))

    def __init__(self, *args, organizations: QuerySet[Organization], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = organizations.order_by("name")
        if organizations.count() == 1:
            self.fields["organization"].initial = organizations.first()
        self.style()
