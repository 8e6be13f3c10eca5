"""Spreadsheets like the ones communes really send, built in code for the import tests."""

from __future__ import annotations

import unicodedata
from datetime import date
from pathlib import Path

from openpyxl import Workbook

from epicommand.imports.legacy_encodings import encode

HEADERS = ["STT", "Họ và tên", "Ngày sinh", "Giới tính", "Số CCCD", "SĐT", "Dân tộc", "Thôn/bản", "Xã/phường"]


def excel_serial(day: date) -> int:
    return (day - date(1899, 12, 30)).days


# (name, birth as written, sex, CCCD, phone, ethnicity, village, commune) — what each row tests is beside it.
MESSY_ROWS = [
    ("Lò Văn Thắng", "05/03/1985", "Nam", "012085000101", "0912345601", "Thái", "Bản Nậm Củm", "Pa Ủ"),
    ("Tòng Thị Ưng", excel_serial(date(1990, 7, 21)), "Nữ", "012190000102", "912345602", "Thái", "Bản Hua Bum",
     "xã Mường Tè"),                                                                  # Excel serial; phone lost its 0
    (encode("Giàng A Dế", "tcvn3"), "1952", encode("Nam", "tcvn3"), "", "", encode("Mông", "tcvn3"),
     encode("Bản Pa Ủ", "tcvn3"), encode("Pa Ủ", "tcvn3")),                          # TCVN3 text, year only, no CCCD
    ("Sùng Thị Mỷ", "3/4/01", "Nữ", "012301000104", "", "Mông", "Bản Nậm Củm", "Pa U"),  # d/m/yy; no diacritics
    ("Nguyễn Văn Hùng", "12/12/1975", "Nam", "012175000105", "", "Kinh", "Tổ 5", "Đoàn Kết"),  # CCCD says woman
    ("Trần Thị Lan", "1988-02-29", "Nữ", "01218800010", "", "Kinh", "Tổ 5", "Đoàn Kết"),  # 11 digits; 1988-02-29 ok
    ("Lý A Chư", "31/02/1970", "Nam", "012070000107", "", "Mông", "Bản Pa Ủ", "Pa Ủ"),  # no 31 February
    ("Lò Văn Thắng", "05/03/1985", "Nam", "012085000101", "0912345601", "Thái", "Bản Nậm Củm", "Pa Ủ"),  # duplicate
    ("Vàng Seo Lử", "15/08/1968", "Nam", "012068000109", "", "Mông", "Bản Sì Thâu Chải", "Nowhere"),  # bad commune
    ("Hà Thị Phương", "20/10/1999", "Nữ", "012199000110", "", "Kinh", "Thôn 1", "Bản Bo"),
]
# Rows 5 (CCCD/sex), 6 (11-digit CCCD), 7 (31/02), 8 (duplicate of row 1) and 9 (commune) are invalid.
VALID_NAMES = {"Lò Văn Thắng", "Tòng Thị Ưng", "Giàng A Dế", "Sùng Thị Mỷ", "Hà Thị Phương"}


def messy_workbook(path: Path, rows=MESSY_ROWS) -> Path:
    """Two title rows merged across the sheet, a blank row, then the header, then the data."""
    book = Workbook()
    sheet = book.active
    sheet.title = "Danh sách"
    sheet["A1"] = "UBND XÃ PA Ủ — TRẠM Y TẾ"
    sheet.merge_cells("A1:I1")
    sheet["A2"] = "DANH SÁCH NGƯỜI DÂN TRÊN ĐỊA BÀN (cập nhật 10/2021)"
    sheet.merge_cells("A2:I2")
    sheet.append([])
    sheet.append(HEADERS)
    for number, row in enumerate(rows, start=1):
        sheet.append([number, *row])
    book.save(path)
    return path


def header_row_number() -> int:
    """The sheet row (1-based) of the header in messy_workbook(): data rows follow it."""
    return 4


def to_cp1258(text: str) -> bytes:
    """Windows-1258 as Vietnamese Windows wrote it: vowel shapes (ă â ê ô ơ ư) precomposed, tones as
    combining marks after the letter. Python's codec encodes only what it is given in that form."""
    out = b""
    for ch in unicodedata.normalize("NFC", text):
        try:
            out += ch.encode("cp1258")
            continue
        except UnicodeEncodeError:
            pass
        base, *marks = unicodedata.normalize("NFD", ch)
        shape = "".join(m for m in marks if m in "\u0306\u0302\u031b")
        tone = "".join(m for m in marks if m not in shape)
        out += unicodedata.normalize("NFC", base + shape).encode("cp1258") + tone.encode("cp1258")
    return out
