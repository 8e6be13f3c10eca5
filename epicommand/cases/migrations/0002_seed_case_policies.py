"""Policy defaults added with testing and cases (which results confirm a case, pool size, test fees, hours
without a home entry, the key-staff alert share): the same idempotent seed as core's."""

from django.db import migrations


def forwards(apps, schema_editor):
    from epicommand.core.policy_defaults import seed

    seed(apps.get_model("core", "PolicyVersion"))


class Migration(migrations.Migration):
    dependencies = [("core", "0005_seed_booster_products"), ("cases", "0001_initial")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
