"""The one import pipeline: read → find the header → map columns → fix legacy encodings → prepare
each row by the domain's rules → write in batches.

Each batch is written in its own transaction, so cancelling or failing mid-way never leaves half a
batch. All-or-nothing runs first as a dry run over the whole file and writes, in one transaction,
only when no row was rejected."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from .legacy_encodings import fix_many
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
    batch: list[Prepared] = []
    raw_by_row: dict[int, dict[str, Any]] = {}

    def reject(row: int, problems: list[tuple[str, str]], values: dict[str, Any]) -> None:
        result.rejected += 1
        for key, reason in problems:
            problem = Problem(row, headers.get(key, ""), _show(values.get(key, "")) if key else "", reason)
            if len(result.problems) < PREVIEW_ERRORS:
                result.problems.append(problem)
            if problems_sink:
                problems_sink(problem)

    def flush() -> None:
        outcomes = spec.write(ctx, batch)
        for outcome in outcomes:
            if outcome.result == "rejected":
                reject(outcome.row, outcome.problems, raw_by_row.get(outcome.row, {}))
            else:
                result.count(outcome)
        batch.clear()
        raw_by_row.clear()
        if progress:
            progress(result.total, expected)

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
        raw_by_row[number] = values
        if len(batch) >= BATCH:
            flush()
    flush()
    return result


def _values(cells: list, mapping: dict[int, str]) -> dict[str, Any]:
    picked = {key: (cells[col] if col < len(cells) else None) for col, key in mapping.items()}
    texts = [k for k, value in picked.items() if isinstance(value, str) and value]
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
    with transaction.atomic():
        written = run(spec, open_table(), header_row, mapping, ctx, progress=progress)
    return written, True
