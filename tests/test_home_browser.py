"""In a real browser on a 360 px phone: a health worker enters SpO2 94 % for a home patient and finds the
patient on the alarming part of the day list and on the escalation queue, the SMS in the outbox; the patient
enters vital signs through a one-time link without an account, in Vietnamese."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from epicommand.cases import entry_links
from epicommand.cases.models import Alert, Observation
from epicommand.core.roles import Role
from epicommand.notify.models import Message

from . import home_helpers as h
from .browsing import fits_width, log_in, snap, vi

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_worker_records_a_warning_on_a_phone(phone, browser_world, live_server):
    world = browser_world
    home = h.at_home(world)
    worker = world.user(Role.MOBILE_STATION, "home")
    log_in(phone, live_server.url, worker.username)
    phone.goto(f"{live_server.url}/cases/{home.case_id}/observe/")
    assert fits_width(phone)
    phone.fill("input[name=spo2]", "94")
    phone.fill("input[name=respiratory_rate]", "18")
    phone.click("[data-testid=observe-form] button[type=submit]")
    expect(phone.locator(".alert-warning")).to_contain_text(vi("Low SpO2"))
    alert = Alert.objects.get(home_care=home)
    assert Message.objects.filter(kind="home_care.alert", recipient=worker, about_id=str(alert.pk)).exists()

    phone.goto(f"{live_server.url}/cases/home/day/")
    expect(phone.locator("[data-testid=alarming]")).to_contain_text(home.case.code)
    assert fits_width(phone)
    snap(phone, "home-day-list-phone")
    phone.goto(f"{live_server.url}/cases/home/escalation/")
    expect(phone.locator("[data-testid=queue]")).to_contain_text(home.case.code)
    assert fits_width(phone)
    phone.click(f"[data-testid=home-{home.pk}] [data-testid=alert-link]")
    phone.fill("textarea[name=note]", "Đã gọi, đo lại 95%")
    phone.click("button[value=resolve]")
    phone.wait_for_url("**/cases/home/escalation/")
    alert.refresh_from_db()
    assert alert.status == Alert.Status.RESOLVED


def test_patient_enters_through_a_link_on_a_phone(phone, browser_world, live_server):
    world = browser_world
    home = h.at_home(world)
    new = entry_links.create_link(actor=world.user(Role.MOBILE_STATION, "home"), home_care=home)
    phone.goto(f"{live_server.url}/cases/entry/{new.token}/")
    assert phone.locator("h1").inner_text() == vi("Your daily health check")
    assert fits_width(phone)
    phone.fill("input[name=spo2]", "97")
    phone.fill("input[name=temperature]", "37.8")
    phone.check("input[name=symptoms][value=cough]")
    snap(phone, "home-patient-entry-phone")
    # Large fields for the patient's thumb, and a double tap (an elderly patient) records one entry.
    assert phone.locator("input[name=spo2]").evaluate("e => parseFloat(getComputedStyle(e).fontSize)") >= 18
    phone.dblclick("[data-testid=patient-form] button[type=submit]")
    expect(phone.locator("[data-testid=patient-done]")).to_contain_text(vi("Thank you, your entry was sent."))
    observation = Observation.objects.get(case=home.case, source=Observation.Source.PATIENT)
    assert observation.spo2 == 97 and observation.symptoms == ["cough"]
    # Opening the link again just after: the thanks again, in Vietnamese; nothing recorded twice.
    phone.goto(f"{live_server.url}/cases/entry/{new.token}/")
    expect(phone.locator("[data-testid=patient-again]")).to_contain_text(
        vi("We already have your entry. You do not need to send it again."))
    assert Observation.objects.filter(case=home.case, source=Observation.Source.PATIENT).count() == 1
    assert fits_width(phone)
