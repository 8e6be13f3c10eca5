"""Stock services: receipts, wastage, allocation plans, dispatch out and in. Balances are read from the
Stock table and the ledger (Movement) directly, never through the code under test."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext

from epicommand.core import repeats
from epicommand.core.models import AuditEvent
from epicommand.core.roles import Role
from epicommand.vaccination import stock, stock_services
from epicommand.vaccination.models import (
    AllocationLine,
    AllocationPlan,
    Dispatch,
    Lot,
    Movement,
    Product,
    Stock,
    TargetFact,
)

from .world import K

pytestmark = pytest.mark.django_db


def held(holder, lot=None) -> int:
    qs = Stock.objects.filter(holder=holder)
    if lot is not None:
        qs = qs.filter(lot=lot)
    return qs.aggregate(n=Sum("doses"))["n"] or 0


def ledger_sum(holder, lot) -> int:
    return Movement.objects.filter(holder=holder, lot=lot).aggregate(n=Sum("doses"))["n"] or 0


@pytest.fixture
def pfizer():
    return Product.objects.get(key="pfizer")


@pytest.fixture
def officer(world):
    return world.user(Role.HEALTH_OFFICER)


def receive(world, officer, pfizer, number="CDC-1", doses=120, days=200):
    return stock_services.receive_lot(
        actor=officer, holder=world.vaccination.cdc, product=pfizer, number=number,
        expiry=timezone.localdate() + timedelta(days=days), doses_per_vial=6, doses=doses, source="covax")


# ---- receipts --------------------------------------------------------------------------------

def test_a_receipt_creates_the_lot_and_its_stock_with_a_ledger_row_and_an_audit_event(world, officer, pfizer):
    movement = receive(world, officer, pfizer)
    lot = Lot.objects.get(product=pfizer, number="CDC-1")
    assert (movement.kind, movement.doses, movement.balance_after) == (Movement.Kind.RECEIPT, 120, 120)
    assert held(world.vaccination.cdc, lot) == 120 == ledger_sum(world.vaccination.cdc, lot)
    assert lot.source == "covax" and lot.doses_per_vial == 6
    assert AuditEvent.objects.filter(action="create", object_type="vaccination.Movement",
                                     object_id=str(movement.pk), actor=officer).exists()


def test_the_same_lot_number_reuses_the_lot_and_a_different_expiry_is_refused(world, officer, pfizer):
    receive(world, officer, pfizer, number="CDC-1")
    receive(world, officer, pfizer, number="cdc-1", doses=60)  # the same label typed in lower case
    assert Lot.objects.filter(product=pfizer, number__iexact="CDC-1").count() == 1
    assert held(world.vaccination.cdc) == 180
    with pytest.raises(ValidationError) as caught:
        receive(world, officer, pfizer, number="CDC-1", days=100)
    assert "expiry" in caught.value.message_dict
    assert held(world.vaccination.cdc) == 180


def repeated() -> str:
    return gettext("This was recorded a moment ago (Save pressed twice?): nothing more was saved. To record the "
                   "same again, wait two minutes.")


def test_save_pressed_twice_books_a_receipt_or_a_write_off_once(world, officer, pfizer):
    first = receive(world, officer, pfizer)
    with pytest.raises(ValidationError) as caught:
        receive(world, officer, pfizer)
    assert caught.value.message_dict["quantity"] == [repeated()]
    cdc = world.vaccination.cdc
    stock_services.waste(actor=officer, holder=cdc, lot=first.lot, doses=6, reason=Movement.Waste.BREAKAGE)
    with pytest.raises(ValidationError) as caught:
        stock_services.waste(actor=officer, holder=cdc, lot=first.lot, doses=6, reason=Movement.Waste.BREAKAGE)
    assert caught.value.message_dict["doses"] == [repeated()]
    assert held(cdc, first.lot) == ledger_sum(cdc, first.lot) == 114
    # Another quantity is another receipt; the same one two minutes later is one too.
    receive(world, officer, pfizer, doses=60)
    Movement.objects.filter(holder=cdc).update(at=timezone.now() - repeats.MOMENT)
    receive(world, officer, pfizer)
    assert held(cdc, first.lot) == 114 + 60 + 120


def test_a_quantity_beyond_any_delivery_is_refused_before_it_reaches_the_database(world, officer, pfizer):
    with pytest.raises(ValidationError) as caught:
        receive(world, officer, pfizer, doses=(stock.MAX_DOSES + 6) // 6 * 6)
    assert "quantity" in caught.value.message_dict
    assert held(world.vaccination.cdc) == 0


def test_a_receipt_must_be_whole_vials_and_inside_the_jurisdiction(world, pfizer):
    nurse = world.user(Role.COMMUNE_STATION, "home")
    expiry = timezone.localdate() + timedelta(days=100)
    with pytest.raises(ValidationError) as caught:
        stock_services.receive_lot(actor=nurse, holder=world.org(K.COMMUNE_STATION, "home"), product=pfizer,
                                   number="X-1", expiry=expiry, doses_per_vial=6, doses=13, source="donation")
    assert "quantity" in caught.value.message_dict
    with pytest.raises(PermissionDenied):
        stock_services.receive_lot(actor=nurse, holder=world.org(K.COMMUNE_STATION, "neighbour"), product=pfizer,
                                   number="X-1", expiry=expiry, doses_per_vial=6, doses=12, source="donation")
    with pytest.raises(PermissionDenied):  # a mobile station keeps no stock
        stock_services.receive_lot(actor=world.user(Role.MOBILE_STATION, "home"),
                                   holder=world.org(K.COMMUNE_STATION, "home"), product=pfizer, number="X-1",
                                   expiry=expiry, doses_per_vial=6, doses=12, source="donation")
    assert not Lot.objects.filter(number="X-1").exists()


# ---- wastage ---------------------------------------------------------------------------------

def test_wastage_takes_doses_with_its_reason_and_never_goes_below_zero(world, pfizer):
    nurse, station, lot = world.user(Role.COMMUNE_STATION, "home"), world.org(K.COMMUNE_STATION, "home"), \
        world.vaccination.lots["home"]
    movement = stock_services.waste(actor=nurse, holder=station, lot=lot, doses=5, reason="open_vial", note="lọ mở")
    assert (movement.doses, movement.reason, movement.balance_after) == (-5, "open_vial", 55)
    with pytest.raises(ValidationError):
        stock_services.waste(actor=nurse, holder=station, lot=lot, doses=56, reason="breakage")
    with pytest.raises(ValidationError):  # the lot has not expired
        stock_services.waste(actor=nurse, holder=station, lot=lot, doses=1, reason="expiry")
    with pytest.raises(stock.OutOfStock):
        stock.move(holder=station, lot=lot, doses=-56, kind=Movement.Kind.ADJUSTMENT, by=nurse)
    assert held(station, lot) == 55 == ledger_sum(station, lot)


def test_an_expired_lot_is_written_off_in_one_action(world, pfizer):
    nurse, station = world.user(Role.COMMUNE_STATION, "home"), world.org(K.COMMUNE_STATION, "home")
    lot = Lot.objects.create(product=pfizer, number="OLD-1", expiry=timezone.localdate() - timedelta(days=1),
                             doses_per_vial=6)
    stock.move(holder=station, lot=lot, doses=18, kind=Movement.Kind.RECEIPT, by=None)
    row = Stock.objects.get(holder=station, lot=lot)
    movement = stock_services.waste_expired(actor=nurse, row=row)
    assert (movement.doses, movement.reason) == (-18, "expiry")
    assert held(station, lot) == 0
    with pytest.raises(ValidationError):  # nothing left
        stock_services.waste_expired(actor=nurse, row=row)
    with pytest.raises(ValidationError):  # not expired
        stock_services.waste_expired(actor=nurse,
                                     row=Stock.objects.get(holder=station, lot=world.vaccination.lots["home"]))


# ---- allocation plans and dispatch -------------------------------------------------------------

@pytest.fixture
def plan(world, officer, pfizer):
    """120 doses at the CDC in two lots; home and neighbour have gaps."""
    receive(world, officer, pfizer, number="LATE", doses=60, days=300)
    receive(world, officer, pfizer, number="EARLY", doses=60, days=100)
    today = timezone.localdate()
    TargetFact.objects.create(commune=world.communes["home"], age_group="adult", people=300, computed_on=today)
    TargetFact.objects.create(commune=world.communes["neighbour"], age_group="adult", people=150, computed_on=today)
    return stock_services.create_plan(actor=officer, product=pfizer, source=world.vaccination.cdc)


def test_a_plan_shares_everything_the_source_holds_by_default(world, plan):
    lines = {line.commune_id: line for line in plan.lines.all()}
    assert plan.doses == 120 and plan.status == "draft"
    home, neighbour = lines[world.communes["home"].pk], lines[world.communes["neighbour"].pk]
    # gaps: 300 − 72 held (60 in stock, 12 in transit) = 228; 150 − 72 = 78 → 14.9 and 5.1 vials of 20.
    assert (home.suggested, neighbour.suggested) == (90, 30)
    assert home.doses == home.suggested and home.gap == 300
    assert sum(line.doses for line in lines.values()) == 120


def test_dispatch_sends_every_line_from_the_earliest_expiry_first(world, officer, plan):
    cdc = world.vaccination.cdc
    sent = stock_services.dispatch_plan(actor=officer, plan=plan)
    plan.refresh_from_db()
    assert plan.status == AllocationPlan.Status.DISPATCHED
    by_recipient = {}
    for d in Dispatch.objects.filter(line__plan=plan):
        by_recipient.setdefault(d.recipient.name, []).append((d.lot.number, d.doses))
    # Lines go largest gap first: home takes the 60 early doses and 30 late ones; neighbour 30 late.
    assert sorted(by_recipient["ORG home-commune_station"]) == [("EARLY", 60), ("LATE", 30)]
    assert by_recipient["ORG neighbour-commune_station"] == [("LATE", 30)]
    assert len(sent) == 3 and held(cdc) == 0
    assert Movement.objects.filter(holder=cdc, kind=Movement.Kind.DISPATCH_OUT).aggregate(n=Sum("doses"))["n"] == -120
    with pytest.raises(ValidationError):
        stock_services.dispatch_plan(actor=officer, plan=plan)
    with pytest.raises(ValidationError):  # a dispatched plan cannot be edited
        stock_services.update_lines(actor=officer, plan=plan, doses={plan.lines.first().pk: 0})
    assert Dispatch.objects.filter(line__plan=plan).count() == 3


def test_dispatch_is_all_or_nothing_when_a_line_cannot_be_served(world, officer, plan):
    cdc = world.vaccination.cdc
    # Someone records wastage at the CDC after the plan was made: the last line can no longer be served.
    stock_services.waste(actor=officer, holder=cdc, lot=Lot.objects.get(number="LATE"), doses=6, reason="breakage")
    with pytest.raises(ValidationError) as caught:
        stock_services.dispatch_plan(actor=officer, plan=plan)
    assert "Bum Tở" in " ".join(caught.value.messages)
    plan.refresh_from_db()
    assert plan.status == AllocationPlan.Status.DRAFT
    assert not Dispatch.objects.filter(line__plan=plan).exists()
    assert held(cdc) == 114
    assert not Movement.objects.filter(kind=Movement.Kind.DISPATCH_OUT).exists()


def test_a_lot_drawn_meanwhile_is_skipped_and_later_lots_serve_the_line(world, officer, pfizer, plan, monkeypatch):
    """Another user empties the earliest lot between the listing and the draw: the dispatch goes on with the later
    lots, and the refused draw leaves no dispatch behind (every dispatch has its ledger row)."""
    cdc = world.vaccination.cdc
    receive(world, officer, pfizer, number="SPARE", doses=60, days=400)  # enough to cover the EARLY lot
    early = Lot.objects.get(number="EARLY")
    real_move = stock.move

    def racing_move(**kwargs):
        if kwargs["lot"] == early and kwargs["kind"] == Movement.Kind.DISPATCH_OUT:
            real_move(holder=cdc, lot=early, doses=-60, kind=Movement.Kind.ADMINISTERED, by=None)  # the other user
        return real_move(**kwargs)

    monkeypatch.setattr(stock_services.stock, "move", racing_move)
    sent = stock_services.dispatch_plan(actor=officer, plan=plan)
    plan.refresh_from_db()
    assert plan.status == AllocationPlan.Status.DISPATCHED
    by_recipient = {}
    for d in Dispatch.objects.filter(line__plan=plan):
        by_recipient.setdefault(d.recipient.name, []).append((d.lot.number, d.doses))
    assert sorted(by_recipient["ORG home-commune_station"]) == [("LATE", 60), ("SPARE", 30)]
    assert by_recipient["ORG neighbour-commune_station"] == [("SPARE", 30)]
    assert not Dispatch.objects.filter(lot=early).exists()
    assert len(sent) == 3
    for d in Dispatch.objects.filter(line__plan=plan):
        out = Movement.objects.get(kind=Movement.Kind.DISPATCH_OUT, reference=f"dispatch:{d.pk}")
        assert (out.holder, out.lot, out.doses) == (cdc, d.lot, -d.doses)
    assert not Movement.objects.filter(kind=Movement.Kind.DISPATCH_OUT, reference="").exists()
    assert held(cdc) == 0


def test_a_lot_drawn_meanwhile_with_nothing_else_left_sends_nothing(world, officer, plan, monkeypatch):
    cdc, early = world.vaccination.cdc, Lot.objects.get(number="EARLY")
    real_move = stock.move

    def racing_move(**kwargs):
        if kwargs["lot"] == early and kwargs["kind"] == Movement.Kind.DISPATCH_OUT:
            real_move(holder=cdc, lot=early, doses=-60, kind=Movement.Kind.ADMINISTERED, by=None)
        return real_move(**kwargs)

    monkeypatch.setattr(stock_services.stock, "move", racing_move)
    with pytest.raises(ValidationError):
        stock_services.dispatch_plan(actor=officer, plan=plan)
    plan.refresh_from_db()
    assert plan.status == AllocationPlan.Status.DRAFT
    assert not Dispatch.objects.filter(line__plan=plan).exists()
    assert not Movement.objects.filter(kind=Movement.Kind.DISPATCH_OUT).exists()


def test_save_and_dispatch_keeps_no_edit_when_the_dispatch_is_refused(world, officer, plan, monkeypatch):
    cdc = world.vaccination.cdc
    home = plan.lines.get(commune=world.communes["home"])
    neighbour = plan.lines.get(commune=world.communes["neighbour"])

    def lines() -> tuple[int, int]:
        return AllocationLine.objects.get(pk=home.pk).doses, AllocationLine.objects.get(pk=neighbour.pk).doses

    # Every line set to zero is a valid edit, but there is nothing to send: neither is kept.
    with pytest.raises(ValidationError):
        stock_services.save_and_dispatch(actor=officer, plan=plan, doses={home.pk: 0, neighbour.pk: 0})
    assert lines() == (90, 30)
    # A valid edit, then someone draws the LATE lot while the plan is dispatched: refused, edit not kept.
    late, real_move = Lot.objects.get(number="LATE"), stock.move

    def racing_move(**kwargs):
        if kwargs["lot"] == late and kwargs["kind"] == Movement.Kind.DISPATCH_OUT:
            real_move(holder=cdc, lot=late, doses=-60, kind=Movement.Kind.ADMINISTERED, by=None)
        return real_move(**kwargs)

    monkeypatch.setattr(stock_services.stock, "move", racing_move)
    with pytest.raises(ValidationError):
        stock_services.save_and_dispatch(actor=officer, plan=plan, doses={home.pk: 60, neighbour.pk: 60})
    monkeypatch.undo()
    assert lines() == (90, 30)
    plan.refresh_from_db()
    assert (plan.status, plan.doses) == (AllocationPlan.Status.DRAFT, 120)
    assert not AuditEvent.objects.filter(action="update", object_type="vaccination.AllocationPlan",
                                         object_id=str(plan.pk)).exists()
    assert held(cdc) == 120 and not Dispatch.objects.filter(line__plan=plan).exists()
    # Without the race the same request saves the edit and sends it.
    sent = stock_services.save_and_dispatch(actor=officer, plan=plan, doses={home.pk: 60, neighbour.pk: 60})
    assert lines() == (60, 60) and sum(d.doses for d in sent) == 120 and held(cdc) == 0


def test_line_edits_are_whole_vials_and_never_exceed_what_the_source_holds(world, officer, plan):
    home = plan.lines.get(commune=world.communes["home"])
    neighbour = plan.lines.get(commune=world.communes["neighbour"])
    with pytest.raises(ValidationError):
        stock_services.update_lines(actor=officer, plan=plan, doses={home.pk: 96})  # 126 > 120
    with pytest.raises(ValidationError):
        stock_services.update_lines(actor=officer, plan=plan, doses={home.pk: 85})  # not whole vials
    assert AllocationLine.objects.get(pk=home.pk).doses == 90
    stock_services.update_lines(actor=officer, plan=plan, doses={home.pk: 60, neighbour.pk: 60})
    plan.refresh_from_db()
    assert (AllocationLine.objects.get(pk=home.pk).doses, plan.doses) == (60, 120)
    assert AllocationLine.objects.get(pk=home.pk).suggested == 90
    with pytest.raises(PermissionDenied):  # allocation is the province's
        stock_services.update_lines(actor=world.user(Role.COMMUNE_STATION, "home"), plan=plan, doses={})


def test_a_plan_needs_doses_at_the_source(world, officer, pfizer):
    with pytest.raises(ValidationError):
        stock_services.create_plan(actor=officer, product=pfizer, source=world.vaccination.cdc)
    receive(world, officer, pfizer, doses=60)
    with pytest.raises(ValidationError):
        stock_services.create_plan(actor=officer, product=pfizer, source=world.vaccination.cdc, doses=66)
    with pytest.raises(ValidationError):
        stock_services.create_plan(actor=officer, product=pfizer, source=world.vaccination.cdc, doses=10)
    assert not AllocationPlan.objects.filter(source=world.vaccination.cdc).exclude(pk=world.vaccination.plan.pk)


# ---- receipt of a dispatch ---------------------------------------------------------------------

def test_the_recipient_confirms_a_dispatch_and_the_doses_enter_its_stock(world):
    nurse, station = world.user(Role.COMMUNE_STATION, "home"), world.org(K.COMMUNE_STATION, "home")
    dispatch, lot = world.vaccination.dispatches["home"], world.vaccination.lots["home"]
    stock_services.confirm_receipt(actor=nurse, dispatch=dispatch)
    dispatch.refresh_from_db()
    assert (dispatch.status, dispatch.received_doses, dispatch.received_by) == ("received", 12, nurse)
    assert held(station, lot) == 72 == ledger_sum(station, lot)
    with pytest.raises(ValidationError) as caught:
        stock_services.confirm_receipt(actor=nurse, dispatch=dispatch)
    assert caught.value.messages == [gettext("This dispatch has already been confirmed as received.")]
    assert held(station, lot) == 72


def test_a_partial_receipt_books_the_difference_as_wastage_with_the_receivers_reason(world):
    nurse, station = world.user(Role.COMMUNE_STATION, "home"), world.org(K.COMMUNE_STATION, "home")
    dispatch, lot = world.vaccination.dispatches["home"], world.vaccination.lots["home"]
    with pytest.raises(ValidationError) as caught:  # fewer doses need a reason
        stock_services.confirm_receipt(actor=nurse, dispatch=dispatch, received=6)
    assert "reason" in caught.value.message_dict
    with pytest.raises(ValidationError):
        stock_services.confirm_receipt(actor=nurse, dispatch=dispatch, received=13)
    assert Dispatch.objects.get(pk=dispatch.pk).status == "sent"
    stock_services.confirm_receipt(actor=nurse, dispatch=dispatch, received=6, shortfall_reason="cold_chain")
    wasted = Movement.objects.get(holder=station, lot=lot, kind=Movement.Kind.WASTED)
    assert (wasted.doses, wasted.reason, wasted.reference) == (-6, "cold_chain", f"dispatch:{dispatch.pk}")
    assert held(station, lot) == 66 == ledger_sum(station, lot)
    assert Movement.objects.get(holder=station, lot=lot, kind=Movement.Kind.DISPATCH_IN).doses == 12


def test_only_the_receiving_side_confirms(world, pfizer):
    dispatch = world.vaccination.dispatches["home"]
    for user in (world.user(Role.COMMUNE_STATION, "neighbour"), world.user(Role.MOBILE_STATION, "home"),
                 world.user(Role.VACCINATION_SITE, "home")):
        with pytest.raises(PermissionDenied):
            stock_services.confirm_receipt(actor=user, dispatch=dispatch)
    # A site sends to the station: the site sees the dispatch but cannot confirm it; the station can.
    site_user = world.user(Role.VACCINATION_SITE, "home")
    site = site_user.organization
    stock.move(holder=site, lot=world.vaccination.lots["home"], doses=6, kind=Movement.Kind.RECEIPT, by=None)
    back = Dispatch.objects.create(sender=site, recipient=world.org(K.COMMUNE_STATION, "home"),
                                   lot=world.vaccination.lots["home"], doses=6)
    with pytest.raises(PermissionDenied):
        stock_services.confirm_receipt(actor=site_user, dispatch=back)
    stock_services.confirm_receipt(actor=world.user(Role.COMMUNE_STATION, "home"), dispatch=back)
    assert Dispatch.objects.get(pk=dispatch.pk).status == "sent"
    assert Dispatch.objects.get(pk=back.pk).status == "received"


def test_the_province_officer_cannot_confirm_a_communes_dispatch(world, officer):
    """Seeing a commune's station is not answering for it: the station confirms what reached its fridge."""
    dispatch, station = world.vaccination.dispatches["home"], world.org(K.COMMUNE_STATION, "home")
    for user in (officer, world.user(Role.COMMAND)):
        with pytest.raises(PermissionDenied):
            stock_services.confirm_receipt(actor=user, dispatch=dispatch)
    assert Dispatch.objects.get(pk=dispatch.pk).status == "sent"
    assert held(station) == 60
    assert not Movement.objects.filter(kind=Movement.Kind.DISPATCH_IN).exists()


