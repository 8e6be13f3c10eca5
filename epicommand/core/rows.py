"""One row in or out without the ORM's query compiler, for the busiest requests (a saved dose, the audit event
every change leaves, the signed-in account every request reads): building those statements cost more CPU than
the database spent running them. Each statement is built once per model and database; values still go through
the model fields' own conversions, so a row written is the row `save()` would write and an instance read is
the one the ORM would build."""

from __future__ import annotations

from django.db import DEFAULT_DB_ALIAS, connections, models


def current():
    """The default database's connection itself. The `connection` proxy looks it up again (a context-local
    lookup) on every attribute read, and a saved dose's field conversions read it dozens of times."""
    return connections[DEFAULT_DB_ALIAS]


_INSERTS: dict[tuple, tuple[str, list[models.Field], str]] = {}


def _insert_plan(model: type[models.Model], expressions: tuple[tuple[str, str], ...]
                 ) -> tuple[str, list[models.Field], str]:
    """The INSERT of a new row of `model` (every concrete field but the automatic key), the fields whose values
    it takes as parameters, in order (those not given an SQL expression by attname in `expressions`), and the
    clause returning the new key where the database has one ("" elsewhere)."""
    db = current()
    key = (model, db.vendor, expressions)
    plan = _INSERTS.get(key)
    if plan is None:
        meta = model._meta
        fields = [f for f in meta.local_concrete_fields if f is not meta.auto_field]
        given = dict(expressions)
        if unknown := set(given) - {f.attname for f in fields}:
            raise ValueError(f"{model.__name__} has no column {', '.join(sorted(unknown))} to write")
        quote = db.ops.quote_name
        sql = (f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) "
               f"VALUES ({', '.join(given.get(f.attname, '%s') for f in fields)})")
        returning = (f" RETURNING {quote(meta.pk.column)}" if db.features.can_return_columns_from_insert
                     else "")
        plan = _INSERTS[key] = (sql, [f for f in fields if f.attname not in given], returning)
    return plan


def insert_statement(obj: models.Model, **expressions: str) -> tuple[str, list]:
    """The INSERT of `obj` as SQL and its parameters, values as `save()` would write them (`pre_save`,
    `get_db_prep_save`: defaults and auto_now_add applied to `obj` too). A column named in `expressions` by
    its attname takes that SQL expression instead of the object's value: the key of a row written earlier in
    the same statement (record_sql.save_dose)."""
    sql, fields, _returning = _insert_plan(type(obj), tuple(sorted(expressions.items())))
    return sql, _values(obj, fields)


def _values(obj: models.Model, fields: list[models.Field]) -> list:
    db = current()
    return [f.get_db_prep_save(f.pre_save(obj, True), db) for f in fields]


def insert(obj: models.Model) -> models.Model:
    """INSERT one new row for `obj` and give it its primary key, as `obj.save()` would. No signals are sent:
    only for models that need none."""
    sql, fields, returning = _insert_plan(type(obj), ())
    with current().cursor() as cursor:
        cursor.execute(sql + returning, _values(obj, fields))
        pk = cursor.fetchone()[0] if returning else cursor.lastrowid
    return saved(obj, pk)


def saved(obj: models.Model, pk) -> models.Model:
    """`obj` as `save()` leaves it once its row is written with primary key `pk`."""
    obj.pk = pk
    obj._state.adding = False
    obj._state.db = DEFAULT_DB_ALIAS
    return obj


# ---- one long statement of a fixed shape -----------------------------------------------------------------

_NATIVE: dict[str, str] = {}


