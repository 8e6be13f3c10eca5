"""Facility screens: placement (recommendation and direct admission), referral request, discharge, the
referral inbox and a referral's page with its actions, and the beds of the tower. Rows come through the
jurisdiction module: a facility's staff reach their own patients and the referrals addressed to them."""

from __future__ import annotations

from itertools import groupby

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from epicommand.core import audit
from epicommand.core.forms import add_service_errors
from epicommand.core.jurisdiction import answered_by, answers_for, can, get_for_user, require, visible_to
from epicommand.core.models import AuditEvent, Organization
from epicommand.core.roles import Cap

from . import admissions, beds, placement, referrals
from .forms_facilities import AdmitForm, BedsForm, DecideForm, DischargeForm, ReferForm
from .home_services import latest_observation
from .models import Beds, Case, Referral
from .views_cases import _case, _treating_facility_only, acts_for_treating_facility

LIST_LIMIT = 200


def _treating(qs):
    return qs.filter(kind__in=Organization.TREATING_KINDS, tier__isnull=False, is_active=True).order_by("tier", "name")


def case_place(request, pk: int):
    """The recommendation, and admission to a facility the user sees (others are reached by referral)."""
    case = _case(request, pk, write=True)
    admitted = case.admissions.filter(discharged_at__isnull=True).select_related("facility").first()
    if admitted is not None:  # a second tap on "Admit", or an admission made meanwhile
        messages.info(request, _("%(name)s admitted to %(facility)s.") % {
            "name": case.person.full_name, "facility": admitted.facility.name})
        return redirect("cases:detail", pk=case.pk)
    today = timezone.localdate()
    recommendation = placement.recommend(case, on=today) if case.is_open else None
    own = _treating(visible_to(request.user, Organization))
    initial = {}
    if recommendation and recommendation.best:
        initial = {"facility": recommendation.best.facility.pk, "bed_kind": recommendation.best.kind}
    form = AdmitForm(request.POST or None, facilities=own, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            admissions.admit(actor=request.user, case=case, facility=data["facility"], bed_kind=data["bed_kind"],
                             note=data.get("note", ""))
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("%(name)s admitted to %(facility)s.") % {
                "name": case.person.full_name, "facility": data["facility"].name})
            return redirect("cases:detail", pk=case.pk)
    own_ids = set(own.values_list("pk", flat=True))
    for option in recommendation.options if recommendation else []:
        option.admit_here = option.facility.pk in own_ids
    return render(request, "cases/facility_place.html", {
        "case": case, "recommendation": recommendation, "form": form, "can_admit": bool(own_ids) and case.is_open})


def case_refer(request, pk: int):
    case = _case(request, pk, write=True)
    _treating_facility_only(request, case)
    targets = _treating(placement.facilities())
    initial = {k: v for k, v in (("to_facility", request.GET.get("to", "")), ("bed_kind", request.GET.get("kind", "")))
               if v}
    if not initial and case.is_open:
        best = placement.recommend(case, on=timezone.localdate()).best
        if best:
            initial = {"to_facility": best.facility.pk, "bed_kind": best.kind}
    form = ReferForm(request.POST or None, facilities=targets, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            referral = referrals.request(actor=request.user, case=case, to_facility=data["to_facility"],
                                         bed_kind=data["bed_kind"], reason=data["reason"])
        except ValidationError as exc:
            # The same request sent twice (a double tap, a reload): lead to the referral already under way.
            same = case.referrals.filter(status__in=Referral.OPEN, to_facility=data["to_facility"],
                                         bed_kind=data["bed_kind"]).first()
            if same is not None:
                messages.info(request, _("This referral was already requested."))
                return redirect("cases:referral", pk=same.pk)
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Referral to %(facility)s requested.") % {
                "facility": referral.to_facility.name})
            return redirect("cases:referral", pk=referral.pk)
    free = {(b.facility_id, b.kind): b.free for b in Beds.objects.filter(facility__in=targets)}
    return render(request, "cases/referral_form.html", {"case": case, "form": form, "free": free,
                                                         "facilities": targets})


