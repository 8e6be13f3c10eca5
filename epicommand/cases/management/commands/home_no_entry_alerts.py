"""Raise "no entry" alerts for home patients without an entry for `home_care.no_entry_hours`, with one SMS
per health worker. Safe to run as often as wanted (cron every 30 minutes, or `--loop`): a patient has at
most one open "no entry" alert. The escalation queue lists overdue patients whether or not this has run."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand

from epicommand.cases.monitoring import raise_no_entry_alerts


class Command(BaseCommand):
    help = "Raise alerts for home patients without a monitoring entry for too long."

    def add_arguments(self, parser):
        parser.add_argument("--loop", type=int, default=0, metavar="SECONDS",
                            help="run again every SECONDS until stopped")

    def handle(self, *args, loop: int = 0, **options):
        while True:
            raised = raise_no_entry_alerts()
            self.stdout.write(f"no-entry alerts raised: {raised}")
            if not loop:
                return
            time.sleep(loop)
