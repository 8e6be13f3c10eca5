"""Case screens: the list with its filters, clinical opening, the case page (timeline, latest vital signs,
suggested and confirmed severity with reasons, risk factors, placement recommendation, actions), severity
confirmation and closing. Lists come from visible_to(); a case from get_for_user() (404 for another area's
or another hospital's patient) before any capability check (403)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from epicommand.core import audit
from epicommand.core.forms import add_service_errors
from epicommand.core.jurisdiction import can, get_for_user, require, visible_to
from epicommand.core.models import AuditEvent, Organization
from epicommand.core.roles import Cap
from epicommand.core.spreadsheets import download
from epicommand.core.text import fold, page_number
from epicommand.people.models import Person

from . import placement, risk, services, severity
from .forms_cases import CaseFilterForm, CloseCaseForm, OpenCaseForm, SeverityForm
from .home_services import latest_observation
from .models import Admission, BedKind, Case, Referral, Severity

PAGE = 50


def _case(request, pk: int, *, write: bool = False) -> Case:
    return get_for_user(request.user, Case.objects.select_related("person__commune", "commune", "facility", "test",
                                                                   "severity_confirmed_by"), pk, write=write)


def acts_for_treating_facility(user, case: Case) -> bool:
    """Whether the user may act on an admitted patient: those who see the facility treating them (its staff,
    the officers of its area). A commune that sees its resident's case does not discharge, refer, re-grade or
    close a patient in another hospital's bed: that hospital does."""
    admission = case.admissions.filter(discharged_at__isnull=True).only("facility_id").first()
    if admission is None:
        return True
    return visible_to(user, Organization).filter(pk=admission.facility_id).exists()


def _treating_facility_only(request, case: Case) -> None:
    if not acts_for_treating_facility(request.user, case):
        raise PermissionDenied


EXPORT_LIMIT = 100_000


def _filtered(request):
    form = CaseFilterForm(request.GET or None, user=request.user)
    qs = visible_to(request.user, Case).select_related("person", "commune", "facility")
    data = form.cleaned_data if form.is_valid() else {}
    setting = data.get("setting", "")
    if setting == "all":
        pass
    elif setting:
        qs = qs.filter(setting=setting)
    else:
        qs = qs.filter(closed_on__isnull=True)
    if data.get("commune"):
        qs = qs.filter(Q(commune=data["commune"]) | Q(person__commune=data["commune"]))
    if data.get("severity"):
        qs = qs.filter(severity=data["severity"])
    if data.get("facility"):
        qs = qs.filter(facility=data["facility"])
    if q := (data.get("q") or "").strip():
        qs = qs.filter(Q(code__icontains=q) | Q(person__name_folded__contains=fold(q)))
    return form, qs


def case_list(request):
    require(request.user, Cap.CASES_VIEW)
    form, qs = _filtered(request)
    number = page_number(request.GET.get("page"))
    rows = list(qs.order_by("-opened_on", "-id")[(number - 1) * PAGE:number * PAGE + 1])
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "cases/case_list.html", {
        "form": form, "cases": rows[:PAGE], "page_number": number, "has_next": len(rows) > PAGE,
        "has_previous": number > 1, "querystring": query.urlencode(), "can_open": can(request.user, Cap.CASES_MANAGE),
    })


def case_export(request, fmt: str):
    require(request.user, Cap.CASES_VIEW)
    if fmt not in ("xlsx", "csv"):
        raise Http404
    _form, qs = _filtered(request)
    rows = ([c.code, c.person.full_name, c.person.birth_label, c.person.get_sex_display(), c.commune.name,
             c.get_basis_display(), c.opened_on.strftime("%d/%m/%Y"), c.get_severity_display(), c.tier or "",
             c.get_setting_display(), c.facility.name if c.facility else "", c.get_outcome_display(),
             c.closed_on.strftime("%d/%m/%Y") if c.closed_on else ""]
            for c in qs.order_by("opened_on", "id")[:EXPORT_LIMIT].iterator(chunk_size=2000))
    headers = [_("Case code"), _("Full name"), _("Born"), _("Sex"), _("Commune"), _("Basis"), _("Confirmed on"),
               _("Severity"), _("Tier"), _("Where treated"), _("Facility"), _("Outcome"), _("Closed on")]
    audit.record(actor=request.user, action=AuditEvent.Action.EXPORT, object_type="cases.Case",
                 object_repr=_("case list (%(format)s)") % {"format": fmt}, changes={"filters": request.GET.dict()})
    return download(fmt, f"ca-benh-{timezone.localdate():%Y%m%d}", headers, rows, title=_("Cases"))


def case_open(request):
    require(request.user, Cap.CASES_MANAGE)
    initial = {}
    if (pk := request.GET.get("person", "")).isdigit():
        person = get_for_user(request.user, Person, pk)
        initial["person"] = person.cccd or str(person.pk)
    form = OpenCaseForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            case, created = services.open_case(actor=request.user, person=data["person"],
                                               opened_on=data["opened_on"], onset_on=data.get("onset_on"),
                                               note=data.get("note", ""), basis=Case.Basis.CLINICAL)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            if created:
                messages.success(request, _("Case %(code)s opened.") % {"code": case.code})
            else:
                messages.info(request, _("%(name)s already has an open case: %(code)s.") % {
                    "name": case.person.full_name, "code": case.code})
            return redirect("cases:detail", pk=case.pk)
    return render(request, "cases/case_open.html", {"form": form})


