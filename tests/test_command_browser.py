"""In a real browser: the province's command centre reads the figures page (trend drawn by ECharts), and on a
360 px phone a commune station reads its figures and marks a key staff member of an agency of its commune.

Texts are compared through the Vietnamese catalogue (`vi()`), as in the other browser tests."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from epicommand.cases import facts_rebuild
from epicommand.cases.models import KeyStaff
from epicommand.core.roles import Role
from epicommand.core.text import fold
from epicommand.people.models import Person

from .browsing import fits_width, log_in, snap, vi
from .world import K

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_command_centre_reads_the_figures(page, browser_world, live_server):
    world = browser_world
    facts_rebuild.rebuild_all()
    log_in(page, live_server.url, world.user(Role.COMMAND).username)
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(f"{live_server.url}/command/")
    assert page.locator("h1").inner_text().startswith(vi("Command centre figures"))
    expect(page.locator("[data-testid=command-total]")).to_have_text("6")
    expect(page.locator("[data-testid=command-communes] tbody tr")).to_have_count(3)
    expect(page.locator("[data-testid=command-beds] tbody tr[data-tier='1']")).to_contain_text("27")
    page.locator("#command-trend canvas").first.wait_for()  # ECharts drew the trend
    # Drawn with the bundled assets only: nothing is fetched from another host.
    assert any(url.endswith("/echarts.min.js") for url in requested)
    assert [url for url in requested if not url.startswith((live_server.url, "data:", "blob:"))] == []
    snap(page, "command-figures")


def test_commune_station_on_a_phone_reads_its_figures_and_marks_key_staff(phone, browser_world, live_server):
    world = browser_world
    facts_rebuild.rebuild_all()
    home = world.communes["home"]
    Person.objects.create(full_name="Lò Văn Chủ Chốt", name_folded=fold("Lò Văn Chủ Chốt"), sex="M", birth_year=1975,
                          cccd="012075123456", commune=home)
    log_in(phone, live_server.url, world.user(Role.COMMUNE_STATION, "home").username)
    phone.goto(f"{live_server.url}/command/")
    expect(phone.locator("[data-testid=command-total]")).to_have_text("2")
    expect(phone.locator("[data-testid=command-communes] tbody tr")).to_have_count(1)
    assert fits_width(phone)
    snap(phone, "command-figures-phone")

    agency = world.org(K.AGENCY, "home")
    phone.goto(f"{live_server.url}/cases/key-staff/?org={agency.pk}")
    form = phone.locator("[data-testid=key-staff-form]")
    form.locator("select[name=organization]").select_option(str(agency.pk))
    form.locator("input[name=cccd]").fill("012075123456")
    form.locator("input[name=position]").fill("Phó Giám đốc")
    form.locator("button[type=submit]").click()
    expect(phone.locator(".alert-success")).to_contain_text(agency.name)
    members = phone.locator("[data-testid=key-staff-members]")
    expect(members).to_contain_text("Phó Giám đốc")
    expect(members).to_contain_text("Lò Văn Chủ Chốt")  # the commune sees its own register by name
    expect(phone.locator(f"[data-testid=key-staff-summary] tr[data-org='{agency.pk}']")).to_contain_text("2")
    assert fits_width(phone)
    snap(phone, "key-staff-phone")
    assert KeyStaff.objects.filter(organization=agency, person__cccd="012075123456").exists()
