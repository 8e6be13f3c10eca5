"""Every write about stock: receipts of lots, wastage, allocation plans, dispatches and their receipt.

Each function is one transaction with its audit events, and changes balances only through stock.move(),
so the ledger explains every dose: a dispatch takes doses out of the sender's stock when it leaves, the
receiver puts them in when it confirms, and doses that did not arrive are booked as wastage with a reason
rather than vanishing. Callers pass rows they fetched through the jurisdiction module; the functions check
the capability and that the holder is one the actor answers for (jurisdiction.answers_for): seeing a unit's
stock is not keeping it. The province sees every commune's fridge but books only its own stores (the CDC); a
commune station books its station and the sites standing in its commune; a site its own stock. So receipts,
wastage, write-offs, the source of an allocation plan and the confirmation of a dispatch are all recorded by
the side that holds the vials."""

from __future__ import annotations

from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from epicommand.core import audit
from epicommand.core.jurisdiction import answered_by, answers_for, can, visible_to
from epicommand.core.models import AuditEvent, Organization, User
from epicommand.core.repeats import saved_moments_ago
from epicommand.core.roles import Cap

from . import allocation, stock
from .models import AllocationLine, AllocationPlan, Dispatch, Lot, Movement, Product, Stock

K = Organization.Kind
# Units that keep vaccine: the provincial CDC, health centres, commune stations and vaccination sites.
HOLDER_KINDS = (K.CDC, K.HEALTH_CENTRE, K.COMMUNE_STATION, K.VACCINATION_SITE)
SOURCES = {
    "covax": gettext_lazy("COVAX"),
    "purchase": gettext_lazy("Purchase"),
    "donation": gettext_lazy("Donation"),
    "ministry": gettext_lazy("Ministry of Health allocation"),
}
# What a receiver may say happened to doses that did not arrive.
SHORTFALL_REASONS = (Movement.Waste.BREAKAGE, Movement.Waste.COLD_CHAIN)


def stock_holders(user: User) -> QuerySet[Organization]:
    """Active vaccine-holding units inside the user's jurisdiction: those they see (and may, say, let run a
    site), not necessarily those whose stock they book (see kept_by)."""
    return visible_to(user, Organization).filter(kind__in=HOLDER_KINDS, is_active=True).order_by("name")


def kept_by(user: User) -> QuerySet[Organization]:
    """The holders whose stock the user books: those of stock_holders() the user answers for."""
    return answered_by(user, stock_holders(user))


def _require_holder(actor: User, holder: Organization, capability: str = Cap.STOCK_MANAGE) -> None:
    if not can(actor, capability) or not kept_by(actor).filter(pk=holder.pk).exists():
        raise PermissionDenied


def _day(on: date) -> str:
    return on.strftime("%d/%m/%Y")


# ---- receipts and wastage ----------------------------------------------------------------------

def _refuse_repeat(actor: User, holder: Organization, lot: Lot, kind: str, doses: int, field: str) -> None:
    """Refuse a receipt or write-off the same person booked a moment ago (core.repeats): Save pressed twice, not
    a second one. The holder's row is locked first, so two taps arriving together queue here."""
    same = Movement.objects.filter(holder=holder, lot=lot, kind=kind, doses=doses, by=actor)
    if saved_moments_ago(Organization.objects.filter(pk=holder.pk), same, "at").exists():
        raise ValidationError({field: _("This was recorded a moment ago (Save pressed twice?): nothing more was "
                                        "saved. To record the same again, wait two minutes.")})


