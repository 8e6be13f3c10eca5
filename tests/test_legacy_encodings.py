"""Tests for epicommand.imports.legacy_encodings: TCVN3 (ABC) and VNI text read from old spreadsheets.

Plain functions, no database. Legacy strings are written as Excel/cp1252 shows them ("NguyÔn"), with
"\\xad" for the soft hyphen that is TCVN3 "ư" (invisible in an editor)."""

from __future__ import annotations

import unicodedata

import pytest

from epicommand.imports.legacy_encodings import (
    ENCODINGS,
    TCVN3,
    VIETNAMESE_LETTERS,
    VNI,
    decode,
    detect,
    encode,
    fix,
    fix_many,
)

# ---------------------------------------------------------------------------------------------------
# The code tables, written out independently of the module (lowercase: ngang huyền sắc hỏi ngã nặng)
# ---------------------------------------------------------------------------------------------------

TCVN3_TABLE = {
    "a à á ả ã ạ": "a µ ¸ ¶ · ¹",
    "ă ằ ắ ẳ ẵ ặ": "¨ » ¾ ¼ ½ Æ",
    "â ầ ấ ẩ ẫ ậ": "© Ç Ê È É Ë",
    "e è é ẻ ẽ ẹ": "e Ì Ð Î Ï Ñ",
    "ê ề ế ể ễ ệ": "ª Ò Õ Ó Ô Ö",
    "i ì í ỉ ĩ ị": "i × Ý Ø Ü Þ",
    "o ò ó ỏ õ ọ": "o ß ã á â ä",
    "ô ồ ố ổ ỗ ộ": "« å è æ ç é",
    "ơ ờ ớ ở ỡ ợ": "¬ ê í ë ì î",
    "u ù ú ủ ũ ụ": "u ï ó ñ ò ô",
    "ư ừ ứ ử ữ ự": "\xad õ ø ö ÷ ù",
    "y ỳ ý ỷ ỹ ỵ": "y ú ý û ü þ",
    # đ and the only capitals TCVN3 (VN3) has
    "đ Đ Ă Â Ê Ô Ơ Ư": "® § ¡ ¢ £ ¤ ¥ ¦",
}

VNI_TABLE = {
    "a à á ả ã ạ": "a aø aù aû aõ aï",
    "ă ằ ắ ẳ ẵ ặ": "aê aè aé aú aü aë",
    "â ầ ấ ẩ ẫ ậ": "aâ aà aá aå aã aä",
    "e è é ẻ ẽ ẹ": "e eø eù eû eõ eï",
    "ê ề ế ể ễ ệ": "eâ eà eá eå eã eä",
    "i ì í ỉ ĩ ị": "i ì í æ ó ò",
    "o ò ó ỏ õ ọ": "o oø où oû oõ oï",
    "ô ồ ố ổ ỗ ộ": "oâ oà oá oå oã oä",
    "ơ ờ ớ ở ỡ ợ": "ô ôø ôù ôû ôõ ôï",
    "u ù ú ủ ũ ụ": "u uø uù uû uõ uï",
    "ư ừ ứ ử ữ ự": "ö öø öù öû öõ öï",
    "y ỳ ý ỷ ỹ ỵ": "y yø yù yû yõ î",
    "đ": "ñ",
    # a few capitals spelled out; the rest are checked as the latin-1 uppercase of the lowercase rows
    "À Ấ Ặ Ễ Ị Ơ Ợ Ư Ự Ỵ Đ": "AØ AÁ AË EÃ Ò Ô ÔÏ Ö ÖÏ Î Ñ",
}

TONE_MARKS = ("", "\u0300", "\u0301", "\u0309", "\u0303", "\u0323")
LOWER_LETTERS = [unicodedata.normalize("NFC", v + t) for v in "aăâeêioôơuưy" for t in TONE_MARKS] + ["đ"]
# toned vowels: TCVN3 has no capital glyph for them
TCVN3_CASELESS = [c for c in LOWER_LETTERS if set(unicodedata.normalize("NFD", c)) & set(TONE_MARKS[1:])]


