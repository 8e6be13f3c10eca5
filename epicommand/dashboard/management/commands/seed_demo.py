import os

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import timezone, translation

from epicommand.cases.demo import seed_cases
from epicommand.core import demo, planner
from epicommand.core.models import Place
from epicommand.people.demo import seed_population
from epicommand.people.models import Person
from epicommand.vaccination.demo import seed_vaccination


class Command(BaseCommand):
    help = ("Create the demo organizations and one demo account per role (idempotent), and a synthetic "
            "population: --people N (deterministic for a given --seed), then its vaccination history, lots "
            "and today's open sessions (--no-vaccination to skip), then tests, cases at home and in facilities "
            "with their beds, referrals and key staff (--no-cases to skip). A register that already holds people is "
            "left as it is; doses are added only to a register without historical doses.")

    def add_arguments(self, parser):
        parser.add_argument("--province", default=settings.PROVINCE_CODE)
        parser.add_argument("--people", type=int, default=0, help="how many synthetic people to add")
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--no-vaccination", dest="vaccination", action="store_false",
                            help="skip the demo vaccination data (doses, lots, sites, today's sessions)")
        parser.add_argument("--no-cases", dest="cases", action="store_false",
                            help="skip the demo testing and case data (beds, tests, pools, cases, home treatment, "
                                 "referrals, key staff)")

    def handle(self, *args, province: str, people: int, seed: int, vaccination: bool = True,
               cases: bool = True, **options):
        translation.activate("vi")
        # The demo password is made on first use and kept under var/ (never in the code).
        logins = settings.VAR_DIR / "demo_logins.txt"
        password_file = settings.VAR_DIR / "demo_password"
        password = os.environ.get("EPICOMMAND_DEMO_PASSWORD") or (
            password_file.read_text().strip() if password_file.exists() else demo.new_password()
        )
        settings.VAR_DIR.mkdir(parents=True, exist_ok=True)
        password_file.write_text(password)
        password_file.chmod(0o600)
        accounts = demo.seed(province.zfill(2), password)
        lines = [f"Demo logins (password for all: {password}):"]
        lines += [f"  {username:<18} {label}" for username, label in accounts]
        logins.write_text("\n".join(lines) + "\n")
        logins.chmod(0o600)
        self.stdout.write("\n".join(lines))
        if people and not Person.objects.exists():
            place = Place.objects.get(structure="current", level="province", code=province.zfill(2))
            written = seed_population(place, people, seed, progress=self._progress)
            planner.refresh_after_bulk_load(written)
            self.stdout.write(f"\n{written:,} synthetic people added to {place.name}.")
        if vaccination and Person.objects.exists():
            # After the people: the doses are theirs. Today's sessions are opened on every run.
            done = seed_vaccination(seed=seed, on=timezone.localdate(), province_code=province.zfill(2))
            if done["doses"]:
                self.stdout.write(f"{done['doses']:,} historical doses for {done['people']:,} people; "
                                  f"{done['sites']} vaccination sites.")
            self.stdout.write(f"{done['sessions']} sessions opened today.")
            if done["delivery"]:
                self.stdout.write(f"{done['delivery']:,} doses of Pfizer delivered to the CDC: most to allocate, "
                                  "some on their way to the commune stations.")
        if cases and Person.objects.exists():
            # After the people (they fall ill) and the demo organizations (facilities, the mobile station's worker).
            done = seed_cases(seed=seed, on=timezone.localdate(), province_code=province.zfill(2))
            if done["cases"]:
                self.stdout.write(f"{done['cases']} cases ({done['home']} at home, {done['facility']} in "
                                  f"facilities), {done['tests']} tests, {done['referrals']} referrals, "
                                  f"{done['key_staff']} key staff.")

    def _progress(self, done: int) -> None:
        self.stderr.write(f"\r  {done:,} people…", ending="")