def receive_lot(*, actor: User, holder: Organization, product: Product, number: str, expiry: date,
                doses_per_vial: int, doses: int, source: str, note: str = "") -> Movement:
    """Doses of a lot arriving from a supplier. A lot number already known for the vaccine is the same lot,
    so its expiry and vial size must agree with what was recorded."""
    _require_holder(actor, holder)
    number = " ".join((number or "").split())
    if not number:
        raise ValidationError({"number": _("Enter the lot number.")})
    if source not in SOURCES:
        raise ValidationError({"source": _("Choose where the vaccine comes from.")})
    if doses_per_vial < 1:
        raise ValidationError({"doses_per_vial": _("A vial holds at least one dose.")})
    if doses < 1 or doses % doses_per_vial:
        raise ValidationError({"quantity": _("Enter the quantity in whole vials of %(n)s doses.")
                               % {"n": doses_per_vial}})
    if doses > stock.MAX_DOSES:
        raise ValidationError({"quantity": _("At most %(n)s doses in one receipt: check the quantity.")
                               % {"n": number_format(stock.MAX_DOSES, force_grouping=True)}})
    with transaction.atomic():
        lot = Lot.objects.filter(product=product, number__iexact=number).first()
        if lot is None:
            try:
                with transaction.atomic():
                    lot = Lot.objects.create(product=product, number=number, expiry=expiry,
                                             doses_per_vial=doses_per_vial, source=source)
            except IntegrityError:  # someone recorded the same lot a moment ago
                lot = Lot.objects.get(product=product, number=number)
        if lot.expiry != expiry:
            raise ValidationError({"expiry": _("Lot %(lot)s of %(vaccine)s is already recorded with expiry date "
                                               "%(date)s. Check the label, or record it under its own number.")
                                   % {"lot": lot.number, "vaccine": product.name, "date": _day(lot.expiry)}})
        if lot.doses_per_vial != doses_per_vial:
            raise ValidationError({"doses_per_vial": _("Lot %(lot)s is already recorded with %(n)s doses per vial.")
                                   % {"lot": lot.number, "n": lot.doses_per_vial}})
        _refuse_repeat(actor, holder, lot, Movement.Kind.RECEIPT, doses, "quantity")
        movement = stock.move(holder=holder, lot=lot, doses=doses, kind=Movement.Kind.RECEIPT, by=actor,
                              note=(note or str(SOURCES[source]))[:255], reference=f"source:{source}")
        audit.record(actor=actor, action=AuditEvent.Action.CREATE, obj=movement,
                     changes={"lot": lot.number, "vaccine": product.key, "expiry": str(lot.expiry),
                              "doses": doses, "source": source, "holder": holder.pk})
    return movement


def waste(*, actor: User, holder: Organization, lot: Lot, doses: int, reason: str, note: str = "",
          on: date | None = None) -> Movement:
    """Doses that can no longer be used, with the reason (breakage, expiry, open vial, cold chain)."""
    _require_holder(actor, holder)
    on = on or timezone.localdate()
    if reason not in Movement.Waste.values:
        raise ValidationError({"reason": _("Choose why the doses were wasted.")})
    if doses < 1:
        raise ValidationError({"doses": _("Enter how many doses were wasted.")})
    if reason == Movement.Waste.EXPIRY and lot.expiry >= on:
        raise ValidationError({"reason": _("Lot %(lot)s expires on %(date)s: it has not expired yet.")
                               % {"lot": lot.number, "date": _day(lot.expiry)}})
    with transaction.atomic():
        _refuse_repeat(actor, holder, lot, Movement.Kind.WASTED, -doses, "doses")
        try:
            movement = stock.move(holder=holder, lot=lot, doses=-doses, kind=Movement.Kind.WASTED, by=actor,
                                  reason=reason, note=(note or "")[:255])
        except stock.OutOfStock as exc:
            raise ValidationError({"doses": str(exc)}) from None
        audit.record(actor=actor, action=AuditEvent.Action.CREATE, obj=movement,
                     changes={"lot": lot.number, "doses": -doses, "reason": reason, "holder": holder.pk})
    return movement


def waste_expired(*, actor: User, row: Stock, on: date | None = None) -> Movement:
    """All doses left of an expired lot at a holder, booked as expiry wastage in one action."""
    on = on or timezone.localdate()
    with transaction.atomic():
        row = Stock.objects.select_for_update().select_related("lot", "holder").get(pk=row.pk)
        if row.lot.expiry >= on:
            raise ValidationError(_("Lot %(lot)s expires on %(date)s: it has not expired yet.")
                                  % {"lot": row.lot.number, "date": _day(row.lot.expiry)})
        if row.doses < 1:
            raise ValidationError(_("No doses of lot %(lot)s are left here.") % {"lot": row.lot.number})
        return waste(actor=actor, holder=row.holder, lot=row.lot, doses=row.doses, reason=Movement.Waste.EXPIRY,
                     note=_("expired on %(date)s") % {"date": _day(row.lot.expiry)}, on=on)


# ---- allocation plans and dispatch -------------------------------------------------------------

