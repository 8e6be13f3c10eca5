"""Writing many rows fast: COPY on PostgreSQL, executemany on SQLite. Callers pass plain tuples of
database-ready values (dates as date, JSON already as text), inside their own transaction."""

from __future__ import annotations

from django.db import connection, models


def insert_rows(model: type[models.Model], fields: list[str], rows: list[tuple]) -> None:
    if not rows:
        return
    meta = model._meta
    table = connection.ops.quote_name(meta.db_table)
    columns = ", ".join(connection.ops.quote_name(meta.get_field(f).column) for f in fields)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join(["%s"] * len(fields))
            cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", rows)  # noqa: S608