def test_a_dispatch_to_the_cdc_is_confirmed_by_the_province_officer(world, officer):
    cdc, station, lot = world.vaccination.cdc, world.org(K.COMMUNE_STATION, "home"), world.vaccination.lots["home"]
    back = Dispatch.objects.create(sender=station, recipient=cdc, lot=lot, doses=6)
    with pytest.raises(PermissionDenied):  # the sending station does not book its own delivery
        stock_services.confirm_receipt(actor=world.user(Role.COMMUNE_STATION, "home"), dispatch=back)
    stock_services.confirm_receipt(actor=officer, dispatch=back)
    back.refresh_from_db()
    assert (back.status, back.received_by) == ("received", officer)
    assert held(cdc, lot) == 6 == ledger_sum(cdc, lot)


def test_each_side_books_stock_only_for_the_units_it_answers_for(world, officer, pfizer):
    """The province books its CDC, not the communes' stations it oversees; a station books itself and the site
    standing in its commune."""
    station, site = world.org(K.COMMUNE_STATION, "home"), world.org(K.VACCINATION_SITE, "home")
    cdc, lot = world.vaccination.cdc, world.vaccination.lots["home"]
    expiry = timezone.localdate() + timedelta(days=100)
    assert set(stock_services.kept_by(officer)) == {cdc}
    assert set(stock_services.kept_by(world.user(Role.COMMUNE_STATION, "home"))) == {station, site}
    assert set(stock_services.kept_by(world.user(Role.VACCINATION_SITE, "home"))) == {site}
    assert set(stock_services.stock_holders(officer)) > {cdc, station}  # still seen
    with pytest.raises(PermissionDenied):
        stock_services.receive_lot(actor=officer, holder=station, product=pfizer, number="X-2", expiry=expiry,
                                   doses_per_vial=6, doses=12, source="ministry")
    with pytest.raises(PermissionDenied):
        stock_services.waste(actor=officer, holder=station, lot=lot, doses=6, reason="breakage")
    with pytest.raises(PermissionDenied):
        stock_services.create_plan(actor=officer, product=pfizer, source=station, doses=12)
    assert held(station, lot) == 60 and not Lot.objects.filter(number="X-2").exists()
    stock_services.receive_lot(actor=world.user(Role.COMMUNE_STATION, "home"), holder=site, product=pfizer,
                               number="X-3", expiry=expiry, doses_per_vial=6, doses=12, source="ministry")
    assert held(site) == 12


