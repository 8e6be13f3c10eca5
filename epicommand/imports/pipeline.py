"""The one import pipeline: read → find the header → map columns → fix legacy encodings → prepare
each row by the domain's rules → write in batches.

Each batch is written in its own transaction, so cancelling or failing mid-way never leaves half a
batch. All-or-nothing runs first as a dry run over the whole file and writes, in one transaction,
only when no row was rejected."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import connection, connections, transaction

from .legacy_encodings import fix_many, is_plain
from .readers import Table
from .spec import Context, ImportSpec, Outcome, Prepared, RowRejected

BATCH = 2000
PREVIEW_ERRORS = 200


@dataclass
class Problem:
    row: int
    column: str     # the header as written in the file, or "" for the whole row
    value: str
    reason: str


@dataclass
class Result:
    total: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    problems: list[Problem] = field(default_factory=list)

    def count(self, outcome: Outcome) -> None:
        setattr(self, outcome.result, getattr(self, outcome.result) + 1)


Progress = Callable[[int, int | None], None]  # (rows done, rows total or None); may raise to cancel
Written = list[tuple[list[Outcome], dict[int, dict]]]  # (outcomes of a batch, its rows' raw values)


def data_rows(table: Table, header_row: int) -> Iterator[tuple[int, list]]:
    """(1-based row number, cells) for the header row (number 0 marks it) and then every row below
    it that holds anything."""
    for index, row in enumerate(table.rows):
        if index == header_row:
            yield 0, row
        elif index > header_row and any(cell not in ("", None) for cell in row):
            yield index + 1, row


def run(spec: ImportSpec, table: Table, header_row: int, mapping: dict[int, str], ctx: Context,
        *, progress: Progress | None = None, problems_sink: Callable[[Problem], None] | None = None,
        result: Result | None = None) -> Result:
    """Import the table. Pass `result` to keep the counts of what was written if the run stops early."""
    result = result if result is not None else Result()
    expected = max(table.total - header_row - 1, 0) if table.total else None
    headers: dict[str, str] = {}
    spec.begin(ctx)

    def reject(row: int, problems: list[tuple[str, str]], values: dict[str, Any]) -> None:
        result.rejected += 1
        for key, reason in problems:
            problem = Problem(row, headers.get(key, ""), _show(values.get(key, "")) if key else "", reason)
            if len(result.problems) < PREVIEW_ERRORS:
                result.problems.append(problem)
            if problems_sink:
                problems_sink(problem)

    def record(written: Written) -> None:
        for outcomes, batch_raws in written:
            for outcome in outcomes:
                if outcome.result == "rejected":
                    reject(outcome.row, outcome.problems, batch_raws.get(outcome.row, {}))
                else:
                    result.count(outcome)

    def settle(written: Written) -> None:
        record(written)
        if progress and written:
            progress(result.total, expected)  # may raise JobCancelled

    writer = _ThreadWriter(spec, ctx) if _can_overlap(ctx) else _InlineWriter(spec, ctx)
    batch: list[Prepared] = []
    raws: dict[int, dict[str, Any]] = {}
    try:
        for number, cells in data_rows(table, header_row):
            if number == 0:
                headers = {key: _header_label(cells, col, spec, key) for col, key in mapping.items()}
                continue
            result.total += 1
            values = _values(cells, mapping)
            try:
                prepared = spec.prepare(ctx, values, number)
            except RowRejected as exc:
                reject(number, exc.problems, values)
                continue
            batch.append(prepared)
            raws[number] = values
            if len(batch) >= BATCH:
                settle(writer.submit(batch, raws))
                batch, raws = [], {}
        settle(writer.submit(batch, raws))
        settle(writer.finish())
    except BaseException:
        # Cancelled or failed: the batch being written is finished whole and counted; nothing more starts.
        record(writer.abort())
        raise
    return result


def _can_overlap(ctx: Context) -> bool:
    """Writing on a second connection while this one prepares the next batch: only for real runs outside
    any enclosing transaction (an all-or-nothing run, or a test, must see one transaction), and on
    PostgreSQL, whose server does the index work in its own process while Python carries on."""
    return (not ctx.dry_run and not connection.in_atomic_block and connection.vendor == "postgresql"
            and getattr(settings, "EPICOMMAND_IMPORT_OVERLAP", True))


class _InlineWriter:
    def __init__(self, spec: ImportSpec, ctx: Context):
        self.spec, self.ctx = spec, ctx

    def submit(self, batch: list[Prepared], raws: dict) -> Written:
        return [(self.spec.write(self.ctx, batch), raws)] if batch else []

    def finish(self) -> Written:
        return []

    def abort(self) -> Written:
        return []


class _ThreadWriter:
    """Writes batches on its own thread and database connection, one transaction per batch (the
    spec's write() opens it), in the order they were prepared."""

    def __init__(self, spec: ImportSpec, ctx: Context):
        self.spec, self.ctx = spec, ctx
        self.todo: queue.Queue = queue.Queue(maxsize=2)
        self.done: queue.Queue = queue.Queue()
        self.error: BaseException | None = None
        self.stopped = False
        self.thread = threading.Thread(target=self._work, name="import-writer", daemon=True)
        self.thread.start()

    def _work(self) -> None:
        try:
            while (item := self.todo.get()) is not None:
                if self.error is None and not self.stopped:
                    batch, raws = item
                    try:
                        self.done.put((self.spec.write(self.ctx, batch), raws))
                    except BaseException as exc:  # reported to the preparing thread at its next step
                        self.error = exc
        finally:
            connections.close_all()  # this thread's own connections

    def _drain(self) -> Written:
        written = []
        while not self.done.empty():
            written.append(self.done.get_nowait())
        return written

    def _raise(self) -> None:
        if self.error is not None:
            raise self.error

    def submit(self, batch: list[Prepared], raws: dict) -> Written:
        self._raise()
        if batch:
            self.todo.put((batch, raws))
        return self._drain()

    def finish(self) -> Written:
        self.todo.put(None)
        self.thread.join()
        self._raise()
        return self._drain()

    def abort(self) -> Written:
        self.stopped = True  # batches still queued are not started; the one being written finishes
        if self.thread.is_alive():
            self.todo.put(None)
            self.thread.join()
        return self._drain()


def _values(cells: list, mapping: dict[int, str]) -> dict[str, Any]:
    picked = {key: (cells[col] if col < len(cells) else None) for col, key in mapping.items()}
    # Only cells that might be legacy text go through the encoding vote; plain ones need NFC at most,
    # which the domain's prepare() applies anyway.
    texts = [k for k, value in picked.items() if isinstance(value, str) and value and not is_plain(value)]
    if texts:
        for key, fixed in zip(texts, fix_many([picked[k] for k in texts]), strict=True):
            picked[key] = fixed
    return picked


def _header_label(cells: list, col: int, spec: ImportSpec, key: str) -> str:
    if col < len(cells) and cells[col] not in ("", None):
        return str(cells[col]).strip()
    return str(spec.column(key).label)


def _show(value: Any) -> str:
    return "" if value is None else str(value)[:200]


def run_all_or_nothing(spec: ImportSpec, open_table: Callable[[], Table], header_row: int,
                       mapping: dict[int, str], ctx: Context, *, progress: Progress | None = None,
                       problems_sink: Callable[[Problem], None] | None = None) -> tuple[Result, bool]:
    """A dry run over the whole file; then, if nothing was rejected, the real run in one transaction.
    Returns the result and whether anything was written."""
    check_ctx = Context(actor=ctx.actor, dry_run=True, default_commune=ctx.default_commune,
                        import_run=ctx.import_run)
    checked = run(spec, open_table(), header_row, mapping, check_ctx, progress=progress,
                  problems_sink=problems_sink)
    if checked.rejected:
        return checked, False
    try:
        with transaction.atomic():
            written = run(spec, open_table(), header_row, mapping, ctx, progress=progress,
                          problems_sink=problems_sink)
            if written.rejected:  # something changed between the check and the write
                raise _RolledBack(written)
    except _RolledBack as stopped:
        return stopped.result, False
    return written, True


class _RolledBack(Exception):
    def __init__(self, result: Result):
        super().__init__()
        self.result = result
