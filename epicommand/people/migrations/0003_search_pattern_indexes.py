"""PostgreSQL indexes for the search box at province scale.

Prefix searches (a CCCD, a phone, an insurance number or a name typed from its start) are LIKE 'x%',
which a plain btree serves only under the C collation; pattern_ops indexes serve them under any. The
village filter matches anywhere in the name, upper-cased as Django's icontains does: a trigram index on
that expression. SQLite needs none of these (its LIKE on these columns scans a commune at most, or uses
the FTS index of migration 0002 for names)."""

from django.db import migrations

INDEXES = {
    "person_name_like": "(name_folded varchar_pattern_ops)",
    "person_cccd_like": "(cccd varchar_pattern_ops)",
    "person_phone_like": "(phone varchar_pattern_ops)",
    "person_insurance_like": "(insurance_number varchar_pattern_ops)",
    "person_village_trgm": "USING gin (UPPER(village) gin_trgm_ops)",
}


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for name, definition in INDEXES.items():
            schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON people_person {definition}", params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for name in INDEXES:
            schema_editor.execute(f"DROP INDEX IF EXISTS {name}", params=None)


class Migration(migrations.Migration):
    dependencies = [("people", "0002_name_search_index")]
    operations = [migrations.RunPython(forwards, backwards)]
