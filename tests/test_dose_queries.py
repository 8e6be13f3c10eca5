"""Saving the dose form is the busiest request of a campaign day: its statements are counted here, so that one
more query (or a statement per earlier dose) fails a test rather than a vaccination site's rush hour. Also the
one-statement readers behind it (the lots the site holds, the person under lock)."""

from __future__ import annotations

from contextlib import nullcontext
from datetime import date, timedelta

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from epicommand.core import rows
from epicommand.core.models import AuditEvent
from epicommand.core.roles import Role
from epicommand.core.text import fold
from epicommand.people.models import Person
from epicommand.vaccination import coverage, record_sql, services, stock
from epicommand.vaccination.eligibility import PastDose
from epicommand.vaccination.models import (
    CoverageDay,
    Dose,
    Lot,
    Movement,
    Product,
    Session,
    SessionLot,
    Stock,
    VaccinationStatus,
)

pytestmark = pytest.mark.django_db

# Statements of one saved dose, transaction control (BEGIN, SAVEPOINT, COMMIT…) aside:
#   user with its place and unit          authentication (the session itself is read from the cache)
#   session, person                       the jurisdiction module (a commune's area needs no query of its own)
#   lots with their vaccine               the view (the rules of the day come from the cache)
#   person locked with the session's status; doses and stored status read, the session's status read again
#   under lock, and the stock taken, in one statement on PostgreSQL (three elsewhere)
#   then the screening, dose, ledger row, vials, coverage status, coverage facts and audit event: one statement
#   on PostgreSQL (record_sql.save_dose), seven elsewhere
# (the session is renewed at most once a minute: in tests the minute stands still, see conftest.py)
WRITES_TOGETHER = 7


def dose_post_statements() -> int:
    return 7 if connection.vendor == "postgresql" else 8 + WRITES_TOGETHER


CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")


def _person(world, name: str, born: date = date(1985, 3, 1)) -> Person:
    return Person.objects.create(full_name=name, name_folded=fold(name), sex="M", birth_date=born,
                                 birth_year=born.year, commune=world.communes["home"])


def _post(client, world, person: Person, *, logged: bool = True, **fields) -> list[str]:
    """Save the dose form; the statements it ran, when `logged` (without, statements go as in production:
    core.rows.fetch_one sends PostgreSQL's own placeholders only while queries are not logged)."""
    url = reverse("vaccination:dose_new", kwargs={"session_pk": world.vaccination.sessions["home"].pk,
                                                  "person_pk": person.pk})
    with CaptureQueriesContext(connection) if logged else nullcontext() as captured:
        assert connection.queries_logged == logged
        response = client.post(url, {"product": "pfizer", "outcome": "proceed", **fields})
    assert response.status_code == 302 and "/vaccination/doses/" in response["Location"], response.content[-2000:]
    return [q["sql"] for q in captured.captured_queries] if logged else []


def _statements(queries: list[str]) -> list[str]:
    return [sql for sql in queries if not sql.upper().startswith(CONTROL)]


def _listing(queries: list[str]) -> str:
    return "\n".join(f"{n:2} {sql[:160]}" for n, sql in enumerate(queries))


@pytest.fixture
def nurse(client, world):
    client.force_login(world.user(Role.COMMUNE_STATION))
    # The session's first dose opens it and its first vial of a lot creates the vial count: a one-off per
    # session and lot, left out of the count below.
    _post(client, world, _person(world, "Người mở buổi"))
    return client


@pytest.mark.parametrize("named_lot", [True, False], ids=["lot named", "earliest lot"])
def test_saving_a_dose_costs_a_fixed_handful_of_statements(nurse, world, named_lot):
    lot = Stock.objects.filter(holder=world.vaccination.sites["home"].organization, doses__gt=0).first().lot_id
    queries = _post(nurse, world, _person(world, "Lò Văn Đếm"), **({"lot": lot} if named_lot else {}))
    statements = _statements(queries)
    assert len(statements) == dose_post_statements(), _listing(statements)
    assert sum('INSERT INTO "vaccination_dose"' in sql for sql in statements) == 1


