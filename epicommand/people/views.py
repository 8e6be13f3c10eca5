from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Window
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from epicommand.core import audit
from epicommand.core.forms import add_service_errors
from epicommand.core.jurisdiction import can, get_for_user, require, visible_to
from epicommand.core.models import AuditEvent
from epicommand.core.roles import Cap
from epicommand.core.spreadsheets import download

from . import services, timeline
from .forms import PersonFilterForm, PersonForm
from .identity import cccd_problems
from .models import Household, Person
from .search import apply_filters
from .vulnerability import reasons

PAGE = 50
# Counting a whole province's register on every page is the slow part of paging; past this many
# matches the list says "more than".
COUNT_CAP = 10_000


def _people(request):
    qs = visible_to(request.user, Person.objects.filter(merged_into__isnull=True))
    form = PersonFilterForm(request.GET or None, user=request.user)
    if form.is_valid():
        qs = apply_filters(qs, form.cleaned_data, timezone.localdate())
    return form, qs


def person_list(request):
    require(request.user, Cap.PEOPLE_VIEW)
    form, qs = _people(request)
    qs = qs.select_related("commune")
    if not qs.ordered:  # a name search ranks its matches itself
        qs = qs.order_by("name_folded", "id")
    raw_page = request.GET.get("page", "1")
    number = max(int(raw_page), 1) if raw_page.isdigit() else 1
    searching = bool(form.is_valid() and form.cleaned_data.get("q", "").strip())
    if searching:
        # A search matches few enough rows that one scan can count them while it finds the page
        # (a second scan for the count cost as much as the page itself).
        rows = list(qs.annotate(matches=Window(Count("id")))[(number - 1) * PAGE:number * PAGE + 1])
        capped = rows[0].matches if rows else (qs[:COUNT_CAP + 1].count() if number > 1 else 0)
    else:
        rows = list(qs[(number - 1) * PAGE:number * PAGE + 1])
        capped = qs[:COUNT_CAP + 1].count()
    params = request.GET.copy()
    params.pop("page", None)
    return render(request, "people/list.html", {
        "form": form, "people": rows[:PAGE], "page_number": number, "has_next": len(rows) > PAGE,
        "has_previous": number > 1, "count": min(capped, COUNT_CAP), "count_capped": capped > COUNT_CAP,
        "querystring": params.urlencode(), "can_manage": can(request.user, Cap.PEOPLE_MANAGE),
    })


def person_detail(request, pk: int):
    person = get_for_user(request.user, Person.objects.select_related("commune__parent", "household__head"), pk)
    services.record_view(actor=request.user, person=person)
    members = []
    if person.household_id:
        members = visible_to(request.user, person.household.members.exclude(pk=person.pk))
    return render(request, "people/detail.html", {
        "person": person, "reasons": reasons(person), "members": members,
        "cccd_problems": cccd_problems(person.cccd, sex=person.sex, birth_year=person.birth_year)
        if person.cccd else [],
        "entries": timeline.entries(person, request.user), "can_manage": can(request.user, Cap.PEOPLE_MANAGE),
        "can_record_test": can(request.user, Cap.TESTING_RECORD),
        "can_open_case": can(request.user, Cap.CASES_MANAGE),
        "neighbours": _household_candidates(request.user, person) if can(request.user, Cap.PEOPLE_MANAGE) else [],
    })


def _household_candidates(user, person: Person):
    if not person.household_id:
        return []
    return visible_to(user, Person.objects.filter(commune=person.commune_id, village=person.village,
                                                  household__isnull=True, merged_into__isnull=True)
                      ).exclude(pk=person.pk).order_by("name_folded")[:100]


def _save(request, form, person: Person | None):
    data = {f: form.cleaned_data.get(f) for f in services.FIELDS if f in form.cleaned_data}
    try:
        if person is None:
            return services.create_person(actor=request.user, **data)
        return services.update_person(actor=request.user, person=person, **data)
    except ValidationError as exc:
        add_service_errors(form, exc)
    return None


def person_create(request):
    require(request.user, Cap.PEOPLE_MANAGE)
    form = PersonForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid() and (person := _save(request, form, None)):
        messages.success(request, _("%(name)s was added to the register.") % {"name": person.full_name})
        return redirect("people:detail", pk=person.pk)
    return render(request, "people/form.html", {"form": form, "title": _("New person")})


def person_edit(request, pk: int):
    person = get_for_user(request.user, Person, pk, write=True)
    form = PersonForm(request.POST or None, instance=person, user=request.user)
    if request.method == "POST" and form.is_valid() and _save(request, form, person):
        messages.success(request, _("Changes saved."))
        return redirect("people:detail", pk=person.pk)
    return render(request, "people/form.html", {"form": form, "title": person.full_name, "person": person})


def person_household(request, pk: int):
    person = get_for_user(request.user, Person, pk, write=True)
    if request.method != "POST":
        return redirect("people:detail", pk=pk)
    try:
        if request.POST.get("action") == "create":
            services.create_household(actor=request.user, head=person, code=request.POST.get("code", ""))
        elif request.POST.get("action") == "add" and person.household_id:
            member = get_for_user(request.user, Person, request.POST.get("member") or 0, write=True)
            household = get_for_user(request.user, Household, person.household_id, write=True)
            services.add_to_household(actor=request.user, household=household, person=member)
        else:
            raise Http404
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("people:detail", pk=pk)


EXPORT_HEADERS = ["Họ và tên", "Ngày sinh", "Giới tính", "Số CCCD", "Số thẻ BHYT", "SĐT", "Dân tộc", "Thôn/bản",
                  "Xã/phường", "Nhóm nguy cơ", "Đối soát"]
EXPORT_LIMIT = 200_000


def person_export(request, fmt: str):
    require(request.user, Cap.PEOPLE_VIEW)
    if fmt not in ("xlsx", "csv"):
        raise Http404
    _form, qs = _people(request)
    qs = qs.select_related("commune").order_by("commune__code", "name_folded", "id")[:EXPORT_LIMIT]
    rows = ([p.full_name, p.birth_label, p.get_sex_display(), p.cccd or "", p.insurance_number, p.phone,
             p.get_ethnicity_display(), p.village, p.commune.name, _("yes") if p.vulnerable else "",
             p.get_reconciliation_display()] for p in qs.iterator(chunk_size=2000))
    audit.record(actor=request.user, action=AuditEvent.Action.EXPORT, object_type="people.Person",
                 object_repr=_("people list (%(format)s)") % {"format": fmt}, changes={"filters": request.GET.dict()})
    return download(fmt, f"danh-sach-{timezone.localdate():%Y%m%d}", EXPORT_HEADERS, rows, title="Danh sách")

