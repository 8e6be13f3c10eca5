"""Managing accounts, policies, audit and jobs in a real browser."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from epicommand.core.models import Job, PolicyVersion

from .browsing import log_in, log_out

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_officer_creates_a_commune_account_that_can_log_in(page, browser_world, live_server):
    log_in(page, live_server.url, "province.health_officer")
    page.goto(f"{live_server.url}/accounts/new/")
    # Roles stronger than the officer's are not even offered.
    offered = page.locator("select[name=role] option").all_inner_texts()
    assert "Trung tâm Chỉ huy" not in offered and len(offered) == 8
    page.fill("input[name=username]", "tram.bumto")
    page.fill("input[name=full_name]", "Giàng Thị Sua")
    page.select_option("select[name=role]", "commune_station")
    page.select_option("select[name=place]", label="Xã Bum Tở")
    page.fill("input[name=password1]", "Bum-Tở-an-toàn-2026")
    page.fill("input[name=password2]", "Bum-Tở-an-toàn-2026")
    page.click("button[type=submit].btn-primary")
    page.locator(".alert-success").wait_for()
    log_out(page)
    log_in(page, live_server.url, "tram.bumto", "Bum-Tở-an-toàn-2026")
    assert "Xã Bum Tở" in page.locator("[data-testid=jurisdiction]").inner_text()


def test_officer_adds_a_policy_version_and_sees_the_history(page, browser_world, live_server):
    log_in(page, live_server.url, "province.health_officer")
    page.goto(f"{live_server.url}/policies/")
    page.click("a:text-is('home_care.spo2_warning')")
    tomorrow = (timezone.localdate() + timedelta(days=1)).strftime("%d/%m/%Y")
    page.fill("textarea[name=value]", "95")
    page.fill("input[name=effective_from]", tomorrow)
    page.fill("input[name=source]", "Công văn thử nghiệm của Sở Y tế")
    page.click("button[type=submit].btn-primary")
    page.locator(".alert-success").wait_for()
    history = page.locator("[data-testid=policy-history] tbody tr").all_inner_texts()
    assert len(history) == 2 and tomorrow in history[0] and "95" in history[0]
    assert "đang áp dụng" in history[1].lower() or "in force" in history[1].lower()
    assert PolicyVersion.objects.filter(key="home_care.spo2_warning").count() == 2


def test_command_centre_finds_a_failed_login_in_the_audit(page, browser_world, live_server):
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", "home.mobile_station")
    page.fill("input[name=password]", "đoán bừa")
    page.click("button[type=submit].btn-primary")
    log_in(page, live_server.url, "province.command")
    page.goto(f"{live_server.url}/audit/")
    page.fill("input[name=q]", "home.mobile_station")
    page.select_option("select[name=action]", "login_failed")
    with page.expect_navigation():
        page.click("[data-testid=audit-filter] button[type=submit]")
    rows = page.locator("[data-testid=audit-list] tbody tr").all_inner_texts()
    assert len(rows) == 1 and "home.mobile_station" in rows[0]


def test_job_progress_bar_follows_the_worker(page, browser_world, live_server):
    log_in(page, live_server.url, "province.command")
    page.goto(f"{live_server.url}/places/")
    page.click("form[action='/places/reload/'] button")
    progress = page.locator("[data-testid=job-progress]")
    assert progress.get_attribute("data-status") == "queued"
    # The worker runs here while the page keeps polling the live server on its own.
    call_command("db_worker", batch=True, no_startup_delay=True, verbosity=0)
    page.locator("[data-testid=job-progress][data-status=done]").wait_for(timeout=15_000)
    assert "100%" in page.locator(".progress-bar").inner_text()
    assert Job.objects.get(kind="places.reload").result["current_communes"] == 38