def test_the_count_does_not_grow_with_the_persons_earlier_doses(nurse, world):
    pfizer = Product.objects.get(key="pfizer")
    veteran = _person(world, "Lò Văn Ba Mũi", date(1970, 1, 1))
    for days_ago in (400, 370):  # a complete primary series: today's dose is a booster
        Dose.objects.create(person=veteran, product=pfizer, given_on=timezone.localdate() - timedelta(days=days_ago),
                            number=1, historical=True)
    newcomer = _person(world, "Lò Văn Mới")
    assert len(_statements(_post(nurse, world, veteran))) == len(_statements(_post(nurse, world, newcomer)))
    assert Dose.objects.get(person=veteran, given_on=timezone.localdate()).kind == "booster"


def test_the_dose_its_stock_coverage_and_audit_are_written_in_one_transaction(nurse, world):
    queries = _post(nurse, world, _person(world, "Lò Thị Giao Dịch"))
    opened = next(n for n, sql in enumerate(queries) if sql.upper().startswith(("SAVEPOINT", "BEGIN")))
    closed = next(n for n, sql in enumerate(queries) if n > opened and sql.upper().startswith(("RELEASE", "COMMIT")))
    inside = "\n".join(queries[opened:closed])
    for table in ("vaccination_screening", "vaccination_dose", "vaccination_stock", "vaccination_movement",
                  "vaccination_sessionlot", "vaccination_vaccinationstatus", "vaccination_coverageday",
                  "core_auditevent"):
        assert table in inside, f"{table} written outside the dose's transaction:\n{_listing(queries)}"
    dose = Dose.objects.latest("id")
    assert AuditEvent.objects.filter(object_type="vaccination.Dose", object_id=str(dose.pk)).count() == 1


def _facts(person: Person) -> dict[tuple, int]:
    return {(row.day, row.stage): row.people for row in CoverageDay.objects.filter(commune=person.commune)}


def test_the_rows_written_together_are_the_rows_of_the_dose(nurse, world):
    """What save_dose writes in one statement (PostgreSQL) or seven (SQLite): each row complete, and pointing at
    the others (screening, ledger reference, audit object), for a first dose and for a booster over a stored
    status."""
    today = timezone.localdate()
    pfizer = Product.objects.get(key="pfizer")
    user = world.user(Role.COMMUNE_STATION)
    session = world.vaccination.sessions["home"]
    newcomer = _person(world, "Lò Văn Đủ Dòng")
    veteran = _person(world, "Lò Thị Nhắc Lại", date(1970, 1, 1))
    for days_ago in (400, 370):
        Dose.objects.create(person=veteran, product=pfizer, given_on=today - timedelta(days=days_ago), number=1,
                            historical=True)
    coverage.refresh_people([veteran.pk])
    stored = VaccinationStatus.objects.get(person=veteran)
    rows._NATIVE.clear()
    for person, kind, doses in ((newcomer, "primary", 1), (veteran, "booster", 3)):
        facts_before = _facts(person)
        vials_before = dict(SessionLot.objects.filter(session=session).values_list("lot", "doses_given"))
        _post(nurse, world, person, logged=False)
        dose = Dose.objects.select_related("screening", "lot").get(person=person, given_on=today)
        assert (dose.kind, dose.number, dose.vaccinator, dose.lot_number) == (kind, doses, user, dose.lot.number)
        assert (dose.screening.person_id, dose.screening.outcome, dose.screening.by) == (person.pk, "proceed", user)
        movement = Movement.objects.get(reference=f"dose:{dose.pk}")
        assert (movement.kind, movement.doses, movement.by, movement.lot_id, movement.holder_id) == (
            "administered", -1, user, dose.lot_id, dose.organization_id)
        assert movement.balance_after == stock.balance(dose.organization, dose.lot)
        assert SessionLot.objects.get(session=session, lot=dose.lot).doses_given == vials_before[dose.lot_id] + 1
        status = VaccinationStatus.objects.get(person=person)
        assert (status.doses, status.last_on, status.last_product) == (doses, today, "pfizer")
        event = AuditEvent.objects.get(object_type="vaccination.Dose", object_id=str(dose.pk))
        assert (event.actor, event.object_repr, event.place_path) == (user, str(dose), person.commune.path)
        assert event.changes["kind"] == [None, kind]
        stage = "first" if kind == "primary" else "booster"
        assert _facts(person).get((today, stage), 0) == facts_before.get((today, stage), 0) + 1
    assert (status.first_on, status.primary_on, status.booster_on) == (stored.first_on, stored.primary_on, today)
    if connection.vendor == "postgresql":  # the statement went with PostgreSQL's own placeholders
        assert any('INSERT INTO "vaccination_dose"' in sql and "$1" in native for sql, native in rows._NATIVE.items())