def create_plan(*, actor: User, product: Product, source: Organization, doses: int | None = None,
                note: str = "", on: date | None = None) -> AllocationPlan:
    """A draft plan sharing `doses` (default: all the source holds, in whole vials) among the communes by
    their coverage gap (allocation.suggest); each line starts at its suggestion."""
    _require_holder(actor, source, Cap.STOCK_ALLOCATE)
    on = on or timezone.localdate()
    per_vial = product.doses_per_vial or 1
    held = allocation.available(source, product, on)
    if doses is None:
        doses = allocation.whole_vials(held, per_vial)
    if held < 1:
        raise ValidationError({"doses": _("%(holder)s holds no usable doses of %(vaccine)s.")
                               % {"holder": source.name, "vaccine": product.name}})
    if doses < 1:
        raise ValidationError({"doses": _("Enter how many doses to share.")})
    if doses > held:
        raise ValidationError({"doses": _("%(holder)s holds only %(n)s usable doses of %(vaccine)s.")
                               % {"holder": source.name, "n": held, "vaccine": product.name}})
    if doses % per_vial:
        raise ValidationError({"doses": _("Share whole vials: a multiple of %(n)s doses.") % {"n": per_vial}})
    shares = allocation.suggest(product=product, source=source, doses=doses, on=on)
    with transaction.atomic():
        plan = AllocationPlan.objects.create(product=product, source=source, doses=doses, note=(note or "")[:255],
                                             created_by=actor)
        AllocationLine.objects.bulk_create([
            AllocationLine(plan=plan, commune=s.commune, recipient=s.recipient, gap=s.people_gap,
                           suggested=s.doses, doses=s.doses) for s in shares if s.recipient is not None])
        audit.record(actor=actor, action=AuditEvent.Action.CREATE, obj=plan,
                     changes={"vaccine": product.key, "source": source.pk, "doses": doses})
    return plan


def update_lines(*, actor: User, plan: AllocationPlan, doses: dict[int, int], on: date | None = None) -> None:
    """The officer's changes to the doses of a draft plan's lines (line pk → doses)."""
    if not can(actor, Cap.STOCK_ALLOCATE):
        raise PermissionDenied
    on = on or timezone.localdate()
    per_vial = plan.product.doses_per_vial or 1
    with transaction.atomic():
        plan = AllocationPlan.objects.select_for_update().select_related("source", "product").get(pk=plan.pk)
        if plan.status != AllocationPlan.Status.DRAFT:
            raise ValidationError(_("This plan has been dispatched and can no longer be changed."))
        lines = {line.pk: line for line in plan.lines.select_related("commune")}
        changes = {}
        for pk, value in doses.items():
            line = lines.get(pk)
            if line is None:
                continue
            if value < 0 or value % per_vial:
                raise ValidationError(_("%(commune)s: enter whole vials, a multiple of %(n)s doses.")
                                      % {"commune": line.commune.name, "n": per_vial})
            if value != line.doses:
                changes[line.commune.name] = [line.doses, value]
                line.doses = value
        total = sum(line.doses for line in lines.values())
        held = allocation.available(plan.source, plan.product, on)
        if total > held:
            raise ValidationError(_("The lines add up to %(total)s doses, but %(holder)s holds only %(n)s usable "
                                    "doses of %(vaccine)s.") % {"total": total, "holder": plan.source.name,
                                                                "n": held, "vaccine": plan.product.name})
        AllocationLine.objects.bulk_update(list(lines.values()), ["doses"])
        if plan.doses != total:
            changes["total"] = [plan.doses, total]
            plan.doses = total
            plan.save(update_fields=["doses"])
        if changes:
            audit.record(actor=actor, action=AuditEvent.Action.UPDATE, obj=plan, changes=changes)


