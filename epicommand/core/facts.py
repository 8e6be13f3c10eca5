"""Adding to the small fact tables the dashboards read (per commune × day × …): one upsert for many rows.

`INSERT … ON CONFLICT (key) DO UPDATE SET count = count + excluded.count` runs on SQLite and PostgreSQL alike.
An update-then-insert would let two services adding the first row of a key at once both insert (a uniqueness
error on PostgreSQL). Callers pass their rows sorted by key, so concurrent writers lock fact rows in the same
order and never deadlock."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from django.db import connection, models

from .rows import current


def add_to_facts(model: type[models.Model], *, keys: Sequence[str], counts: Sequence[str],
                 rows: Iterable[Sequence]) -> None:
    """Each row holds the values of `keys` then the amounts to add to `counts`, in that order. The key columns
    must carry a unique constraint on the model."""
    statement = facts_upsert(model, keys=keys, counts=counts, rows=rows)
    if statement is not None:
        with connection.cursor() as cursor:
            cursor.execute(*statement)


def facts_upsert(model: type[models.Model], *, keys: Sequence[str], counts: Sequence[str],
                 rows: Iterable[Sequence]) -> tuple[str, list] | None:
    """The upsert of add_to_facts() as SQL and parameters (None: no rows), for a caller that runs it within a
    statement of its own (the saved dose writes everything in one)."""
    db = current()
    fields = [model._meta.get_field(name) for name in (*keys, *counts)]
    values = [[field.get_db_prep_value(value, db) for field, value in zip(fields, row, strict=True)]
              for row in rows]
    if not values:
        return None
    q = db.ops.quote_name
    table = q(model._meta.db_table)
    columns = [q(field.column) for field in fields]
    key_columns, count_columns = columns[:len(keys)], columns[len(keys):]
    placeholders = "(" + ", ".join(["%s"] * len(columns)) + ")"
    sets = ", ".join(f"{c} = {table}.{c} + excluded.{c}" for c in count_columns)
    sql = (f"INSERT INTO {table} ({', '.join(columns)}) VALUES {', '.join([placeholders] * len(values))} "  # noqa: S608
           f"ON CONFLICT ({', '.join(key_columns)}) DO UPDATE SET {sets}")
    return sql, [value for row in values for value in row]
