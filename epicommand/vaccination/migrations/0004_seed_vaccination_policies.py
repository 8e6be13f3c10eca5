"""Policy defaults added with doses, stock and coverage (undo window, certificate validity, stock warnings,
the low-coverage threshold, the Ministry's 11 priority groups): the same idempotent seed as core's."""

from django.db import migrations


def forwards(apps, schema_editor):
    from epicommand.core.policy_defaults import seed

    seed(apps.get_model("core", "PolicyVersion"))


class Migration(migrations.Migration):
    dependencies = [("core", "0005_seed_booster_products"), ("vaccination", "0003_campaigns_doses_coverage")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
