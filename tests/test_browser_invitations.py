"""A session's invitation list in a real browser: the commune nurse opens today's session on a 360-px phone,
reads who is due (the whole table without scrolling sideways), opens the printable list (everyone, a signature
column, no navigation on paper) and downloads it as a spreadsheet with the same people."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone
from openpyxl import load_workbook
from playwright.sync_api import expect

from epicommand.core.models import AuditEvent
from epicommand.core.roles import Role
from epicommand.core.text import fold
from epicommand.people.models import Person
from epicommand.vaccination import coverage
from epicommand.vaccination.models import Dose, Product

from .browsing import fits_width, log_in, snap, vi

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TABLE_FITS = ("(() => { const t = document.querySelector('[data-testid=invitation-table]');"
              " return t.scrollWidth <= t.parentElement.clientWidth; })()")


def _person(world, name: str, born: date, cccd: str) -> Person:
    return Person.objects.create(full_name=name, name_folded=fold(name), sex="M", birth_date=born, birth_year=born.year,
                                 commune=world.communes["home"], cccd=cccd, phone="0912000111")


def test_the_nurse_reads_prints_and_exports_the_invitation_list_on_a_phone(phone, browser_world, live_server,
                                                                            tmp_path):
    world, base = browser_world, live_server.url
    session = world.vaccination.sessions["home"]
    never = _person(world, "Giàng A Chứ", date(1988, 3, 4), "012088000123")
    second = _person(world, "Lò Văn Páo", date(1979, 9, 9), "012079000456")
    Dose.objects.create(person=second, product=Product.objects.get(key="pfizer"), number=1,
                        given_on=timezone.localdate() - timedelta(days=40))
    coverage.refresh_people([p.pk for p in Person.objects.all()])
    nurse = world.user(Role.COMMUNE_STATION, "home")

    log_in(phone, base, nurse.username)
    phone.goto(f"{base}/vaccination/sessions/{session.pk}/")
    phone.click(f"a[href='/vaccination/sessions/{session.pk}/invitations/']")
    phone.wait_for_url(f"{base}/vaccination/sessions/{session.pk}/invitations/")
    table = phone.locator("[data-testid=invitation-table]")
    expect(table).to_contain_text("Giàng A Chứ")
    expect(table.locator("tr").filter(has_text="Giàng A Chứ")).to_contain_text(vi("Never vaccinated"))
    expect(table.locator("tr").filter(has_text="Lò Văn Páo")).to_contain_text(vi("Days overdue: %(n)s") % {"n": 19})
    assert fits_width(phone) and phone.evaluate(TABLE_FITS)
    snap(phone, "invitations-phone")

    # The printable list: everyone on one page; on paper a signature column and no navigation.
    phone.click("[data-testid=print-view]")
    phone.wait_for_url("**/invitations/?all=1")
    listed = phone.locator("[data-testid=invitation-table] tbody tr").count()
    shown = int(phone.locator("[data-testid=invitation-count]").inner_text().rsplit(" ", 1)[-1])
    assert listed == shown >= 2
    phone.emulate_media(media="print")
    expect(phone.locator("nav.navbar")).to_be_hidden()
    expect(phone.locator("th.print-only")).to_be_visible()
    phone.emulate_media(media="screen")
    expect(phone.locator("th.print-only")).to_be_hidden()

    # The spreadsheet holds the same people, and the export is audited.
    phone.click(f"button.dropdown-toggle:has-text('{vi('Export')}')")
    with phone.expect_download() as download_info:
        phone.click("a.dropdown-item:has-text('Excel (xlsx)')")
    saved = tmp_path / download_info.value.suggested_filename
    download_info.value.save_as(saved)
    cells = {str(value) for row in load_workbook(saved).active.iter_rows(values_only=True) for value in row}
    assert {never.full_name, second.full_name} <= cells
    assert AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT, actor=nurse).exists()
