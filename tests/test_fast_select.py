"""The selects written out in Python (core.forms.FastSelect) say exactly what Django's templates say."""

from __future__ import annotations

import pytest
from django import forms
from django.test.html import parse_html

from epicommand.core.forms import FastSelect, StyledForm

CHOICES = [("", "All <x>"), ("1", "One & two"), ("Group", [("g1", "G1"), ("g2", 'G"2')]), (3, "Three")]


@pytest.mark.parametrize("value", [None, "", "1", "g2", 3, "missing"])
def test_the_same_html_as_the_template_rendered_select(value):
    attrs = {"id": "id_a", "class": "form-select", "required": True, "disabled": False, "data-x": "a\"b"}
    expected = forms.Select(choices=CHOICES).render("a", value, attrs=attrs)
    got = FastSelect(choices=CHOICES).render("a", value, attrs=attrs)
    assert parse_html(got) == parse_html(expected)


def test_styled_forms_use_it_for_single_selects_only():
    class Form(StyledForm, forms.Form):
        one = forms.ChoiceField(choices=CHOICES)
        many = forms.MultipleChoiceField(choices=CHOICES)
        radio = forms.ChoiceField(choices=CHOICES, widget=forms.RadioSelect)

    form = Form()
    assert type(form.fields["one"].widget) is FastSelect
    assert type(form.fields["many"].widget) is forms.SelectMultiple
    assert type(form.fields["radio"].widget) is forms.RadioSelect
    assert 'class="form-select"' in str(form["one"]) and "<option" in str(form["one"])
