from __future__ import annotations

import json

from django import forms
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.forms.utils import flatatt
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from .jurisdiction import assignable_places, grant_problems, visible_to
from .models import AuditEvent, Organization, Place, User
from .roles import Role, capabilities

# dd/mm/yyyy; also without the slashes, which a phone's numeric keypad may not offer.
DAY_FORMATS = ["%d/%m/%Y", "%d%m%Y", "%Y-%m-%d"]


class DayInput(forms.DateInput):
    """A day typed as dd/mm/yyyy text: a browser's date picker shows the phone's own locale (mm/dd/yyyy on many
    phones), which misleads as often as it helps."""

    input_type = "text"

    def __init__(self, **kwargs):
        super().__init__(format="%d/%m/%Y", attrs={"placeholder": "dd/mm/yyyy", "inputmode": "numeric"}, **kwargs)


def day_field(label, *, required: bool = True, **kwargs) -> forms.DateField:
    return forms.DateField(label=label, required=required, input_formats=DAY_FORMATS, widget=DayInput(), **kwargs)


class FastSelect(forms.Select):
    """A single select written out in Python. Django renders each option through a template, which made the
    filter forms (38 communes, 54 ethnic groups…) half the time of a list page; the HTML is the same."""

    def render(self, name, value, attrs=None, renderer=None) -> SafeString:
        widget = self.get_context(name, value, attrs)["widget"]
        parts = []
        for group_name, options, _index in widget["optgroups"]:
            rendered = format_html_join("", "<option value=\"{}\"{}>{}</option>", (
                (option["value"] if option["value"] is not None else "",
                 flatatt({**option["attrs"], "selected": option["selected"]}), option["label"])
                for option in options))
            parts.append(format_html('<optgroup label="{}">{}</optgroup>', group_name, rendered)
                         if group_name else rendered)
        return format_html('<select name="{}"{}>{}</select>', widget["name"], flatatt(widget["attrs"]),
                           SafeString("".join(parts)))


class StyledForm:
    """Gives widgets Bootstrap's classes, so templates render any form the same way."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.style()

    def style(self) -> None:
        """Call again after replacing a field."""
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxSelectMultiple | forms.RadioSelect | forms.CheckboxInput):
                # Groups are rendered option by option in includes/form.html, never as one wrapper.
                css = "form-check-input"
            elif isinstance(widget, forms.Select):
                css = "form-select"
                if type(widget) is forms.Select:
                    widget.__class__ = FastSelect
            else:
                css = "form-control"
            widget.attrs["class"] = css


def add_service_errors(form: forms.BaseForm, exc: ValidationError) -> None:
    """Show a service's ValidationError on the form: on its fields when it names them, else on top."""
    errors = exc.error_dict if hasattr(exc, "error_dict") else {None: exc.error_list}
    for field, messages in errors.items():
        form.add_error(field if field in form.fields else None, messages)


class PlaceChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Place) -> str:
        return obj.name


class OrganizationForm(StyledForm, forms.ModelForm):
    class Meta:
        model = Organization
        fields = ["name", "code", "kind", "tier", "place", "parent", "address", "contact_name", "phone", "email",
                  "is_active"]

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["place"] = PlaceChoiceField(queryset=assignable_places(user), label=_("Place"))
        parents = visible_to(user, Organization)
        if self.instance.pk:
            parents = parents.exclude(pk=self.instance.pk)
            if self.instance.parent_id:
                # A parent outside the editor's view (the provincial CDC above a commune station) is
                # kept as it is, not dropped because the select cannot offer it.
                parents = parents | Organization.objects.filter(pk=self.instance.parent_id)
        self.fields["parent"].queryset = parents.distinct()
        self.fields["parent"].required = False
        self.style()


class OrganizationFilterForm(StyledForm, forms.Form):
    q = forms.CharField(label=_("Search"), required=False,
                        widget=forms.TextInput(attrs={"placeholder": _("Name of the organization")}))
    kind = forms.ChoiceField(label=_("Kind"), required=False,
                             choices=[("", _("All kinds")), *Organization.Kind.choices])
    place = PlaceChoiceField(label=_("Place"), required=False, queryset=Place.objects.none(),
                             empty_label=_("All places"))

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["place"].queryset = assignable_places(user)