def case_discharge(request, pk: int):
    case = _case(request, pk, write=True)
    _treating_facility_only(request, case)
    admission = case.admissions.filter(discharged_at__isnull=True).select_related("facility").first()
    if admission is None:
        messages.info(request, _("The patient is not admitted anywhere."))
        return redirect("cases:detail", pk=case.pk)
    form = DischargeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            admissions.discharge(actor=request.user, admission=admission, outcome=form.cleaned_data["outcome"],
                                 note=form.cleaned_data.get("note", ""))
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("%(name)s discharged from %(facility)s.") % {
                "name": case.person.full_name, "facility": admission.facility.name})
            return redirect("cases:detail", pk=case.pk)
    return render(request, "cases/case_form.html", {
        "case": case, "form": form, "title": _("Discharge from %(facility)s") % {"facility": admission.facility.name},
        "submit": _("Discharge")})


# ---- referrals ----------------------------------------------------------------------------------

def referral_list(request):
    require(request.user, Cap.CASES_VIEW)
    show_all = request.GET.get("show") == "all"
    qs = visible_to(request.user, Referral).select_related("case__person", "from_facility", "to_facility")
    if not show_all:
        qs = qs.filter(status__in=Referral.OPEN)
    rows = list(qs.order_by("-requested_at", "-id")[:LIST_LIMIT])
    mine = set(answered_by(request.user, Organization.objects.filter(
        pk__in={r.to_facility_id for r in rows})).values_list("pk", flat=True))
    for row in rows:
        # What this user answers, less what they sent themselves (the receiving side decides those).
        row.incoming = row.to_facility_id in mine and row.requested_by_id != request.user.pk
    incoming = [r for r in rows if r.incoming]
    return render(request, "cases/referral_list.html", {
        "incoming": incoming, "others": [r for r in rows if not r.incoming], "show_all": show_all})


def _referral(request, pk: int, *, write: bool = False) -> Referral:
    return get_for_user(request.user, Referral.objects.select_related(
        "case__person__commune", "from_facility", "to_facility", "requested_by", "decided_by"), pk, write=write)


def _receiving(request, referral: Referral) -> None:
    """Only the receiving facility (its staff, or the officers standing where it stands) answers it."""
    if not answers_for(request.user, referral.to_facility):
        raise PermissionDenied


def referral_detail(request, pk: int):
    referral = _referral(request, pk)
    require(request.user, Cap.CASES_VIEW)
    case = referral.case
    latest = latest_observation(case)
    receiving = answers_for(request.user, referral.to_facility)
    manage = can(request.user, Cap.CASES_MANAGE)
    held = Beds.objects.filter(facility=referral.to_facility, kind=referral.bed_kind).first()
    # The page shows the patient's name and vital signs: health data, so the view is recorded.
    audit.record(actor=request.user, action=AuditEvent.Action.VIEW, obj=referral)
    case_visible = visible_to(request.user, Case).filter(pk=case.pk).exists()
    return render(request, "cases/referral_detail.html", {
        "referral": referral, "case": case, "latest": latest, "beds": held,
        "can_decide": (manage and receiving and referral.status == Referral.Status.REQUESTED
                       and referral.requested_by_id != request.user.pk),
        "can_depart": manage and referral.status == Referral.Status.ACCEPTED,
        "can_arrive": manage and receiving and referral.status in (Referral.Status.ACCEPTED,
                                                                   Referral.Status.IN_TRANSIT),
        "can_cancel": manage and referral.status in Referral.OPEN and case_visible and _sends(request.user, referral),
        "case_visible": case_visible,
        "form": DecideForm(),
    })


