"""Tests: the list with its filters, recording a sample for a person (found by CCCD or name, or from the person's
page), the test page and entering its result. Writes go through services.py; what a user sees through the
jurisdiction module."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from epicommand.core import audit
from epicommand.core.forms import add_service_errors
from epicommand.core.jurisdiction import can, get_for_user, require, visible_to
from epicommand.core.models import AuditEvent
from epicommand.core.roles import Cap
from epicommand.core.views.common import paginate
from epicommand.people.models import Person
from epicommand.people.search import search

from . import services
from .forms import ResultForm, TestFilterForm, TestForm
from .models import Result, Test

SEARCH_LIMIT = 20


def test_list(request):
    require(request.user, Cap.TESTING_VIEW)
    form = TestFilterForm(request.GET or None, user=request.user)
    qs = visible_to(request.user, Test).select_related("person", "commune", "lab", "pool")
    qs = form.apply(qs).order_by("-sampled_on", "-id")
    return render(request, "testing/list.html", {
        "form": form, "page": paginate(request, qs), "can_record": can(request.user, Cap.TESTING_RECORD)})


def test_new(request):
    """Find the person (HTMX search as on the vaccination screen), then the sample form; ?person=<id> comes
    from the person's page."""
    require(request.user, Cap.TESTING_RECORD)
    person_id = request.POST.get("person") or request.GET.get("person")
    if not person_id:
        query = request.GET.get("q", "").strip()[:100]
        people = []
        if query:
            found = visible_to(request.user, Person.objects.filter(merged_into__isnull=True))
            people = list(search(found, query).select_related("commune")[:SEARCH_LIMIT])
        context = {"query": query, "people": people, "limit": SEARCH_LIMIT}
        if request.headers.get("HX-Request"):
            return render(request, "testing/_search_results.html", context)
        return render(request, "testing/find_person.html", context)
    person = get_for_user(request.user, Person.objects.filter(merged_into__isnull=True).select_related("commune"),
                          person_id)
    form = TestForm(request.POST if request.method == "POST" else None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        result = data["result"] or Result.PENDING
        try:
            test = services.record_test(
                actor=request.user, person=person, kind=data["kind"], sampled_on=data["sampled_on"],
                reason=data["reason"], sampled_at=data["sampled_at"], lab=data["lab"], lab_code=data["lab_code"],
                payer=data["payer"], fee=data["fee"], result=result,
                resulted_on=data["sampled_on"] if result != Result.PENDING else None)
        except services.AlreadyRecorded as exc:
            messages.warning(request, str(exc))
            return redirect("testing:detail", pk=exc.test.pk)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Test recorded for %(name)s.") % {"name": person.full_name})
            return redirect("testing:detail", pk=test.pk)
    earlier = visible_to(request.user, Test.objects.filter(person=person)).order_by("-sampled_on", "-id")[:5]
    return render(request, "testing/test_form.html", {"person": person, "form": form, "earlier": earlier})


def test_detail(request, pk: int):
    test = get_for_user(request.user, Test.objects.select_related(
        "person__commune", "commune", "lab", "sampled_at", "pool", "follows__pool", "recorded_by"), pk)
    # Checked after the lookup, so that another area's test still answers 404.
    require(request.user, Cap.TESTING_VIEW)
    audit.record(actor=request.user, action=AuditEvent.Action.VIEW, obj=test, place=test.commune)
    follow_ups = visible_to(request.user, Test.objects.filter(follows=test))
    # A unit that took the sample (a checkpoint) sees the test, not the person's health book.
    sees_person = visible_to(request.user, Person.objects.filter(pk=test.person_id)).exists()
    return render(request, "testing/detail.html", {
        "test": test, "person": test.person, "follow_ups": follow_ups, "sees_person": sees_person,
        "can_enter": can(request.user, Cap.TESTING_RECORD) and test.pool_id is None
        and test.result != Result.POSITIVE})


def test_result(request, pk: int):
    test = get_for_user(request.user, Test.objects.select_related("person", "pool", "commune"), pk, write=True)
    if test.pool_id is not None:
        messages.info(request, _("This sample was tested in pool %(code)s: enter the pool's result.")
                      % {"code": test.pool.code})
        return redirect("testing:pool", pk=test.pool_id)
    initial = {"result": test.result, "resulted_on": test.resulted_on, "ct_value": test.ct_value} \
        if test.result != Result.PENDING else None
    form = ResultForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            changed = services.enter_result(actor=request.user, test=test, result=data["result"],
                                            resulted_on=data["resulted_on"], ct_value=data["ct_value"])
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            if changed:
                messages.success(request, _("Result saved."))
            else:
                messages.info(request, _("This result was already saved: nothing changed."))
            return redirect("testing:detail", pk=test.pk)
    return render(request, "testing/result_form.html", {"test": test, "person": test.person, "form": form})
