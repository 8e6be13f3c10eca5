"""The statements behind recording a dose, written out once.

The dose form is the busiest write of a campaign day (every vaccination site of a province saving at once),
and building each of its statements through the ORM's query compiler cost more CPU than the
database spent running them. The statements here are plain SQL that SQLite and PostgreSQL both run (the
saved dose's writes go as one statement on PostgreSQL, as several elsewhere); values still go through the model
fields' own conversions, so a row written here is the row the ORM would write.
`services.record_dose` decides what to write; this module only writes and reads it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from django.db import connection, models

from epicommand.core.facts import add_to_facts, facts_upsert
from epicommand.core.models import AuditEvent
from epicommand.core.rows import fetch_one, insert, insert_statement, saved
from epicommand.people.models import Person

from .eligibility import PastDose
from .models import CoverageDay, Dose, Lot, Movement, Product, Screening, Session, SessionLot, Stock, VaccinationStatus


def _table(model: type[models.Model]) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def day(value: date | str | None) -> date | None:
    """A date column read by a plain cursor (SQLite may hand back the ISO text)."""
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def db_day(value: date | None):
    return connection.ops.adapt_datefield_value(value)


# ---- what the site holds --------------------------------------------------------------------------------

def _from_row(model: type[models.Model], fields: list[models.Field], values) -> models.Model:
    """A model instance from the plain values of its columns, as the ORM would build it (these models hold
    only text, numbers, dates and flags; SQLite hands dates back as text and flags as 0/1)."""
    converted = [day(value) if isinstance(field, models.DateField) and not isinstance(field, models.DateTimeField)
                 else bool(value) if isinstance(field, models.BooleanField) and value is not None else value
                 for field, value in zip(fields, values, strict=True)]
    return model.from_db(connection.alias, [f.attname for f in fields], converted)


def lots_in_stock(holder_id: int, product_key: str, on: date, *, lot_id: int | None = None) -> list[tuple[Lot, int]]:
    """The lots of a vaccine in use (named by its code) the holder has doses of and that have not expired on
    `on`, earliest expiry first, each with its doses and its vaccine (services.lots_available, by code)."""
    quote = connection.ops.quote_name
    lot_fields, product_fields = list(Lot._meta.concrete_fields), list(Product._meta.concrete_fields)
    columns = ", ".join([*(f"l.{quote(f.column)}" for f in lot_fields),
                         *(f"pr.{quote(f.column)}" for f in product_fields)])
    sql = (f"SELECT st.doses, {columns} FROM {_table(Stock)} st "
           f"JOIN {_table(Lot)} l ON l.id = st.lot_id JOIN {_table(Product)} pr ON pr.id = l.product_id "
           f"WHERE st.holder_id = %s AND pr.{quote('key')} = %s AND pr.is_active AND l.expiry >= %s AND st.doses > 0 "
           f"{'AND l.id = %s ' if lot_id is not None else ''}ORDER BY l.expiry, l.number")
    with connection.cursor() as cursor:
        cursor.execute(sql, [holder_id, product_key, db_day(on), *([lot_id] if lot_id is not None else [])])
        rows = cursor.fetchall()
    found = []
    product = None
    split = 1 + len(lot_fields)
    for row in rows:
        lot = _from_row(Lot, lot_fields, row[1:split])
        product = product or _from_row(Product, product_fields, row[split:])
        lot.product = product  # one vaccine for all its lots
        found.append((lot, row[0]))
    return found


# ---- the person, under lock ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Locked:
    """The person's row as read under its lock, and the session's status read in the same statement."""

    commune_id: int
    birth_date: date | None
    birth_year: int | None
    priority_group: str
    pregnant: bool
    session_status: str | None


def lock_person(person_id: int, session_id: int) -> Locked | None:
    """Lock the person's row until the end of the transaction and read what the rules need of it, with the
    session's status read afresh (it may have been closed since the form was loaded); None: no such person."""
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    sql = (f"SELECT p.commune_id, p.birth_date, p.birth_year, p.priority_group, p.pregnant, "
           f"(SELECT s.status FROM {_table(Session)} s WHERE s.id = %s) "
           f"FROM {_table(Person)} p WHERE p.id = %s{lock}")
    with connection.cursor() as cursor:
        cursor.execute(sql, [session_id, person_id])
        row = cursor.fetchone()
    if row is None:
        return None
    commune_id, birth_date, birth_year, priority_group, pregnant, status = row
    return Locked(commune_id, day(birth_date), birth_year, priority_group or "", bool(pregnant), status)


