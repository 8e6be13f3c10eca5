"""The vaccines of DOMAIN.md §4. Their schedules are policies (vaccination.schedule.<key>)."""

from django.db import migrations

PRODUCTS = [
    ("astrazeneca", "AstraZeneca", "AstraZeneca", 10),
    ("sputnik_v", "Sputnik V", "Gamaleya", 5),
    ("janssen", "Janssen", "Johnson & Johnson", 5),
    ("moderna", "Moderna", "Moderna", 10),
    ("pfizer", "Pfizer", "Pfizer-BioNTech", 6),
    ("vero_cell", "Vero Cell", "Sinopharm", 2),
    ("hayat_vax", "Hayat-Vax", "Gulf Pharmaceutical Industries / Sinopharm", 2),
    ("abdala", "Abdala", "CIGB", 10),
]


def forwards(apps, schema_editor):
    Product = apps.get_model("vaccination", "Product")
    for key, name, manufacturer, doses_per_vial in PRODUCTS:
        Product.objects.get_or_create(key=key, defaults={"name": name, "manufacturer": manufacturer,
                                                         "doses_per_vial": doses_per_vial})


class Migration(migrations.Migration):
    dependencies = [("vaccination", "0001_initial")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