def _pairs(table: dict[str, str]) -> list[tuple[str, str]]:
    pairs = []
    for letters, glyphs in table.items():
        assert len(letters.split()) == len(glyphs.split(" "))
        pairs += zip(letters.split(), glyphs.split(" "), strict=True)
    return pairs


def test_tables_in_this_file_are_complete_and_nfc():
    for table in (TCVN3_TABLE, VNI_TABLE):
        letters = [letter for letter, _ in _pairs(table)]
        assert all(unicodedata.is_normalized("NFC", letter) for letter in letters)
        assert set(LOWER_LETTERS) <= set(letters)
    assert len(LOWER_LETTERS) == 73 and len(TCVN3_CASELESS) == 60
    assert VIETNAMESE_LETTERS == {c for c in LOWER_LETTERS + [c.upper() for c in LOWER_LETTERS] if not c.isascii()}


@pytest.mark.parametrize(("letter", "glyph"), _pairs(TCVN3_TABLE))
def test_tcvn3_table(letter, glyph):
    assert encode(letter, TCVN3) == glyph
    assert decode(glyph, TCVN3) == letter


@pytest.mark.parametrize(("letter", "glyphs"), _pairs(VNI_TABLE))
def test_vni_table(letter, glyphs):
    assert encode(letter, VNI) == glyphs
    assert decode(glyphs, VNI) == letter
    # VNI has every capital: the latin-1 uppercase of the lowercase spelling
    assert encode(letter.upper(), VNI) == glyphs.upper()
    assert decode(glyphs.upper(), VNI) == letter.upper()


def test_every_letter_round_trips_alone():
    for letter in LOWER_LETTERS:
        for enc in ENCODINGS:
            assert decode(encode(letter, enc), enc) == letter, (letter, enc)
        assert decode(encode(letter.upper(), VNI), VNI) == letter.upper()
    # TCVN3 writes a capital toned vowel with the lowercase glyph; alone, it can only come back lowercase
    for letter in TCVN3_CASELESS:
        assert encode(letter.upper(), TCVN3) == encode(letter, TCVN3)
        assert decode(encode(letter.upper(), TCVN3), TCVN3) == letter
    for capital in "ĂÂÊÔƠƯĐ":
        assert decode(encode(capital, TCVN3), TCVN3) == capital


def test_cp1252_punctuation_is_not_decoded():
    # 0x80-0x9F and the VN3 gaps belong to the rarely used VN1 capitals, not to ".VnTime" text
    assert decode("“Lß” – 5…", TCVN3) == "“Lò” – 5…"
    assert decode("“Loø” – 5…", VNI) == "“Lò” – 5…"
    assert decode("à", TCVN3) == "à"  # 0xE0 is a VN3 gap


# ---------------------------------------------------------------------------------------------------
# Known examples, checked against literal strings
# ---------------------------------------------------------------------------------------------------

EXAMPLES = [
    # (Unicode, TCVN3, VNI)
    ("Nguyễn Văn An", "NguyÔn V¨n An", "Nguyeãn Vaên An"),
    ("Lò Thị Mai", "Lß ThÞ Mai", "Loø Thò Mai"),
    ("Giàng A Sử", "Giµng A Sö", "Giaøng A Söû"),
    ("Hà Nhì", "Hµ Nh×", "Haø Nhì"),
    ("Trạm Y tế xã Mường Tè", "Tr¹m Y tÕ x· M\xadêng TÌ", "Traïm Y teá xaõ Möôøng Teø"),
    ("Đoàn Kết", "§oµn KÕt", "Ñoaøn Keát"),
    ("Tòng Thị Ưng", "Tßng ThÞ ¦ng", "Toøng Thò Öng"),
    ("Tam Đường", "Tam §\xadêng", "Tam Ñöôøng"),
    ("Bệnh viện Đa khoa tỉnh Lai Châu", "BÖnh viÖn §a khoa tØnh Lai Ch©u", "Beänh vieän Ña khoa tænh Lai Chaâu"),
    ("Nguyễn Thị Ánh", "NguyÔn ThÞ ¸nh", "Nguyeãn Thò AÙnh"),
    ("Pa Ủ", "Pa ñ", "Pa UÛ"),
]


