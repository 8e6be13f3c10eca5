"""Vaccinating in a real browser on a 360-px phone: a commune nurse opens Vaccinate, picks today's session,
finds the person by name without accents, screens her (the suggestion follows the answers), sees the
earliest-expiring lot preselected, saves, and prints the certificate; an ineligible person is refused with
the reason shown, saved only with a written override, and a serious adverse event is reported afterwards."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from django.utils import timezone, translation
from playwright.sync_api import expect

from epicommand.core.roles import Role
from epicommand.core.text import fold
from epicommand.notify.models import Message
from epicommand.people.models import Person
from epicommand.vaccination import certificates, services, stock
from epicommand.vaccination.models import Certificate, Dose, Lot, Movement, Product

from .browsing import fits_width, log_in, open_menu_if_collapsed, snap, vi
from .world import K

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def key_file(settings, tmp_path):
    settings.EPICOMMAND_CERTIFICATE_KEY = tmp_path / "keys" / "certificate_key.pem"
    settings.EPICOMMAND_CERTIFICATE_PUBLIC_KEYS = []
    certificates.ensure_key(create=True)


def _person(world, name: str, born: date) -> Person:
    return Person.objects.create(full_name=name, name_folded=fold(name), sex="F", birth_date=born,
                                 birth_year=born.year, commune=world.communes["home"], phone="0912345678")


def open_session(phone, base_url: str, world) -> None:
    """From the home page to today's session at the station's site, through Vaccinate."""
    open_menu_if_collapsed(phone)
    link = phone.locator("#mainnav a[href='/vaccination/record/']")
    if link.count():
        link.click()
    else:  # the menu entry is the navigation's to add; the page is the same
        phone.goto(f"{base_url}/vaccination/record/")
    phone.wait_for_url(f"{base_url}/vaccination/record/")
    assert phone.locator("h1").inner_text() == vi("Vaccinate")
    assert fits_width(phone)
    session = world.vaccination.sessions["home"]
    tile = phone.locator(f"[data-testid=session-{session.pk}]")
    assert "SITE home" in tile.inner_text() and "Pfizer" in tile.inner_text()
    assert "SITE neighbour" not in phone.content()
    snap(phone, "vaccinate-phone-sessions")
    tile.click()
    phone.wait_for_url(f"{base_url}/vaccination/sessions/{session.pk}/record/")
    assert fits_width(phone)


def find(phone, query: str, name: str) -> None:
    phone.fill("#person-q", query)
    result = phone.locator("[data-testid=person-result]").filter(has_text=name)
    result.wait_for()  # the HTMX partial arrives as she types
    assert fits_width(phone)
    snap(phone, "vaccinate-phone-search")
    result.click()
    phone.wait_for_url(re.compile(r"/vaccination/sessions/\d+/people/\d+/$"))
    assert phone.locator("[data-testid=person-name]").inner_text() == name
    assert fits_width(phone)


def test_a_nurse_vaccinates_on_a_phone_and_prints_the_certificate(phone, browser_world, live_server, key_file):
    world = browser_world
    nurse = world.user(Role.COMMUNE_STATION)
    station = world.org(K.COMMUNE_STATION)
    sooner = Lot.objects.create(product=Product.objects.get(key="pfizer"), number="LOT home-sooner",
                                expiry=timezone.localdate() + timedelta(days=12), doses_per_vial=6)
    stock.move(holder=station, lot=sooner, doses=6, kind=Movement.Kind.RECEIPT, by=None)
    mai = _person(world, "Lò Thị Mai", date(1990, 5, 1))

    log_in(phone, live_server.url, nurse.username)
    open_session(phone, live_server.url, world)
    find(phone, "lo thi mai", "Lò Thị Mai")

    # The earliest-expiring lot is preselected, and the verdict is there before saving.
    expect(phone.locator("select[name=lot]:not([disabled])")).to_have_value(str(sooner.pk))
    expect(phone.locator("[data-testid=verdict-pfizer] [data-verdict=eligible]")).to_be_visible()
    expect(phone.locator("[data-testid=override]")).to_be_hidden()
    # Screening: a "yes" to an acute illness suggests deferring; taking it back suggests vaccinating again.
    suggestion = phone.locator("[data-testid=suggestion]")
    assert suggestion.inner_text() == vi("Vaccinate")
    phone.check("#id_answer_acute_illness")
    expect(suggestion).to_have_text(vi("Defer"))
    expect(phone.locator("#outcome-defer")).to_be_checked()
    phone.uncheck("#id_answer_acute_illness")
    expect(phone.locator("#outcome-proceed")).to_be_checked()
    phone.check("#id_answer_bleeding")  # bleeding disorder: vaccinate, with care
    phone.fill("#id_temperature", "36.7")
    expect(phone.locator("#outcome-proceed")).to_be_checked()
    assert fits_width(phone)
    snap(phone, "vaccinate-phone-form")
    phone.click("[data-testid=save-dose]")
    phone.wait_for_url(re.compile(r"/vaccination/doses/\d+/$"))

    dose = Dose.objects.get(person=mai)
    assert phone.url == f"{live_server.url}/vaccination/doses/{dose.pk}/"
    assert (dose.lot, dose.vaccinator, dose.number) == (sooner, nurse, 1)
    assert dose.screening.answers["bleeding"] is True and str(dose.screening.temperature) == "36.7"
    assert stock.balance(station, sooner) == 5
    expect(phone.locator(".alert-success")).to_be_visible()
    assert "LOT home-sooner" in phone.locator("[data-testid=dose-details]").inner_text()
    expect(phone.locator("[data-testid=undo]")).to_be_visible()
    assert fits_width(phone)
    snap(phone, "vaccinate-phone-dose")

    # The certificate: printable, with its QR code, fitting the phone.
    phone.click("[data-testid=issue-certificate]")
    phone.wait_for_url(re.compile(r"/vaccination/certificates/\d+/$"))
    certificate = Certificate.objects.get(person=mai)
    expect(phone.locator("[data-testid=qr] svg.certificate-qr")).to_be_visible()
    assert "Lò Thị Mai" in phone.locator("[data-testid=certificate]").inner_text()
    assert "LOT home-sooner" in phone.locator("[data-testid=certificate-doses]").inner_text()
    assert fits_width(phone)
    snap(phone, "vaccinate-phone-certificate")
    phone.emulate_media(media="print")
    expect(phone.locator("nav.navbar")).to_be_hidden()
    expect(phone.locator("[data-testid=print]")).to_be_hidden()
    expect(phone.locator("[data-testid=qr] svg")).to_be_visible()
    phone.emulate_media(media="screen")

    # Anyone scanning it sees the check, without logging in and without her full name.
    phone.context.clear_cookies()
    phone.goto(f"{live_server.url}/verify/{certificate.token}")
    expect(phone.locator("[data-testid=verdict][data-valid='1']")).to_be_visible()
    assert "L.T.M." in phone.content() and "Lò Thị Mai" not in phone.content()
    assert fits_width(phone)


def test_an_ineligible_person_is_refused_with_the_reason_and_saved_only_with_an_override(phone, browser_world,
                                                                                        live_server):
    world = browser_world
    dua = _person(world, "Vàng Thị Dua", date(1985, 2, 2))
    Dose.objects.create(person=dua, product=Product.objects.get(key="pfizer"), number=1, historical=True,
                        given_on=timezone.localdate() - timedelta(days=6))
    with translation.override("vi"):
        reasons = services.judge(dua, Product.objects.get(key="pfizer"), timezone.localdate()).reasons
    assert reasons

    log_in(phone, live_server.url, world.user(Role.COMMUNE_STATION).username)
    open_session(phone, live_server.url, world)
    find(phone, "0912345678", "Vàng Thị Dua")

    shown = phone.locator("[data-testid=verdict-pfizer] [data-testid=reasons]")
    expect(shown).to_be_visible()
    assert shown.inner_text().strip() == "\n".join(reasons)
    expect(phone.locator("[data-testid=override]")).to_be_visible()
    phone.click("[data-testid=save-dose]")
    phone.wait_for_load_state()
    expect(phone.locator("[data-testid=override-error]")).to_be_visible()
    assert reasons[0] in phone.locator("[data-testid=override-error]").inner_text()
    assert Dose.objects.filter(person=dua).count() == 1
    assert fits_width(phone)
    snap(phone, "vaccinate-phone-refused")

    phone.fill("#id_override_reason", "Sắp đi làm xa, bác sĩ trạm đồng ý")
    phone.click("[data-testid=save-dose]")
    phone.wait_for_url(re.compile(r"/vaccination/doses/\d+/$"))
    dose = Dose.objects.get(person=dua, historical=False)
    assert dose.override_reason == "Sắp đi làm xa, bác sĩ trạm đồng ý"
    expect(phone.locator("[data-testid=override-reason]")).to_contain_text("Sắp đi làm xa")

    # Twenty minutes later she has trouble breathing: a serious adverse event, reported from the dose page.
    phone.click("[data-testid=report-aefi]")
    phone.wait_for_url(re.compile(r"/vaccination/doses/\d+/aefi/$"))
    assert fits_width(phone)
    phone.check("input[name=symptoms][value=breathing]")
    phone.check("input[name=severity][value=serious]")
    phone.select_option("select[name=outcome]", "hospitalised")
    phone.fill("textarea[name=description]", "Khó thở, chuyển bệnh viện huyện")
    phone.click("[data-testid=aefi-form] button[type=submit]")
    phone.wait_for_url(f"{live_server.url}/vaccination/doses/{dose.pk}/")
    expect(phone.locator(".alert-warning").filter(
        has_text=vi("Serious adverse event reported: the provincial CDC has been alerted."))).to_be_visible()
    assert vi("Difficulty breathing") in phone.locator("[data-testid=aefis]").inner_text()
    assert Message.objects.filter(kind="aefi.serious", about_id=str(dose.aefis.get().pk)).exists()
    assert fits_width(phone)