def test_the_lots_in_stock_come_with_their_vaccine_in_one_statement(world):
    station = world.vaccination.sites["home"].organization
    today = timezone.localdate()
    pfizer, moderna = Product.objects.get(key="pfizer"), Product.objects.get(key="moderna")
    Stock.objects.filter(holder=station).delete()

    def lot(number: str, product: Product, expires_in: int, doses: int) -> Lot:
        made = Lot.objects.create(product=product, number=number, expiry=today + timedelta(days=expires_in),
                                  doses_per_vial=6)
        if doses:
            stock.move(holder=station, lot=made, doses=doses, kind=Movement.Kind.RECEIPT, by=None)
        return made

    later, sooner = lot("LATER", pfizer, 90, 12), lot("SOONER", pfizer, 20, 6)
    lot("EXPIRED", pfizer, -1, 6)
    emptied = lot("EMPTIED", pfizer, 30, 6)
    stock.move(holder=station, lot=emptied, doses=-6, kind=Movement.Kind.ADMINISTERED, by=None)
    lot("OTHER VACCINE", moderna, 30, 6)
    with CaptureQueriesContext(connection) as captured:
        found = services.lots_in_stock(station, "pfizer", today)
        assert [(row.number, n, row.product.key, row.expiry) for row, n in found] == [
            ("SOONER", 6, "pfizer", sooner.expiry), ("LATER", 12, "pfizer", later.expiry)]
    assert len(captured.captured_queries) == 1
    assert found == services.lots_available(station, pfizer, today)
    Product.objects.filter(pk=pfizer.pk).update(is_active=False)
    assert services.lots_in_stock(station, "pfizer", today) == []


def test_a_refused_draw_inside_a_transaction_leaves_it_usable(world):
    """stock.move takes no savepoint inside the caller's transaction: a draw it refuses must have written
    nothing, so a caller that catches OutOfStock (an allocation skipping a drained lot) carries on."""
    station = world.vaccination.sites["home"].organization
    row = Stock.objects.filter(holder=station, doses__gt=0).select_related("lot").first()
    with transaction.atomic():
        with pytest.raises(stock.OutOfStock):
            stock.move(holder=station, lot=row.lot, doses=-(row.doses + 1), kind=Movement.Kind.WASTED, by=None)
        stock.move(holder=station, lot=row.lot, doses=-1, kind=Movement.Kind.WASTED, by=None)
    assert stock.balance(station, row.lot) == row.doses - 1
    assert Movement.objects.filter(lot=row.lot, kind=Movement.Kind.WASTED).count() == 1


def test_the_person_is_read_under_lock_with_the_sessions_status(world):
    session = world.vaccination.sessions["home"]
    person = _person(world, "Lò Văn Khoá", date(2001, 7, 9))
    with transaction.atomic():
        locked = record_sql.lock_person(person.pk, session.pk)
    assert locked == record_sql.Locked(commune_id=world.communes["home"].pk, birth_date=date(2001, 7, 9),
                                       birth_year=2001, priority_group="", pregnant=False,
                                       session_status=session.status)
    with transaction.atomic():
        assert record_sql.lock_person(person.pk + 10_000, session.pk) is None