@pytest.mark.parametrize(("unicode", "tcvn3", "vni"), EXAMPLES)
def test_known_examples(unicode, tcvn3, vni):
    assert encode(unicode, TCVN3) == tcvn3
    assert encode(unicode, VNI) == vni
    assert decode(tcvn3, TCVN3) == unicode
    assert decode(vni, VNI) == unicode
    assert detect(tcvn3) == TCVN3
    assert detect(vni) == VNI
    assert fix(tcvn3) == unicode
    assert fix(vni) == unicode
    assert detect(unicode) is None
    assert fix(unicode) == unicode


@pytest.mark.parametrize(
    ("legacy", "expected"),
    [
        # .VnTimeH capitals text: toned vowels are lowercase glyphs, restored from the capitals around
        ("NGUYÔN V¡N AN", "NGUYỄN VĂN AN"),
        ("M¦êNG TÌ", "MƯỜNG TÈ"),
        ("Lß V¡N TH¾NG", "LÒ VĂN THẮNG"),
        ("V¨N", "VĂN"),  # the uppercase font draws ¨ as Ă too
        # title case: a word starting with a toned vowel gets its capital back
        ("Lß ThÞ ¸nh", "Lò Thị Ánh"),
        ("¤ng ¸nh", "Ông Ánh"),
        # lowercase text and single capitals are left as they are
        ("¨n c¬m ë nhµ", "ăn cơm ở nhà"),
        ("Bé Y tÕ ë Hµ Néi", "Bộ Y tế ở Hà Nội"),
        ("Lß A Sö", "Lò A Sử"),
        ("¸nh", "ánh"),  # alone, TCVN3 cannot say whether this was "Ánh"
    ],
)
def test_tcvn3_case_restoration(legacy, expected):
    assert decode(legacy, TCVN3) == expected


@pytest.mark.parametrize(
    ("legacy", "expected"),
    [
        ("Möôøng", "Mường"),  # ư, then ơ + huyền: ô followed by ø is one letter
        ("ôù", "ớ"),
        ("Thuôû", "Thuở"),
        ("Khuyeán", "Khuyến"),
        ("Nhöõng", "Những"),
        ("AÙnh", "Ánh"),
        ("Aùnh", "Ánh"),  # modifier in the other case: the base letter decides
        ("MÖÔØNG TEØ", "MƯỜNG TÈ"),
        ("Ñieän Bieân", "Điện Biên"),
        ("ù", "ù"),  # a modifier without its base stays as it is
    ],
)
def test_vni_decoding_is_greedy(legacy, expected):
    assert decode(legacy, VNI) == expected


def test_decode_returns_nfc_and_encode_accepts_nfd():
    assert unicodedata.is_normalized("NFC", decode("NguyÔn", TCVN3))
    assert unicodedata.is_normalized("NFC", decode("Nguyeãn", VNI))
    nfd = unicodedata.normalize("NFD", "Nguyễn Văn An")
    assert encode(nfd, TCVN3) == "NguyÔn V¨n An"
    assert encode(nfd, VNI) == "Nguyeãn Vaên An"


def test_encode_keeps_other_characters():
    assert encode("Café 5€ (Lò)", TCVN3) == "CafÐ 5€ (Lß)"
    assert encode("Café 5€ (Lò)", VNI) == "Cafeù 5€ (Loø)"


