"""The interface shell in a real browser: login, each role's home, language, phone layout."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from epicommand.core.demo import ACCOUNTS
from epicommand.core.roles import Role

from .browsing import fits_width, log_in, log_out, open_menu_if_collapsed

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_every_demo_login_reaches_its_home_page(page, reference_data, live_server, tmp_path, settings):
    settings.VAR_DIR = tmp_path
    call_command("seed_demo", verbosity=0)
    password = (tmp_path / "demo_password").read_text()
    page.goto(live_server.url)
    assert page.locator("h1").inner_text() == "Đăng nhập"
    for username, role, *_ in ACCOUNTS:
        log_in(page, live_server.url, username, password)
        assert page.locator("[data-testid=role]").inner_text() == str(Role(role).label)
        assert page.locator("[data-testid=jurisdiction]").inner_text().strip()
        assert "Phạm vi" in page.content() or "Your jurisdiction" not in page.content()
        log_out(page)


def test_wrong_password_is_refused_in_vietnamese(page, browser_world, live_server):
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", "home.commune_station")
    page.fill("input[name=password]", "sai mật khẩu")
    page.click("button[type=submit].btn-primary")
    error = page.locator("[data-testid=form-errors]").inner_text()
    assert "mật khẩu" in error.lower()


def test_english_switch_persists(page, browser_world, live_server):
    log_in(page, live_server.url, "home.commune_station")
    page.click("[data-testid=language-switch] button[value=en]")
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "en"
    page.goto(f"{live_server.url}/organizations/")
    assert page.locator("h1").inner_text() == "Organizations"
    log_out(page)
    assert page.locator("h1").inner_text() == "Log in"
    page.context.clear_cookies()
    log_in(page, live_server.url, "home.commune_station")
    assert page.locator("html").get_attribute("lang") == "en"


def test_commune_nurse_uses_it_on_a_360_px_phone(phone, browser_world, live_server):
    log_in(phone, live_server.url, "home.commune_station")
    assert fits_width(phone)
    open_menu_if_collapsed(phone)
    phone.click("#mainnav a[href='/organizations/']")
    assert fits_width(phone)
    rows = phone.locator("[data-testid=organization-list] tbody tr")
    names = rows.all_inner_texts()
    assert names and all("ORG home-" in n for n in names)
    phone.click("a[href='/organizations/new/']")
    phone.fill("input[name=name]", "Trường Mầm non Mường Tè")
    phone.select_option("select[name=kind]", "school")
    phone.select_option("select[name=place]", label="Xã Mường Tè")
    phone.fill("input[name=phone]", "0213 3881 999")
    phone.click("button[type=submit].btn-primary")
    assert phone.locator("h1").inner_text() == "Trường Mầm non Mường Tè"
    assert fits_width(phone)


def test_places_search_updates_as_you_type(page, browser_world, live_server):
    log_in(page, live_server.url, "home.commune_station")
    page.goto(f"{live_server.url}/places/")
    page.fill("input[name=q]", "tam duong")
    page.locator("[data-testid=place-results] >> text=Huyện Tam Đường").first.wait_for()
    page.fill("input[name=q]", "muong te")
    page.locator("[data-testid=place-results] td >> text=Xã Mường Tè").first.wait_for()