def test_the_history_statement_opens_the_session_and_takes_the_dose(world):
    """record_sql.history reads the person's doses and, in the same statement on PostgreSQL, opens a planned
    session, reads its status under lock and takes the dose from stock: the balance left, or None when too few
    doses are left (and nothing is taken)."""
    pfizer = Product.objects.get(key="pfizer")
    session = world.vaccination.sessions["home"]
    Session.objects.filter(pk=session.pk).update(status=Session.Status.PLANNED)
    station = session.site.organization
    row = Stock.objects.filter(holder=station, doses__gt=0).first()
    person = _person(world, "Lò Văn Lịch Sử")
    Dose.objects.create(person=person, product=pfizer, given_on=date(2021, 9, 1), number=1, historical=True)
    with transaction.atomic():
        read = record_sql.history(person.pk, session_id=session.pk, opening=True, taking=(station.pk, row.lot_id, 1))
    assert read == record_sql.History(None, [PastDose(date(2021, 9, 1), "pfizer", "primary")], "open", row.doses - 1)
    assert Session.objects.get(pk=session.pk).status == Session.Status.OPEN
    assert stock.balance(station, row.lot) == row.doses - 1
    with transaction.atomic():
        assert record_sql.history(person.pk, session_id=session.pk, taking=(station.pk, row.lot_id, row.doses)
                                  ).balance is None
        assert record_sql.history(person.pk) == record_sql.History(None, read.doses, None, None)
    assert stock.balance(station, row.lot) == row.doses - 1  # nothing taken when too few are left
    with transaction.atomic(), pytest.raises(Person.DoesNotExist):
        record_sql.history(person.pk + 10_000, session_id=session.pk)


def test_a_dose_the_rules_refuse_takes_nothing_from_stock_and_leaves_the_session_planned(world):
    """The stock is taken (and a planned session opened) before the rules are asked, in the statement that
    reads the doses: a refusal rolls both back, and the rules' reason comes before the stock's."""
    session = world.vaccination.sessions["home"]
    Session.objects.filter(pk=session.pk).update(status=Session.Status.PLANNED)
    session.refresh_from_db()
    station = session.site.organization
    pfizer = Product.objects.get(key="pfizer")
    vaccinator = world.user(Role.COMMUNE_STATION)
    held = dict(Stock.objects.filter(holder=station).values_list("lot", "doses"))
    ledger = Movement.objects.count()
    child = _person(world, "Lò Văn Nhỏ", timezone.localdate() - timedelta(days=365 * 3))
    with pytest.raises(services.Ineligible):
        services.record_dose(actor=vaccinator, person=child, session=session, product=pfizer)
    assert Session.objects.get(pk=session.pk).status == Session.Status.PLANNED
    assert dict(Stock.objects.filter(holder=station).values_list("lot", "doses")) == held
    assert Movement.objects.count() == ledger
    # Out of stock too: the rules still answer first; then the stock's refusal, for a lot chosen or not.
    lot = Lot.objects.get(pk=next(iter(held)))
    Stock.objects.filter(holder=station).update(doses=0)
    with pytest.raises(services.Ineligible):
        services.record_dose(actor=vaccinator, person=child, session=session, product=pfizer, lot=lot)
    adult = _person(world, "Lò Văn Lớn")
    for chosen in (None, lot):
        with pytest.raises(stock.OutOfStock):
            services.record_dose(actor=vaccinator, person=adult, session=session, product=pfizer, lot=chosen)
    assert not Dose.objects.filter(person__in=[child, adult]).exists()
    assert Session.objects.get(pk=session.pk).status == Session.Status.PLANNED


def test_a_session_closed_while_the_dose_waited_refuses_it(world, monkeypatch):
    """The session's status is read again under lock with the doses (a closing may have come between the page
    and the lock): a closed session refuses the dose and nothing is taken."""
    session = world.vaccination.sessions["home"]
    station = session.site.organization
    held = dict(Stock.objects.filter(holder=station).values_list("lot", "doses"))
    first_look = record_sql.lock_person

    def closed_after_the_first_look(person_id, session_id):
        locked = first_look(person_id, session_id)
        Session.objects.filter(pk=session_id).update(status=Session.Status.CLOSED)
        return locked

    monkeypatch.setattr(record_sql, "lock_person", closed_after_the_first_look)
    with translation.override("en"), pytest.raises(services.DoseRefused, match="This session is closed"):
        services.record_dose(actor=world.user(Role.COMMUNE_STATION), person=_person(world, "Lò Văn Muộn"),
                             session=session, product=Product.objects.get(key="pfizer"))
    assert dict(Stock.objects.filter(holder=station).values_list("lot", "doses")) == held