@dataclass(frozen=True)
class Counted:
    """Where a person's stored status counts them (the fields coverage.contributions reads)."""

    commune_id: int
    age_group: str
    priority_group: str
    first_on: date | None
    primary_on: date | None
    booster_on: date | None


@dataclass(frozen=True)
class History:
    """What a saved dose reads after the person's lock (history())."""

    counted: Counted | None  # where their stored coverage status counts them (None: no stored status)
    doses: list[PastDose]  # their live doses
    session_status: str | None  # the session's status, read under a share lock (None: not asked)
    balance: int | None  # the stock left once the dose was taken; None: too few doses left, or none asked


def history(person_id: int, *, session_id: int | None = None, opening: bool = False,
            taking: tuple[int, int, int] | None = None) -> History:
    """The person's stored coverage status and live doses. Read after `lock_person`: a statement that waited
    for the lock would see the doses as they were before the wait.

    With `session_id`, the session is opened first if `opening` and it is still planned, then its status is
    read under a share lock held to the end of the transaction (closing a session waits for the doses being
    saved in it, and a dose waiting for a closing sees it closed); with `taking` (holder, lot, doses), then
    that many doses are taken from the holder's stock of the lot if at least that many are there (take()).
    The caller decides on what was read whether to go on, and rolls back what was written if not. On
    PostgreSQL this is one statement, the writes and the lock as parts of a WITH that the SELECT reads in that
    order once the person's row is found: rows are locked person, session, stock, as closing a session and
    undoing a dose lock them. Elsewhere one statement each. Raises Person.DoesNotExist when the person has no
    row (on PostgreSQL the parts would still have run, in no set order)."""
    if (session_id is not None or taking is not None) and not connection.in_atomic_block:
        raise ValueError("history() locks and takes only inside the transaction that records the dose")
    quote = connection.ops.quote_name
    opened = (f"UPDATE {_table(Session)} SET status = %s WHERE id = %s AND status = %s",
              [Session.Status.OPEN.value, session_id, Session.Status.PLANNED.value])
    lock = " FOR SHARE" if connection.features.has_select_for_update else ""
    status = (f"SELECT status FROM {_table(Session)} WHERE id = %s{lock}", [session_id])
    history_sql = (f"vs.person_id, vs.commune_id, vs.age_group, vs.priority_group, vs.first_on, vs.primary_on, "
                   f"vs.booster_on, d.given_on, pr.{quote('key')}, d.kind "
                   f"FROM {_table(Person)} p "
                   f"LEFT JOIN {_table(VaccinationStatus)} vs ON vs.person_id = p.id "
                   f"LEFT JOIN {_table(Dose)} d ON d.person_id = p.id AND d.undone_at IS NULL "
                   f"LEFT JOIN {_table(Product)} pr ON pr.id = d.product_id "
                   f"WHERE p.id = %s")
    session_status = balance = None
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql" or (session_id is None and taking is None):
            if session_id is not None:
                if opening:
                    cursor.execute(*opened)
                cursor.execute(*status)
                session_status = (cursor.fetchone() or [None])[0]
            if taking is not None:
                balance = take(*taking)
            cursor.execute(f"SELECT {history_sql}", [person_id])
            rows = cursor.fetchall()
        else:
            parts, reads = [], []  # the parts of the WITH; what the SELECT reads of them, in that order
            if session_id is not None:
                if opening:
                    parts.append(("so", opened, " RETURNING status"))
                parts.append(("ss", status, ""))
                # The parts of a statement share one snapshot: the row this statement opened is not there for
                # "ss" to lock (it is ours already), and its status is the one "so" returns.
                reads.append("COALESCE((SELECT status FROM so), (SELECT status FROM ss))" if opening
                             else "(SELECT status FROM ss)")
            if taking is not None:
                parts.append(("tk", _take(*taking), " RETURNING doses"))
                reads.append("(SELECT doses FROM tk)")
            with_sql, params = _with(parts)
            cursor.execute(f"{with_sql} SELECT {''.join(f'{read}, ' for read in reads)}{history_sql}",
                           [*params, person_id])
            rows = cursor.fetchall()
            if rows:  # the session's status first, the balance last
                session_status = rows[0][0] if session_id is not None else None
                balance = rows[0][len(reads) - 1] if taking is not None else None
            rows = [row[len(reads):] for row in rows]
    if not rows:
        raise Person.DoesNotExist
    counted = None
    doses: list[PastDose] = []
    for status_of, commune_id, group, priority, first_on, primary_on, booster_on, given_on, product, kind in rows:
        if status_of is not None and counted is None:
            counted = Counted(commune_id, group, priority, day(first_on), day(primary_on), day(booster_on))
        if given_on is not None:
            doses.append(PastDose(day(given_on), product, kind))
    return History(counted, doses, session_status, balance)


