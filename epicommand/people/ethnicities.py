"""The 54 ethnic groups of Vietnam, as coded by the GSO list (Decision 121-TCTK/PPCĐ of 2 March 1979).

Each entry is (two-digit code, Vietnamese name, alternative names and spellings). The names are the forms
used in the 2019 census publications ("Mông", "Khơ Mú"); the hyphenated spellings of the 1979 list
("HMông", "Khơ-mú") and the other names and local groups people write in a commune's spreadsheet
("Mèo", "Thái Đen", "Hà Nhì Già", "Xá") are alternatives. "Người nước ngoài" (code 55 in some
systems) is not an ethnic group of Vietnam and is left out.

`find_ethnicity` reads a free-text value: case, diacritics, spaces, hyphens and apostrophes are ignored
("hmong" = "H'Mông" = "HMông"), a leading "dân tộc"/"người"/"DT" is dropped, a parenthesised part is tried
on its own ("Hoa (Hán)"), and the code itself ("8", "08") is accepted. An alternative name shared by two
groups in the official list ("Trại" for Dao and Sán Dìu, "Xá Khao" for Kháng and La Ha, "Ca Tang" for Cơ Tu
and Giẻ Triêng, "Hạ" for Hoa and Cơ Tu, "Lao" for La Hủ, which reads as Lào) is left out as ambiguous.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from epicommand.core.text import fold

ETHNICITIES: list[tuple[str, str, list[str]]] = [
    ("01", "Kinh", ["Việt", "Kinh (Việt)", "Người Việt"]),
    ("02", "Tày", ["Ngạn", "Phén", "Thù Lao", "Pa Dí", "Tày Bốc"]),
    ("03", "Thái", ["Thái Đen", "Thái Trắng", "Thái Đỏ", "Tày Đăm", "Tày Dăm", "Tày Khao", "Tày Đón", "Đón",
                    "Tày Mười", "Tày Thanh", "Tày Mường", "Hàng Tổng", "Pu Thay", "Thổ Đà Bắc", "Man Thanh"]),
    ("04", "Hoa", ["Hán", "Hoa (Hán)", "Triều Châu", "Phúc Kiến", "Quảng Đông", "Hải Nam", "Xạ Phạng", "Người Hoa"]),
    ("05", "Khơ Me", ["Khơ-me", "Khmer", "Khmer Krom", "Khơ Me Krôm", "Cur", "Cul", "Miên"]),
    ("06", "Mường", ["Mol", "Mual", "Ao Tá", "Ậu Tá"]),
    ("07", "Nùng", ["Xuồng", "Giang", "Nùng An", "Nùng Lòi", "Nùng Cháo", "Nùng Inh", "Phàn Sinh", "Quý Rim",
                    "Khèn Lài"]),
    ("08", "Mông", ["HMông", "H'Mông", "Hmông", "Hmong", "H'mong", "Mèo", "Mẹo", "Mông Hoa", "Mông Đen",
                    "Mông Trắng", "Mông Xanh", "Mông Đỏ", "Mông Đơ", "Mông Lềnh", "Mông Si", "Mông Súa",
                    "Na Miẻo"]),
    ("09", "Dao", ["Mán", "Động", "Dìu Miền", "Kim Miền", "Lù Gang", "Làn Tẻn", "Đại Bản", "Tiểu Bản",
                   "Cóc Ngáng", "Cóc Mùn", "Sơn Đầu", "Dao Đỏ", "Dao Tiền", "Dao Khâu", "Dao Quần Chẹt",
                   "Dao Quần Trắng", "Dao Thanh Y", "Dao Áo Dài", "Dao Lô Gang", "Dao Tuyển"]),
    ("10", "Gia Rai", ["Gia-rai", "Jrai", "Giơ Rai", "Chơ Rai", "Tơ Buăn", "Hơ Bau", "Hđrung", "Chor"]),
    ("11", "Ngái", ["Xín", "Lê", "Đản", "Khách Gia", "Hẹ"]),
    ("12", "Ê Đê", ["Ê-đê", "Êđê", "Rhađê", "Ra Đê", "Đê", "Kpạ", "A Đham", "Krung", "Ktul", "Đliê Ruê",
                    "Blô", "Epan", "Mđhur", "Bih"]),
    ("13", "Ba Na", ["Ba-na", "Bahnar", "Gơ Lar", "Tơ Lô", "Giơ Lâng", "Y Lăng", "Rơ Ngao", "Krem", "Roh",
                     "Con Kđe", "A La Công", "Kpăng Công", "Bơ Nâm"]),
    ("14", "Xơ Đăng", ["Xơ-đăng", "Xơ Teng", "Hđang", "Tơ Đra", "Mơ Nâm", "Ha Lăng", "Ca Dong", "Kmrâng",
                       "Con Lan", "Bri La"]),
    ("15", "Sán Chay", ["Cao Lan", "Sán Chỉ", "Cao Lan - Sán Chỉ", "Mán Cao Lan", "Hờn Bạn"]),
    ("16", "Cơ Ho", ["Cơ-ho", "K'Ho", "Xrê", "Nốp", "Tu Lốp", "Cơ Don", "Chil", "Lát", "Lach", "Trinh"]),
    ("17", "Chăm", ["Chàm", "Chiêm Thành", "Hroi", "Chăm Hroi", "Chăm Pa"]),
    ("18", "Sán Dìu", ["Sán Déo", "Trại Đất", "Mán Quần Cộc"]),
    ("19", "Hrê", ["Chăm Rê", "Chom", "Krẹ Lũy", "H'rê"]),
    ("20", "Mnông", ["M'Nông", "Mơ Nông", "Pnông", "Nông", "Prâng", "Bu Đâng", "Đi Pri", "Biat", "Gar",
                     "Rơ Lâm"]),
    ("21", "Ra Glai", ["Ra-glai", "Raglai", "Ra Clây", "Rai", "Noang", "La Oang"]),
    ("22", "Xtiêng", ["X'Tiêng", "Xa Điêng", "Stiêng", "Xa Chạy"]),
    ("23", "Bru Vân Kiều", ["Bru-Vân Kiều", "Bru", "Vân Kiều", "Măng Coong", "Tri", "Khùa"]),
    ("24", "Thổ", ["Kẹo", "Mọn", "Cuối", "Đan Lai", "Ly Hà", "Tày Poọng"]),
    ("25", "Giáy", ["Nhắng", "Dẩng", "Pầu Thìn Nu Nà", "Cùi Chu"]),
    ("26", "Cơ Tu", ["Cơ-tu", "Ca Tu", "Cao", "Phương"]),
    ("27", "Giẻ Triêng", ["Gié-Triêng", "Gié Triêng", "Giẻ", "Đgiéh", "Tareb", "Giang Rẫy Pin", "Triêng",
                          "Treng", "Ta Riêng", "Ve", "Veh", "La Ve"]),
    ("28", "Mạ", ["Châu Mạ", "Mạ Ngăn", "Mạ Xóp", "Mạ Tô", "Mạ Krung"]),
    ("29", "Khơ Mú", ["Khơ-mú", "Khmu", "Kmhmu", "Xá", "Xá Cẩu", "Mứn Xen", "Pu Thênh", "Tềnh", "Tày Hay"]),
    ("30", "Co", ["Cor", "Col", "Cùa", "Trầu"]),
    ("31", "Tà Ôi", ["Tà-ôi", "Ta-ôi", "Tôi Ôi", "Pa Co", "Pa Hi", "Ba Hi"]),
    ("32", "Chơ Ro", ["Chơ-ro", "Dơ Ro", "Châu Ro"]),
    ("33", "Kháng", ["Xá Súa", "Xá Dón", "Xá Dẩng", "Xá Hốc", "Xá Ái", "Xá Bung", "Quảng Lâm"]),
    ("34", "Xinh Mun", ["Xinh-mun", "Puộc", "Pụa"]),
    ("35", "Hà Nhì", ["Hà Nhì Già", "Hà Nhì Đen", "Hà Nhì Cồ Chồ", "Cồ Chồ", "Hà Nhì La Mí", "La Mí", "U Ni",
                      "Xá U Ni"]),
    ("36", "Chu Ru", ["Chu-ru", "Chơ Ru", "Chu"]),
    ("37", "Lào", ["Lào Bốc", "Lào Nọi", "Lào Cạn"]),
    ("38", "La Chí", ["La Chi", "Cù Tê", "La Quả"]),
    ("39", "La Ha", ["Khlá Phlạo", "La Ha Ủng", "La Ha Cạn"]),
    ("40", "Phù Lá", ["Bồ Khô Pạ", "Mu Di", "Pạ Xá", "Phó", "Phổ", "Va Xơ"]),
    ("41", "La Hủ", ["Pu Đang", "Khù Xung", "Cò Xung", "Khả Quy"]),
    ("42", "Lự", ["Lừ", "Nhuồn", "Duồn"]),
    ("43", "Lô Lô", ["Mun Di", "Lolo"]),
    ("44", "Chứt", ["Rục", "Sách", "Mày", "Arem", "Mã Liềng"]),
    ("45", "Mảng", ["Mảng Ư", "Xá Lá Vàng"]),
    ("46", "Pà Thẻn", ["Pà Hưng", "Tống"]),
    ("47", "Cơ Lao", ["Cờ Lao", "Co Lao", "Ke Lao"]),
    ("48", "Cống", ["Xắm Khống", "Mấng Nhé", "Xá Xeng", "Xá Xáng"]),
    ("49", "Bố Y", ["Chủng Chá", "Trọng Gia", "Tu Dí", "Tu Din"]),
    ("50", "Si La", ["Cù Dề Xừ", "Khả Pẻ"]),
    ("51", "Pu Péo", ["Ka Pèo", "Pen Ti Lô Lô"]),
    ("52", "Brâu", ["Brao", "B'râu"]),
    ("53", "Ơ Đu", ["Ơ-đu", "Tày Hạt"]),
    ("54", "Rơ Măm", ["Rơ-măm", "Romam"]),
]

ETHNICITY_CHOICES: list[tuple[str, str]] = [(code, name) for code, name, _ in ETHNICITIES]
ETHNICITY_NAMES: dict[str, str] = dict(ETHNICITY_CHOICES)

_NON_ALNUM = re.compile(r"[^a-z0-9]+")
_PREFIX = re.compile(r"^(?:dan toc|dantoc|nguoi|dt)\b[\s.:\-]*")
_PAREN = re.compile(r"\(([^)]*)\)")


def _key(text: str) -> str:
    """Folded and stripped of everything but letters and digits: "H'Mông" and "hmong" give "hmong"."""
    return _NON_ALNUM.sub("", fold(text))


def _build_index() -> dict[str, str]:
    index: dict[str, str] = {}
    for code, name, alternatives in ETHNICITIES:
        for label in (name, *alternatives):
            if unicodedata.normalize("NFC", label) != label:
                raise ValueError(f"ethnicity label not in NFC: {label!r}")
            key = _key(label)
            if index.get(key, code) != code:
                raise ValueError(f"ethnicity label {label!r} is ambiguous ({index[key]} and {code})")
            index[key] = code
    return index


_INDEX = _build_index()


@lru_cache(maxsize=1024)
def find_ethnicity(text: str) -> str | None:
    """The code of the ethnic group a free-text value names, or None when it names none (or is empty)."""
    if not text:
        return None
    folded = fold(text)
    digits = folded.strip(" .")
    if digits.isdigit():
        code = f"{int(digits):02d}"
        return code if code in ETHNICITY_NAMES else None
    candidates = [folded, _PREFIX.sub("", folded)]
    for inner in _PAREN.findall(folded):
        candidates += [_PAREN.sub("", folded), inner]
    for candidate in candidates:
        code = _INDEX.get(_NON_ALNUM.sub("", _PREFIX.sub("", candidate.strip())))
        if code:
            return code
    return None
