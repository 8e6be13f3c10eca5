"""Substring search on folded names at province scale ("van thang" anywhere in the name).

PostgreSQL: a trigram GIN index (pg_trgm, a trusted extension) that LIKE '%…%' uses as it is.
SQLite: an FTS5 table with the trigram tokenizer over the folded names, kept in step by triggers;
people/search.py queries it. Both are indexes, not domain logic: the rows stay the register's."""

from django.db import migrations

PG_UP = """
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX IF NOT EXISTS person_name_trgm ON people_person USING gin (name_folded gin_trgm_ops);
"""
PG_DOWN = "DROP INDEX IF EXISTS person_name_trgm;"

SQLITE_UP = [
    "CREATE VIRTUAL TABLE people_person_name_fts USING fts5("
    "name_folded, content='people_person', content_rowid='id', tokenize='trigram')",
    "INSERT INTO people_person_name_fts(rowid, name_folded) SELECT id, name_folded FROM people_person",
    "CREATE TRIGGER people_person_fts_ai AFTER INSERT ON people_person BEGIN "
    "INSERT INTO people_person_name_fts(rowid, name_folded) VALUES (new.id, new.name_folded); END",
    "CREATE TRIGGER people_person_fts_ad AFTER DELETE ON people_person BEGIN "
    "INSERT INTO people_person_name_fts(people_person_name_fts, rowid, name_folded) "
    "VALUES ('delete', old.id, old.name_folded); END",
    "CREATE TRIGGER people_person_fts_au AFTER UPDATE OF name_folded ON people_person BEGIN "
    "INSERT INTO people_person_name_fts(people_person_name_fts, rowid, name_folded) "
    "VALUES ('delete', old.id, old.name_folded); "
    "INSERT INTO people_person_name_fts(rowid, name_folded) VALUES (new.id, new.name_folded); END",
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS people_person_fts_au",
    "DROP TRIGGER IF EXISTS people_person_fts_ad",
    "DROP TRIGGER IF EXISTS people_person_fts_ai",
    "DROP TABLE IF EXISTS people_person_name_fts",
]


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_UP, params=None)
    elif vendor == "sqlite":
        for sql in SQLITE_UP:
            schema_editor.execute(sql, params=None)


def backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_DOWN, params=None)
    elif vendor == "sqlite":
        for sql in SQLITE_DOWN:
            schema_editor.execute(sql, params=None)


class Migration(migrations.Migration):
    dependencies = [("people", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
