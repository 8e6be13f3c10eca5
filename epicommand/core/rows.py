"""Inserting one new row without the ORM's query compiler, for the writes of the busiest requests (a saved
dose, the audit event every change leaves): building the INSERT cost more CPU than the database spent running
it. The statement is built once per model and database; values still go through the model fields' own
conversions, so the row written is the row `save()` would write."""

from __future__ import annotations

from django.db import connection, models

_INSERTS: dict[tuple[type[models.Model], str], tuple[str, list[models.Field], bool]] = {}


def _insert_plan(model: type[models.Model]) -> tuple[str, list[models.Field], bool]:
    key = (model, connection.vendor)
    plan = _INSERTS.get(key)
    if plan is None:
        meta = model._meta
        fields = [f for f in meta.local_concrete_fields if f is not meta.auto_field]
        quote = connection.ops.quote_name
        returning = connection.features.can_return_columns_from_insert
        sql = (f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) "
               f"VALUES ({', '.join(['%s'] * len(fields))})")
        if returning:
            sql += f" RETURNING {quote(meta.pk.column)}"
        plan = _INSERTS[key] = (sql, fields, returning)
    return plan


def insert(obj: models.Model) -> models.Model:
    """INSERT one new row for `obj` and give it its primary key, as `obj.save()` would: every concrete field,
    defaults and auto_now_add applied by the fields themselves (`pre_save`, `get_db_prep_save`). No signals
    are sent: only for models that need none."""
    sql, fields, returning = _insert_plan(type(obj))
    values = [f.get_db_prep_save(f.pre_save(obj, True), connection) for f in fields]
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        obj.pk = cursor.fetchone()[0] if returning else cursor.lastrowid
    obj._state.adding = False
    obj._state.db = connection.alias
    return obj
