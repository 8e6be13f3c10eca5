import csv
import sys
import time

from django.core.management.base import BaseCommand

from epicommand.people.models import Decision, Person, ReferenceCandidate
from epicommand.people.reconciliation import reconcile


class Command(BaseCommand):
    help = ("Classify every person against the population-database extract (Công văn 1495), propose "
            "matches for people without a usable number, and find duplicates inside the register.")

    def add_arguments(self, parser):
        parser.add_argument("--export", metavar="FILE.csv",
                            help="write one row per person: person id, status, reference CCCD, match probability")
        parser.add_argument("--threshold", type=float, default=0.9)
        parser.add_argument("--no-duplicates", action="store_true", help="skip the duplicate search")

    def handle(self, *args, export, threshold, no_duplicates, **options):
        started = time.monotonic()
        summary = reconcile(threshold=threshold, duplicates=not no_duplicates, progress=self._progress)
        sys.stderr.write("\n")
        counts = ", ".join(f"{status}: {n:,}" for status, n in sorted(summary.counts.items()))
        self.stdout.write(f"{counts}. {summary.candidates:,} proposed matches, {summary.duplicates:,} possible "
                          f"duplicates, in {time.monotonic() - started:.1f} s.")
        if export:
            self._export(export)
            self.stdout.write(f"Written: {export}")

    def _export(self, path: str) -> None:
        best: dict[int, tuple[str, float]] = {}
        for person_id, cccd, p in ReferenceCandidate.objects.exclude(status=Decision.REJECTED).values_list(
                "person_id", "reference__cccd", "probability").order_by("person_id", "-probability"):
            best.setdefault(person_id, (cccd, p))
        with open(path, "w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f)
            writer.writerow(["person_id", "status", "reference_cccd", "match_probability"])
            for pk, status, cccd in Person.objects.filter(merged_into__isnull=True).order_by("pk").values_list(
                    "pk", "reconciliation", "cccd").iterator(chunk_size=5000):
                if status in ("verified", "mismatch"):
                    writer.writerow([pk, status, cccd, "1.0"])
                elif pk in best:
                    writer.writerow([pk, status, best[pk][0], f"{best[pk][1]:.4f}"])
                else:
                    writer.writerow([pk, status, "", ""])

    def _progress(self, phase: str, done: int, total: int) -> None:
        sys.stderr.write(f"\r{phase}: {done:,}/{total:,}      ")
        sys.stderr.flush()
