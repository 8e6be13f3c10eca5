"""In a real browser: a health officer opens the coverage page (trend and map drawn), goes to the
low-coverage table, sends a reminder to a low-coverage commune and finds it in the outbox; a commune nurse
reads her commune's coverage and due list on a 360 px phone.

Texts are compared through the Vietnamese catalogue (`vi()`), as in test_browser_people.py."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from epicommand.core.models import Organization
from epicommand.core.roles import Role
from epicommand.notify.models import Message
from epicommand.vaccination import coverage
from epicommand.vaccination.models import Reminder

from .browsing import fits_width, log_in, snap, vi
from .world import K

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_officer_reminds_a_low_coverage_commune_and_sees_it_in_the_outbox(page, browser_world, live_server):
    world = browser_world
    coverage.rebuild()  # each commune: one of its two adults vaccinated, 50 %: all below 70 %
    station = world.org(K.COMMUNE_STATION, "home")
    Organization.objects.filter(pk=station.pk).update(phone="0912345678")
    home = world.communes["home"]
    log_in(page, live_server.url, world.user(Role.HEALTH_OFFICER).username)

    page.goto(f"{live_server.url}/vaccination/coverage/")
    assert page.locator("h1").inner_text() == vi("Vaccination coverage")
    expect(page.locator(f"[data-testid=coverage-table] tr[data-commune='{home.pk}']")).to_contain_text("50")
    expect(page.locator("[data-testid=coverage-total]")).to_contain_text(vi("Province total"))
    page.locator("#coverage-trend canvas").first.wait_for()  # ECharts drew the trend
    expect(page.locator("#coverage-map .leaflet-interactive")).to_have_count(
        sum(1 for c in world.communes.values() if c.latitude is not None))
    expect(page.locator("[data-testid=coverage-legend]")).to_contain_text(vi("No data"))
    snap(page, "coverage-page")

    page.click("a[href='/vaccination/coverage/low/']")
    page.wait_for_url("**/vaccination/coverage/low/")
    row = page.locator(f"[data-testid=low-table] tr[data-commune='{home.pk}']")
    expect(row).to_contain_text(home.name)
    row.locator("[data-testid=remind]").click()
    page.wait_for_url(f"**/vaccination/coverage/{home.pk}/remind/")
    body = page.locator("textarea[name=body]")
    expect(body).to_have_value(re.compile("50,0%"))
    expect(body).to_have_value(re.compile(station.name))
    expect(page.locator("select[name=channel]")).to_have_value("sms")
    snap(page, "coverage-remind-form")
    body.fill(body.input_value() + "\nHạn báo cáo: thứ Sáu.")
    page.click("[data-testid=remind-form] button[type=submit]")

    page.wait_for_url(re.compile(r"/notify/\d+/$"))
    message = Message.objects.get(kind="vaccination.reminder")
    assert page.url.endswith(f"/notify/{message.pk}/")
    expect(page.locator("[data-testid=message-body]")).to_contain_text("Hạn báo cáo: thứ Sáu.")
    expect(page.locator(".alert-success")).to_contain_text(station.name)
    assert message.to == "0912345678" and message.organization_id == station.pk
    assert Reminder.objects.filter(message=message, commune=home).exists()

    page.goto(f"{live_server.url}/notify/")
    link = page.locator(f"[data-testid=outbox-list] a[href='/notify/{message.pk}/']")
    expect(link).to_have_text(message.subject)
    # The low-coverage table now shows when the commune was last reminded.
    page.goto(f"{live_server.url}/vaccination/coverage/low/")
    expect(row.locator(f"a[href='/notify/{message.pk}/']")).to_be_visible()


def test_commune_nurse_reads_coverage_and_the_due_list_on_a_phone(phone, browser_world, live_server):
    world = browser_world
    coverage.rebuild()
    home = world.communes["home"]
    log_in(phone, live_server.url, world.user(Role.COMMUNE_STATION, "home").username)
    phone.goto(f"{live_server.url}/vaccination/coverage/")
    rows = phone.locator("[data-testid=coverage-table] tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(home.name)
    assert fits_width(phone)
    # The whole table is read without scrolling sideways: the target's source wraps under the figure.
    assert phone.evaluate("(() => { const t = document.querySelector('[data-testid=coverage-table]');"
                          " return t.scrollWidth <= t.parentElement.clientWidth; })()")
    assert "neighbour" not in phone.content() and "unrelated" not in phone.content()
    rows.first.locator("a").first.click()
    phone.wait_for_url(f"**/vaccination/coverage/{home.pk}/due/")
    expect(phone.locator("[data-testid=due-list]")).to_contain_text("PERSON home Bis")
    expect(phone.locator("[data-testid=due-list]")).to_contain_text(vi("never vaccinated"))
    assert fits_width(phone)


def test_map_labels_show_a_communes_name_as_text_not_html(page, browser_world, live_server):
    """A commune's name is data: on the map it must show as typed, never be read as markup."""
    from epicommand.core.models import Place

    world = browser_world
    home = next(c for c in world.communes.values() if c.latitude is not None)
    name = '<img src="x" data-testid="injected" onerror="window.__injected = 1">Mường Tè'
    Place.objects.filter(pk=home.pk).update(name=name)
    coverage.rebuild()
    log_in(page, live_server.url, world.user(Role.HEALTH_OFFICER).username)
    page.goto(f"{live_server.url}/vaccination/coverage/")
    page.locator("#coverage-map .leaflet-interactive").first.wait_for()
    tooltips = page.locator("#coverage-map .leaflet-tooltip")  # a few communes: every label shown
    expect(tooltips.filter(has_text=name)).to_have_count(1)
    assert page.locator("#coverage-map [data-testid=injected]").count() == 0
    assert page.evaluate("window.__injected === undefined")
