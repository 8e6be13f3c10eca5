from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = ("Load an extract of the National Population Database (CCCD, name, date of birth, sex, address; "
            "csv or xlsx) into the reference table, through the import pipeline.")

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--user", help="act as this account (default: the first command-centre account)")

    def handle(self, *args, file, user, **options):
        call_command("import", "population_reference", file, user=user, stdout=self.stdout, stderr=self.stderr)
