"""Defaults added since 0003 (the booster products). The same idempotent seed: only what is missing."""

from django.db import migrations


def forwards(apps, schema_editor):
    from epicommand.core.policy_defaults import seed

    seed(apps.get_model("core", "PolicyVersion"))


class Migration(migrations.Migration):
    dependencies = [("core", "0004_audit_base_manager_guarded")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
