"""The first version of every policy, from DOMAIN.md. Adds only what is missing; never changes a row."""

from django.db import migrations


def forwards(apps, schema_editor):
    from epicommand.core.policy_defaults import seed

    seed(apps.get_model("core", "PolicyVersion"))


class Migration(migrations.Migration):
    dependencies = [("core", "0002_audit_append_only")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
