"""The statements behind recording a dose, written out once.

The dose form is the busiest write of a campaign day (every vaccination site of a province saving at once),
and building each of its statements through the ORM's query compiler cost more CPU than the
database spent running them. The statements here are plain SQL that SQLite and PostgreSQL both run; values
still go through the model fields' own conversions, so a row written here is the row the ORM would write.
`services.record_dose` decides what to write; this module only writes and reads it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from django.db import connection, models

from epicommand.core.facts import add_to_facts
from epicommand.people.models import Person

from .eligibility import PastDose
from .models import CoverageDay, Dose, Lot, Product, Session, SessionLot, Stock, VaccinationStatus


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


def history(person_id: int) -> tuple[Counted | None, list[PastDose]]:
    """The person's stored coverage status and live doses, in one statement. Read after `lock_person`: a
    statement that waited for the lock would see the doses as they were before the wait."""
    sql = (f"SELECT vs.person_id, vs.commune_id, vs.age_group, vs.priority_group, vs.first_on, vs.primary_on, "
           f"vs.booster_on, d.given_on, pr.{connection.ops.quote_name('key')}, d.kind "
           f"FROM {_table(Person)} p "
           f"LEFT JOIN {_table(VaccinationStatus)} vs ON vs.person_id = p.id "
           f"LEFT JOIN {_table(Dose)} d ON d.person_id = p.id AND d.undone_at IS NULL "
           f"LEFT JOIN {_table(Product)} pr ON pr.id = d.product_id "
           f"WHERE p.id = %s")
    with connection.cursor() as cursor:
        cursor.execute(sql, [person_id])
        rows = cursor.fetchall()
    counted = None
    doses: list[PastDose] = []
    for status_of, commune_id, group, priority, first_on, primary_on, booster_on, given_on, product, kind in rows:
        if status_of is not None and counted is None:
            counted = Counted(commune_id, group, priority, day(first_on), day(primary_on), day(booster_on))
        if given_on is not None:
            doses.append(PastDose(day(given_on), product, kind))
    return counted, doses


# ---- stock and vials ----------------------------------------------------------------------------------

def take(holder_id: int, lot_id: int, doses: int) -> int | None:
    """Take `doses` from the holder's stock of the lot when at least that many are there; the balance left,
    or None when there were too few. One conditional UPDATE: concurrent takers queue on its row lock and each
    sees the others' result, so exactly the doses present can be taken."""
    table = _table(Stock)
    sql = f"UPDATE {table} SET doses = doses - %s WHERE holder_id = %s AND lot_id = %s AND doses >= %s"
    with connection.cursor() as cursor:
        if connection.features.can_return_columns_from_insert:  # UPDATE … RETURNING came with it (SQLite 3.35)
            cursor.execute(sql + " RETURNING doses", [doses, holder_id, lot_id, doses])
            row = cursor.fetchone()
            return None if row is None else row[0]
        cursor.execute(sql, [doses, holder_id, lot_id, doses])
        if not cursor.rowcount:
            return None
        cursor.execute(f"SELECT doses FROM {table} WHERE holder_id = %s AND lot_id = %s", [holder_id, lot_id])
        return cursor.fetchone()[0]


def count_vial(session_id: int, lot_id: int, per_vial: int, delta: int) -> bool:
    """Count `delta` doses in (or out of) the session's vials of the lot, opening a vial when the doses given
    need one (vials opened never go down); False when the session has no row for the lot yet."""
    greatest = "GREATEST" if connection.vendor == "postgresql" else "MAX"
    per_vial = max(per_vial, 1)
    # Vials needed for n doses: ceil(n / per_vial) = (n + per_vial - 1) / per_vial in integer division, with
    # n = doses_given + delta (the right-hand sides of SET read the row as it was before the UPDATE).
    sql = (f"UPDATE {_table(SessionLot)} SET doses_given = doses_given + %s, "
           f"vials_opened = {greatest}(vials_opened, (doses_given + %s + %s) / %s) "
           f"WHERE session_id = %s AND lot_id = %s")
    with connection.cursor() as cursor:
        cursor.execute(sql, [delta, delta, per_vial - 1, per_vial, session_id, lot_id])
        return bool(cursor.rowcount)


# ---- coverage -----------------------------------------------------------------------------------------

STATUS_COLUMNS = ["commune_id", "age_group", "priority_group", "doses", "first_on", "primary_on", "booster_on",
                  "last_on", "last_product", "next_due"]
DATE_COLUMNS = frozenset({"first_on", "primary_on", "booster_on", "last_on", "next_due"})


def write_status(status, *, exists: bool) -> None:
    """Store a person's computed status (coverage.Status): an UPDATE of the row that exists, else an INSERT."""
    values = [db_day(getattr(status, c)) if c in DATE_COLUMNS else getattr(status, c) for c in STATUS_COLUMNS]
    table = _table(VaccinationStatus)
    with connection.cursor() as cursor:
        if exists:
            sets = ", ".join(f"{c} = %s" for c in STATUS_COLUMNS)
            cursor.execute(f"UPDATE {table} SET {sets} WHERE person_id = %s", [*values, status.person_id])
            exists = bool(cursor.rowcount)  # gone meanwhile (a rebuild replaced the table): insert it, as save() would
        if not exists:
            cursor.execute(f"INSERT INTO {table} (person_id, {', '.join(STATUS_COLUMNS)}) "
                           f"VALUES (%s, {', '.join(['%s'] * len(STATUS_COLUMNS))})", [status.person_id, *values])


def delete_status(person_id: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {_table(VaccinationStatus)} WHERE person_id = %s", [person_id])


def bump_facts(deltas: Iterable[tuple[tuple[int, date, str, str, str], int]]) -> None:
    """Add people to fact rows, creating the rows that are missing: one upsert for all of them. The caller
    passes the keys sorted, so concurrent writers lock fact rows in the same order and never deadlock."""
    add_to_facts(CoverageDay, keys=["commune_id", "day", "age_group", "priority_group", "stage"], counts=["people"],
                 rows=[(*key, delta) for key, delta in deltas])
