"""Recompute the case fact tables (open cases, cases per day, home-treatment load per worker) from scratch."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand

from epicommand.cases import facts_rebuild


class Command(BaseCommand):
    help = ("Rebuild the command centre's case figures from the cases and home treatments, and judge every agency's "
            "key staff against the threshold in force today (nightly, or after an import).")

    def handle(self, *args, **options):
        started = time.perf_counter()
        counts = facts_rebuild.rebuild_and_judge()
        took = time.perf_counter() - started
        self.stdout.write(f"open-case facts: {counts['active_cases']}, case days: {counts['case_days']}, "
                          f"health workers: {counts['workers']}, open key-staff alerts: {counts['key_staff_alerts']}; "
                          f"{took:.1f} s")
