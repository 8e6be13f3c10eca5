"""Public pages for patients treated at home, without an account: enter one set of vital signs and symptoms
through a one-time link, or with a short code and their phone number. Vietnamese by default, built for a
phone. Nothing about the patient is shown beyond what they type."""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from epicommand.core.forms import add_service_errors
from epicommand.core.middleware import client_ip

from . import entry_links
from .forms_home import PatientCodeForm, VitalsForm
from .warnings import describe


def _private(response):
    response["X-Robots-Tag"] = "noindex, nofollow"
    # Never to another site (the token is in the URL); "no-referrer" would make the browser send "Origin: null"
    # with the form, which the CSRF check rightly refuses.
    response["Referrer-Policy"] = "same-origin"
    return response


def _done(request, observation=None):
    """The thanks; without an observation, the answer to a second tap (the first entry stands)."""
    return _private(render(request, "cases/patient_done.html", {
        "warnings": [describe(c) for c in observation.warnings] if observation else [],
        "again": observation is None}))


def _enter(request, form, link):
    """Record the entry through the link: the thanks, or None with the service's errors on the form."""
    try:
        observation = entry_links.enter(link=link, values=form.values())
    except ValidationError as exc:
        add_service_errors(form, exc)
        return None
    return _done(request, observation)


def _large(form):
    """Big fields and labels for patients typing on a small phone, many of them elderly."""
    for field in form.fields.values():
        css = field.widget.attrs.get("class", "")
        if "form-control" in css and "form-control-lg" not in css:
            field.widget.attrs["class"] = f"{css} form-control-lg"
    return form


@login_not_required
@never_cache
def patient_entry(request, token: str):
    link = entry_links.by_token(token)
    problem = entry_links.problem(link)
    if entry_links.just_used(link):
        return _done(request)
    if problem:
        return _private(render(request, "cases/patient_entry.html", {"problem": problem}, status=410 if link else 404))
    form = _large(VitalsForm(request.POST or None))
    if request.method == "POST" and form.is_valid() and (done := _enter(request, form, link)):
        return done
    return _private(render(request, "cases/patient_entry.html", {"form": form}))


@login_not_required
@never_cache
def patient_code(request):
    form = _large(PatientCodeForm(request.POST or None))
    address = client_ip(request)
    if request.method == "POST" and entry_links.code_attempts_blocked(address):
        # Checked before the code is: the answer is the same whatever phone and code were typed.
        form.is_valid()
        form.add_error(None, _("Too many wrong codes were typed here. Try again in an hour, or ask your health "
                               "worker to send you a link."))
        return _private(render(request, "cases/patient_code.html", {"form": form}, status=429))
    if request.method == "POST" and form.is_valid():
        link = entry_links.by_code(form.cleaned_data["phone"], form.cleaned_data["code"])
        if link is None:
            entry_links.count_code_failure(address)
            form.add_error("code", _("The phone number or the code is wrong, or the code was already used or has "
                                     "expired."))
        elif done := _enter(request, form, link):
            return done
    return _private(render(request, "cases/patient_code.html", {"form": form}))
