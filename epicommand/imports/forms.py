from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from epicommand.core.forms import PlaceChoiceField, StyledForm
from epicommand.core.jurisdiction import assignable_places, can
from epicommand.core.models import Place

from .models import ImportRun
from .readers import CSV_SUFFIXES, SPREADSHEET_SUFFIXES
from .spec import ImportSpec, specs

MAX_UPLOAD = 512 * 1024 * 1024


class UploadForm(StyledForm, forms.Form):
    spec = forms.ChoiceField(label=_("What the file holds"))
    file = forms.FileField(label=_("File (xlsx, xls, ods or csv)"))
    default_commune = PlaceChoiceField(label=_("Commune of the people without one in the file"), required=False,
                                       queryset=Place.objects.none())
    mode = forms.ChoiceField(label=_("When some rows are invalid"), choices=ImportRun.Mode.choices,
                             widget=forms.RadioSelect, initial=ImportRun.Mode.SKIP_INVALID)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["spec"].choices = [(s.name, s.label) for s in specs() if can(user, s.capability)]
        communes = assignable_places(user).filter(level=Place.Level.COMMUNE)
        self.fields["default_commune"].queryset = communes
        if communes.count() == 1:
            self.fields["default_commune"].initial = communes.first()
        self.style()

    def clean_file(self):
        upload = self.cleaned_data["file"]
        suffix = "." + upload.name.rsplit(".", 1)[-1].lower() if "." in upload.name else ""
        if suffix not in SPREADSHEET_SUFFIXES | CSV_SUFFIXES:
            raise forms.ValidationError(_("Use an xlsx, xls, ods or csv file."))
        if upload.size > MAX_UPLOAD:
            raise forms.ValidationError(_("The file is larger than 512 MB."))
        if upload.size == 0:
            raise forms.ValidationError(_("The file is empty."))
        return upload


class MappingForm(forms.Form):
    """One select per column of the file: which field it holds, or nothing."""

    def __init__(self, *args, spec: ImportSpec, header: list, mapping: dict[str, str], header_row: int,
                 rows_available: int, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [("", _("— not imported —"))] + [(c.key, c.label) for c in spec.columns]
        self.fields["header_row"] = forms.TypedChoiceField(
            label=_("Header row"), coerce=int, initial=header_row,
            choices=[(i, i + 1) for i in range(rows_available)],
            widget=forms.Select(attrs={"class": "form-select form-select-sm"}))
        for col, title in enumerate(header):
            self.fields[f"col_{col}"] = forms.ChoiceField(
                label=str(title or f"#{col + 1}"), choices=choices, required=False, initial=mapping.get(str(col), ""),
                widget=forms.Select(attrs={"class": "form-select form-select-sm"}))

    def mapping(self) -> dict[int, str]:
        return {int(name[4:]): value for name, value in self.cleaned_data.items()
                if name.startswith("col_") and value}