def grantable_roles(user: User) -> list[tuple[str, str]]:
    mine = capabilities(user.role)
    return [(r.value, r.label) for r in Role if capabilities(r) <= mine]


class AccountForm(StyledForm, forms.ModelForm):
    class Meta:
        model = User
        fields = ["full_name", "role", "place", "organization", "phone", "email", "is_active"]

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.granter = user
        self.fields["role"] = forms.ChoiceField(label=_("Role"), choices=grantable_roles(user))
        self.fields["place"] = PlaceChoiceField(label=_("Area"), queryset=assignable_places(user), required=False,
                                                help_text=_("For roles that answer for a province or a commune."))
        self.fields["organization"].queryset = visible_to(user, Organization)
        self.fields["organization"].required = False
        self.style()

    def clean(self):
        data = super().clean()
        problems = grant_problems(self.granter, role=data.get("role", ""), place=data.get("place"),
                                  organization=data.get("organization"))
        for problem in problems:
            self.add_error(None, problem)
        return data


class AccountCreateForm(AccountForm):
    username = forms.RegexField(label=_("Username"), regex=r"^[\w.@+-]{3,150}$",
                                help_text=_("Letters, digits and . @ + - _ only."))
    password1 = forms.CharField(label=_("Password"), widget=forms.PasswordInput, strip=False)
    password2 = forms.CharField(label=_("Password again"), widget=forms.PasswordInput, strip=False)

    class Meta(AccountForm.Meta):
        fields = ["username", "full_name", "role", "place", "organization", "phone", "email"]

    def clean_username(self):
        username = self.cleaned_data["username"]
        if User.objects.filter(username__iexact=username).exists():
            raise forms.ValidationError(_("This username is taken."))
        return username

    def clean(self):
        data = super().clean()
        if data.get("password1") != data.get("password2"):
            self.add_error("password2", _("The two passwords differ."))
        elif data.get("password1"):
            try:
                validate_password(data["password1"], User(username=data.get("username", "")))
            except forms.ValidationError as exc:
                self.add_error("password1", exc)
        return data


class SetPasswordForm(StyledForm, forms.Form):
    password1 = forms.CharField(label=_("New password"), widget=forms.PasswordInput, strip=False)
    password2 = forms.CharField(label=_("New password again"), widget=forms.PasswordInput, strip=False)

    def clean(self):
        data = super().clean()
        if data.get("password1") != data.get("password2"):
            self.add_error("password2", _("The two passwords differ."))
        return data


class PolicyVersionForm(StyledForm, forms.Form):
    value = forms.CharField(label=_("Value"), widget=forms.Textarea(attrs={"rows": 4}),
                            help_text=_("A number, true/false, or JSON for structured values."))
    effective_from = forms.DateField(label=_("In force from"), help_text=_("dd/mm/yyyy; today or later."))
    source = forms.CharField(label=_("Source"), max_length=255)
    unverified = forms.BooleanField(label=_("Unverified"), required=False)
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def clean_value(self):
        raw = self.cleaned_data["value"].strip()
        try:
            return json.loads(raw, parse_constant=_refuse_constant)
        except ValueError:
            raise forms.ValidationError(_("Not a valid value: write a number, true/false, or JSON.")) from None


def _refuse_constant(name: str):
    """NaN and Infinity are not JSON values the databases accept."""
    raise ValueError(name)


class AuditFilterForm(StyledForm, forms.Form):
    q = forms.CharField(label=_("Account or object"), required=False,
                        widget=forms.TextInput(attrs={"placeholder": _("Account or object")}))
    action = forms.ChoiceField(label=_("Action"), required=False,
                               choices=[("", _("All actions"))] + AuditEvent.Action.choices)
    date_from = forms.DateField(label=_("From date"), required=False,
                                widget=forms.DateInput(attrs={"placeholder": _("From date (dd/mm/yyyy)")}))
    date_to = forms.DateField(label=_("To date"), required=False,
                              widget=forms.DateInput(attrs={"placeholder": _("To date (dd/mm/yyyy)")}))
