"""Allocation in a real browser: a health officer records a lot arriving at the provincial CDC, creates an
allocation plan, changes one commune's line and dispatches; the commune station, on a 360-px phone, sees the
incoming dispatch, confirms receipt, and finds the doses in its stock.

Texts are compared with what the Vietnamese catalogue says (`vi()`)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from epicommand.core.roles import Role
from epicommand.vaccination.models import AllocationPlan, Dispatch, Product, Stock, TargetFact

from .browsing import fits_width, log_in, snap, vi
from .world import K

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_officer_allocates_and_the_commune_confirms_receipt(page, phone, browser_world, live_server):
    world, base = browser_world, live_server.url
    cdc, home_station = world.vaccination.cdc, world.org(K.COMMUNE_STATION, "home")
    today = timezone.localdate()
    # Targets: home 300 adults, neighbour 100; each station already has 60 doses and 12 on the way.
    TargetFact.objects.create(commune=world.communes["home"], age_group="adult", people=300, computed_on=today)
    TargetFact.objects.create(commune=world.communes["neighbour"], age_group="adult", people=100, computed_on=today)
    pfizer = Product.objects.get(key="pfizer")

    # 1. The officer records 20 vials (120 doses) arriving at the CDC.
    log_in(page, base, world.user(Role.HEALTH_OFFICER).username)
    page.goto(f"{base}/vaccination/stock/receive/")
    page.select_option("select[name=holder]", str(cdc.pk))
    page.select_option("select[name=product]", str(pfizer.pk))
    page.fill("input[name=number]", "BT-2026")
    page.fill("input[name=expiry]", (today + timedelta(days=180)).strftime("%d/%m/%Y"))
    page.fill("input[name=quantity]", "20")
    expect(page.locator("select[name=unit]")).to_have_value("vials")
    page.select_option("select[name=source]", "covax")
    page.click("[data-testid=stock-form] button[type=submit]")
    page.wait_for_url(f"{base}/vaccination/stock/")
    cdc_row = page.locator(f"[data-testid=stock-balances] tr[data-holder='{cdc.pk}'][data-lot='BT-2026']")
    expect(cdc_row.locator("[data-testid=balance-doses]")).to_have_text("120")

    # 2. A plan from the CDC: suggested from the gaps (228 and 28 doses → 108 and 12 in whole vials).
    page.goto(f"{base}/vaccination/allocations/new/")
    page.select_option("select[name=product]", str(pfizer.pk))
    page.select_option("select[name=source]", str(cdc.pk))
    page.click("[data-testid=stock-form] button[type=submit]")
    page.wait_for_url(re.compile(r"/vaccination/allocations/\d+/$"))
    plan = AllocationPlan.objects.get(pk=int(re.search(r"/allocations/(\d+)/", page.url).group(1)))
    home_line = plan.lines.get(commune=world.communes["home"])
    neighbour_line = plan.lines.get(commune=world.communes["neighbour"])
    home_input = page.locator(f"input[name=line-{home_line.pk}]")
    expect(home_input).to_have_value("108")
    expect(page.locator(f"input[name=line-{neighbour_line.pk}]")).to_have_value("12")
    expect(page.locator("[data-testid=no-unit]")).to_contain_text(vi("No receiving unit"))
    snap(page, "allocation-plan")

    # 3. The officer keeps two vials back from home, then dispatches.
    home_input.fill("96")
    page.click("[data-testid=dispatch-button]")
    page.wait_for_url(f"{base}/vaccination/allocations/{plan.pk}/")
    expect(page.locator("[data-testid=plan-status]")).to_have_text(vi("Dispatched"))
    expect(page.locator("[data-testid=plan-total]")).to_have_text("108")
    expect(page.locator("[data-testid=plan-dispatches] tbody tr")).to_have_count(2)
    sent = Dispatch.objects.get(line=home_line)
    assert (sent.doses, sent.recipient, sent.status) == (96, home_station, "sent")
    assert Stock.objects.get(holder=cdc).doses == 12
    # The officer sees the dispatch on its way but does not confirm it: the commune station does.
    page.goto(f"{base}/vaccination/dispatches/")
    on_its_way = page.locator(f"[data-dispatch='{sent.pk}']")
    expect(on_its_way).to_contain_text("BT-2026")
    expect(on_its_way.get_by_role("link", name=vi("Confirm receipt"))).to_have_count(0)

    # 4. The commune station, on a phone, sees the dispatch and confirms it in full.
    log_in(phone, base, world.user(Role.COMMUNE_STATION, "home").username)
    phone.goto(f"{base}/vaccination/dispatches/")
    item = phone.locator(f"[data-dispatch='{sent.pk}']")
    expect(item).to_contain_text("ORG province-cdc")
    expect(item).to_contain_text("BT-2026")
    assert fits_width(phone)
    item.get_by_role("link", name=vi("Confirm receipt")).click()
    phone.wait_for_url(f"{base}/vaccination/dispatches/{sent.pk}/receive/")
    expect(phone.locator("input[name=received]")).to_have_value("96")
    assert fits_width(phone)
    phone.click("[data-testid=receive-form] button[type=submit]")
    phone.wait_for_url(f"{base}/vaccination/stock/")
    row = phone.locator(f"[data-testid=stock-balances] tr[data-holder='{home_station.pk}'][data-lot='BT-2026']")
    expect(row.locator("[data-testid=balance-doses]")).to_have_text("96")
    assert fits_width(phone)
    snap(phone, "stock-after-receipt")
    sent.refresh_from_db()
    assert (sent.status, sent.received_doses) == ("received", 96)
    assert Stock.objects.get(holder=home_station, lot=sent.lot).doses == 96
