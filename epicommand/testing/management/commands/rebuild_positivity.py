"""Recompute the positivity table (tests and positives per commune × day × kind) from the tests."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand

from epicommand.testing import positivity


class Command(BaseCommand):
    help = "Rebuild the testing positivity table from scratch (nightly, or after a repair of test rows)."

    def handle(self, *args, **options):
        started = time.perf_counter()
        rows = positivity.rebuild()
        self.stdout.write(f"positivity rows: {rows}; {time.perf_counter() - started:.1f} s")