# ---- stock and vials ----------------------------------------------------------------------------------

def take(holder_id: int, lot_id: int, doses: int) -> int | None:
    """Take `doses` from the holder's stock of the lot when at least that many are there; the balance left,
    or None when there were too few. One conditional UPDATE: concurrent takers queue on its row lock and each
    sees the others' result, so exactly the doses present can be taken."""
    sql, params = _take(holder_id, lot_id, doses)
    with connection.cursor() as cursor:
        if connection.features.can_return_columns_from_insert:  # UPDATE … RETURNING came with it (SQLite 3.35)
            cursor.execute(sql + " RETURNING doses", params)
            row = cursor.fetchone()
            return None if row is None else row[0]
        cursor.execute(sql, params)
        if not cursor.rowcount:
            return None
        cursor.execute(f"SELECT doses FROM {_table(Stock)} WHERE holder_id = %s AND lot_id = %s", [holder_id, lot_id])
        return cursor.fetchone()[0]


def _take(holder_id: int, lot_id: int, doses: int) -> tuple[str, list]:
    return (f"UPDATE {_table(Stock)} SET doses = doses - %s WHERE holder_id = %s AND lot_id = %s AND doses >= %s",
            [doses, holder_id, lot_id, doses])


def count_vial(session_id: int, lot_id: int, per_vial: int, delta: int) -> bool:
    """Count `delta` doses in (or out of) the session's vials of the lot, opening a vial when the doses given
    need one (vials opened never go down); False when the session has no row for the lot yet."""
    with connection.cursor() as cursor:
        cursor.execute(*_count_vial(session_id, lot_id, per_vial, delta))
        return bool(cursor.rowcount)


def _count_vial(session_id: int, lot_id: int, per_vial: int, delta: int) -> tuple[str, list]:
    greatest = "GREATEST" if connection.vendor == "postgresql" else "MAX"
    per_vial = max(per_vial, 1)
    # Vials needed for n doses: ceil(n / per_vial) = (n + per_vial - 1) / per_vial in integer division, with
    # n = doses_given + delta (the right-hand sides of SET read the row as it was before the UPDATE).
    sql = (f"UPDATE {_table(SessionLot)} SET doses_given = doses_given + %s, "
           f"vials_opened = {greatest}(vials_opened, (doses_given + %s + %s) / %s) "
           f"WHERE session_id = %s AND lot_id = %s")
    return sql, [delta, delta, per_vial - 1, per_vial, session_id, lot_id]


# ---- coverage -----------------------------------------------------------------------------------------

STATUS_COLUMNS = ["commune_id", "age_group", "priority_group", "doses", "first_on", "primary_on", "booster_on",
                  "last_on", "last_product", "next_due"]
DATE_COLUMNS = frozenset({"first_on", "primary_on", "booster_on", "last_on", "next_due"})


def write_status(status) -> None:
    """Store a person's computed status (coverage.Status), whether they had a row or not."""
    with connection.cursor() as cursor:
        cursor.execute(*_write_status(status))


def _write_status(status) -> tuple[str, list]:
    # An upsert: a rebuild may have replaced the table since the person's stored status was read.
    values = [db_day(getattr(status, c)) if c in DATE_COLUMNS else getattr(status, c) for c in STATUS_COLUMNS]
    sql = (f"INSERT INTO {_table(VaccinationStatus)} (person_id, {', '.join(STATUS_COLUMNS)}) "
           f"VALUES (%s, {', '.join(['%s'] * len(STATUS_COLUMNS))}) "
           f"ON CONFLICT (person_id) DO UPDATE SET {', '.join(f'{c} = excluded.{c}' for c in STATUS_COLUMNS)}")
    return sql, [status.person_id, *values]


