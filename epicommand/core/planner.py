"""Planner statistics after bulk loads.

PostgreSQL's autovacuum analyses a table soon after a bulk load. SQLite never does unless asked, and
without statistics its planner takes any equality index as selective: on a province-wide people list it
walked the `merged_into IS NULL` index (every row) and sorted the whole register, 0.8 s at 500,000 people
where the name index answers in milliseconds. Bulk writers (imports, the demo seed) call this at the end."""

from __future__ import annotations

from django.db import connection

# An import smaller than this changes no table's shape enough to matter; ANALYZE reads every index.
BULK_ROWS = 1_000


def refresh_after_bulk_load(rows_written: int) -> bool:
    """Analyse the database after a bulk write on SQLite; True when it did."""
    if connection.vendor != "sqlite" or rows_written < BULK_ROWS:
        return False
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return True
