"""Spreadsheet output for every export and report (lists, import error reports). Every cell that a
spreadsheet would run as a formula is neutralised (CSV/formula injection)."""

from __future__ import annotations

import csv
from collections.abc import Iterable
from pathlib import Path

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> object:
    """Text that starts like a formula gets a leading apostrophe, which spreadsheets show as text."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def write_xlsx(path: Path, headers: list[str], rows: Iterable[Iterable[object]], *, title: str = "") -> None:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=(title or "Sheet1")[:31])
    sheet.append([safe_cell(h) for h in headers])
    for row in rows:
        # openpyxl would store "=…" strings as formulas; safe_cell keeps them text.
        sheet.append([safe_cell(v) for v in row])
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)


def write_csv(stream, headers: list[str], rows: Iterable[Iterable[object]]) -> None:
    writer = csv.writer(stream)
    writer.writerow([safe_cell(h) for h in headers])
    for row in rows:
        writer.writerow([safe_cell("" if v is None else v) for v in row])


def download(fmt: str, filename: str, headers: list[str], rows: Iterable[Iterable[object]], *, title: str = ""):
    """An HttpResponse with the rows as xlsx or csv (UTF-8 with a BOM, which Excel needs to show Vietnamese)."""
    import io
    import tempfile

    from django.http import Http404, HttpResponse

    if fmt == "csv":
        buffer = io.StringIO()
        buffer.write("\ufeff")
        write_csv(buffer, headers, rows)
        response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    elif fmt == "xlsx":
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "export.xlsx"
            write_xlsx(path, headers, rows, title=title)
            response = HttpResponse(path.read_bytes(),
                                    content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    else:
        raise Http404
    response["Content-Disposition"] = f'attachment; filename="{filename}.{fmt}"'
    return response
