"""Stock screens through the test client: what each role sees and may do, 404 for another area's rows,
clear messages for bad input with nothing written."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from openpyxl import load_workbook

from epicommand.core.models import AuditEvent
from epicommand.core.roles import Role
from epicommand.vaccination import stock, stock_services
from epicommand.vaccination.models import AllocationPlan, Dispatch, Lot, Movement, Product, Stock, TargetFact

from .world import K

pytestmark = pytest.mark.django_db


def balance(holder) -> int:
    return Stock.objects.filter(holder=holder).aggregate(n=Sum("doses"))["n"] or 0


def text(response) -> str:
    return response.content.decode()


@pytest.fixture
def nurse_client(client, world):
    client.force_login(world.user(Role.COMMUNE_STATION, "home"))
    return client


@pytest.fixture
def officer_client(client, world):
    client.force_login(world.user(Role.HEALTH_OFFICER))
    return client


def test_the_stock_page_shows_the_units_balances_and_whats_in_transit(nurse_client, world):
    body = text(nurse_client.get(reverse("vaccination:stock")))
    assert "LOT home" in body and "LOT neighbour" not in body
    assert "ORG province-cdc" in body  # the dispatch on its way to the station
    assert reverse("vaccination:ledger", args=[world.org(K.COMMUNE_STATION, "home").pk]) in body


def test_the_stock_page_warns_of_expiry_and_offers_a_write_off(nurse_client, world):
    station = world.org(K.COMMUNE_STATION, "home")
    pfizer = Product.objects.get(key="pfizer")
    old = Lot.objects.create(product=pfizer, number="OLD-9", expiry=timezone.localdate() - timedelta(days=2),
                             doses_per_vial=6)
    stock.move(holder=station, lot=old, doses=12, kind=Movement.Kind.RECEIPT, by=None)
    response = nurse_client.get(reverse("vaccination:stock"))
    warnings = [w.lot.number for w in response.context["warnings"]]
    assert warnings == ["OLD-9"]  # LOT home expires in 90 days, beyond the 30-day warning
    row = Stock.objects.get(holder=station, lot=old)
    response = nurse_client.post(reverse("vaccination:waste"), {"action": "expired", "stock": row.pk}, follow=True)
    assert Stock.objects.get(pk=row.pk).doses == 0
    assert Movement.objects.get(holder=station, lot=old, kind="wasted").reason == "expiry"


def test_days_of_stock_left_follow_the_rate_of_use(nurse_client, world):
    station, lot = world.org(K.COMMUNE_STATION, "home"), world.vaccination.lots["home"]
    # 28 doses used over the 14-day window: 2 a day; 60 − 28 = 32 doses left → 16 days.
    stock.move(holder=station, lot=lot, doses=-20, kind=Movement.Kind.ADMINISTERED, by=None)
    stock.move(holder=station, lot=lot, doses=-8, kind=Movement.Kind.WASTED, by=None, reason="open_vial")
    covers = nurse_client.get(reverse("vaccination:stock")).context["covers"]
    assert [(c.holder, c.doses, c.per_day, c.days) for c in covers] == [(station, 32, 2.0, 16)]


def test_the_ledger_of_another_communes_unit_is_404_and_audited(nurse_client, world):
    mine, theirs = world.org(K.COMMUNE_STATION, "home"), world.org(K.COMMUNE_STATION, "neighbour")
    body = text(nurse_client.get(reverse("vaccination:ledger", args=[mine.pk])))
    assert "LOT home" in body
    assert nurse_client.get(reverse("vaccination:ledger", args=[theirs.pk])).status_code == 404
    assert AuditEvent.objects.filter(action="denied", object_type="core.Organization", object_id=str(theirs.pk),
                                     actor=world.user(Role.COMMUNE_STATION, "home")).exists()


def test_receiving_a_lot_counted_in_vials(nurse_client, world):
    station = world.org(K.COMMUNE_STATION, "home")
    expiry = timezone.localdate() + timedelta(days=120)
    response = nurse_client.post(reverse("vaccination:receive"), {
        "holder": station.pk, "product": Product.objects.get(key="pfizer").pk, "number": "FA-778",
        "expiry": expiry.isoformat(), "quantity": 5, "unit": "vials", "source": "ministry"})
    assert response.status_code == 302
    assert Stock.objects.get(holder=station, lot__number="FA-778").doses == 30
    # The same lot number with another expiry is refused with a message and nothing written.
    response = nurse_client.post(reverse("vaccination:receive"), {
        "holder": station.pk, "product": Product.objects.get(key="pfizer").pk, "number": "FA-778",
        "expiry": (expiry + timedelta(days=1)).isoformat(), "quantity": 5, "unit": "vials", "source": "ministry"})
    assert response.status_code == 200 and response.context["form"].errors["expiry"]
    assert Stock.objects.get(holder=station, lot__number="FA-778").doses == 30


def test_the_receipt_form_offers_only_the_users_units(nurse_client, world):
    holders = set(nurse_client.get(reverse("vaccination:receive")).context["form"].fields["holder"].queryset)
    assert holders == {world.org(K.COMMUNE_STATION, "home"), world.org(K.VACCINATION_SITE, "home")}


def test_wastage_above_the_balance_is_refused_clearly(nurse_client, world):
    row = Stock.objects.get(holder=world.org(K.COMMUNE_STATION, "home"), lot=world.vaccination.lots["home"])
    response = nurse_client.post(reverse("vaccination:waste"), {"stock": row.pk, "doses": 61, "reason": "breakage"})
    assert response.status_code == 200 and response.context["form"].errors["doses"]
    assert Stock.objects.get(pk=row.pk).doses == 60
    other = Stock.objects.get(lot=world.vaccination.lots["neighbour"])
    response = nurse_client.post(reverse("vaccination:waste"), {"stock": other.pk, "doses": 1, "reason": "breakage"})
    assert response.status_code == 200 and "stock" in response.context["form"].errors
    assert nurse_client.post(reverse("vaccination:waste"), {"action": "expired", "stock": other.pk}).status_code == 404
    assert Stock.objects.get(pk=other.pk).doses == 60


def test_the_station_confirms_its_dispatch_and_not_another_communes(nurse_client, world):
    mine, theirs = world.vaccination.dispatches["home"], world.vaccination.dispatches["neighbour"]
    body = text(nurse_client.get(reverse("vaccination:dispatches")))
    assert reverse("vaccination:dispatch_receive", args=[mine.pk]) in body
    assert nurse_client.get(reverse("vaccination:dispatch_receive", args=[theirs.pk])).status_code == 404
    assert nurse_client.post(reverse("vaccination:dispatch_receive", args=[theirs.pk]),
                             {"received": 12}).status_code == 404
    assert Dispatch.objects.get(pk=theirs.pk).status == "sent"
    response = nurse_client.post(reverse("vaccination:dispatch_receive", args=[mine.pk]),
                                 {"received": 10, "reason": ""})
    assert response.status_code == 200 and response.context["form"].errors["reason"]
    assert Dispatch.objects.get(pk=mine.pk).status == "sent"
    response = nurse_client.post(reverse("vaccination:dispatch_receive", args=[mine.pk]),
                                 {"received": 10, "reason": "breakage"})
    assert response.status_code == 302
    assert balance(world.org(K.COMMUNE_STATION, "home")) == 70
    response = nurse_client.post(reverse("vaccination:dispatch_receive", args=[mine.pk]), {"received": 12})
    assert response.status_code == 200 and balance(world.org(K.COMMUNE_STATION, "home")) == 70


def test_the_province_officer_does_not_confirm_a_communes_dispatch(officer_client, world):
    """The officer sees the commune's dispatch but answers 403 on its receipt page (GET and POST) and gets no
    Confirm button; nothing is booked."""
    dispatch, station = world.vaccination.dispatches["home"], world.org(K.COMMUNE_STATION, "home")
    url = reverse("vaccination:dispatch_receive", args=[dispatch.pk])
    page = officer_client.get(reverse("vaccination:dispatches"))
    assert dispatch in page.context["dispatches"] and url not in text(page)
    assert not any(row.can_confirm for row in page.context["dispatches"])
    assert officer_client.get(url).status_code == 403
    assert officer_client.post(url, {"received": 12}).status_code == 403
    assert Dispatch.objects.get(pk=dispatch.pk).status == "sent" and balance(station) == 60


def test_the_province_officer_confirms_a_dispatch_to_the_cdc(officer_client, world):
    cdc, station, lot = world.vaccination.cdc, world.org(K.COMMUNE_STATION, "home"), world.vaccination.lots["home"]
    back = Dispatch.objects.create(sender=station, recipient=cdc, lot=lot, doses=6)
    url = reverse("vaccination:dispatch_receive", args=[back.pk])
    page = officer_client.get(reverse("vaccination:dispatches"))
    assert url in text(page)
    assert [row.pk for row in page.context["dispatches"] if row.can_confirm] == [back.pk]
    assert officer_client.get(url).status_code == 200
    assert officer_client.post(url, {"received": 6}).status_code == 302
    assert Dispatch.objects.get(pk=back.pk).status == "received" and balance(cdc) == 6


def test_the_commune_station_gets_403_on_the_cdcs_dispatch_it_sent(nurse_client, world):
    cdc, station, lot = world.vaccination.cdc, world.org(K.COMMUNE_STATION, "home"), world.vaccination.lots["home"]
    back = Dispatch.objects.create(sender=station, recipient=cdc, lot=lot, doses=6)
    url = reverse("vaccination:dispatch_receive", args=[back.pk])
    assert url not in text(nurse_client.get(reverse("vaccination:dispatches")))
    assert nurse_client.get(url).status_code == 403
    assert nurse_client.post(url, {"received": 6}).status_code == 403
    assert Dispatch.objects.get(pk=back.pk).status == "sent" and balance(cdc) == 0


def test_the_province_officers_forms_offer_only_the_cdc(officer_client, world):
    cdc, station = world.vaccination.cdc, world.org(K.COMMUNE_STATION, "home")
    assert list(officer_client.get(reverse("vaccination:receive")).context["form"].fields["holder"].queryset) == [cdc]
    assert not officer_client.get(reverse("vaccination:waste")).context["form"].fields["stock"].queryset.exists()
    response = officer_client.post(reverse("vaccination:receive"), {
        "holder": station.pk, "product": Product.objects.get(key="pfizer").pk, "number": "FA-1",
        "expiry": (timezone.localdate() + timedelta(days=90)).isoformat(), "quantity": 1, "unit": "vials",
        "source": "ministry"})
    assert response.status_code == 200 and "holder" in response.context["form"].errors
    row = Stock.objects.get(holder=station, lot=world.vaccination.lots["home"])
    response = officer_client.post(reverse("vaccination:waste"), {"stock": row.pk, "doses": 6, "reason": "breakage"})
    assert response.status_code == 200 and "stock" in response.context["form"].errors
    assert balance(station) == 60 and not Lot.objects.filter(number="FA-1").exists()


def test_the_officer_sees_a_stations_expired_lot_but_cannot_write_it_off(officer_client, world):
    station = world.org(K.COMMUNE_STATION, "home")
    old = Lot.objects.create(product=Product.objects.get(key="pfizer"), number="OLD-7",
                             expiry=timezone.localdate() - timedelta(days=2), doses_per_vial=6)
    stock.move(holder=station, lot=old, doses=12, kind=Movement.Kind.RECEIPT, by=None)
    row = Stock.objects.get(holder=station, lot=old)
    page = officer_client.get(reverse("vaccination:stock"))
    assert [(w.lot.number, w.can_write_off) for w in page.context["warnings"]] == [("OLD-7", False)]
    assert f'name="stock" value="{row.pk}"' not in text(page)
    assert officer_client.post(reverse("vaccination:waste"), {"action": "expired", "stock": row.pk}).status_code == 403
    assert Stock.objects.get(pk=row.pk).doses == 12


def test_a_refused_dispatch_keeps_the_edited_lines_unsaved(officer_client, world):
    plan, home = world.vaccination.plan, world.vaccination.lines["home"]
    officer = world.user(Role.HEALTH_OFFICER)
    stock_services.receive_lot(actor=officer, holder=world.vaccination.cdc, product=Product.objects.get(key="pfizer"),
                               number="P-9", doses_per_vial=6, doses=600,
                               expiry=timezone.localdate() + timedelta(days=60), source="covax")
    plan.lines.exclude(pk=home.pk).update(doses=0)
    plan.lines.filter(pk=home.pk).update(doses=6)
    url = reverse("vaccination:allocation", args=[plan.pk])
    assert 'data-testid="dispatch-button"' in text(officer_client.get(url))
    # The officer zeroes the last line and presses "dispatch": refused (nothing to send), and the zero not saved.
    response = officer_client.post(url, {f"line-{home.pk}": 0, "action": "dispatch"}, follow=True)
    assert any(str(m) == gettext("No line has doses to send.") for m in response.context["messages"])
    assert plan.lines.get(pk=home.pk).doses == 6
    plan.refresh_from_db()
    assert plan.status == "draft" and not Dispatch.objects.filter(line__plan=plan).exists()


def test_a_plan_from_a_communes_stock_is_not_dispatched_by_the_province(officer_client, world):
    station = world.org(K.COMMUNE_STATION, "home")
    plan = AllocationPlan.objects.create(product=Product.objects.get(key="pfizer"), source=station, doses=6)
    line = plan.lines.create(commune=world.communes["neighbour"], recipient=world.org(K.COMMUNE_STATION, "neighbour"),
                             gap=10, suggested=6, doses=6)
    url = reverse("vaccination:allocation", args=[plan.pk])
    body = text(officer_client.get(url))
    assert 'data-testid="dispatch-button"' not in body and 'data-testid="dispatch-elsewhere"' in body
    assert officer_client.post(url, {f"line-{line.pk}": 6, "action": "dispatch"}).status_code == 403
    plan.refresh_from_db()
    assert plan.status == "draft" and balance(station) == 60


def test_allocation_screens_are_the_provinces(nurse_client, world):
    assert nurse_client.get(reverse("vaccination:allocations")).status_code == 403
    assert nurse_client.get(reverse("vaccination:allocation_new")).status_code == 403
    assert nurse_client.get(reverse("vaccination:shortage")).status_code == 403
    assert nurse_client.get(reverse("vaccination:allocation", args=[world.vaccination.plan.pk])).status_code == 404


def test_a_plan_with_nothing_to_send_says_where_to_start(officer_client, world):
    officer, cdc = world.user(Role.HEALTH_OFFICER), world.vaccination.cdc
    Stock.objects.filter(holder=cdc).update(doses=0)
    page = officer_client.get(reverse("vaccination:allocation_new"))
    assert not page.context["form"].fields["source"].queryset.exists()
    assert gettext("None of the units you keep holds vaccine now. Record the lots that arrived first.") in text(page)
    assert f'href="{reverse("vaccination:receive")}"' in text(page)
    stock_services.receive_lot(actor=officer, holder=cdc, product=Product.objects.get(key="pfizer"), number="P-0",
                               doses_per_vial=6, doses=60, expiry=timezone.localdate() + timedelta(days=60),
                               source="covax")
    page = officer_client.get(reverse("vaccination:allocation_new"))
    assert list(page.context["form"].fields["source"].queryset) == [cdc] and not page.context["notice"]
    assert 'data-testid="form-notice"' not in text(page)


def test_an_officer_creates_edits_and_dispatches_a_plan(officer_client, world):
    officer, cdc = world.user(Role.HEALTH_OFFICER), world.vaccination.cdc
    pfizer = Product.objects.get(key="pfizer")
    stock_services.receive_lot(actor=officer, holder=cdc, product=pfizer, number="P-1", doses_per_vial=6, doses=60,
                               expiry=timezone.localdate() + timedelta(days=60), source="covax")
    TargetFact.objects.create(commune=world.communes["home"], age_group="adult", people=200,
                              computed_on=timezone.localdate())
    form = officer_client.get(reverse("vaccination:allocation_new")).context["form"]
    # Units the officer keeps that hold vaccine: the CDC; the communes' stations hold doses too, but only they
    # may send them.
    assert list(form.fields["source"].queryset) == [cdc]
    response = officer_client.post(reverse("vaccination:allocation_new"), {"product": pfizer.pk, "source": cdc.pk})
    plan = AllocationPlan.objects.exclude(pk=world.vaccination.plan.pk).get()
    assert response.url == reverse("vaccination:allocation", args=[plan.pk]) and plan.doses == 60
    home = plan.lines.get(commune=world.communes["home"])
    neighbour = plan.lines.get(commune=world.communes["neighbour"])
    assert (home.doses, neighbour.doses) == (60, 0)
    url = reverse("vaccination:allocation", args=[plan.pk])
    page = officer_client.get(url)
    assert page.context["without_unit"]  # the province's other communes have no station in this world
    # Too many doses: refused with a message, nothing changed.
    response = officer_client.post(url, {f"line-{home.pk}": 60, f"line-{neighbour.pk}": 12, "action": "save"},
                                   follow=True)
    assert any("60" in str(m) for m in response.context["messages"])
    assert plan.lines.get(pk=neighbour.pk).doses == 0
    response = officer_client.post(url, {f"line-{home.pk}": 48, f"line-{neighbour.pk}": 12, "action": "dispatch"})
    plan.refresh_from_db()
    assert plan.status == "dispatched"
    assert sorted(Dispatch.objects.filter(line__plan=plan).values_list("recipient__name", "doses")) == [
        ("ORG home-commune_station", 48), ("ORG neighbour-commune_station", 12)]
    assert balance(cdc) == 0
    assert 'name="line-' not in text(officer_client.get(url))  # no more editing


def test_the_shortage_report_and_its_export(officer_client, world):
    station, lot = world.org(K.COMMUNE_STATION, "home"), world.vaccination.lots["home"]
    stock.move(holder=station, lot=lot, doses=-42, kind=Movement.Kind.ADMINISTERED, by=None)  # 3 a day
    TargetFact.objects.create(commune=world.communes["home"], age_group="adult", people=500,
                              computed_on=timezone.localdate())
    report = officer_client.get(reverse("vaccination:shortage")).context["report"]
    pfizer = next(r for r in report.rows if r.product.key == "pfizer")
    # Held: 18 + 60 + 60 in stock and 3 × 12 in transit = 174; 30 days at 3 a day = 90 → nothing to request.
    assert (pfizer.held, pfizer.per_day, pfizer.days, pfizer.need, pfizer.request) == (174, 3.0, 58, 90, 0)
    assert report.people_gap == 500
    response = officer_client.get(reverse("vaccination:shortage_export", args=["xlsx"]))
    rows = list(load_workbook(io.BytesIO(response.content)).active.values)
    assert [174, 3.0, 58, 90, 0] in [list(row[1:]) for row in rows[1:] if row[0] == pfizer.product.name]


def test_the_ledger_exports_every_movement_and_not_another_units(nurse_client, world):
    mine, theirs = world.org(K.COMMUNE_STATION, "home"), world.org(K.COMMUNE_STATION, "neighbour")
    stock.move(holder=mine, lot=world.vaccination.lots["home"], doses=-6, kind=Movement.Kind.WASTED, by=None,
               reason="breakage")
    response = nurse_client.get(reverse("vaccination:ledger_export", args=[mine.pk, "xlsx"]))
    rows = list(load_workbook(io.BytesIO(response.content)).active.values)[1:]
    assert [(row[4], row[5], row[6]) for row in rows] == [("LOT home", 60, 60), ("LOT home", -6, 54)]
    assert nurse_client.get(reverse("vaccination:ledger_export", args=[theirs.pk, "csv"])).status_code == 404


def test_the_stock_page_costs_the_same_queries_however_many_rows(officer_client, world):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert officer_client.get(reverse("vaccination:stock")).status_code == 200
        return len(queries)

    before = count()
    pfizer = Product.objects.get(key="pfizer")
    for n in range(5):
        lot = Lot.objects.create(product=pfizer, number=f"Q-{n}", expiry=timezone.localdate() + timedelta(days=n + 1),
                                 doses_per_vial=6)
        for key in ("home", "neighbour"):
            stock.move(holder=world.org(K.COMMUNE_STATION, key), lot=lot, doses=12, kind=Movement.Kind.RECEIPT,
                       by=None)
            stock.move(holder=world.org(K.COMMUNE_STATION, key), lot=lot, doses=-6, kind=Movement.Kind.ADMINISTERED,
                       by=None)
        Dispatch.objects.create(sender=world.vaccination.cdc, recipient=world.org(K.COMMUNE_STATION, "home"), lot=lot,
                                doses=6)
    assert count() == before
