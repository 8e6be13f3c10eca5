from __future__ import annotations

import os
from pathlib import Path

import pytest

from epicommand.core.models import PolicyVersion
from epicommand.core.places import load_province
from epicommand.core.policy_defaults import seed as seed_policies

from .world import build_world


def ensure_reference_data() -> None:
    """Places of Lai Châu and the default policies (idempotent; transactional tests flush them)."""
    load_province("12")
    seed_policies(PolicyVersion)
    ensure_products()


def ensure_products() -> None:
    """The vaccines the data migration seeds (a transactional test's flush removes them)."""
    from importlib import import_module

    from epicommand.vaccination.models import Product

    for key, name, manufacturer, per_vial in import_module("epicommand.vaccination.migrations.0002_products").PRODUCTS:
        Product.objects.get_or_create(key=key, defaults={"name": name, "manufacturer": manufacturer,
                                                         "doses_per_vial": per_vial})


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        ensure_reference_data()


@pytest.fixture(autouse=True)
def _session_minute_stands_still(monkeypatch):
    """The idle renewal writes a session at most once a minute: a clock that stands still keeps a minute boundary
    crossed mid-test from adding a write to the queries a test counts (a test may move it itself)."""
    from epicommand.core import middleware

    minute = middleware.current_minute()
    monkeypatch.setattr(middleware, "current_minute", lambda: minute)


@pytest.fixture(autouse=True)
def _cache_per_test(settings):
    """A process-local cache emptied after each test: counters (wrong entry codes) never leak from one test, or
    from a run beside it, into another."""
    from django.core.cache import cache

    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    """Uploads and reports go to a fresh folder per test, never to var/media."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def key_file(settings, tmp_path):
    """A fresh certificate signing key in a temporary folder, and no earlier published keys."""
    from epicommand.vaccination import certificates

    path = tmp_path / "keys" / "certificate_key.pem"
    settings.EPICOMMAND_CERTIFICATE_KEY = path
    settings.EPICOMMAND_CERTIFICATE_PUBLIC_KEYS = []
    certificates.ensure_key(create=True)
    return path


@pytest.fixture
def world(db):
    return build_world()


@pytest.fixture
def reference_data(transactional_db):
    ensure_reference_data()


# ---- browser tests ---------------------------------------------------------------------------
# Playwright's sync API runs an event loop in the test thread; the ORM calls that tests make
# around it are still synchronous.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
CHROMIUM = os.environ.get("EPICOMMAND_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--no-first-run"]
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


def _page(browser, request, **context_options):
    # An English-language browser: the interface must still default to Vietnamese.
    context = browser.new_context(locale="en-US", **context_options)
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / f"{request.node.name}.png", full_page=True)
    context.close()


@pytest.fixture
def page(browser, request):
    yield from _page(browser, request, viewport={"width": 1280, "height": 800})


@pytest.fixture
def phone(browser, request):
    yield from _page(browser, request, viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True)


@pytest.fixture
def browser_world(reference_data, live_server):
    from .world import build_world

    return build_world()
