"""The issue's "must show", in a real browser: a health worker of the mobile station enters SpO2 94 % for a
home patient on a 360 px phone; the alert appears on her day list and in the outbox; a commune officer
refers the patient to a tier-2 facility; its staff accept on their inbox; the facility's bed count changes.

Texts are compared through the Vietnamese catalogue (`vi()`)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from epicommand.cases.models import Alert, Beds, Referral
from epicommand.core.models import User
from epicommand.core.roles import Role
from epicommand.notify.models import Message

from .browsing import fits_width, log_in, log_out, open_menu_if_collapsed, snap
from .cases_fixtures import tower

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_spo2_94_alerts_the_worker_then_a_referral_to_tier_2_holds_a_bed(phone, page, browser_world, live_server):
    world = browser_world
    t = tower(world)
    case = world.cases.home_cases["home"]
    home = world.cases.home_cares["home"]
    worker = world.user(Role.MOBILE_STATION)
    User.objects.filter(pk=worker.pk).update(phone="0912345001")
    # A quiet patient to start from: the world's own alert and referral of this patient are removed.
    Alert.objects.filter(case=case).delete()
    Referral.objects.filter(case=case).delete()
    type(home).objects.filter(pk=home.pk).update(urgency=0)
    base = live_server.url

    # 1. The health worker, on her phone, enters SpO2 94 %.
    log_in(phone, base, worker.username)
    phone.goto(f"{base}/cases/{case.pk}/observe/")
    form = phone.locator("[data-testid=observe-form]")
    form.locator("input[name=spo2]").fill("94")
    form.locator("input[name=respiratory_rate]").fill("18")
    form.locator("input[name=pulse]").fill("82")
    form.locator("button[type=submit]").click()
    phone.wait_for_url(f"**/cases/{case.pk}/observe/")
    expect(phone.locator(".alert-warning")).to_be_visible()
    assert fits_width(phone)
    alert = Alert.objects.get(case=case, status=Alert.Status.OPEN)
    assert alert.worker_id == worker.pk and any("spo2" in str(r) for r in alert.reasons)

    # 2. The alert is on her day list and in the outbox.
    phone.goto(f"{base}/cases/home/day/")
    expect(phone.locator(f"[data-testid=alarming] [data-testid=home-{home.pk}]")).to_be_visible()
    assert fits_width(phone)
    snap(phone, "referral-day-list")
    message = Message.objects.get(kind="home_care.alert")
    assert case.code in message.body and message.to == "0912345001"
    phone.goto(f"{base}/notify/")
    expect(phone.locator(f"[data-testid=outbox-list] a[href='/notify/{message.pk}/']")).to_be_visible()

    # 3. The commune officer refers the patient to the tier-2 district hospital.
    assert Beds.objects.get(facility=t.district, kind="oxygen").occupied == 0
    log_in(page, base, world.user(Role.COMMUNE_STATION).username)
    page.goto(f"{base}/cases/{case.pk}/")
    expect(page.locator("[data-testid=latest-vitals]")).to_contain_text("94")
    page.click("[data-testid=refer]")
    page.wait_for_url(f"**/cases/{case.pk}/refer/")
    form = page.locator("[data-testid=refer-form]")
    form.locator("select[name=to_facility]").select_option(str(t.district.pk))
    form.locator("select[name=bed_kind]").select_option("oxygen")
    form.locator("textarea[name=reason]").fill("SpO2 94% tại nhà, cần thở oxy")
    form.locator("button[type=submit]").click()
    page.wait_for_url(re.compile(r"/cases/referrals/\d+/$"))
    referral = Referral.objects.get(case=case)
    expect(page.locator("[data-testid=referral-status]")).to_have_attribute("data-status", "requested")
    snap(page, "referral-requested")
    log_out(page)

    # 4. The district hospital's staff accept it from their inbox; a bed is held there.
    log_in(page, base, t.district_staff.username)
    page.goto(f"{base}/cases/beds/")
    row = page.locator(f"tr[data-facility='{t.district.pk}'][data-kind='oxygen']")
    expect(row.locator("[data-testid=occupied]")).to_have_text("0")
    page.goto(f"{base}/cases/referrals/")
    page.click(f"[data-testid=incoming] [data-referral='{referral.pk}']")
    page.wait_for_url(f"**/cases/referrals/{referral.pk}/")
    page.locator("[data-testid=decide-form] input[name=decision][value=accept]").check()
    page.locator("[data-testid=decide-form] button[type=submit]").click()
    expect(page.locator("[data-testid=referral-status]")).to_have_attribute("data-status", "accepted")
    expect(page.locator("[data-testid=beds-figures]")).to_contain_text("1")
    page.goto(f"{base}/cases/beds/")
    expect(row.locator("[data-testid=occupied]")).to_have_text("1")
    expect(row.locator("[data-testid=free]")).to_have_text("1")
    snap(page, "referral-beds")
    assert Beds.objects.get(facility=t.district, kind="oxygen").occupied == 1
    referral.refresh_from_db()
    assert referral.status == "accepted" and referral.decided_by_id == t.district_staff.pk


def _scrolls_sideways(page) -> list[str]:
    """Boxes that would make a clinician swipe sideways (a table wider than its scrolling wrapper): the page
    may fit while a table inside it does not."""
    return page.evaluate("""[...document.querySelectorAll('.table-responsive, pre, .overflow-auto')]
        .filter(el => el.scrollWidth > el.clientWidth + 1).map(el => el.outerHTML.slice(0, 120))""")


def test_case_and_facility_screens_fit_a_phone(phone, browser_world, live_server):
    world = browser_world
    t = tower(world)
    case = world.cases.cases["home"]
    base = live_server.url
    log_in(phone, base, world.user(Role.COMMUNE_STATION).username)
    for path in ("/cases/", f"/cases/{case.pk}/", f"/cases/{case.pk}/place/", f"/cases/{case.pk}/refer/",
                 "/cases/beds/", "/cases/referrals/"):
        phone.goto(f"{base}{path}")
        assert fits_width(phone) and not _scrolls_sideways(phone), path
    phone.goto(f"{base}/cases/{case.pk}/")
    expect(phone.locator("[data-testid=case-code]")).to_have_text("CASE home")
    snap(phone, "case-detail-phone")
    phone.click("[data-testid=refer]")
    form = phone.locator("[data-testid=refer-form]")
    form.locator("select[name=to_facility]").select_option(str(t.provincial.pk))
    form.locator("select[name=bed_kind]").select_option("icu")
    form.locator("textarea[name=reason]").fill("Suy hô hấp, cần hồi sức tích cực")
    form.locator("button[type=submit]").click()
    phone.wait_for_url(re.compile(r"/cases/referrals/\d+/$"))
    open_menu_if_collapsed(phone)
    log_out(phone)
    log_in(phone, base, t.provincial_staff.username)
    phone.goto(f"{base}/cases/referrals/")
    referral = Referral.objects.get(case=case)
    phone.click(f"[data-testid=incoming] [data-referral='{referral.pk}']")
    phone.locator("[data-testid=decide-form] input[name=decision][value=decline]").check()
    phone.locator("[data-testid=decide-form] textarea[name=reason]").fill("Hết giường hồi sức")
    phone.locator("[data-testid=decide-form] button[type=submit]").click()
    expect(phone.locator("[data-testid=referral-status]")).to_have_attribute("data-status", "declined")
    assert fits_width(phone)
    snap(phone, "referral-declined-phone")
    assert Beds.objects.get(facility=t.provincial, kind="icu").occupied == 0