@pytest.mark.django_db(transaction=True)
def test_confirming_and_dispatching_at_once_from_many_requests_happens_once(reference_data):
    """Eight receivers confirm the same dispatch and eight officers press "dispatch" on the same plan, each on
    its own connection: one of each goes through, the others are refused, and the books count it once."""
    import threading

    from django.db import connections

    from .world import build_world

    world = build_world()
    pfizer = Product.objects.get(key="pfizer")
    officer, nurse = world.user(Role.HEALTH_OFFICER), world.user(Role.COMMUNE_STATION, "home")
    receive(world, officer, pfizer, doses=60)
    plan = stock_services.create_plan(actor=officer, product=pfizer, source=world.vaccination.cdc)
    plan.lines.filter(commune=world.communes["home"]).update(doses=60)
    dispatch, station = world.vaccination.dispatches["home"], world.org(K.COMMUNE_STATION, "home")
    start = threading.Barrier(16)
    outcomes: list[str] = []

    def attempt(action) -> None:
        try:
            start.wait()
            action()
            outcomes.append(action.__name__)
        except ValidationError:
            outcomes.append("refused")
        finally:
            connections.close_all()

    def confirm():
        stock_services.confirm_receipt(actor=nurse, dispatch=dispatch)

    def send():
        stock_services.dispatch_plan(actor=officer, plan=plan)

    threads = [threading.Thread(target=attempt, args=(action,)) for action in [confirm] * 8 + [send] * 8]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == sorted(["confirm", "send"] + ["refused"] * 14)
    assert Movement.objects.filter(kind=Movement.Kind.DISPATCH_IN, reference=f"dispatch:{dispatch.pk}").count() == 1
    assert held(station, world.vaccination.lots["home"]) == 72
    assert Dispatch.objects.filter(line__plan=plan).aggregate(n=Sum("doses"))["n"] == 60
    assert held(world.vaccination.cdc) == 0