@require_POST
def referral_decide(request, pk: int):
    referral = _referral(request, pk, write=True)
    _receiving(request, referral)
    # An officer who answers for the receiving facility (standing where it stands) never accepts a request
    # they sent themselves: the receiving side decides, not the sender wearing its hat.
    if referral.requested_by_id == request.user.pk:
        raise PermissionDenied
    form = DecideForm(request.POST)
    if form.is_valid():
        accept = form.cleaned_data["decision"] == "accept"
        try:
            referrals.decide(actor=request.user, referral=referral, accept=accept, reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Referral accepted: a bed is held.") if accept else _("Referral declined."))
    else:
        messages.error(request, _("Choose to accept or decline."))
    return redirect("cases:referral", pk=referral.pk)


def _step(request, pk: int, action, done: str, *, receiving: bool):
    referral = _referral(request, pk, write=True)
    if receiving:
        _receiving(request, referral)
    try:
        action(actor=request.user, referral=referral)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, done)
    return redirect("cases:referral", pk=referral.pk)


@require_POST
def referral_transit(request, pk: int):
    return _step(request, pk, referrals.depart, _("The patient is on the way."), receiving=False)


@require_POST
def referral_arrive(request, pk: int):
    return _step(request, pk, referrals.arrive, _("Arrival recorded: the patient is admitted."), receiving=True)


def _sends(user, referral: Referral) -> bool:
    """The sending side: those who hold the case (and, for a patient in a bed, act for that facility). The
    receiving facility answers a request by declining it, never by cancelling it."""
    case = visible_to(user, Case).filter(pk=referral.case_id).first()
    return case is not None and acts_for_treating_facility(user, case)


@require_POST
def referral_cancel(request, pk: int):
    referral = _referral(request, pk, write=True)
    if not _sends(request.user, referral):
        raise PermissionDenied
    try:
        referrals.cancel(actor=request.user, referral=referral, reason=request.POST.get("reason", "").strip())
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Referral cancelled."))
    return redirect("cases:referral", pk=referral.pk)


# ---- beds ---------------------------------------------------------------------------------------

def beds_list(request):
    require(request.user, Cap.CASES_VIEW)
    rows = list(visible_to(request.user, Beds).filter(facility__tier__isnull=False)
                .select_related("facility").order_by("facility__tier", "facility__name", "kind"))
    editable = set()
    if can(request.user, Cap.BEDS_MANAGE):
        editable = set(visible_to(request.user, Organization).filter(
            pk__in={r.facility_id for r in rows}).values_list("pk", flat=True))
    tiers = []
    for tier, tier_rows in groupby(rows, key=lambda r: r.facility.tier):
        tier_rows = list(tier_rows)
        facilities = []
        for facility, kinds in groupby(tier_rows, key=lambda r: r.facility):
            kinds = list(kinds)
            facilities.append({"facility": facility, "beds": kinds, "editable": facility.pk in editable,
                               "total": sum(b.total for b in kinds), "free": sum(b.free for b in kinds)})
        by_kind: dict[str, list[int]] = {}
        for row in tier_rows:
            by_kind.setdefault(row.get_kind_display(), [0, 0])
            by_kind[row.get_kind_display()][0] += row.total
            by_kind[row.get_kind_display()][1] += row.free
        tiers.append({"tier": tier, "facilities": facilities, "by_kind": by_kind})
    return render(request, "cases/beds_list.html", {"tiers": tiers})


def beds_edit(request, pk: int):
    facility = get_for_user(request.user, Organization, pk)
    require(request.user, Cap.BEDS_MANAGE)
    if facility.tier is None or facility.kind not in Organization.TREATING_KINDS:
        raise Http404
    current = {b.kind: (b.total, b.occupied) for b in Beds.objects.filter(facility=facility)}
    form = BedsForm(request.POST or None, current=current)
    if request.method == "POST" and form.is_valid():
        try:
            beds.set_totals(actor=request.user, facility=facility, totals=form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Beds of %(facility)s saved.") % {"facility": facility.name})
            return redirect("cases:beds")
    return render(request, "cases/beds_edit.html", {"facility": facility, "form": form})
