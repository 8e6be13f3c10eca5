"""The dose-recording screens: today's sessions, finding the person (CCCD, name without accents, phone; only
people the user serves), the dose form saved in one POST (eligibility refused with its reason, saved with a
written override that the audit keeps, out of stock, a double submit recording one dose, a deferral), undo,
AEFI reports (a serious one alerts the CDC) and registering a person at the session."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from epicommand.core.models import AuditEvent
from epicommand.core.roles import Role
from epicommand.core.text import fold
from epicommand.notify.models import Message
from epicommand.people.models import Person
from epicommand.vaccination import services, stock
from epicommand.vaccination.models import Aefi, Dose, Lot, Movement, Product, Screening, Session, Site

from .browsing import vi
from .world import K

pytestmark = pytest.mark.django_db


def _person(world, name: str, *, born: date = date(1990, 5, 1), where: str = "home", phone: str = "",
            cccd: str | None = None) -> Person:
    return Person.objects.create(full_name=name, name_folded=fold(name), sex="F", birth_date=born,
                                 birth_year=born.year, commune=world.communes[where], phone=phone, cccd=cccd)


def _nurse(client, world, role: str = Role.COMMUNE_STATION, where: str = "home"):
    user = world.user(role, where)
    client.force_login(user)
    return user


def _dose_url(world, person: Person, where: str = "home") -> str:
    return reverse("vaccination:dose_new", kwargs={"session_pk": world.vaccination.sessions[where].pk,
                                                   "person_pk": person.pk})


def _post(client, world, person: Person, **fields):
    data = {"product": "pfizer", "outcome": "proceed", "temperature": "36.8", **fields}
    return client.post(_dose_url(world, person), data)


def _earlier_dose(world, person: Person, days_ago: int, product: str = "pfizer") -> Dose:
    return Dose.objects.create(person=person, product=Product.objects.get(key=product),
                               given_on=timezone.localdate() - timedelta(days=days_ago), number=1, historical=True)


# ---- today's sessions -------------------------------------------------------------------------------------

def test_the_vaccinate_page_lists_todays_open_sessions_of_the_users_area_with_vaccines_in_stock(client, world):
    _nurse(client, world)
    Session.objects.create(site=world.vaccination.sites["home"], date=timezone.localdate(),
                           status=Session.Status.CLOSED, team="CLOSED TEAM")
    body = client.get(reverse("vaccination:record")).content.decode()
    assert "SITE home" in body and "Pfizer" in body and "Team home" in body
    assert "SITE neighbour" not in body and "CLOSED TEAM" not in body
    assert reverse("vaccination:session_record", kwargs={"pk": world.vaccination.sessions["home"].pk}) in body


def test_the_vaccinate_page_is_refused_to_roles_that_do_not_vaccinate(client, world):
    _nurse(client, world, Role.FACILITY)
    assert client.get(reverse("vaccination:record")).status_code == 403


# ---- finding the person -----------------------------------------------------------------------------------

@pytest.mark.parametrize("query", ["012190000321", "lo thi mai", "Lò Thị Mai", "thi mai", "0912345678"])
def test_a_person_is_found_by_cccd_name_without_accents_or_phone(client, world, query):
    _nurse(client, world)
    mai = _person(world, "Lò Thị Mai", phone="0912345678", cccd="012190000321")
    url = reverse("vaccination:session_record", kwargs={"pk": world.vaccination.sessions["home"].pk})
    body = client.get(url, {"q": query}).content.decode()
    assert "Lò Thị Mai" in body
    assert _dose_url(world, mai) in body


def test_the_search_answers_an_htmx_request_with_the_results_alone(client, world):
    _nurse(client, world)
    _person(world, "Lò Thị Mai")
    url = reverse("vaccination:session_record", kwargs={"pk": world.vaccination.sessions["home"].pk})
    response = client.get(url, {"q": "mai"}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert "Lò Thị Mai" in body and "<html" not in body and 'data-testid="search-results"' in body


def test_someone_from_another_commune_is_not_found_and_their_dose_url_is_404(client, world):
    nurse = _nurse(client, world)
    stranger = _person(world, "Lò Thị Mai", where="neighbour", cccd="012190000321")
    url = reverse("vaccination:session_record", kwargs={"pk": world.vaccination.sessions["home"].pk})
    for query in ("012190000321", "lo thi mai", "PERSON neighbour"):
        body = client.get(url, {"q": query}, HTTP_HX_REQUEST="true").content.decode()  # the results alone
        assert "Lò Thị Mai" not in body and "PERSON neighbour" not in body and 'data-testid="no-results"' in body
    assert client.get(_dose_url(world, stranger)).status_code == 404
    assert _post(client, world, stranger).status_code == 404
    assert not Dose.objects.filter(person=stranger).exists()
    assert AuditEvent.objects.filter(action="denied", actor=nurse, object_type="people.Person",
                                     object_id=str(stranger.pk)).exists()
    # Another commune's session is 404 too, even with one's own person.
    other_session = reverse("vaccination:dose_new", kwargs={"session_pk": world.vaccination.sessions["neighbour"].pk,
                                                            "person_pk": world.people["home"].pk})
    assert client.get(other_session).status_code == 404


def test_a_vaccination_site_finds_the_people_of_its_commune_only(client, world):
    site_org = world.org(K.VACCINATION_SITE)
    site = Site.objects.create(name="SITE home-own", commune=world.communes["home"], organization=site_org)
    session = Session.objects.create(site=site, date=timezone.localdate())
    lot = Lot.objects.create(product=Product.objects.get(key="pfizer"), number="LOT home-own",
                             expiry=timezone.localdate() + timedelta(days=60), doses_per_vial=6)
    stock.move(holder=site_org, lot=lot, doses=6, kind=Movement.Kind.RECEIPT, by=None)
    _nurse(client, world, Role.VACCINATION_SITE)
    assert "SITE home-own" in client.get(reverse("vaccination:record")).content.decode()
    url = reverse("vaccination:session_record", kwargs={"pk": session.pk})
    assert "PERSON home An" in client.get(url, {"q": "person home"}).content.decode()
    assert "PERSON neighbour An" not in client.get(url, {"q": "person neighbour an"}).content.decode()
    response = client.post(reverse("vaccination:dose_new", kwargs={"session_pk": session.pk,
                                                                   "person_pk": world.people["home"].pk}),
                           {"product": "pfizer", "outcome": "proceed"})
    # PERSON home An already had today's Pfizer dose from the station: the site is told, nothing more saved.
    assert response.status_code == 302
    assert Dose.objects.filter(person=world.people["home"]).count() == 1
    mai = _person(world, "Lò Thị Mai")
    response = client.post(reverse("vaccination:dose_new", kwargs={"session_pk": session.pk, "person_pk": mai.pk}),
                           {"product": "pfizer", "outcome": "proceed"})
    dose = Dose.objects.get(person=mai)
    assert response.url == reverse("vaccination:dose", kwargs={"pk": dose.pk})
    assert (dose.organization, dose.lot) == (site_org, lot)


# ---- the dose form ----------------------------------------------------------------------------------------

def test_the_form_preselects_the_earliest_expiring_lot_and_shows_the_verdict_before_saving(client, world):
    _nurse(client, world)
    pfizer = Product.objects.get(key="pfizer")
    sooner = Lot.objects.create(product=pfizer, number="LOT home-sooner", expiry=timezone.localdate() + timedelta(10),
                                doses_per_vial=6)
    stock.move(holder=world.org(K.COMMUNE_STATION), lot=sooner, doses=6, kind=Movement.Kind.RECEIPT, by=None)
    mai = _person(world, "Lò Thị Mai")
    _earlier_dose(world, mai, days_ago=30)
    body = client.get(_dose_url(world, mai)).content.decode()
    assert f'<option value="{sooner.pk}" selected>' in body
    assert f'<option value="{world.vaccination.lots["home"].pk}">' in body
    assert 'data-verdict="eligible"' in body
    assert 'value="proceed" autocomplete="off" checked' in body
    for question in ("acute_illness", "anaphylaxis"):
        assert f'name="answer_{question}"' in body


def test_saving_records_the_dose_and_draws_the_lot(client, world):
    nurse = _nurse(client, world)
    mai = _person(world, "Lò Thị Mai")
    lot = world.vaccination.lots["home"]
    response = _post(client, world, mai, lot=lot.pk, answer_bleeding="on")
    dose = Dose.objects.get(person=mai)
    assert response.status_code == 302 and response.url == reverse("vaccination:dose", kwargs={"pk": dose.pk})
    assert (dose.lot, dose.number, dose.vaccinator, dose.session) == (lot, 1, nurse, world.vaccination.sessions["home"])
    assert dose.screening.answers["bleeding"] is True and dose.screening.answers["anaphylaxis"] is False
    assert str(dose.screening.temperature) == "36.8"
    assert stock.balance(world.org(K.COMMUNE_STATION), lot) == 59
    page = client.get(response.url).content.decode()
    assert "Lò Thị Mai" in page and "LOT home" in page


@pytest.mark.parametrize("case", ["too_early", "too_young"])
def test_an_ineligible_dose_is_refused_with_its_reason_and_saved_with_a_written_override(client, world, case):
    nurse = _nurse(client, world)
    if case == "too_young":
        person = _person(world, "Giàng A Dế", born=timezone.localdate() - timedelta(days=3 * 365))
    else:
        person = _person(world, "Giàng A Dế")
        _earlier_dose(world, person, days_ago=5)
    page = client.get(_dose_url(world, person)).content.decode()
    assert 'data-verdict="ineligible"' in page  # the verdict is shown before saving
    response = _post(client, world, person)
    body = response.content.decode()
    assert response.status_code == 200 and 'data-testid="override-error"' in body
    assert not Dose.objects.filter(person=person, given_on=timezone.localdate()).exists()
    reasons = body.split('data-testid="reasons">')[1].split("</ul>")[0]
    assert "<li>" in reasons
    assert '<div id="override" class="mt-2" data-testid="override">' in body  # the textarea is not hidden

    response = _post(client, world, person, override_reason="Đi làm ăn xa, không quay lại kịp")
    dose = Dose.objects.get(person=person, given_on=timezone.localdate())
    assert response.status_code == 302
    assert dose.override_reason == "Đi làm ăn xa, không quay lại kịp" and dose.override_codes
    event = AuditEvent.objects.get(action="create", object_type="vaccination.Dose", object_id=str(dose.pk))
    assert event.reason == "Đi làm ăn xa, không quay lại kịp" and event.actor == nurse
    assert "override" in event.changes
    assert "Đi làm ăn xa" in client.get(response.url).content.decode()


def test_out_of_stock_is_said_clearly_and_nothing_is_saved(client, world):
    _nurse(client, world)
    station, lot = world.org(K.COMMUNE_STATION), world.vaccination.lots["home"]
    stock.move(holder=station, lot=lot, doses=-60, kind=Movement.Kind.WASTED, by=None)
    mai = _person(world, "Lò Thị Mai")
    assert 'data-testid="no-stock"' in client.get(_dose_url(world, mai)).content.decode()
    response = _post(client, world, mai)
    body = response.content.decode()
    assert response.status_code == 200
    with translation.override("vi"):
        expected = gettext("Out of stock: no lot of %(product)s left at %(holder)s.") % {
            "product": "Pfizer", "holder": station.name}
    assert expected in body
    assert not Dose.objects.filter(person=mai).exists()
    assert not Screening.objects.filter(person=mai).exists()
    # A lot emptied between loading the form and saving it is refused too.
    response = _post(client, world, mai, lot=lot.pk)
    assert vi("This lot is not in stock at the site, or it has expired.") in response.content.decode()
    assert not Dose.objects.filter(person=mai).exists()


@pytest.mark.parametrize("override", ["", "Lý do ghi đè"])
def test_a_double_submit_records_one_dose(client, world, override):
    _nurse(client, world)
    mai = _person(world, "Lò Thị Mai")
    first = _post(client, world, mai, override_reason=override)
    second = _post(client, world, mai, override_reason=override)
    dose = Dose.objects.get(person=mai)
    assert first.url == second.url == reverse("vaccination:dose", kwargs={"pk": dose.pk})
    messages = [str(m) for m in second.wsgi_request._messages]
    assert vi("This dose was already recorded (Save pressed twice?): nothing more was saved.") in messages
    assert stock.balance(world.org(K.COMMUNE_STATION), world.vaccination.lots["home"]) == 59


def test_a_deferral_records_the_screening_and_no_dose(client, world):
    _nurse(client, world)
    mai = _person(world, "Lò Thị Mai")
    response = _post(client, world, mai, outcome="defer", answer_acute_illness="on", temperature="38.4")
    assert response.url == reverse("vaccination:session_record", kwargs={"pk": world.vaccination.sessions["home"].pk})
    assert not Dose.objects.filter(person=mai).exists()
    screening = Screening.objects.get(person=mai)
    assert screening.outcome == "defer" and screening.answers["acute_illness"] is True


def test_the_form_suggests_deferring_after_a_yes_and_keeps_bad_input_without_saving(client, world):
    _nurse(client, world)
    mai = _person(world, "Lò Thị Mai")
    response = _post(client, world, mai, temperature="55", answer_acute_illness="on")
    assert response.status_code == 200 and not Screening.objects.filter(person=mai).exists()
    body = response.content.decode()
    assert f'data-testid="suggestion">{vi("Defer")}<' in body
    assert 'name="answer_acute_illness" id="id_answer_acute_illness" value="on" data-if-yes="defer" checked' in body
    response = _post(client, world, mai, product="")
    assert vi("Choose the vaccine.") in response.content.decode()


def test_a_closed_session_records_nothing(client, world):
    _nurse(client, world)
    Session.objects.filter(pk=world.vaccination.sessions["home"].pk).update(status=Session.Status.CLOSED)
    mai = _person(world, "Lò Thị Mai")
    response = _post(client, world, mai)
    assert vi("This session is closed.") in response.content.decode()
    assert not Dose.objects.filter(person=mai).exists()


def test_the_save_view_adds_few_queries_to_the_service(client, world, django_assert_max_num_queries, monkeypatch):
    """The POST is benchmarked at 200 requests/s: around the service, the view reads the session, the person,
    the product and the named lot, and nothing per lot or per product."""
    _nurse(client, world)
    mai = _person(world, "Lò Thị Mai")
    calls = []

    def service(**kwargs):
        calls.append(kwargs)
        return services.Recorded(world.vaccination.doses["home"], None, None)

    monkeypatch.setattr(services, "record_dose", service)
    with django_assert_max_num_queries(12):
        response = _post(client, world, mai, lot=world.vaccination.lots["home"].pk)
    assert response.status_code == 302 and calls[0]["lot"] == world.vaccination.lots["home"]
    assert calls[0]["product"].key == "pfizer" and calls[0]["person"] == mai


# ---- undo -------------------------------------------------------------------------------------------------

def test_the_vaccinator_undoes_her_dose_and_the_vaccine_returns_to_stock(client, world):
    _nurse(client, world)
    mai = _person(world, "Lò Thị Mai")
    _post(client, world, mai)
    dose = Dose.objects.get(person=mai)
    assert 'data-testid="undo"' in client.get(reverse("vaccination:dose", kwargs={"pk": dose.pk})).content.decode()
    response = client.post(reverse("vaccination:dose_undo", kwargs={"pk": dose.pk}))
    assert response.url == reverse("vaccination:dose", kwargs={"pk": dose.pk})
    dose.refresh_from_db()
    assert dose.undone_at is not None
    assert stock.balance(world.org(K.COMMUNE_STATION), world.vaccination.lots["home"]) == 60
    page = client.get(response.url).content.decode()
    assert 'data-testid="undone"' in page and 'data-testid="undo"' not in page
    assert client.get(reverse("vaccination:dose_undo", kwargs={"pk": dose.pk})).status_code == 405
    # Undo pressed twice: the dose page says so, and nothing moves again.
    again = client.post(reverse("vaccination:dose_undo", kwargs={"pk": dose.pk}), follow=True)
    assert again.redirect_chain[-1][0] == reverse("vaccination:dose", kwargs={"pk": dose.pk})
    assert gettext("This dose was already undone: nothing more was changed.") in again.content.decode()
    assert stock.balance(world.org(K.COMMUNE_STATION), world.vaccination.lots["home"]) == 60


def test_only_the_vaccinator_may_undo_and_another_commune_gets_404(client, world):
    _nurse(client, world)
    mai = _person(world, "Lò Thị Mai")
    _post(client, world, mai)
    dose = Dose.objects.get(person=mai)
    _nurse(client, world, Role.MOBILE_STATION)  # same commune, another vaccinator
    assert 'data-testid="undo"' not in client.get(reverse("vaccination:dose", kwargs={"pk": dose.pk})).content.decode()
    client.post(reverse("vaccination:dose_undo", kwargs={"pk": dose.pk}))
    dose.refresh_from_db()
    assert dose.undone_at is None
    _nurse(client, world, where="neighbour")
    assert client.get(reverse("vaccination:dose", kwargs={"pk": dose.pk})).status_code == 404
    assert client.post(reverse("vaccination:dose_undo", kwargs={"pk": dose.pk})).status_code == 404
    dose.refresh_from_db()
    assert dose.undone_at is None


# ---- AEFI -------------------------------------------------------------------------------------------------

def _aefi(client, dose: Dose, severity: str, **fields):
    data = {"symptoms": ["fever", "breathing"], "onset": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "severity": severity, "outcome": "hospitalised", "description": "Khó thở sau 20 phút", **fields}
    return client.post(reverse("vaccination:aefi_new", kwargs={"pk": dose.pk}), data)


def test_a_serious_aefi_is_attached_to_the_dose_and_alerts_the_cdc(client, world):
    _nurse(client, world)
    dose = world.vaccination.doses["home"]
    assert client.get(reverse("vaccination:aefi_new", kwargs={"pk": dose.pk})).status_code == 200
    response = _aefi(client, dose, "serious")
    assert response.url == reverse("vaccination:dose", kwargs={"pk": dose.pk})
    aefi = Aefi.objects.filter(dose=dose).latest("reported_at")
    assert aefi.severity == "serious" and aefi.symptoms == ["fever", "breathing"]
    assert Message.objects.filter(kind="aefi.serious", organization=world.vaccination.cdc).exists()
    page = client.get(response.url).content.decode()
    assert vi("Difficulty breathing") in page and "Khó thở sau 20 phút" in page


def test_a_mild_aefi_alerts_nobody_and_bad_input_saves_nothing(client, world):
    _nurse(client, world)
    dose = world.vaccination.doses["home"]
    before = Aefi.objects.count()
    _aefi(client, dose, "mild", outcome="recovered")
    assert Aefi.objects.count() == before + 1 and not Message.objects.filter(kind="aefi.serious").exists()
    yesterday = (timezone.localtime() - timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    response = _aefi(client, dose, "mild", onset=yesterday)
    assert response.status_code == 200 and Aefi.objects.count() == before + 1
    response = _aefi(client, dose, "mild", symptoms=[], description="")
    assert vi("Tick the symptoms or describe them.") in response.content.decode()


def test_another_communes_dose_gets_no_aefi(client, world):
    _nurse(client, world, where="neighbour")
    dose = world.vaccination.doses["home"]
    before = Aefi.objects.count()
    assert client.get(reverse("vaccination:aefi_new", kwargs={"pk": dose.pk})).status_code == 404
    assert _aefi(client, dose, "serious").status_code == 404
    assert Aefi.objects.count() == before and not Message.objects.filter(kind="aefi.serious").exists()


# ---- registering on the spot ------------------------------------------------------------------------------

def test_a_new_person_is_registered_in_the_sessions_commune_and_goes_on_to_the_dose(client, world):
    _nurse(client, world)
    session = world.vaccination.sessions["home"]
    response = client.post(reverse("vaccination:session_person_new", kwargs={"pk": session.pk}), {
        "full_name": "Vàng Thị Dua", "sex": "F", "birth_year": "1985", "nationality": "VN",
        "commune": world.communes["neighbour"].pk})
    person = Person.objects.get(full_name="Vàng Thị Dua")
    assert person.commune == world.communes["home"]
    assert response.url == _dose_url(world, person)


def test_roles_that_cannot_register_people_are_told_so(client, world):
    _nurse(client, world, Role.MOBILE_STATION)
    session = world.vaccination.sessions["home"]
    body = client.get(reverse("vaccination:session_record", kwargs={"pk": session.pk})).content.decode()
    assert reverse("vaccination:session_person_new", kwargs={"pk": session.pk}) not in body
    assert client.get(reverse("vaccination:session_person_new", kwargs={"pk": session.pk})).status_code == 403


# ---- another commune's objects ----------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["session_record", "session_person_new", "dose_new", "dose", "dose_undo",
                                  "aefi_new"])
def test_every_screen_answers_404_for_another_communes_object_and_audits_the_attempt(client, world, name):
    nurse = _nurse(client, world, where="neighbour")
    v = world.vaccination
    kwargs, model = {
        "session_record": ({"pk": v.sessions["home"].pk}, "vaccination.Session"),
        "session_person_new": ({"pk": v.sessions["home"].pk}, "vaccination.Session"),
        "dose_new": ({"session_pk": v.sessions["home"].pk, "person_pk": world.people["home"].pk},
                     "vaccination.Session"),
        "dose": ({"pk": v.doses["home"].pk}, "vaccination.Dose"),
        "dose_undo": ({"pk": v.doses["home"].pk}, "vaccination.Dose"),
        "aefi_new": ({"pk": v.doses["home"].pk}, "vaccination.Dose"),
    }[name]
    url = reverse(f"vaccination:{name}", kwargs=kwargs)
    counts = (Dose.all_objects.count(), Screening.objects.count(), Aefi.objects.count(), Person.objects.count())
    assert client.get(url).status_code in (404, 405)
    assert client.post(url, {"product": "pfizer", "outcome": "proceed", "full_name": "X", "sex": "M",
                             "birth_year": "1980", "severity": "mild", "symptoms": "fever",
                             "onset": timezone.localtime().strftime("%Y-%m-%dT%H:%M")}).status_code == 404
    assert counts == (Dose.all_objects.count(), Screening.objects.count(), Aefi.objects.count(),
                      Person.objects.count())
    assert Dose.all_objects.get(pk=v.doses["home"].pk).undone_at is None
    assert AuditEvent.objects.filter(action="denied", actor=nurse, object_type=model).exists()


@pytest.mark.django_db(transaction=True)
def test_two_saves_at_the_same_moment_record_one_dose(reference_data):
    """Two phones (or a double tap that the browser did not stop) posting together: the person's row lock and
    the one-live-dose-per-person-day-vaccine constraint leave exactly one dose, and both answers are clean."""
    import threading

    from django.db import connection
    from django.test import Client

    from .world import build_world

    world = build_world()
    mai = _person(world, "Lò Thị Mai")
    user = world.user(Role.COMMUNE_STATION)
    barrier, statuses = threading.Barrier(2), []

    def save(override: str) -> None:
        client = Client()
        client.force_login(user)
        barrier.wait()
        try:
            statuses.append(_post(client, world, mai, override_reason=override).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=save, args=(override,)) for override in ("", "Lý do")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [302, 302]
    assert Dose.objects.filter(person=mai).count() == 1
    assert stock.balance(world.org(K.COMMUNE_STATION), world.vaccination.lots["home"]) == 59


# ---- review fixes -----------------------------------------------------------------------------------------

def test_a_role_without_vaccination_rights_may_not_open_a_dose_its_unit_gave(client, world):
    """A facility's staff see the doses their unit gave (the jurisdiction), but the page carries the screening
    answers: 403 for roles that do not work with vaccination; another area's dose is still 404 first."""
    facility = world.org(K.TREATMENT_FACILITY)
    site = Site.objects.create(name="SITE home-facility", commune=world.communes["home"], organization=facility)
    dose = Dose.objects.create(person=_person(world, "Lò Thị Mai"), product=Product.objects.get(key="pfizer"),
                               given_on=timezone.localdate(), number=1, site=site, organization=facility)
    url = reverse("vaccination:dose", kwargs={"pk": dose.pk})
    _nurse(client, world, Role.FACILITY)
    assert client.get(url).status_code == 403
    assert client.get(reverse("vaccination:dose", kwargs={"pk": world.vaccination.doses["home"].pk})).status_code \
        == 404
    _nurse(client, world)  # the commune station holds the person's commune and vaccinates: it reads the page
    assert client.get(url).status_code == 200


