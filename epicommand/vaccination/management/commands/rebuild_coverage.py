"""Recompute the coverage tables (statuses, coverage facts, register targets) from the doses and the register."""

from __future__ import annotations

import time
from datetime import date

from django.core.management.base import BaseCommand, CommandError

from epicommand.vaccination import coverage


class Command(BaseCommand):
    help = "Rebuild the vaccination coverage tables from scratch (nightly, or after an import of doses)."

    def add_arguments(self, parser):
        parser.add_argument("--on", help="Compute ages and rules as on this day (YYYY-MM-DD); default today.")

    def handle(self, *args, on: str | None = None, **options):
        day = None
        if on:
            try:
                day = date.fromisoformat(on)
            except ValueError:
                raise CommandError(f"--on: not a date (YYYY-MM-DD): {on!r}") from None
        started = time.perf_counter()
        counts = coverage.rebuild(on=day)
        took = time.perf_counter() - started
        self.stdout.write(f"people with doses: {counts['people']}, coverage facts: {counts['facts']}, "
                          f"target facts: {counts['targets']}; {took:.1f} s")
