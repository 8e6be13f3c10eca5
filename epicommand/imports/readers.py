"""Reading any spreadsheet a commune sends: xlsx, xls, ods (through calamine) and csv in any common
encoding, as a stream of rows of cell values. Nothing here knows what the columns mean."""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from django.utils.translation import gettext as _

SPREADSHEET_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".xlsb", ".ods"}
CSV_SUFFIXES = {".csv", ".txt", ".tsv"}


class UnreadableFile(ValueError):
    """A file that cannot be read as a table; the message is for the user."""


@dataclass
class Table:
    rows: Iterator[list]
    total: int | None  # rows in the sheet when known cheaply (for progress), else None
    encoding: str = ""
    sheet: str = ""


def open_table(path: Path, name: str | None = None) -> Table:
    suffix = Path(name or path.name).suffix.lower()
    if suffix in SPREADSHEET_SUFFIXES:
        return _spreadsheet(path)
    if suffix in CSV_SUFFIXES or not suffix:
        return _csv(path)
    raise UnreadableFile(_("Files of type %(suffix)s cannot be imported: use xlsx, xls, ods or csv.")
                         % {"suffix": suffix})


def _spreadsheet(path: Path) -> Table:
    from python_calamine import CalamineWorkbook

    try:
        book = CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # calamine raises its own types for every kind of damage
        raise UnreadableFile(_("The spreadsheet cannot be opened (%(error)s).") % {"error": exc}) from None
    for name in book.sheet_names:
        sheet = book.get_sheet_by_name(name)
        if sheet.height and sheet.width:
            # The first non-empty sheet is the list; later sheets are usually notes or summaries.
            fills = _merged_fills(sheet)
            return Table(rows=_guarded(_fill_merged(sheet.iter_rows(), fills)), total=sheet.height, sheet=name)
    raise UnreadableFile(_("The spreadsheet has no data."))


def _merged_fills(sheet) -> dict[tuple[int, int], tuple[int, int]]:
    """Cells covered by a merge → the merge's top-left cell, for merges inside the first rows only
    (title and header bands); merged data cells further down are rare and left as they are."""
    fills: dict[tuple[int, int], tuple[int, int]] = {}
    try:
        ranges = sheet.merged_cell_ranges or []
    except Exception:
        return fills
    for (r0, c0), (r1, c1) in ranges:
        if r0 > 40:
            continue
        for r in range(r0, r1 + 1):
            for c in range(c0, c1 + 1):
                if (r, c) != (r0, c0):
                    fills[(r, c)] = (r0, c0)
    return fills


def _fill_merged(rows: Iterator[list], fills: dict) -> Iterator[list]:
    if not fills:
        yield from rows
        return
    kept: dict[tuple[int, int], object] = {}
    tops = set(fills.values())
    for r, row in enumerate(rows):
        row = list(row)
        for c, value in enumerate(row):
            if (r, c) in tops:
                kept[(r, c)] = value
        for c in range(len(row)):
            source = fills.get((r, c))
            if source is not None and row[c] in ("", None):
                row[c] = kept.get(source, "")
        yield row


def detect_encoding(head: bytes) -> str:
    """BOMs first; then UTF-8 if the sample decodes; else Windows-1258, the Vietnamese code page.
    (Legacy TCVN3/VNI text inside a file is a separate matter, handled per cell.)"""
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    try:
        # A multi-byte character cut at the end of the sample is not an error.
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
        return "utf-8"
    except UnicodeDecodeError:
        return "cp1258"


def _csv(path: Path) -> Table:
    with open(path, "rb") as f:
        head = f.read(1 << 20)
    if not head.strip():
        raise UnreadableFile(_("The file is empty."))
    encoding = detect_encoding(head)
    sample = head.decode(encoding if encoding != "utf-8-sig" else "utf-8", errors="ignore")[:65536]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t|")
        delimiter = dialect.delimiter
    except csv.Error:
        delimiter = ","

    def rows() -> Iterator[list]:
        with open(path, "rb") as raw:
            # Strict: a file that changes encoding after the sample is reported, never filled with "�".
            text = io.TextIOWrapper(raw, encoding=encoding, errors="strict", newline="")
            yield from csv.reader(text, delimiter=delimiter)

    return Table(rows=_guarded(rows()), total=_count_lines(path), encoding=encoding)


# A long free-text cell (notes, addresses pasted whole) is legitimate; a multi-megabyte one is damage.
csv.field_size_limit(1 << 20)


def _guarded(rows: Iterator[list]) -> Iterator[list]:
    """Faults found while reading (a damaged sheet, a broken CSV, a change of encoding mid-file) as
    UnreadableFile with the row, for the user, instead of an error page."""
    number = 0
    try:
        for number, row in enumerate(rows, start=1):  # noqa: B007 (number is read after the loop)
            yield row
    except UnicodeDecodeError:
        raise UnreadableFile(_("The file changes its text encoding after row %(row)s: save it again as UTF-8.")
                             % {"row": number}) from None
    except Exception as exc:  # csv.Error, calamine's own errors
        raise UnreadableFile(_("The file cannot be read after row %(row)s (%(error)s).")
                             % {"row": number, "error": exc}) from None


def _count_lines(path: Path) -> int:
    """Lines in the file, for the progress bar (quoted line breaks make it an upper bound)."""
    count = 0
    with open(path, "rb") as f:
        while chunk := f.read(1 << 22):
            count += chunk.count(b"\n")
    return count