def fetch_one(sql: str, params: list) -> tuple | None:
    """Run one statement and give its first row. For a long statement of a fixed shape, run again and again
    (the saved dose's writes, record_sql.save_dose): on PostgreSQL it goes with the database's own placeholders
    ($1, $2…), worked out once per statement, because psycopg parses the %s placeholders of a statement of more
    than 50 parameters afresh on every run (it keeps only smaller ones), which cost more than the database
    spent running it. Errors come as Django's. While queries are logged (DEBUG, tests counting statements) it
    runs as any other: the log writes out each statement with its values, which needs the %s placeholders."""
    db = current()
    if db.vendor != "postgresql" or db.queries_logged:
        with db.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchone()
    native = _NATIVE.get(sql)
    if native is None:
        if "%%" in sql:
            raise ValueError("fetch_one() takes no escaped percent signs")
        parts = sql.split("%s")
        native = _NATIVE[sql] = "".join(f"{part}${n}" for n, part in enumerate(parts[:-1], 1)) + parts[-1]
    from psycopg import RawCursor  # only ever imported with PostgreSQL in use

    db.ensure_connection()
    raw = RawCursor(db.connection)
    with db.make_cursor(raw) as cursor:
        cursor.execute(native, params)
        return cursor.fetchone()


# ---- reading one row with the rows its foreign keys name ------------------------------------------------------

_SELECTS: dict[tuple, tuple[str, list[tuple]]] = {}


def _converters(field: models.Field, table: str) -> tuple[list, object]:
    """The functions the ORM passes a value of this column through on reading it (SQLite's text dates, flags…)."""
    column, db = field.get_col(table), current()
    return [*db.ops.get_db_converters(column), *field.get_db_converters(db)], column


def _select_plan(model: type[models.Model], related: tuple[str, ...]) -> tuple[str, list[tuple]]:
    db = current()
    key = (model, related, db.vendor)
    plan = _SELECTS.get(key)
    if plan is None:
        quote = db.ops.quote_name
        # (path, the foreign key, its model, alias, the path of the row holding the key), parents first.
        parts: list[tuple] = [("", None, model, "t0", None)]
        aliases, joins = {"": ("t0", model)}, []
        for n, path in enumerate(sorted(related, key=lambda p: p.count("__")), start=1):
            parent_path, _sep, name = path.rpartition("__")
            parent_alias, parent_model = aliases[parent_path]
            field = parent_model._meta.get_field(name)
            alias = f"t{n}"
            aliases[path] = (alias, field.related_model)
            parts.append((path, field, field.related_model, alias, parent_path))
            joins.append(f"LEFT JOIN {quote(field.related_model._meta.db_table)} {alias} "
                         f"ON {alias}.{quote(field.target_field.column)} = {parent_alias}.{quote(field.column)}")
        columns, layout = [], []
        for path, field, part_model, alias, parent_path in parts:
            fields = list(part_model._meta.concrete_fields)
            columns += [f"{alias}.{quote(f.column)}" for f in fields]
            layout.append((path, field, parent_path, part_model, [f.attname for f in fields],
                           [_converters(f, part_model._meta.db_table) for f in fields],
                           fields.index(part_model._meta.pk)))
        sql = (f"SELECT {', '.join(columns)} FROM {quote(model._meta.db_table)} t0 {' '.join(joins)} "
               f"WHERE t0.{quote(model._meta.pk.column)} = %s")
        plan = _SELECTS[key] = (sql, layout)
    return plan


def select_one(model: type[models.Model], pk, related: tuple[str, ...] = ()) -> models.Model | None:
    """The row of `model` with primary key `pk`, with the rows its foreign keys `related` name already attached
    (as `select_related` would; "site__organization" names the site's unit), or None."""
    if isinstance(pk, int) and not -2**63 <= pk < 2**63:
        return None  # a key no column holds names no row, as the ORM answers (the statement would overflow)
    sql, layout = _select_plan(model, related)
    db = current()
    with db.cursor() as cursor:
        cursor.execute(sql, [pk])
        row = cursor.fetchone()
    if row is None:
        return None
    found: dict[str, models.Model | None] = {}
    start = 0
    for path, field, parent_path, part_model, attnames, converters, pk_at in layout:
        values = list(row[start:start + len(attnames)])
        start += len(attnames)
        for i, (functions, column) in enumerate(converters):
            for convert in functions:
                values[i] = convert(values[i], column, db)
        # A foreign key naming nothing joins only NULLs (a null primary key): no instance, as select_related.
        instance = None if values[pk_at] is None else part_model.from_db(db.alias, attnames, values)
        found[path] = instance
        if field is not None and found[parent_path] is not None:
            field.set_cached_value(found[parent_path], instance)
    return found[""]
