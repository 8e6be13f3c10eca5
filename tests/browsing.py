"""Steps that browser tests share."""

from __future__ import annotations

from pathlib import Path

from django.utils import translation
from django.utils.translation import gettext

from .world import PASSWORD

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


def vi(message: str) -> str:
    """A message as the interface shows it by default (Vietnamese)."""
    with translation.override("vi"):
        return gettext(message)


def snap(page, name: str) -> None:
    """A full-page screenshot under test-artifacts/, for a human to look at after the run."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / f"{name}.png", full_page=True)


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
