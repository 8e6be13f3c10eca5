"""Recording doses: eligibility and its written override, the lot drawn, vials and open-vial wastage, undo,
AEFI alerts, certificates; and coverage kept current (incremental equals rebuilt)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone

from epicommand.core.models import AuditEvent
from epicommand.core.roles import Role
from epicommand.core.text import fold
from epicommand.notify.models import Message
from epicommand.people.models import Person
from epicommand.vaccination import certificates, coverage, services, stock
from epicommand.vaccination.models import (
    Aefi,
    CoverageDay,
    Dose,
    Lot,
    Movement,
    Product,
    Screening,
    Session,
    SessionLot,
    TargetFact,
    VaccinationStatus,
)

from .world import K

pytestmark = pytest.mark.django_db


def _person(world, name: str, born: date, where: str = "home") -> Person:
    return Person.objects.create(full_name=name, name_folded=fold(name), sex="F", birth_date=born,
                                 birth_year=born.year, commune=world.communes[where])


def _record(world, person, *, product="pfizer", on=None, **kwargs):
    v = world.vaccination
    session = v.sessions["home"]
    if on is not None and session.date != on:
        session = Session.objects.create(site=v.sites["home"], date=on)
    return services.record_dose(actor=world.user(Role.COMMUNE_STATION), person=person, session=session,
                                product=Product.objects.get(key=product), on=on or session.date, **kwargs)


def test_a_dose_draws_the_earliest_expiring_lot_and_is_audited(world):
    station = world.org(K.COMMUNE_STATION)
    today = timezone.localdate()
    pfizer = Product.objects.get(key="pfizer")
    sooner = Lot.objects.create(product=pfizer, number="SOONER", expiry=today + timedelta(days=10), doses_per_vial=6)
    stock.move(holder=station, lot=sooner, doses=6, kind=Movement.Kind.RECEIPT, by=None)
    person = _person(world, "Lò Thị Mai", date(1990, 5, 1))
    recorded = _record(world, person)
    dose = recorded.dose
    assert (dose.lot, dose.number, dose.kind, dose.organization) == (sooner, 1, "primary", station)
    assert stock.balance(station, sooner) == 5
    assert AuditEvent.objects.filter(action="create", object_type="vaccination.Dose", object_id=str(dose.pk)).exists()
    assert recorded.screening.outcome == Screening.Outcome.PROCEED and dose.screening == recorded.screening


@pytest.mark.parametrize("case", ["too_early", "wrong_mix", "too_young"])
def test_an_ineligible_dose_is_refused_with_its_reason_and_saved_only_with_a_written_override(world, case):
    today = timezone.localdate()
    person = _person(world, "Giàng A Dế", date(2008, 1, 1) if case != "too_young" else today - timedelta(days=3 * 365))
    product = "pfizer"
    if case in ("too_early", "wrong_mix"):
        person.birth_date, person.birth_year = date(1980, 1, 1), 1980
        person.save()
        Dose.objects.create(person=person, product=Product.objects.get(key="vero_cell"),
                            given_on=today - timedelta(days=25 if case == "wrong_mix" else 5), number=1)
        product = "pfizer" if case == "wrong_mix" else "vero_cell"
        vero = Lot.objects.create(product=Product.objects.get(key="vero_cell"), number="VERO", doses_per_vial=2,
                                  expiry=today + timedelta(days=60))
        stock.move(holder=world.org(K.COMMUNE_STATION), lot=vero, doses=4, kind=Movement.Kind.RECEIPT, by=None)
    with pytest.raises(services.Ineligible) as refused:
        _record(world, person, product=product)
    expected = {"too_early": "too_early", "wrong_mix": "mixing", "too_young": "too_young"}[case]
    assert expected in refused.value.verdict.codes and refused.value.verdict.reasons
    assert not Dose.objects.filter(person=person, given_on=today).exists()
    reason = "Bác sĩ chỉ định tiêm, đã hội chẩn với tuyến tỉnh"
    dose = _record(world, person, product=product, override_reason=reason).dose
    assert dose.override_reason == reason and expected in dose.override_codes
    event = AuditEvent.objects.get(object_type="vaccination.Dose", object_id=str(dose.pk), action="create")
    assert event.reason == reason and expected in event.changes["override"][1]


def test_a_deferral_is_recorded_without_a_dose(world):
    person = _person(world, "Lò Văn Sáng", date(1970, 2, 2))
    recorded = _record(world, person, answers={"acute_illness": True}, outcome="defer")
    assert recorded.dose is None and recorded.screening.outcome == "defer"
    assert not Dose.objects.filter(person=person).exists()


def test_out_of_stock_and_expired_lots_are_refused_and_nothing_is_written(world):
    station = world.org(K.COMMUNE_STATION)
    today = timezone.localdate()
    person = _person(world, "Tao Thị Hoa", date(1985, 3, 3))
    with pytest.raises(stock.OutOfStock):
        _record(world, person, product="moderna")
    moderna = Product.objects.get(key="moderna")
    old = Lot.objects.create(product=moderna, number="OLD", expiry=today - timedelta(days=1), doses_per_vial=10)
    stock.move(holder=station, lot=old, doses=10, kind=Movement.Kind.RECEIPT, by=None)
    with pytest.raises(services.DoseRefused):
        _record(world, person, product="moderna", lot=old)
    assert not Dose.objects.filter(person=person).exists() and stock.balance(station, old) == 10


def test_undo_returns_the_vaccine_within_the_window_only(world):
    station, lot = world.org(K.COMMUNE_STATION), world.vaccination.lots["home"]
    person = _person(world, "Lù Văn Pả", date(1975, 4, 4))
    before = stock.balance(station, lot)
    dose = _record(world, person, lot=lot).dose
    assert stock.balance(station, lot) == before - 1
    other = world.user(Role.HEALTH_OFFICER)
    with pytest.raises(services.DoseRefused):
        services.undo_dose(actor=other, dose=dose)
    services.undo_dose(actor=world.user(Role.COMMUNE_STATION), dose=dose)
    assert stock.balance(station, lot) == before
    assert not Dose.objects.filter(pk=dose.pk).exists() and Dose.all_objects.get(pk=dose.pk).undone_at
    assert not VaccinationStatus.objects.filter(person=person).exists()
    late = _record(world, person, lot=lot).dose
    Dose.all_objects.filter(pk=late.pk).update(recorded_at=timezone.now() - timedelta(minutes=11))
    late.refresh_from_db()
    with pytest.raises(services.DoseRefused):
        services.undo_dose(actor=world.user(Role.COMMUNE_STATION), dose=late)


def test_closing_a_session_discards_what_is_left_in_open_vials(world):
    station, lot = world.org(K.COMMUNE_STATION), world.vaccination.lots["home"]  # 6 doses a vial
    before = stock.balance(station, lot)
    for n in range(7):
        _record(world, _person(world, f"Người {n}", date(1960 + n, 1, 1)), lot=lot)
    row = SessionLot.objects.get(session=world.vaccination.sessions["home"], lot=lot)
    assert (row.vials_opened, row.doses_given) == (2, 7)
    services.close_session(actor=world.user(Role.COMMUNE_STATION), session=world.vaccination.sessions["home"])
    wasted = Movement.objects.get(lot=lot, kind=Movement.Kind.WASTED)
    assert (wasted.doses, wasted.reason) == (-5, "open_vial")
    assert stock.balance(station, lot) == before - 12
    with pytest.raises(services.DoseRefused):
        _record(world, _person(world, "Muộn", date(1990, 1, 1)), lot=lot)


def test_a_serious_aefi_alerts_the_cdc_at_once(world):
    dose = world.vaccination.doses["home"]
    before = Message.objects.filter(kind="aefi.serious").count()
    services.report_aefi(actor=world.user(Role.COMMUNE_STATION), dose=dose, symptoms=["mild fever"],
                         onset=timezone.now(), severity="mild", outcome="recovered")
    assert Message.objects.filter(kind="aefi.serious").count() == before
    services.report_aefi(actor=world.user(Role.COMMUNE_STATION), dose=dose, symptoms=["anaphylaxis"],
                         onset=timezone.now(), severity="serious", outcome="hospitalised")
    alerts = Message.objects.filter(kind="aefi.serious")
    assert alerts.count() == before + 2 and {m.organization for m in alerts} == {world.vaccination.cdc}
    assert "Pfizer" in alerts.first().body


def test_a_certificate_verifies_with_the_public_key_alone(world, tmp_path, settings):
    settings.EPICOMMAND_CERTIFICATE_KEY = tmp_path / "key.pem"
    settings.EPICOMMAND_CERTIFICATE_KEY_AUTOCREATE = True
    person = world.people["home"]
    certificate = services.issue_certificate(actor=world.user(Role.COMMUNE_STATION), person=person)
    from cryptography.hazmat.primitives.serialization import load_pem_public_key

    key = load_pem_public_key(certificates.public_key_pem().encode())
    payload = certificates.verify(certificate.token, {certificates.kid_of(key): key})
    assert payload["n"] == "P.H.A." and payload["d"] == [[str(timezone.localdate()), "PF", 1]]
    assert "PERSON" not in certificate.token


def _facts() -> dict:
    return {(f.commune_id, f.day, f.age_group, f.priority_group, f.stage): f.people
            for f in CoverageDay.objects.exclude(people=0)}


def _statuses() -> dict:
    return {s.person_id: (s.doses, s.first_on, s.primary_on, s.booster_on, s.next_due)
            for s in VaccinationStatus.objects.all()}


def test_incremental_coverage_agrees_with_a_rebuild(world):
    today = timezone.localdate()
    coverage.rebuild(on=today)  # counts the world's doses, which were written directly
    people = [_person(world, f"Phủ {n}", date(1950 + n, 6, 1), where=("home", "neighbour")[n % 2]) for n in range(6)]
    people[0].priority_group = "frontline"
    people[0].save()
    first = [_record(world, p, on=today - timedelta(days=60)).dose for p in people[:4]]
    second = [_record(world, p, on=today - timedelta(days=30)).dose for p in people[:3]]
    services.undo_dose(actor=world.user(Role.COMMUNE_STATION), dose=second[2])
    assert first and second
    incremental_facts, incremental_status = _facts(), _statuses()
    coverage.rebuild(on=today)
    assert _facts() == incremental_facts
    assert _statuses() == incremental_status
    assert TargetFact.objects.filter(commune=world.communes["home"]).exists()
    home = world.communes["home"]
    primary = sum(f.people for f in CoverageDay.objects.filter(commune=home, stage="primary"))
    assert primary == 1  # people[0] and [2] are home; [2]'s second dose was undone


@pytest.mark.django_db(transaction=True)
def test_fifty_vaccinators_recording_at_once_from_thirty_doses_record_exactly_thirty(reference_data):
    """The whole dose service (screening, eligibility, the draw, vials, coverage) from 50 threads, each on its
    own connection, for 50 different people, against a lot with 30 doses left."""
    import threading

    from django.db import connections

    from .world import build_world

    world = build_world()
    v = world.vaccination
    pfizer = Product.objects.get(key="pfizer")
    lot = Lot.objects.create(product=pfizer, number="RUSH", expiry=timezone.localdate() + timedelta(days=30),
                             doses_per_vial=6)
    site = v.sites["home"]
    # Only this lot is in stock at the site's station, so every draw competes for it.
    Movement.objects.all().delete()
    from epicommand.vaccination.models import Stock

    Stock.objects.filter(holder=site.organization).delete()
    stock.move(holder=site.organization, lot=lot, doses=30, kind=Movement.Kind.RECEIPT, by=None)
    people = [_person(world, f"Người xếp hàng {n}", date(1970 + n % 30, 1 + n % 12, 1)) for n in range(50)]
    nurse = world.user(Role.COMMUNE_STATION)
    start = threading.Barrier(50)
    outcomes: list[str] = []

    def vaccinate(person) -> None:
        try:
            start.wait()
            services.record_dose(actor=nurse, person=person, session=v.sessions["home"], product=pfizer)
            outcomes.append("recorded")
        except stock.OutOfStock as refused:
            assert "Out of stock" in str(refused) or "Hết" in str(refused)
            outcomes.append("out of stock")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=vaccinate, args=(p,)) for p in people]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes.count("recorded") == 30 and outcomes.count("out of stock") == 20
    assert stock.balance(site.organization, lot) == 0
    assert Dose.objects.filter(lot=lot).count() == 30
    assert SessionLot.objects.get(session=v.sessions["home"], lot=lot).doses_given == 30
    assert sum(f.people for f in CoverageDay.objects.filter(stage="first", commune=world.communes["home"])) == 30


# ---- review fixes -----------------------------------------------------------------------------------------

def _vi(message: str) -> str:
    from django.utils import translation
    from django.utils.translation import gettext

    with translation.override("vi"):
        return gettext(message)


def _province_elsewhere():
    from epicommand.core.models import Place

    return Place.objects.create(structure="current", level="province", code="99", name="Tỉnh Khác",
                                short_name="Khác", name_folded="tinh khac", path="99/")


def test_a_serious_aefi_alerts_only_the_cdc_standing_at_the_persons_province(world):
    """A commune may not register its own "CDC" to read every province's alerts, and another province's CDC
    hears nothing of ours."""
    from epicommand.core.models import Organization

    K = Organization.Kind
    fake = Organization.objects.create(name="CDC giả xã", name_folded="cdc gia xa", kind=K.CDC,
                                       place=world.communes["home"])
    elsewhere = Organization.objects.create(name="CDC tỉnh khác", name_folded="cdc tinh khac", kind=K.CDC,
                                            place=_province_elsewhere())
    services.report_aefi(actor=world.user(Role.COMMUNE_STATION), dose=world.vaccination.doses["home"],
                         symptoms=["anaphylaxis"], onset=timezone.now(), severity="serious", outcome="hospitalised")
    alerts = Message.objects.filter(kind="aefi.serious")
    assert alerts.count() == 2 and {m.organization for m in alerts} == {world.vaccination.cdc}
    assert not alerts.filter(organization__in=[fake, elsewhere]).exists()


def test_without_a_provincial_cdc_only_the_provinces_health_officers_are_alerted(world):
    from epicommand.core.models import Organization

    from .world import make_user

    # Only commune-level "CDC" units are left: they do not count, the officers hear of it instead.
    Organization.objects.filter(pk=world.vaccination.cdc.pk).update(is_active=False)
    Organization.objects.create(name="CDC giả xã", name_folded="cdc gia xa", kind=Organization.Kind.CDC,
                                place=world.communes["home"])
    stranger = make_user("other.officer", Role.HEALTH_OFFICER, place=_province_elsewhere())
    services.report_aefi(actor=world.user(Role.COMMUNE_STATION), dose=world.vaccination.doses["home"],
                         symptoms=["seizure"], onset=timezone.now(), severity="serious", outcome="hospitalised")
    alerts = Message.objects.filter(kind="aefi.serious")
    assert {m.recipient for m in alerts} == {world.user(Role.HEALTH_OFFICER)}
    assert not alerts.filter(organization__isnull=False).exists() and not alerts.filter(recipient=stranger).exists()


def test_the_same_aefi_reported_twice_in_a_row_is_refused_and_alerts_once(world):
    dose, nurse = world.vaccination.doses["home"], world.user(Role.COMMUNE_STATION)
    onset = timezone.now().replace(second=0, microsecond=0)
    report = {"actor": nurse, "dose": dose, "onset": onset, "severity": "serious", "outcome": "hospitalised"}
    first = services.report_aefi(symptoms=["breathing", "anaphylaxis"], **report)
    with pytest.raises(services.AlreadyReported):
        services.report_aefi(symptoms=["anaphylaxis", "breathing"], **report)
    assert list(Aefi.objects.filter(dose=dose, severity="serious")) == [first]
    assert Message.objects.filter(kind="aefi.serious").count() == 2  # e-mail and SMS to the one CDC, once
    # A different report on the same dose is a new event, and the same one long after is one too.
    services.report_aefi(symptoms=["seizure"], **report)
    Aefi.objects.filter(dose=dose).update(reported_at=timezone.now() - timedelta(minutes=30))
    services.report_aefi(symptoms=["breathing", "anaphylaxis"], **report)
    assert Aefi.objects.filter(dose=dose, severity="serious").count() == 3


def test_a_dose_cannot_be_undone_once_its_session_is_closed(world):
    """Closing discards the rest of the opened vial; an undo afterwards would return wasted vaccine to stock."""
    station, lot = world.org(K.COMMUNE_STATION), world.vaccination.lots["home"]
    nurse = world.user(Role.COMMUNE_STATION)
    dose = _record(world, _person(world, "Lò Thị Mai", date(1990, 5, 1)), lot=lot).dose
    assert services.may_undo(nurse, dose)
    services.close_session(actor=nurse, session=world.vaccination.sessions["home"])
    after_close = stock.balance(station, lot)
    assert not services.may_undo(nurse, dose)
    with pytest.raises(services.DoseRefused) as refused:
        services.undo_dose(actor=nurse, dose=dose)
    assert str(refused.value) == _vi("This session is closed and what was left in its open vials was discarded: the "
                                     "dose can no longer be undone.")
    assert stock.balance(station, lot) == after_close and Dose.objects.filter(pk=dose.pk).exists()
    assert not Movement.objects.filter(kind=Movement.Kind.UNDONE).exists()


def test_the_timeline_sorts_an_aefi_at_dawn_after_that_days_dose(world):
    """06:00 in Lai Châu is 23:00 UTC the day before: read on the UTC clock, the reaction came before the dose."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from epicommand.people import timeline

    person = _person(world, "Lò Thị Mai", date(1990, 5, 1))
    day = timezone.localdate() - timedelta(days=3)
    dose = Dose.objects.create(person=person, product=Product.objects.get(key="pfizer"), given_on=day, number=1)
    dawn = datetime(day.year, day.month, day.day, 6, 0, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))
    Aefi.objects.create(dose=dose, symptoms=["fever"], onset=dawn, severity="mild")
    Aefi.objects.create(dose=dose, symptoms=["rash"], onset=dawn - timedelta(days=1, hours=2), severity="mild")
    with timezone.override("Asia/Ho_Chi_Minh"):
        found = timeline.entries(person, world.user(Role.COMMUNE_STATION))
    order = [entry.kind for entry in found if entry.kind in ("dose", "aefi")]
    assert order == ["aefi", "dose", "aefi"]  # newest first: dawn of the dose day, the dose, the day before


