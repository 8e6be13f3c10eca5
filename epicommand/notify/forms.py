from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from epicommand.core.forms import StyledForm

from .models import Message


class OutboxFilterForm(StyledForm, forms.Form):
    status = forms.ChoiceField(label=_("Status"), required=False,
                               choices=[("", _("All statuses")), *Message.Status.choices])
    channel = forms.ChoiceField(label=_("Channel"), required=False,
                                choices=[("", _("All channels")), *Message.Channel.choices])
    kind = forms.CharField(label=_("Kind"), required=False, max_length=64,
                           widget=forms.TextInput(attrs={"placeholder": _("Kind, e.g. vaccination.reminder")}))

    def apply(self, qs):
        if not self.is_valid():
            return qs
        d = self.cleaned_data
        if d["status"]:
            qs = qs.filter(status=d["status"])
        if d["channel"]:
            qs = qs.filter(channel=d["channel"])
        if kind := d["kind"].strip():
            # A prefix, so "vaccination" finds every kind of the vaccination app.
            qs = qs.filter(kind__startswith=kind)
        return qs