def delete_status(person_id: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {_table(VaccinationStatus)} WHERE person_id = %s", [person_id])


def bump_facts(deltas: Iterable[tuple[tuple[int, date, str, str, str], int]]) -> None:
    """Add people to fact rows, creating the rows that are missing: one upsert for all of them. The caller
    passes the keys sorted, so concurrent writers lock fact rows in the same order and never deadlock."""
    add_to_facts(CoverageDay, **_facts(deltas))


def _facts(deltas: Iterable[tuple[tuple[int, date, str, str, str], int]]) -> dict:
    return {"keys": ["commune_id", "day", "age_group", "priority_group", "stage"], "counts": ["people"],
            "rows": [(*key, delta) for key, delta in deltas]}


def _with(parts: list[tuple[str, tuple[str, list], str]]) -> tuple[str, list]:
    """The WITH clause of statements run as the parts of one (PostgreSQL): (name, (SQL, parameters), what the
    part returns), and its parameters in order."""
    sql = ", ".join(f"{name} AS ({statement}{tail})" for name, (statement, _params), tail in parts)
    return f"WITH {sql}", [value for _name, (_statement, params), _tail in parts for value in params]


# ---- the saved dose, written at once -------------------------------------------------------------------

def save_dose(*, screening: Screening, dose: Dose, movement: Movement, vials: tuple[int, int, int], status,
              moves: list[tuple[tuple[int, date, str, str, str], int]], event: AuditEvent) -> bool:
    """Write a dose and what goes with it, once its vaccine has been taken from stock (stock.take): the
    screening, the dose, its ledger row, the dose counted in the session's vials of the lot (`vials`: session,
    lot, doses per vial), the person's coverage status (coverage.Status) and the moves of their fact rows
    (coverage.restated), and the audit event; the new rows get their keys (the ledger row's reference and the
    event's object name the dose). False when the session held no vial count of the lot yet: the caller
    creates it.

    On PostgreSQL this is one statement: the writes as the parts of a WITH, each taking the keys it needs from
    the part before (every statement of a saved dose costs more in the sending than in the running). Elsewhere
    one statement each. Either way rows are locked in the same order as refresh_people() and an undo lock
    them: vials, status, fact rows."""
    vial = _count_vial(*vials, +1)
    status_row = _write_status(status)
    facts = facts_upsert(CoverageDay, **_facts(moves))
    if connection.vendor != "postgresql":
        insert(screening)
        dose.screening = screening
        insert(dose)
        movement.reference = f"dose:{dose.pk}"
        insert(movement)
        with connection.cursor() as cursor:
            cursor.execute(*vial)
            counted = bool(cursor.rowcount)
            for statement in (status_row, facts):
                if statement is not None:
                    cursor.execute(*statement)
        event.object_id = str(dose.pk)
        insert(event)
        return counted
    # The parts run in the order the SELECT below reads them (PostgreSQL runs a part of a WITH when its rows
    # are first read); the fact rows, read by nothing, after all of them.
    key = " RETURNING id"  # the automatic keys of screenings, doses, ledger rows and audit events
    parts = [("sc", insert_statement(screening), key),
             ("d", insert_statement(dose, screening_id="(SELECT id FROM sc)"), key),
             ("m", insert_statement(movement, reference="'dose:' || (SELECT id FROM d)"), key),
             ("a", insert_statement(event, object_id="(SELECT id FROM d)::text"), key),
             ("v", vial, " RETURNING 1"),
             ("st", status_row, " RETURNING 1"),
             *([("f", facts, "")] if facts is not None else [])]
    with_sql, params = _with(parts)
    screening_id, dose_id, movement_id, event_id, counted, _status = fetch_one(
        f"{with_sql} SELECT (SELECT id FROM sc), (SELECT id FROM d), (SELECT id FROM m), (SELECT id FROM a), "
        f"(SELECT count(*) FROM v), (SELECT count(*) FROM st)", params)
    saved(screening, screening_id)
    dose.screening = screening
    saved(dose, dose_id)
    movement.reference = f"dose:{dose_id}"
    saved(movement, movement_id)
    event.object_id = str(dose_id)
    saved(event, event_id)
    return bool(counted)