@pytest.mark.django_db(transaction=True)
def test_closing_a_session_while_a_dose_is_drawn_from_the_same_lot_never_fails(reference_data, monkeypatch):
    """Another vaccinator draws from the lot between the close reading the balance and discarding the open vial:
    the close holds the stock row, the draw waits and then finds nothing left, and the close succeeds."""
    import threading

    from django.db import connections

    from epicommand.vaccination.models import Stock

    from .world import build_world

    world = build_world()
    v, station = world.vaccination, world.org(K.COMMUNE_STATION)
    lot = Lot.objects.create(product=Product.objects.get(key="pfizer"), number="LAST VIAL",
                             expiry=timezone.localdate() + timedelta(days=30), doses_per_vial=6)
    Stock.objects.filter(holder=station).delete()
    stock.move(holder=station, lot=lot, doses=6, kind=Movement.Kind.RECEIPT, by=None)
    _record(world, _person(world, "Lò Thị Mai", date(1990, 5, 1)), lot=lot)  # one vial opened, 5 doses left in it
    original, outcomes, threads = stock.move, [], []

    def draw() -> None:
        try:
            original(holder=station, lot=lot, doses=-1, kind=Movement.Kind.ADMINISTERED, by=None)
            outcomes.append("drawn")
        except stock.OutOfStock:
            outcomes.append("out of stock")
        finally:
            connections.close_all()

    def move_with_a_draw_in_between(**kwargs):
        if kwargs["kind"] == Movement.Kind.WASTED and not outcomes:
            other = threading.Thread(target=draw)
            threads.append(other)
            other.start()
            other.join(timeout=2)  # done at once without the lock; waits for the close's commit with it
            if other.is_alive():
                outcomes.append("waited")
        return original(**kwargs)

    monkeypatch.setattr(stock, "move", move_with_a_draw_in_between)
    movements = services.close_session(actor=world.user(Role.COMMUNE_STATION), session=v.sessions["home"])
    monkeypatch.setattr(stock, "move", original)
    for thread in threads:
        thread.join(timeout=10)
    assert [m.doses for m in movements] == [-5]
    assert Session.objects.get(pk=v.sessions["home"].pk).status == Session.Status.CLOSED
    assert stock.balance(station, lot) == 0
    assert outcomes[-1] == "out of stock"