def case_detail(request, pk: int):
    case = _case(request, pk)
    user = request.user
    require(user, Cap.CASES_VIEW)
    audit.record(actor=user, action=AuditEvent.Action.VIEW, obj=case)
    today = timezone.localdate()
    latest = latest_observation(case)
    suggested, reasons = case.severity_suggested, case.severity_reasons
    if latest and not suggested:
        suggested, reasons = severity.suggest(respiratory_rate=latest.respiratory_rate, spo2=latest.spo2,
                                              on=timezone.localdate(latest.taken_at))
    factors = risk.factors(case.person, today)
    manage = can(user, Cap.CASES_MANAGE)
    recommendation = None
    if case.is_open and manage:
        working, confirmed = placement.working_severity(case, suggested)
        recommendation = placement.recommend(case, on=today, severity=working)
        if not confirmed:
            recommendation.reasons.insert(1, _("Severity not yet confirmed by a clinician: the suggestion is used."))
    admission = case.admissions.filter(discharged_at__isnull=True).select_related("facility").first()
    acts = admission is None or visible_to(user, Organization).filter(pk=admission.facility_id).exists()
    can_manage = manage and case.is_open and acts
    referrals = list(visible_to(user, Referral).filter(case=case).select_related("from_facility", "to_facility"))
    open_referral = next((r for r in referrals if r.status in Referral.OPEN), None)
    return render(request, "cases/case_detail.html", {
        "case": case, "person": case.person, "latest": latest, "suggested": suggested,
        "suggested_label": dict(case._meta.get_field("severity").choices).get(suggested, ""),
        "reasons": reasons, "factors": factors, "recommendation": recommendation, "admission": admission,
        "referrals": referrals, "open_referral": open_referral, "can_manage": can_manage,
        "treated_elsewhere": manage and case.is_open and not acts,
        "primary": _primary_action(case, admission, open_referral),
        "events": _events(case),
        "can_observe": can(user, Cap.CASES_MONITOR) and case.is_open,
        "can_home": can(user, Cap.HOME_CARE) and case.is_open and case.setting == Case.Setting.PENDING,
    })


def _primary_action(case: Case, admission, open_referral) -> str:
    """The one action the page puts first for a tired clinician: grade an ungraded patient, then place a
    patient who has nowhere to be treated yet; otherwise nothing is pressing."""
    if not case.is_open:
        return ""
    if case.severity_confirmed_at is None:
        return "severity"
    if admission is None and open_referral is None and case.setting == Case.Setting.PENDING:
        return "place"
    return ""


def _events(case: Case) -> list:
    """The timeline, newest first, with the values of its details in words."""
    labels = {**dict(Severity.choices), **dict(Case.Outcome.choices), **dict(Admission.Outcome.choices),
              **dict(BedKind.choices)}
    events = list(case.events.select_related("by", "facility").order_by("-at", "-id")[:200])
    for e in events:
        parts = [str(labels.get(e.detail.get(k), e.detail.get(k))) for k in ("severity", "outcome", "bed_kind")
                 if e.detail.get(k)]
        if e.detail.get("tier"):
            parts.append(_("tier %(n)s") % {"n": e.detail["tier"]})
        e.summary = " · ".join(parts)
    return events


def case_severity(request, pk: int):
    case = _case(request, pk, write=True)
    _treating_facility_only(request, case)
    latest = latest_observation(case)
    initial = {"severity": case.severity_suggested or case.severity}
    form = SeverityForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            case = services.confirm_severity(actor=request.user, case=case, severity=form.cleaned_data["severity"],
                                             note=form.cleaned_data.get("note", ""))
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Severity confirmed: %(severity)s, tier %(tier)s.") % {
                "severity": case.get_severity_display(), "tier": case.tier})
            return redirect("cases:detail", pk=case.pk)
    return render(request, "cases/case_severity.html", {
        "case": case, "form": form, "latest": latest, "reasons": case.severity_reasons,
        "factors": risk.factors(case.person, timezone.localdate())})


def case_close(request, pk: int):
    case = _case(request, pk, write=True)
    _treating_facility_only(request, case)
    if not case.is_open:  # a second tap on "Close", or a closing done meanwhile: show where things stand
        messages.info(request, _("Case %(code)s closed.") % {"code": case.code})
        return redirect("cases:detail", pk=case.pk)
    form = CloseCaseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            case = services.close_case(actor=request.user, case=case, outcome=data["outcome"],
                                       closed_on=data["closed_on"], note=data.get("note", ""))
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Case %(code)s closed.") % {"code": case.code})
            return redirect("cases:detail", pk=case.pk)
    return render(request, "cases/case_form.html", {"case": case, "form": form, "title": _("Close the case"),
                                                     "submit": _("Close the case")})