def dispatch_plan(*, actor: User, plan: AllocationPlan, on: date | None = None) -> list[Dispatch]:
    """Send every line with doses, from the source's lots earliest expiry first (a line may take several lots,
    one dispatch each). All lines or none: if one cannot be served, nothing is sent."""
    _require_holder(actor, plan.source, Cap.STOCK_ALLOCATE)
    on = on or timezone.localdate()
    sent: list[Dispatch] = []
    with transaction.atomic():
        # The claim: a plan is dispatched once, even if the button is pressed twice.
        if not AllocationPlan.objects.filter(pk=plan.pk, status=AllocationPlan.Status.DRAFT).update(
                status=AllocationPlan.Status.DISPATCHED):
            raise ValidationError(_("This plan has already been dispatched."))
        lines = plan.lines.filter(doses__gt=0).select_related("commune", "recipient").order_by("-gap", "pk")
        if not lines:
            raise ValidationError(_("No line has doses to send."))
        for line in lines:
            left = line.doses
            rows = (Stock.objects.filter(holder=plan.source, lot__product=plan.product, lot__expiry__gte=on,
                                         doses__gt=0).select_related("lot").order_by("lot__expiry", "lot__number"))
            for row in rows:
                if not left:
                    break
                # The balance now, not when the rows were listed: another user may have drawn from the lot.
                n = min(left, stock.balance(plan.source, row.lot))
                if n < 1:
                    continue
                try:
                    movement = stock.move(holder=plan.source, lot=row.lot, doses=-n, kind=Movement.Kind.DISPATCH_OUT,
                                          by=actor)
                except stock.OutOfStock:
                    continue  # drawn meanwhile by someone else: the later lots may still serve the line
                # The dispatch exists only once its doses have left: a refused draw leaves no dispatch behind.
                dispatch = Dispatch.objects.create(sender=plan.source, recipient=line.recipient, lot=row.lot, doses=n,
                                                   line=line, sent_by=actor)
                Movement.objects.filter(pk=movement.pk).update(reference=f"dispatch:{dispatch.pk}")
                left -= n
                sent.append(dispatch)
                audit.record(actor=actor, action=AuditEvent.Action.CREATE, obj=dispatch,
                             changes={"lot": row.lot.number, "doses": n, "recipient": line.recipient_id,
                                      "plan": plan.pk})
            if left:
                raise ValidationError(_("Not enough usable doses of %(vaccine)s at %(holder)s for %(commune)s "
                                        "(%(n)s doses missing). Nothing was sent.")
                                      % {"vaccine": plan.product.name, "holder": plan.source.name,
                                         "commune": line.commune.name, "n": left})
        audit.record(actor=actor, action=AuditEvent.Action.UPDATE, obj=plan,
                     changes={"status": [AllocationPlan.Status.DRAFT, AllocationPlan.Status.DISPATCHED],
                              "dispatches": [d.pk for d in sent]})
    plan.status = AllocationPlan.Status.DISPATCHED
    return sent


def save_and_dispatch(*, actor: User, plan: AllocationPlan, doses: dict[int, int],
                      on: date | None = None) -> list[Dispatch]:
    """The plan page's "dispatch" button: the officer's last edits and the dispatch, in one transaction. If the
    dispatch is refused, the edits are not kept either: the officer sees the error next to the lines as they
    were, not a plan silently changed behind a message that says nothing was sent."""
    with transaction.atomic():
        update_lines(actor=actor, plan=plan, doses=doses, on=on)
        return dispatch_plan(actor=actor, plan=plan, on=on)


def confirm_receipt(*, actor: User, dispatch: Dispatch, received: int | None = None, shortfall_reason: str = "",
                    note: str = "") -> Dispatch:
    """The receiving unit confirms what arrived. Every dose sent enters its stock; those that did not arrive
    in usable state leave it again as wastage with the receiver's reason, so the books always add up."""
    if not (can(actor, Cap.STOCK_MANAGE) and answers_for(actor, dispatch.recipient)):
        raise PermissionDenied  # only the receiving side confirms: the sender cannot book its own delivery
    received = dispatch.doses if received is None else received
    if not 0 <= received <= dispatch.doses:
        raise ValidationError({"received": _("Enter between 0 and %(n)s doses.") % {"n": dispatch.doses}})
    missing = dispatch.doses - received
    if missing and shortfall_reason not in SHORTFALL_REASONS:
        raise ValidationError({"reason": _("Say why %(n)s doses did not arrive usable: breakage or cold chain.")
                               % {"n": missing}})
    with transaction.atomic():
        if not Dispatch.objects.filter(pk=dispatch.pk, status=Dispatch.Status.SENT).update(
                status=Dispatch.Status.RECEIVED, received_doses=received, received_by=actor,
                received_at=timezone.now()):
            raise ValidationError(_("This dispatch has already been confirmed as received."))
        reference = f"dispatch:{dispatch.pk}"
        stock.move(holder=dispatch.recipient, lot=dispatch.lot, doses=dispatch.doses,
                   kind=Movement.Kind.DISPATCH_IN, by=actor, reference=reference)
        if missing:
            stock.move(holder=dispatch.recipient, lot=dispatch.lot, doses=-missing, kind=Movement.Kind.WASTED,
                       by=actor, reason=shortfall_reason, reference=reference,
                       note=(note or _("not received usable from dispatch %(n)s") % {"n": dispatch.pk})[:255])
        dispatch.refresh_from_db()
        audit.record(actor=actor, action=AuditEvent.Action.UPDATE, obj=dispatch,
                     changes={"status": [Dispatch.Status.SENT, Dispatch.Status.RECEIVED], "received": received,
                              "wasted": missing, "reason": shortfall_reason if missing else ""})
    return dispatch
