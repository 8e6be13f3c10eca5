"""Stock screens: balances and warnings, the ledger of a unit, receipts, wastage, allocation plans, dispatches
and their receipt, and the shortage report. Lists come from visible_to(); single rows from get_for_user()
(404 for another area's row) before any capability check (403)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from epicommand.core.forms import add_service_errors
from epicommand.core.jurisdiction import answers_for, can, get_for_user, require, visible_to
from epicommand.core.models import Organization
from epicommand.core.roles import Cap
from epicommand.core.spreadsheets import download
from epicommand.core.text import page_number, whole_number

from . import allocation, stock_reports, stock_services
from .forms_stock import ConfirmReceiptForm, PlanForm, ReceiptForm, WasteForm
from .models import AllocationPlan, Dispatch, Movement, Stock
from .stock import MAX_DOSES

LEDGER_PAGE = 100
LIST_LIMIT = 200


def _page(request, template: str, context: dict):
    """render() with what the stock tabs need."""
    return render(request, template, {"can_allocate": can(request.user, Cap.STOCK_ALLOCATE), **context})


def _balances(user):
    return (visible_to(user, Stock).filter(doses__gt=0).select_related("holder", "lot__product")
            .order_by("holder__name", "lot__product__name", "lot__expiry", "lot__number"))


def stock_overview(request):
    require(request.user, Cap.STOCK_MANAGE)
    today, user = timezone.localdate(), request.user
    stock = visible_to(user, Stock)
    balances = list(_balances(user))
    for row in balances:
        row.vials, row.loose = divmod(row.doses, row.lot.doses_per_vial or 1)
        row.expired = row.lot.expiry < today
    warnings = stock_reports.expiring(stock, today)
    kept = set(stock_services.kept_by(user).values_list("pk", flat=True))
    for row in warnings:
        row.can_write_off = row.holder_id in kept  # the holder writes off its own doses, not whoever sees them
    transit = (visible_to(user, Dispatch).filter(status=Dispatch.Status.SENT)
               .select_related("sender", "recipient", "lot__product").order_by("sent_at", "pk")[:LIST_LIMIT])
    return _page(request, "vaccination/stock/overview.html", {
        "balances": balances, "warnings": warnings,
        "covers": stock_reports.days_left(stock, visible_to(user, Movement), today), "transit": transit,
        "warning_days": stock_reports.warning_days(today), "window_days": stock_reports.window_days(today),
    })


def stock_export(request, fmt: str):
    require(request.user, Cap.STOCK_MANAGE)
    rows = ([r.holder.name, r.lot.product.name, r.lot.number, r.lot.expiry.strftime("%d/%m/%Y"), r.doses,
             r.doses // (r.lot.doses_per_vial or 1)] for r in _balances(request.user))
    headers = [_("Held by"), _("Vaccine"), _("Lot number"), _("Expiry date"), _("Doses"), _("Whole vials")]
    return download(fmt, "ton-kho-vac-xin", headers, rows, title=_("Vaccine stock"))


def ledger(request, pk: int):
    holder = get_for_user(request.user, Organization, pk)
    require(request.user, Cap.STOCK_MANAGE)
    number = page_number(request.GET.get("page"))
    movements = list(visible_to(request.user, Movement).filter(holder=holder).select_related("lot__product", "by")
                     .order_by("-at", "-id")[(number - 1) * LEDGER_PAGE:number * LEDGER_PAGE + 1])
    balances = visible_to(request.user, Stock).filter(holder=holder, doses__gt=0).select_related("lot__product")
    return _page(request, "vaccination/stock/ledger.html", {
        "holder": holder, "movements": movements[:LEDGER_PAGE], "balances": balances, "page_number": number,
        "has_next": len(movements) > LEDGER_PAGE, "has_previous": number > 1,
    })


def ledger_export(request, pk: int, fmt: str):
    holder = get_for_user(request.user, Organization, pk)
    require(request.user, Cap.STOCK_MANAGE)
    movements = (visible_to(request.user, Movement).filter(holder=holder).select_related("lot__product", "by")
                 .order_by("at", "id"))
    rows = ([timezone.localtime(m.at).strftime("%d/%m/%Y %H:%M"), m.get_kind_display(), m.get_reason_display(),
             m.lot.product.name, m.lot.number, m.doses, m.balance_after, m.note, m.by.username if m.by else ""]
            for m in movements.iterator(chunk_size=2000))
    headers = [_("When"), _("Movement"), _("Reason"), _("Vaccine"), _("Lot number"), _("Doses"), _("Balance"),
               _("Note"), _("By")]
    return download(fmt, f"so-kho-{holder.pk}", headers, rows, title=_("Stock ledger"))


def receive(request):
    require(request.user, Cap.STOCK_MANAGE)
    form = ReceiptForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            movement = stock_services.receive_lot(
                actor=request.user, holder=data["holder"], product=data["product"], number=data["number"],
                expiry=data["expiry"], doses_per_vial=data["doses_per_vial"], doses=data["doses"],
                source=data["source"], note=data.get("note", ""))
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("%(n)s doses of lot %(lot)s recorded at %(holder)s.") % {
                "n": movement.doses, "lot": movement.lot.number, "holder": movement.holder.name})
            return redirect("vaccination:stock")
    return _page(request, "vaccination/stock/form.html", {"form": form, "title": _("Receive a lot"),
                                                           "submit": _("Record the receipt")})


def waste(request):
    require(request.user, Cap.STOCK_MANAGE)
    if request.method == "POST" and request.POST.get("action") == "expired":
        # One click for an expired lot: the row comes through the jurisdiction module like any other.
        row = get_for_user(request.user, Stock.objects.select_related("lot", "holder"),
                           request.POST.get("stock") or 0, write=True)
        try:
            movement = stock_services.waste_expired(actor=request.user, row=row)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("%(n)s expired doses of lot %(lot)s written off.") % {
                "n": -movement.doses, "lot": row.lot.number})
        return redirect("vaccination:stock")
    initial = {"stock": request.GET.get("stock")} if request.GET.get("stock", "").isdigit() else None
    form = WasteForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            stock_services.waste(actor=request.user, holder=data["stock"].holder, lot=data["stock"].lot,
                                 doses=data["doses"], reason=data["reason"], note=data.get("note", ""))
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Wastage recorded."))
            return redirect("vaccination:stock")
    return _page(request, "vaccination/stock/form.html", {"form": form, "title": _("Record wastage"),
                                                           "submit": _("Record wastage")})


# ---- dispatches ----------------------------------------------------------------------------------

def dispatches(request):
    require(request.user, Cap.STOCK_MANAGE)
    show_all = request.GET.get("show") == "all"
    qs = visible_to(request.user, Dispatch).select_related("sender", "recipient", "lot__product", "received_by")
    if not show_all:
        qs = qs.filter(status=Dispatch.Status.SENT)
    rows = list(qs.order_by("-sent_at", "-pk")[:LIST_LIMIT])
    speaks = {row.recipient_id: answers_for(request.user, row.recipient) for row in rows}  # per unit, not per row
    for row in rows:
        row.can_confirm = row.status == Dispatch.Status.SENT and speaks[row.recipient_id]
    return _page(request, "vaccination/stock/dispatches.html", {"dispatches": rows, "show_all": show_all})


def dispatch_receive(request, pk: int):
    dispatch = get_for_user(request.user, Dispatch.objects.select_related("sender", "recipient", "lot__product"), pk,
                            write=True)
    if not answers_for(request.user, dispatch.recipient):
        raise PermissionDenied  # the sender's side sees the dispatch but does not confirm it
    form = ConfirmReceiptForm(request.POST or None, dispatch=dispatch)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            stock_services.confirm_receipt(actor=request.user, dispatch=dispatch, received=data["received"],
                                           shortfall_reason=data.get("reason") or "", note=data.get("note", ""))
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Receipt confirmed: %(n)s doses of lot %(lot)s added to %(holder)s.") % {
                "n": data["received"], "lot": dispatch.lot.number, "holder": dispatch.recipient.name})
            return redirect("vaccination:stock")
    return _page(request, "vaccination/stock/receive_dispatch.html", {"dispatch": dispatch, "form": form})


# ---- allocation ----------------------------------------------------------------------------------

def allocations(request):
    require(request.user, Cap.STOCK_ALLOCATE)
    plans = (visible_to(request.user, AllocationPlan).select_related("product", "source", "created_by")
             .order_by("-created_at", "-pk")[:LIST_LIMIT])
    return _page(request, "vaccination/stock/allocations.html", {"plans": plans})


def allocation_new(request):
    require(request.user, Cap.STOCK_ALLOCATE)
    form = PlanForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            plan = stock_services.create_plan(actor=request.user, product=data["product"], source=data["source"],
                                              doses=data.get("doses"), note=data.get("note", ""))
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Allocation plan created from each commune's coverage gap. Check the "
                                        "lines, then dispatch."))
            return redirect("vaccination:allocation", pk=plan.pk)
    # With nothing to send, say so and where to start, rather than leave an empty list to puzzle over.
    notice = ("" if form.fields["source"].queryset.exists()
              else _("None of the units you keep holds vaccine now. Record the lots that arrived first."))
    return _page(request, "vaccination/stock/form.html", {
        "form": form, "title": _("New allocation plan"), "submit": _("Suggest an allocation"), "notice": notice,
        "notice_link": (reverse("vaccination:receive"), _("Receive a lot")) if notice else None})


def _posted_lines(request) -> dict[int, int]:
    found = {}
    for key, value in request.POST.items():
        if key.startswith("line-") and (line := whole_number(key[5:])) is not None:
            doses = whole_number(value, high=MAX_DOSES)
            if doses is None:
                raise ValidationError(_("Enter whole numbers of doses, up to %(n)s.")
                                      % {"n": number_format(MAX_DOSES, force_grouping=True)})
            found[line] = doses
    return found


@require_http_methods(["GET", "POST"])
def plan_detail(request, pk: int):
    plan = get_for_user(request.user, AllocationPlan.objects.select_related("product", "source", "created_by"), pk)
    require(request.user, Cap.STOCK_ALLOCATE)
    today = timezone.localdate()
    if request.method == "POST":
        try:
            if request.POST.get("action") == "dispatch":
                # Edits and dispatch in one transaction: a refused dispatch keeps the edits unsaved too.
                sent = stock_services.save_and_dispatch(actor=request.user, plan=plan,
                                                        doses=_posted_lines(request))
                messages.success(request, _("%(n)s dispatches sent; the communes confirm them on receipt.")
                                 % {"n": len(sent)})
            else:
                stock_services.update_lines(actor=request.user, plan=plan, doses=_posted_lines(request))
                messages.success(request, _("Changes saved."))
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        return redirect("vaccination:allocation", pk=plan.pk)
    lines = list(visible_to(request.user, plan.lines.all()).select_related("commune", "recipient")
                 .order_by("-gap", "commune__name"))
    held = allocation.available(plan.source, plan.product, today)
    province = plan.source.place
    while province is not None and province.level != "province":
        province = province.parent
    without_unit = []
    if province is not None and plan.status == AllocationPlan.Status.DRAFT:
        communes = allocation.communes_of(province)
        units = allocation.receiving_units(communes)
        on_plan = {line.commune_id for line in lines}
        without_unit = [c for c in communes if c.pk not in units and c.pk not in on_plan]
    sent = (visible_to(request.user, Dispatch).filter(line__plan=plan)
            .select_related("recipient", "lot").order_by("recipient__name", "lot__expiry"))
    return _page(request, "vaccination/stock/allocation.html", {
        "plan": plan, "lines": lines, "held": held, "total": sum(line.doses for line in lines),
        "suggested": sum(line.suggested for line in lines), "without_unit": without_unit, "sent": sent,
        "editable": plan.status == AllocationPlan.Status.DRAFT, "per_vial": plan.product.doses_per_vial,
        # Doses leave the source's stock on dispatch: only whoever keeps that stock sends them.
        "can_dispatch": stock_services.kept_by(request.user).filter(pk=plan.source_id).exists(),
    })


# ---- shortage ------------------------------------------------------------------------------------

def _shortage(request):
    require(request.user, Cap.STOCK_ALLOCATE)
    user = request.user
    communes = allocation.communes_of(user.place) if user.place_id else []
    return stock_reports.shortage(stock=visible_to(user, Stock), dispatches=visible_to(user, Dispatch),
                                  movements=visible_to(user, Movement), communes=communes)


def shortage(request):
    return _page(request, "vaccination/stock/shortage.html", {"report": _shortage(request)})


def shortage_export(request, fmt: str):
    report = _shortage(request)
    headers = [_("Vaccine"), _("Doses held"), _("Doses used per day"), _("Days of stock left"),
               _("Doses needed for %(n)s days") % {"n": report.cover_days}, _("To request from the Ministry")]
    rows = [[r.product.name, r.held, r.per_day, "" if r.days is None else r.days, r.need, r.request]
            for r in report.rows]
    rows.append([_("People still to vaccinate (first dose)"), report.people_gap, "", "", "", ""])
    return download(fmt, "bao-cao-thieu-vac-xin", headers, rows, title=_("Shortage report"))
