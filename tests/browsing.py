"""Steps that browser tests share."""

from __future__ import annotations

from .world import PASSWORD


def log_in(page, base_url: str, username: str, password: str = PASSWORD) -> None:
    page.goto(f"{base_url}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit].btn-primary")
    page.wait_for_url(f"{base_url}/")


def log_out(page) -> None:
    page.click("[data-testid=user-menu]")
    page.click("form[action='/logout/'] button")
    page.wait_for_url("**/login/")


def open_menu_if_collapsed(page) -> None:
    toggler = page.locator(".navbar-toggler")
    if toggler.is_visible():
        toggler.click()
        page.locator("#mainnav.show").wait_for()


def fits_width(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
