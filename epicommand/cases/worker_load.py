"""Home-treatment load per health worker (`WorkerLoad`), read by the command centre: patients under home
treatment now and, of them, those with an open alert. Every service that assigns, starts, ends or changes
the urgency of a home treatment calls `refresh(worker_ids)` inside its transaction; it recounts those
workers from the indexed (worker, status) rows, so the figures never drift, and leaves exactly the rows the
full rebuild (facts_rebuild.rebuild_worker_load) would: one per worker with patients at home, placed at the
worker's commune when their account is bound to one, else at the first commune of their patients.

One upsert statement and one delete, whatever the number of workers: an import batch touches hundreds."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection

from .models import HomeCare, WorkerLoad


def refresh(worker_ids: Iterable[int | None]) -> None:
    ids = sorted({w for w in worker_ids if w is not None})  # key order: concurrent services never deadlock
    if not ids:
        return
    from epicommand.core.models import Place, User

    q = connection.ops.quote_name
    load, home = q(WorkerLoad._meta.db_table), q(HomeCare._meta.db_table)
    user, place = q(User._meta.db_table), q(Place._meta.db_table)
    marks = ", ".join(["%s"] * len(ids))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {load} (worker_id, commune_id, active, alarming) "  # noqa: S608
            f"SELECT h.worker_id, COALESCE(MAX(CASE WHEN p.level = 'commune' THEN u.place_id END), "
            f"MIN(h.commune_id)), COUNT(*), SUM(CASE WHEN h.urgency > 0 THEN 1 ELSE 0 END) "
            f"FROM {home} h JOIN {user} u ON u.id = h.worker_id LEFT JOIN {place} p ON p.id = u.place_id "
            f"WHERE h.status = %s AND h.worker_id IN ({marks}) GROUP BY h.worker_id "
            f"ON CONFLICT (worker_id) DO UPDATE SET commune_id = excluded.commune_id, active = excluded.active, "
            f"alarming = excluded.alarming", [HomeCare.Status.ACTIVE, *ids])
        cursor.execute(
            f"DELETE FROM {load} WHERE worker_id IN ({marks}) AND worker_id NOT IN ("  # noqa: S608
            f"SELECT worker_id FROM {home} WHERE status = %s AND worker_id IN ({marks}))",
            [*ids, HomeCare.Status.ACTIVE, *ids])


def rebuild() -> int:
    from .facts_rebuild import rebuild_worker_load

    return rebuild_worker_load()
