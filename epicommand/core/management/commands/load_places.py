from django.core.management.base import BaseCommand, CommandError

from epicommand.core.places import UnknownProvince, load_province


class Command(BaseCommand):
    help = "Load a province's administrative units (current and pre-2025, with the old→new map)."

    def add_arguments(self, parser):
        parser.add_argument("--province", required=True, help="GSO province code, e.g. 12 for Lai Châu")

    def handle(self, *args, province: str, **options):
        try:
            r = load_province(province)
        except UnknownProvince:
            raise CommandError(f"Unknown province code: {province}") from None
        self.stdout.write(
            f"{r.province}: {r.current_communes} current communes/wards; "
            f"pre-2025: {r.legacy_districts} districts, {r.legacy_communes} communes "
            f"({r.legacy_communes - len(r.unmapped_legacy)} mapped to a current commune). "
            f"Created {r.created}, updated {r.updated}."
        )
        if r.unmapped_legacy:
            self.stderr.write("Not mapped: " + ", ".join(r.unmapped_legacy))
