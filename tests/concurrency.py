"""Running work from several threads released at the same instant, for races on PostgreSQL row locks."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import Any

from django.db import connections


def at_once(work: Callable[[Any], Any], items: Iterable[Any]) -> list[Any]:
    """`work(item)` for every item, each in its own thread (and so its own database connection), all released
    together by a barrier. Returns, in the items' order, what each returned or the exception it raised."""
    items = list(items)
    start = threading.Barrier(len(items))
    results: list[Any] = [None] * len(items)

    def run(index: int, item: Any) -> None:
        try:
            start.wait()
            results[index] = work(item)
        except Exception as exc:  # noqa: BLE001  (the caller reads every outcome, failures included)
            results[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(index, item)) for index, item in enumerate(items)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results