def test_encoding_names():
    assert decode("NguyÔn", "ABC") == decode("NguyÔn", "TCVN3") == "Nguyễn"
    assert decode("Nguyeãn", "VNI-Windows") == "Nguyễn"
    with pytest.raises(ValueError):
        decode("x", "utf-8")
    with pytest.raises(ValueError):
        encode("x", "viscii")


# ---------------------------------------------------------------------------------------------------
# Detection
# ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "NguyÔn V¨n An",
        "Lß ThÞ Mai",
        "Giµng A Sö",
        "Hµ Nh×",
        "Tr¹m Y tÕ x· M\xadêng TÌ",
        "NGUYÔN V¡N AN",
        "Lß V¡N TH¾NG",
        "Sïng A P¸o",
        "Vµng Seo Chóng",
        "X· Ka L¨ng, huyÖn M\xadêng TÌ, tØnh Lai Ch©u",
        "Hä vµ tªn: NguyÔn ThÞ Hoa - SN 1985 - B¶n Hon",
        "ë",  # ở: one word is enough when its letter cannot be Unicode
    ],
)
def test_detects_tcvn3(text):
    assert detect(text) == TCVN3


@pytest.mark.parametrize(
    "text",
    [
        "Nguyeãn Vaên An",
        "Loø Thò Mai",
        "Giaøng A Söû",
        "Haø Nhì",
        "Traïm Y teá xaõ Möôøng Teø",
        "NGUYEÃN VAÊN AN",
        "Xaõ Ka Laêng, huyeän Möôøng Teø, tænh Lai Chaâu",
        "Coáng",  # Cống: "coáng" cannot be Unicode, c never comes before the glide o
        "Vieät Nam",
    ],
)
def test_detects_vni(text):
    assert detect(text) == VNI


@pytest.mark.parametrize(
    "text",
    [
        # genuine Unicode Vietnamese, including words made only of latin-1 letters
        "Nguyễn Thị Ánh",
        "Xã Mường Tè",
        "Lê Tô",
        "Hoà",
        "Toàn",
        "Tâm",
        "Phó",
        "Hà",
        "Khánh",
        "Bình",
        "Lý",
        "Tây Ninh",
        "Cà Mau",
        "Nguyễn Văn An – 1990",
        "Họ tên: Nguyễn Văn An",
        unicodedata.normalize("NFD", "Nguyễn Thị Ánh"),
        # other languages
        "Hello world",
        "Patient list 2024",
        "Café",
        "Müller",
        "São Paulo",
        "Crème brûlée",
        "Straße",
        "Köln",
        "José García",
        "Noël",
        "naïve",
        "Zürich",
        "Ångström",
        "François",
        "Señor Peña",
        "Grüße aus München",
        # numbers, dates, addresses, signs
        "",
        "   ",
        "12/03/1990",
        "1990-03-12",
        "1.234,56",
        "nguyen.van.an@gmail.com",
        "+84 912 345 678",
        "0912.345.678",
        "25°C",
        "5 × 3 m",
        "« Bonjour »",
        "© 2024",
        "½ kg",
        "µg/ml",
        "±5%",
        "€ 100",
    ],
)
def test_detects_nothing(text):
    assert detect(text) is None
    assert fix(text) == unicodedata.normalize("NFC", text)


# Words of the sample: every vowel letter with every tone (lowercase, capitals, and capitalised after
# a name), đ, and names and places of Lai Châu.
def _syllables() -> list[str]:
    words = []
    for vowel in "aăâeêioôơuưy":
        for mark in TONE_MARKS:
            letter = unicodedata.normalize("NFC", vowel + mark)
            word = "qu" + letter if vowel == "y" else "t" + letter + "n"  # valid syllables
            words += [word, word.upper(), "Lò " + (letter.upper() if vowel == "y" else letter.upper() + "n")]
    return words + ["đan", "ĐAN", "Lò Đan"]