def test_undo_after_the_session_closed_is_refused_with_its_reason(client, world):
    nurse = _nurse(client, world)
    mai = _person(world, "Lò Thị Mai")
    _post(client, world, mai)
    dose = Dose.objects.get(person=mai)
    services.close_session(actor=nurse, session=world.vaccination.sessions["home"])
    balance = stock.balance(world.org(K.COMMUNE_STATION), world.vaccination.lots["home"])
    page = client.get(reverse("vaccination:dose", kwargs={"pk": dose.pk})).content.decode()
    assert 'data-testid="undo"' not in page
    response = client.post(reverse("vaccination:dose_undo", kwargs={"pk": dose.pk}), follow=True)
    assert vi("This session is closed and what was left in its open vials was discarded: the dose can no longer "
              "be undone.") in response.content.decode()
    dose.refresh_from_db()
    assert dose.undone_at is None
    assert stock.balance(world.org(K.COMMUNE_STATION), world.vaccination.lots["home"]) == balance


def test_a_double_submitted_aefi_is_saved_and_alerted_once(client, world):
    _nurse(client, world)
    dose = world.vaccination.doses["home"]
    before = Aefi.objects.filter(dose=dose).count()
    onset = timezone.localtime().strftime("%Y-%m-%dT%H:%M")  # the form posted twice carries the same onset
    first, second = _aefi(client, dose, "serious", onset=onset), _aefi(client, dose, "serious", onset=onset)
    assert first.url == second.url == reverse("vaccination:dose", kwargs={"pk": dose.pk})
    assert Aefi.objects.filter(dose=dose).count() == before + 1
    assert Message.objects.filter(kind="aefi.serious").count() == 2  # one e-mail and one SMS to the CDC
    messages = [str(m) for m in second.wsgi_request._messages]
    assert vi("This adverse event was already reported a moment ago (Save pressed twice?): nothing more was saved, "
              "and no second alert was sent.") in messages


