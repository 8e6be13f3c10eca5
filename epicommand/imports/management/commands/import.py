import sys
import time
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from epicommand.core.models import Place, User
from epicommand.core.roles import Role
from epicommand.imports import services
from epicommand.imports.models import ImportRun
from epicommand.imports.readers import UnreadableFile
from epicommand.imports.spec import specs


class Command(BaseCommand):
    help = "Import a spreadsheet through the same pipeline as the Imports screen."

    def add_arguments(self, parser):
        parser.add_argument("what", choices=[s.name for s in specs()] or ["people"])
        parser.add_argument("file")
        parser.add_argument("--commune", help="GSO code of the commune for rows that name none")
        parser.add_argument("--dry-run", action="store_true", help="show what would happen; write nothing")
        parser.add_argument("--all-or-nothing", action="store_true", help="write only if every row is valid")
        parser.add_argument("--user", help="act as this account (default: the first command-centre account)")

    def handle(self, *args, what, file, commune, dry_run, all_or_nothing, user, **options):
        actor = (User.objects.filter(username=user) if user else
                 User.objects.filter(role=Role.COMMAND, is_active=True).order_by("pk")).first()
        if actor is None:
            raise CommandError("No such account: pass --user, or create a command-centre account first.")
        default = None
        if commune:
            default = Place.objects.filter(structure="current", level="commune", code=commune.zfill(5)).first()
            if default is None:
                raise CommandError(f"Unknown commune code: {commune}")
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"No such file: {file}")
        mode = ImportRun.Mode.ALL_OR_NOTHING if all_or_nothing else ImportRun.Mode.SKIP_INVALID
        try:
            with path.open("rb") as handle:
                run = services.create_run(actor=actor, spec_name=what, file=handle, original_name=path.name,
                                          mode=mode, default_commune=default)
            if run.header_row is None:
                raise CommandError("The header row was not recognised: use the Imports screen to map the columns.")
            run.dry_run = dry_run
            run.save(update_fields=["dry_run"])
            started = time.monotonic()
            result = services.execute(run, progress=self._progress)
        except (UnreadableFile, ValidationError) as exc:
            raise CommandError(str(exc)) from None
        elapsed = time.monotonic() - started
        sys.stderr.write("\n")
        verb = "would be " if dry_run else ""
        self.stdout.write(
            f"{result.total:,} rows in {elapsed:.1f} s ({result.total / max(elapsed, 1e-9):,.0f} rows/s): "
            f"{result.created:,} {verb}created, {result.updated:,} {verb}updated, {result.unchanged:,} unchanged, "
            f"{result.rejected:,} rejected."
        )
        run.refresh_from_db()
        if run.error_report:
            self.stdout.write(f"Error report: {run.error_report.path}")
        for problem in result.problems[:10]:
            self.stdout.write(f"  row {problem.row} · {problem.column}: {problem.reason} ({problem.value})")

    def _progress(self, done: int, total: int | None) -> None:
        if total:
            width = 30
            filled = min(width, int(width * done / total))
            sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done:,}/{total:,}")
        else:
            sys.stderr.write(f"\r{done:,} rows")
        sys.stderr.flush()