NAMES = [
    *("Lai Châu", "Mường Tè", "Sìn Hồ", "Phong Thổ", "Than Uyên", "Tân Uyên", "Nậm Nhùn", "Tam Đường"),
    *("Đoàn Kết", "Tân Phong", "Bum Tở", "Pa Ủ", "Hua Bum", "Giàng A Dế", "Lò Văn Thắng", "Tòng Thị Ưng"),
    *("Hà Nhì", "Lự", "Si La", "Mảng", "Cống", "Kháng", "Nguyễn", "Phạm", "Trần", "Đặng", "Vũ", "Kan Hồ"),
    *("Ka Lăng", "Thu Lũm", "Mù Cả", "Tà Tổng", "Pa Vây Sử", "Dào San", "Sì Lở Lầu", "Mồ Sì San"),
    *("Vàng Ma Chải", "Khổng Lào", "Nậm Loỏng", "Noong Hẻo", "Pắc Ta", "Hố Mít", "Nậm Sỏ", "Phúc Khoa"),
    *("Thân Thuộc", "Trung Đồng", "Chăn Nưa", "Pú Đao", "Lê Lợi", "Xà Dề Phìn", "Căn Co", "Pu Sam Cáp"),
    *("Tả Phìn", "Sùng A Páo", "Thào Thị Dợ", "Chảo Láo Sử", "Tẩn Láo Lở", "Vàng Seo Chúng", "Hầu A Lềnh"),
    *("Quàng Văn Ơn", "Điêu Chính Tới", "Lò Thị Ngọc", "Lý Thị Xuân", "Đèo Văn Ướng", "Lường Thị Huyền"),
    *("Phàn Sử Mẩy", "Pờ Ho Gió", "Chu Ú Pà", "Nguyễn Thị Ánh", "Phạm Quỳnh Anh", "Trần Đức Thịnh"),
    *("Vũ Thị Nguyệt", "Trạm Y tế xã Mường Tè", "Bệnh viện Đa khoa tỉnh Lai Châu"),
]
SAMPLE = [w for w in _syllables() + NAMES if not w.isascii()]

# Legacy spellings that are themselves correct Unicode Vietnamese: read alone, nothing tells them
# apart ("Vò" is a Unicode word and TCVN3 for "Vũ"; "Hoà" is Unicode and VNI for "Hồ"). detect()
# leaves them alone rather than risk rewriting genuine Unicode; fix_many settles them by column.
UNDECIDABLE = {
    TCVN3: {
        *("Lù", "Vò", "Phóc Khoa", "Pê Ho Giã", "Thu Lòm", "QUý", "quý"),
        *("tán", "tân", "tãn", "tèn", "tén", "tên", "tìn", "tín", "tòn", "tón", "tôn", "tõn", "tùn"),
        *("TÈN", "TÉN", "TÊN", "TÌN", "TÒN", "TÓN", "TÔN", "TÕN"),
    },
    VNI: {
        *("Sìn Hoà", "Kan Hoà", "Moà Sì San", "Hoá Mít"),
        *("toàn", "toán", "toãn", "tìn", "tín", "tòn", "tón", "tôn"),
        *("TOÀN", "TOÁN", "TOÃN", "TÌN", "TÍN", "TÒN", "TÓN", "TÔN"),
    },
}
# VNI spellings that are also valid TCVN3 (ö is VNI ư and TCVN3 ử, æ is ỉ and ổ, î is ỵ and ợ): alone
# they are read as TCVN3, the encoding of the northern provinces.
VNI_READ_AS_TCVN3 = {"tæn", "TÆN", "tön", "TÖN", "quî", "QUÎ", "TOÏN"}


@pytest.mark.parametrize("enc", ENCODINGS)
def test_round_trip_sample(enc):
    assert len(NAMES) >= 50
    for word in SAMPLE:
        assert decode(encode(word, enc), enc) == word, word


