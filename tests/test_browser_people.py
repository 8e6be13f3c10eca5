"""The population register and the import of people in a real browser: an officer imports a messy
workbook (columns, dry run, progress, rejected rows, error report), a commune nurse on a phone finds,
reads and adds people, and cannot open another commune's person.

Texts are compared with what the Vietnamese catalogue says (`vi()`), so these tests follow the
translations instead of restating them; test_i18n checks that every message has one."""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import translation
from django.utils.translation import gettext
from openpyxl import load_workbook
from playwright.sync_api import expect

from epicommand.core.models import AuditEvent
from epicommand.core.roles import Role
from epicommand.imports.models import ImportRun
from epicommand.people.models import Person

from .browsing import fits_width, log_in, open_menu_if_collapsed, snap, vi
from .workbooks import VALID_NAMES, messy_workbook

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Sheet rows of messy_workbook() that must be rejected (the header is sheet row 4, data from row 5).
REJECTED_ROWS = {9, 10, 11, 12, 13}


def run_worker() -> None:
    # The worker runs here while the page keeps polling the live server on its own.
    call_command("db_worker", batch=True, no_startup_delay=True, verbosity=0)


def upload_messy_workbook(page, base_url: str, tmp_path: Path) -> ImportRun:
    """Upload the messy workbook as "People", mode "skip", and land on the column check."""
    path = messy_workbook(tmp_path / "danh-sach-pa-u.xlsx")
    page.goto(f"{base_url}/imports/new/")
    page.select_option("select[name=spec]", "people")
    page.set_input_files("input[name=file]", str(path))
    expect(page.locator("input[name=mode][value=skip]")).to_be_checked()
    page.click("button[type=submit].btn-primary")
    page.wait_for_url(re.compile(r"/imports/\d+/columns/$"))
    assert page.locator("h1").inner_text() == vi("Check the columns")
    pk = int(re.search(r"/imports/(\d+)/columns/", page.url).group(1))
    return ImportRun.objects.get(pk=pk)


def column_select(page, header: str):
    """The select under a column of the file, found by the header as written in the file."""
    return page.locator("[data-testid=mapping-form] th").filter(
        has=page.locator(f"div[title='{header}']")).locator("select")


def wait_until_done(page, timeout: int = 15_000) -> None:
    page.locator("[data-testid=import-status][data-status=done]").wait_for(timeout=timeout)


def test_officer_imports_a_messy_workbook_and_downloads_the_error_report(page, browser_world, live_server,
                                                                        tmp_path):
    officer = browser_world.user(Role.HEALTH_OFFICER)
    log_in(page, live_server.url, officer.username)
    run = upload_messy_workbook(page, live_server.url, tmp_path)
    snap(page, "import-columns")

    # The phone column was recognised; the officer decides not to import it.
    phone_column = column_select(page, "SĐT")
    expect(phone_column).to_have_value("phone")
    expect(column_select(page, "Họ và tên")).to_have_value("full_name")
    phone_column.select_option("")
    expect(phone_column).to_have_value("")
    assert phone_column.locator("option:checked").inner_text() == vi("— not imported —")

    page.click("[data-testid=mapping-form] button[name=import]")
    page.wait_for_url(f"{live_server.url}/imports/{run.pk}/")
    status = page.locator("[data-testid=import-status]")
    assert status.get_attribute("data-status") == "queued"
    run.refresh_from_db()
    assert "phone" not in run.mapping.values() and not run.dry_run

    run_worker()
    wait_until_done(page)
    assert "100%" in page.locator("[data-testid=progress-bar]").inner_text()
    assert page.locator("[data-count=created]").inner_text() == "5"
    assert page.locator("[data-count=rejected]").inner_text() == "5"
    counts = page.locator("[data-testid=import-counts]").inner_text()
    assert vi("created") in counts and vi("would be created") not in counts
    assert not status.get_by_text(vi("Dry run: nothing was written")).count()

    # The rejected rows: sheet row numbers, and a reason for each.
    rows = [[cell.strip() for cell in row.locator("td").all_inner_texts()]
            for row in page.locator("[data-testid=import-errors] tbody tr").all()]
    assert {int(row[0]) for row in rows} == REJECTED_ROWS
    assert all(row[3] for row in rows)
    assert ["11", "Ngày sinh", "31/02/1970"] in [row[:3] for row in rows]
    assert ["13", "Xã/phường", "Nowhere"] in [row[:3] for row in rows]

    with page.expect_download() as download_info:
        page.click("[data-testid=error-report]")
    download = download_info.value
    assert download.suggested_filename.endswith(".xlsx")
    report = tmp_path / download.suggested_filename
    download.save_as(report)
    lines = list(load_workbook(report).active.values)
    assert lines[0] == tuple(vi(h) for h in ("Row", "Column", "Value", "Reason"))
    assert {int(line[0]) for line in lines[1:]} == REJECTED_ROWS
    assert all(line[3] for line in lines[1:])
    assert (11, "Ngày sinh", "31/02/1970") in {(int(line[0]), line[1], line[2]) for line in lines[1:]}
    assert (13, "Xã/phường", "Nowhere") in {(int(line[0]), line[1], line[2]) for line in lines[1:]}
    assert AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT, actor=officer,
                                     object_type="imports.ImportRun", object_id=str(run.pk)).exists()

    # In the register: the five valid people, their names whole (TCVN3 decoded), and no phone, since
    # the phone column was not imported.
    imported = {p.full_name: p for p in Person.objects.filter(source_import=run.pk).select_related("commune")}
    assert set(imported) == VALID_NAMES
    assert all(unicodedata.is_normalized("NFC", name) for name in imported)
    assert imported["Giàng A Dế"].village == "Bản Pa Ủ" and imported["Giàng A Dế"].commune.name == "Xã Pa Ủ"
    assert imported["Tòng Thị Ưng"].birth_date == date(1990, 7, 21)
    assert [p.phone for p in imported.values()] == [""] * 5
    assert imported["Lò Văn Thắng"].ethnicity  # the columns left as they were still import


