"""Testing on a 360-px phone: a commune nurse opens Testing from the menu, finds a person by name without
accents, records a rapid test, enters its positive result, then records a pool by its members' CCCDs, enters
its positive result and sees one follow-up per member; every screen fits the phone's width."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from epicommand.core.roles import Role
from epicommand.core.text import fold
from epicommand.people.models import Person
from epicommand.testing.models import Kind, Pool, Result
from epicommand.testing.models import Test as LabTest

from .browsing import fits_width, log_in, open_menu_if_collapsed, snap, vi

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_nurse_records_a_test_and_a_pool_on_a_phone(phone, browser_world, live_server):
    world = browser_world
    nurse = world.user(Role.COMMUNE_STATION)
    home = world.communes["home"]
    mai = Person.objects.create(full_name="Lò Thị Mai", name_folded=fold("Lò Thị Mai"), sex="F", birth_year=1990,
                                commune=home)
    base = live_server.url

    log_in(phone, base, nurse.username)
    open_menu_if_collapsed(phone)
    phone.locator("#mainnav a[href='/testing/']").click()
    phone.wait_for_url(f"{base}/testing/")
    assert fits_width(phone)
    phone.click("text=" + vi("New test"))
    phone.wait_for_url(f"{base}/testing/new/")
    phone.fill("#person-q", "lo thi mai")
    result = phone.locator("[data-testid=person-result]").filter(has_text="Lò Thị Mai")
    result.wait_for()
    assert fits_width(phone)
    result.click()
    phone.wait_for_url(re.compile(r"/testing/new/\?person=\d+$"))
    assert phone.locator("[data-testid=person-name]").inner_text() == "Lò Thị Mai"
    phone.select_option("select[name=kind]", Kind.ANTIGEN)
    # dd/mm/yyyy whatever the phone's locale (this browser's is en-US, whose date picker reads mm/dd/yyyy).
    assert phone.input_value("input[name=sampled_on]") == timezone.localdate().strftime("%d/%m/%Y")
    assert fits_width(phone)
    snap(phone, "testing-phone-new")
    phone.click("[data-testid=test-form] button[type=submit]")
    phone.wait_for_url(re.compile(r"/testing/\d+/$"))
    test = LabTest.objects.get(person=mai)
    assert (test.kind, test.result) == (Kind.ANTIGEN, Result.PENDING)

    phone.click("[data-testid=enter-result]")
    phone.wait_for_url(f"{base}/testing/{test.pk}/result/")
    phone.check("input[name=result][value=positive]")
    phone.click("[data-testid=result-form] button[type=submit]")
    phone.wait_for_url(f"{base}/testing/{test.pk}/")
    expect(phone.locator(".alert-success")).to_be_visible()
    test.refresh_from_db()
    assert test.result == Result.POSITIVE and test.resulted_on == timezone.localdate()
    assert fits_width(phone)
    snap(phone, "testing-phone-result")

    members = [Person.objects.create(full_name=f"Thành viên {n}", name_folded=fold(f"Thành viên {n}"), sex="M",
                                     birth_year=1980 + n, commune=home, cccd=f"0120987654{n:02d}") for n in range(3)]
    phone.goto(f"{base}/testing/pools/new/")
    phone.fill("input[name=code]", "POOL home P1")
    phone.select_option("select[name=commune]", str(home.pk))
    phone.fill("textarea[name=members]", "\n".join(m.cccd for m in members))
    assert fits_width(phone)
    snap(phone, "testing-phone-pool-new")
    phone.click("[data-testid=pool-form] button[type=submit]")
    phone.wait_for_url(re.compile(r"/testing/pools/\d+/$"))
    pool = Pool.objects.get(code="POOL home P1")
    assert sorted(pool.members.values_list("person_id", flat=True)) == sorted(m.pk for m in members)
    phone.click("[data-testid=enter-pool-result]")
    phone.check("input[name=result][value=positive]")
    phone.click("[data-testid=pool-result-form] button[type=submit]")
    phone.wait_for_url(f"{base}/testing/pools/{pool.pk}/")
    expect(phone.locator("[data-testid=follow-up]")).to_have_count(3)
    assert fits_width(phone)
    snap(phone, "testing-phone-pool")

    phone.goto(f"{base}/testing/positivity/")
    table = phone.locator("[data-testid=positivity-table]")
    assert home.name in table.inner_text()
    assert fits_width(phone)
    snap(phone, "testing-phone-positivity")
