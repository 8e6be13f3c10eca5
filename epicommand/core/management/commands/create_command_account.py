import os
from getpass import getpass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from epicommand.core.models import Place
from epicommand.core.services.accounts import bootstrap_command_account


class Command(BaseCommand):
    help = ("Create a command-centre account for the whole province: the first account of a new instance. "
            "The password is asked for, or read from EPICOMMAND_INITIAL_PASSWORD.")

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--full-name", default="")
        parser.add_argument("--province", default=settings.PROVINCE_CODE)

    def handle(self, *args, username: str, full_name: str, province: str, **options):
        place = Place.objects.filter(structure="current", level="province", code=province.zfill(2)).first()
        if place is None:
            raise CommandError(f"Province {province} is not loaded: run load_places --province {province} first.")
        password = os.environ.get("EPICOMMAND_INITIAL_PASSWORD") or getpass("Password: ")
        try:
            account = bootstrap_command_account(username=username, password=password, province=place,
                                                full_name=full_name)
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from None
        self.stdout.write(f"Created command-centre account {account.username} for {place.name}.")