@pytest.mark.parametrize("enc", ENCODINGS)
def test_detects_sample(enc):
    undecided, misread = set(), set()
    for word in SAMPLE:
        legacy = encode(word, enc)
        found = detect(legacy)
        if found is None:
            undecided.add(legacy)
        elif found != enc:
            misread.add(legacy)
    assert undecided <= UNDECIDABLE[enc]
    assert misread <= (VNI_READ_AS_TCVN3 if enc == VNI else set())
    # what cannot be decided is a small part of the sample, and only ever an exact Unicode spelling
    assert len(undecided) + len(misread) < len(SAMPLE) / 5
    for legacy in undecided:
        assert all(c.isascii() or c in VIETNAMESE_LETTERS for c in legacy), legacy


def test_names_are_detected():
    # every name and place of the sample with an unmistakable letter is found in both encodings
    for name in NAMES:
        for enc in ENCODINGS:
            legacy = encode(name, enc)
            if not name.isascii() and legacy not in UNDECIDABLE[enc]:
                assert detect(legacy) == enc, (name, enc, legacy)
                assert fix(legacy) == name


# ---------------------------------------------------------------------------------------------------
# fix and fix_many
# ---------------------------------------------------------------------------------------------------


def test_fix_short_circuits_ascii_and_unicode():
    ascii_text = "Nguyen Van An 12/03/1990"
    assert fix(ascii_text) is ascii_text  # no copy, no work: called on millions of cells
    unicode_text = "Nguyễn Thị Ánh"
    assert fix(unicode_text) is unicode_text
    nfd = unicodedata.normalize("NFD", unicode_text)
    assert fix(nfd) == unicode_text and unicodedata.is_normalized("NFC", fix(nfd))


def test_fix_many_settles_ambiguous_cells_by_column():
    column = ["NguyÔn V¨n An", "Lß ThÞ Mai", "Phóc", "Vò", "Giµng A Sö", "Hua Bum", "12/03/1990", "Lù", "µ"]
    assert [fix(cell) for cell in column][2:4] == ["Phóc", "Vò"]  # alone: may be Unicode, left alone
    assert fix_many(column) == [
        "Nguyễn Văn An",
        "Lò Thị Mai",
        "Phúc",
        "Vũ",
        "Giàng A Sử",
        "Hua Bum",
        "12/03/1990",
        "Lự",
        "à",
    ]


def test_fix_many_vni_column():
    column = ["Nguyeãn Vaên An", "Traàn Thò Höông", "Höng", "Lî", "Sìn Hoà", "Thæ"]
    assert fix("Höng") == "Hửng"  # alone, ö reads as TCVN3 ử
    assert fix_many(column) == ["Nguyễn Văn An", "Trần Thị Hương", "Hưng", "Lỵ", "Sìn Hồ", "Thỉ"]


def test_fix_many_keeps_unicode_columns():
    column = ["Nguyễn Thị Ánh", "Trần Văn Bình", "Lê", "Tô", "Phó", "Hoà", "Vò"]
    result = fix_many(column)
    assert result == column
    assert all(a is b for a, b in zip(result, column, strict=True))


def test_fix_many_cell_evidence_beats_column():
    column = ["NguyÔn V¨n An", "Lß ThÞ Mai", "Hµ Nh×", "Nguyeãn Vaên Bình", "Nguyễn Văn Cường"]
    assert fix_many(column) == ["Nguyễn Văn An", "Lò Thị Mai", "Hà Nhì", "Nguyễn Văn Bình", "Nguyễn Văn Cường"]


def test_fix_many_passes_other_cells_through():
    ascii_cell = "Hua Bum"
    column = [ascii_cell, None, 12, "Lß"]
    result = fix_many(column)  # type: ignore[arg-type]
    assert result == ["Hua Bum", None, 12, "Lò"]
    assert result[0] is ascii_cell
    assert fix_many([]) == []
    assert fix_many(iter(["Lß ThÞ Mai"])) == ["Lò Thị Mai"]
