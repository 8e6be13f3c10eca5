"""Finding the header row below title rows, and mapping its columns to a domain's columns."""

from __future__ import annotations

import re
from dataclasses import dataclass

from epicommand.core.text import fold

from .spec import ImportSpec

SCAN_ROWS = 30
_NOISE = re.compile(r"[\(\)\[\]\*:;.,'\"/\\|_\-]+")


def clean_header(value: object) -> str:
    """"Số CCCD (*)" → "so cccd"; "Ngày/tháng/năm sinh" → "ngay thang nam sinh"."""
    return " ".join(_NOISE.sub(" ", fold(str(value or ""))).split())


@dataclass
class Mapping:
    header_row: int                  # 0-based index in the sheet
    columns: dict[int, str]          # sheet column index → spec column key
    unsure: set[int]                 # columns mapped by a partial match: the user should confirm
    headers: list[str]               # the header row as written

    @property
    def sure(self) -> bool:
        return not self.unsure


def match_column(spec: ImportSpec, header: str) -> tuple[str | None, bool]:
    """(column key, exact?) for one header cell."""
    text = clean_header(header)
    if not text:
        return None, False
    for column in spec.columns:
        if text in column.synonyms:
            return column.key, True
    best: tuple[int, str] | None = None
    for column in spec.columns:
        for synonym in column.synonyms:
            if len(synonym) >= 3 and (synonym in text or (len(text) >= 4 and text in synonym)):
                if best is None or len(synonym) > best[0]:
                    best = (len(synonym), column.key)
    return (best[1], False) if best else (None, False)


def detect(spec: ImportSpec, head: list[list]) -> Mapping | None:
    """The row among the first ones whose cells best match the spec's headers."""
    best: tuple[int, Mapping] | None = None
    for index, row in enumerate(head[:SCAN_ROWS]):
        columns: dict[int, str] = {}
        unsure: set[int] = set()
        score = 0
        for col, cell in enumerate(row):
            key, exact = match_column(spec, cell)
            if key is None or key in columns.values():
                continue
            columns[col] = key
            score += 2 if exact else 1
            if not exact:
                unsure.add(col)
        if len(columns) >= 2 and (best is None or score > best[0]):
            best = (score, Mapping(index, columns, unsure, [str(c or "").strip() for c in row]))
    return best[1] if best else None
