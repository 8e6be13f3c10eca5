"""Text normalisation shared by every search: names keep their diacritics (NFC), search ignores them."""

from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"\s+")


def nfc(value: str) -> str:
    """The stored form of a name: NFC, trimmed, single spaces."""
    return _SPACES.sub(" ", unicodedata.normalize("NFC", value or "")).strip()


def _fold_table() -> dict[int, str]:
    """Every precomposed Latin letter (Vietnamese ones included) → its base letter; đ → d."""
    table: dict[int, str] = {ord("đ"): "d", ord("Đ"): "D"}
    for code in range(0x00C0, 0x2000):
        char = chr(code)
        base = unicodedata.normalize("NFD", char)
        if len(base) > 1 and base[0].isascii() and all(unicodedata.category(c) == "Mn" for c in base[1:]):
            table[code] = base[0]
    return table


# A translation table after NFC is an order of magnitude faster than decomposing every string: imports
# fold millions of names.
_FOLD = _fold_table()


def fold(value: str) -> str:
    """The searched form: lower case, no diacritics, đ→d, single spaces ("Mường Tè" → "muong te")."""
    if not value:
        return ""
    text = value if value.isascii() else unicodedata.normalize("NFC", value).translate(_FOLD)
    if not text.isascii():
        # Anything the table does not know (a stray combining mark): the slow, thorough way.
        text = "".join(c for c in unicodedata.normalize("NFD", text) if unicodedata.category(c) != "Mn")
    return _SPACES.sub(" ", text.lower()).strip()


# The highest page anyone asks for: an OFFSET past the database's integers would fail instead of showing nothing.
MAX_PAGE = 100_000


def whole_number(raw: object, *, default: int | None = None, low: int = 0, high: int = 2**63 - 1) -> int | None:
    """A whole number typed in a query string or a form by hand ("12"), else `default`. Only ASCII digits count:
    str.isdigit() also takes "²" and other digits int() refuses; a value outside [low, high] is `default` too,
    so a number no column can hold never reaches the database."""
    text = str(raw if raw is not None else "").strip()
    if not (text.isascii() and text.isdigit()) or len(text) > 19:
        return default
    number = int(text)
    return number if low <= number <= high else default


def page_number(raw: object) -> int:
    """The page asked for in `?page=`, from 1 to MAX_PAGE; anything else is the first page."""
    number = whole_number(raw, low=1)
    return 1 if number is None else min(number, MAX_PAGE)