def test_a_dry_run_writes_nothing_until_imported_for_real(page, browser_world, live_server, tmp_path):
    log_in(page, live_server.url, browser_world.user(Role.HEALTH_OFFICER).username)
    before = Person.objects.count()
    run = upload_messy_workbook(page, live_server.url, tmp_path)
    page.click("[data-testid=mapping-form] button[name=dry_run]")
    page.wait_for_url(f"{live_server.url}/imports/{run.pk}/")
    assert page.locator("[data-testid=import-status]").get_attribute("data-status") == "queued"

    run_worker()
    wait_until_done(page)
    status = page.locator("[data-testid=import-status]")
    expect(status.get_by_text(vi("Dry run: nothing was written"))).to_be_visible()
    assert page.locator("[data-count=created]").inner_text() == "5"
    assert page.locator("[data-count=rejected]").inner_text() == "5"
    assert vi("would be created") in page.locator("[data-testid=import-counts]").inner_text()
    assert Person.objects.count() == before
    assert not Person.objects.filter(full_name__in=VALID_NAMES).exists()
    snap(page, "import-dry-run-done")

    confirm = page.locator(f"form[action='/imports/{run.pk}/confirm/'] button[type=submit]")
    assert confirm.inner_text().strip() == vi("Import for real")
    with page.expect_navigation():
        confirm.click()
    assert page.locator("[data-testid=import-status]").get_attribute("data-status") == "queued"
    run_worker()
    wait_until_done(page)
    assert not status.get_by_text(vi("Dry run: nothing was written")).count()
    assert page.locator("[data-count=created]").inner_text() == "5"
    counts = page.locator("[data-testid=import-counts]").inner_text()
    assert vi("created") in counts and vi("would be created") not in counts
    assert Person.objects.count() == before + 5
    assert set(Person.objects.filter(source_import=run.pk).values_list("full_name", flat=True)) == VALID_NAMES


def test_commune_nurse_finds_reads_and_adds_people_on_a_360_px_phone(phone, browser_world, live_server):
    nurse = browser_world.user(Role.COMMUNE_STATION)
    home = browser_world.communes["home"]
    log_in(phone, live_server.url, nurse.username)
    open_menu_if_collapsed(phone)
    phone.click("#mainnav a[href='/people/']")
    phone.wait_for_url(f"{live_server.url}/people/")
    assert fits_width(phone)

    # Search: only her commune's person, never the neighbour's or the unrelated ward's.
    phone.fill("[data-testid=people-filter] input[name=q]", "person")
    with phone.expect_navigation():
        phone.press("[data-testid=people-filter] input[name=q]", "Enter")
    entries = phone.locator("[data-testid=people-list] a.list-group-item").all_inner_texts()
    # Her commune's An, his namesake Bis and the child treated at home, nobody from the neighbour or the
    # unrelated ward.
    assert len(entries) == 3 and all("PERSON home" in e for e in entries)
    assert "neighbour" not in phone.content() and "unrelated" not in phone.content()
    assert fits_width(phone)
    snap(phone, "people-phone-list")

    # Her health book: name, identity with the CCCD; not vulnerable (born 1980), a valid CCCD.
    phone.click("[data-testid=people-list] a:has-text('PERSON home An')")
    person = browser_world.people["home"]
    phone.wait_for_url(f"{live_server.url}/people/{person.pk}/")
    assert phone.locator("[data-testid=person-name]").inner_text() == "PERSON home An"
    assert person.cccd in phone.locator("dd.mono").first.inner_text()
    assert phone.locator("[data-testid=vulnerability]").count() == 0
    assert phone.locator("[data-testid=cccd-problems]").count() == 0
    expect(phone.locator("[data-testid=timeline]")).to_be_visible()
    assert fits_width(phone)
    snap(phone, "people-phone-health-book")

    # A new person, born in 1950: vulnerable by age.
    phone.goto(f"{live_server.url}/people/")
    phone.click("a[href='/people/new/']")
    phone.wait_for_url(f"{live_server.url}/people/new/")
    assert fits_width(phone)
    phone.fill("input[name=full_name]", "Lò Thị Mai")
    phone.fill("input[name=birth_year]", "1950")
    phone.select_option("select[name=sex]", "F")
    phone.select_option("select[name=commune]", label="Xã Mường Tè")
    phone.fill("input[name=village]", "Bản Nậm Củm")
    snap(phone, "people-phone-form")
    phone.click("form button[type=submit].btn-primary")
    phone.wait_for_url(re.compile(r"/people/\d+/$"))

    mai = Person.objects.get(full_name="Lò Thị Mai")
    assert phone.url == f"{live_server.url}/people/{mai.pk}/"
    assert (mai.birth_year, mai.sex, mai.commune_id, mai.village, mai.vulnerable, mai.created_by_id) == (
        1950, "F", home.pk, "Bản Nậm Củm", True, nurse.pk)
    assert phone.locator("[data-testid=person-name]").inner_text() == "Lò Thị Mai"
    expect(phone.locator(".alert-success")).to_be_visible()
    notice = phone.locator("[data-testid=vulnerability]")
    expect(notice).to_be_visible()
    age = date.today().year - 1950
    with translation.override("vi"):
        age_reason = gettext("aged %(age)s (%(min)s or older)") % {"age": age, "min": 65}
    assert vi("Vulnerable") in notice.inner_text() and age_reason in notice.inner_text()
    assert phone.locator("[data-testid=cccd-problems]").count() == 0
    assert "Bản Nậm Củm" in phone.content()
    assert fits_width(phone)


