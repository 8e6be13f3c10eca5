"""Deliver every message that is due, then exit; with --loop, keep sweeping every --interval seconds.

The sweep is what guarantees delivery whatever happened to the queued tasks: retries whose task was
lost, messages whose enqueue failed, messages left "sending" by a worker that died. Run it once a
minute from cron, or as `notify_deliver --loop` beside the task worker."""

from __future__ import annotations

import signal
import threading
import time

from django.core.management.base import BaseCommand
from django.db import close_old_connections, connection

from epicommand.notify.services import deliver_due


class Command(BaseCommand):
    help = "Deliver the outbox's due messages (new ones and retries whose time has come)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--loop", action="store_true", help="Keep going: sweep again every --interval seconds.")
        parser.add_argument("--interval", type=float, default=10.0, help="Seconds between sweeps with --loop.")
        parser.add_argument("--rounds", type=int, default=0, help="With --loop, stop after this many sweeps "
                                                                  "(0: until stopped).")
        parser.add_argument("--limit", type=int, default=None, help="At most this many messages per sweep.")

    def handle(self, *args, loop: bool, interval: float, rounds: int, limit: int | None, verbosity: int,
               **options) -> None:
        self.stopping = False
        if loop and threading.current_thread() is threading.main_thread():
            for signum in (signal.SIGINT, signal.SIGTERM):
                signal.signal(signum, self._stop)
        done = 0
        while True:
            counts = deliver_due(limit=limit, should_stop=lambda: self.stopping)
            done += 1
            if counts and verbosity:
                summary = ", ".join(f"{status}: {n}" for status, n in sorted(counts.items()))
                self.stdout.write(f"notify: {summary}")
            if not loop or self.stopping or (rounds and done >= rounds):
                return
            if not connection.in_atomic_block:  # a caller's transaction (a test) keeps its connection
                close_old_connections()
            deadline = time.monotonic() + interval
            while not self.stopping and time.monotonic() < deadline:
                time.sleep(min(0.5, interval))

    def _stop(self, signum, frame) -> None:
        if self.stopping:
            # Asked twice: stop now. A message being sent is freed for a later attempt.
            signal.signal(signum, signal.SIG_DFL)
            raise KeyboardInterrupt
        self.stopping = True