def test_the_vaccinate_page_reads_stock_in_one_query_whatever_the_number_of_sessions(client, world):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    _nurse(client, world)
    url = reverse("vaccination:record")

    def queries() -> tuple[int, str]:
        with CaptureQueriesContext(connection) as captured:
            body = client.get(url).content.decode()
        return len(captured), body

    baseline, _body = queries()
    vero = Product.objects.get(key="vero_cell")
    today = timezone.localdate()
    for kind in (K.MOBILE_STATION, K.VACCINATION_SITE, K.SCHOOL):
        holder = world.org(kind)
        site = Site.objects.create(name=f"SITE home-{kind}", commune=world.communes["home"], organization=holder)
        Session.objects.create(site=site, date=today, team=f"TEAM {kind}")
        for product, days in ((vero, 20), (Product.objects.get(key="pfizer"), 40), (vero, 10)):
            lot = Lot.objects.create(product=product, number=f"LOT {kind}-{days}", doses_per_vial=2,
                                     expiry=today + timedelta(days=days))
            stock.move(holder=holder, lot=lot, doses=4, kind=Movement.Kind.RECEIPT, by=None)
    count, body = queries()
    assert count == baseline
    for kind in (K.MOBILE_STATION, K.VACCINATION_SITE, K.SCHOOL):
        assert f"TEAM {kind}" in body
    rows = {session.team: products for session, products in client.get(url).context["rows"]}
    products = rows[f"TEAM {K.VACCINATION_SITE}"]
    assert [product.key for product, _lots in products] == ["pfizer", "vero_cell"]
    assert [lot.number for lot, _n in products[1][1]] == [f"LOT {K.VACCINATION_SITE}-10",
                                                          f"LOT {K.VACCINATION_SITE}-20"]