def test_commune_nurse_cannot_open_the_neighbours_person_and_the_attempt_is_audited(phone, browser_world,
                                                                                     live_server):
    nurse = browser_world.user(Role.COMMUNE_STATION)
    other = browser_world.people["neighbour"]
    log_in(phone, live_server.url, nurse.username)
    response = phone.goto(f"{live_server.url}/people/{other.pk}/")
    assert response.status == 404
    assert vi("There is nothing here that you can open.") in phone.locator("main").inner_text()
    assert other.full_name not in phone.content() and other.cccd not in phone.content()
    assert fits_width(phone)
    denied = AuditEvent.objects.filter(action=AuditEvent.Action.DENIED, actor=nurse,
                                       object_type="people.Person", object_id=str(other.pk))
    assert denied.count() == 1
    # Nor through the edit screen.
    assert phone.goto(f"{live_server.url}/people/{other.pk}/edit/").status == 404


def test_person_form_chronic_conditions_are_tappable_on_a_phone(phone, browser_world, live_server):
    """Nine chronic-condition checkboxes, then "pregnant", then Save: each must sit below the previous one,
    and a thumb on a condition must tick that condition, not another field, Save or Cancel."""
    log_in(phone, live_server.url, browser_world.user(Role.COMMUNE_STATION).username)
    phone.goto(f"{live_server.url}/people/new/")
    conditions = phone.locator(".form-check:has(input[name=chronic_conditions])")
    assert conditions.count() >= 9
    last_condition = conditions.last.bounding_box()
    pregnant = phone.locator("input[name=pregnant]").bounding_box()
    save = phone.locator("form button[type=submit].btn-primary").bounding_box()
    missed = {}
    for label in conditions.all():
        label.scroll_into_view_if_needed()
        box = label.bounding_box()
        hit = phone.evaluate(
            "([label, x, y]) => { const e = document.elementFromPoint(x, y);"
            " return e && label.contains(e) ? '' : (e ? e.outerHTML.slice(0, 80) : 'nothing'); }",
            [label.element_handle(), box["x"] + box["width"] / 2, box["y"] + box["height"] / 2])
        if hit:
            missed[label.inner_text().strip()] = hit
    assert not missed, f"a tap on these conditions reaches something else: {missed}"
    assert last_condition["y"] + last_condition["height"] <= pregnant["y"] < save["y"]


# English source texts of the people and import screens; none should show in the default Vietnamese.
ENGLISH = {
    "/people/": ["New person", "More filters", "All communes", "Nobody matches"],
    "/people/new/": ["New person", "Year of birth", "Chronic conditions", "Village"],
    "/imports/new/": ["Import a file", "What the file holds", "Next: check the columns",
                      "Import the valid rows, report the others"],
}


def test_people_and_import_screens_are_vietnamese_by_default(phone, browser_world, live_server):
    log_in(phone, live_server.url, browser_world.user(Role.COMMUNE_STATION).username)
    person = browser_world.people["home"]
    screens = {**ENGLISH, f"/people/{person.pk}/": ["Health book", "Health timeline", "Lives in"]}
    untranslated = {}
    for url, phrases in screens.items():
        phone.goto(f"{live_server.url}{url}")
        assert phone.locator("html").get_attribute("lang") == "vi"
        text = phone.locator("main").text_content()
        if found := [p for p in phrases if p in text]:
            untranslated[url] = found
    assert not untranslated, f"English on Vietnamese screens: {untranslated}"
