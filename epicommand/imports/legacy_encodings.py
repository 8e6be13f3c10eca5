"""Recognise Vietnamese text typed in the legacy 8-bit encodings TCVN3 (ABC, ".VnTime" fonts) and
VNI (VNI-Windows, "VNI-Times" fonts) and convert it to Unicode (NFC).

Communes still keep lists in spreadsheets made with those fonts. The bytes were never Unicode: the
font drew e.g. byte 0xD4 as "ễ". Excel, or a CSV read as Windows-1252, hands us the Windows-1252
character of each byte instead, so "Nguyễn" arrives as TCVN3 "NguyÔn" or VNI "Nguyeãn". Every table
here is therefore built over those cp1252 characters (latin-1 where cp1252 leaves a byte undefined).

Pure Python, no Django, no third-party package: the importer calls `fix`/`fix_many` on every cell.

Public API: `detect`, `decode`, `encode`, `fix`, `fix_many`, and the names `TCVN3`, `VNI`, `ENCODINGS`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache
from typing import Final, NamedTuple

__all__ = ["ENCODINGS", "TCVN3", "VIETNAMESE_LETTERS", "VNI", "decode", "detect", "encode", "fix", "fix_many"]

TCVN3: Final = "tcvn3"
VNI: Final = "vni"
ENCODINGS: Final = (TCVN3, VNI)

# People write the encodings by the names of their keyboards and fonts, so accept the usual aliases.
_ALIASES: Final = {
    "tcvn3": TCVN3,
    "tcvn": TCVN3,
    "tcvn-3": TCVN3,
    "vn3": TCVN3,
    "abc": TCVN3,
    "vni": VNI,
    "vni-windows": VNI,
    "vni windows": VNI,
    "vniwin": VNI,
}


def _canonical(encoding: str) -> str:
    try:
        return _ALIASES[encoding.strip().lower()]
    except KeyError:
        raise ValueError(f"unknown legacy Vietnamese encoding: {encoding!r} (use {TCVN3!r} or {VNI!r})") from None


def _win(byte: int) -> str:
    """The character Windows/Excel shows for one legacy byte: cp1252, latin-1 where cp1252 has a hole."""
    try:
        return bytes([byte]).decode("cp1252")
    except UnicodeDecodeError:
        return chr(byte)


def _nfc(text: str) -> str:
    # is_normalized is a fast scan; normalising only when needed keeps the object identity too.
    return text if unicodedata.is_normalized("NFC", text) else unicodedata.normalize("NFC", text)


# ---------------------------------------------------------------------------------------------------
# Vietnamese letters
# ---------------------------------------------------------------------------------------------------

# Tone index used throughout: 0 ngang (none), 1 huyền, 2 sắc, 3 hỏi, 4 ngã, 5 nặng.
_TONE_MARKS: Final = ("", "\u0300", "\u0301", "\u0309", "\u0303", "\u0323")
_HUYEN, _SAC, _HOI, _NGA, _NANG = 1, 2, 3, 4, 5
# The twelve vowel letters before tone marks; "đ" is the only non-ASCII consonant.
_VOWELS: Final = "aăâeêioôơuưy"


def _letter(vowel: str, tone: int) -> str:
    # Composing with unicodedata instead of typing 134 code points by hand rules out copy mistakes.
    return unicodedata.normalize("NFC", vowel + _TONE_MARKS[tone])


# Every lowercase vowel letter with its toneless vowel and tone; used to judge syllables.
_TONELESS: Final[dict[str, tuple[str, int]]] = {
    _letter(vowel, tone): (vowel, tone) for vowel in _VOWELS for tone in range(6)
}
_VIET_LOWER: Final = frozenset(_TONELESS) | {"đ"}
#: The 134 Vietnamese letters that are not ASCII: 66 vowel letters with marks and đ, in both cases.
VIETNAMESE_LETTERS: Final = frozenset(c for c in _VIET_LOWER | {c.upper() for c in _VIET_LOWER} if not c.isascii())

# Unicode Vietnamese letters outside latin-1 (ă, đ, ơ, ư, ĩ, ũ and the U+1EA0 block). Neither legacy
# encoding can produce them, so a cell containing one is genuine Unicode and is left alone.
_UNICODE_ONLY_RE: Final = re.compile("[" + "".join(sorted(c for c in VIETNAMESE_LETTERS if ord(c) > 0xFF)) + "]")
# Latin-1 letters that are also Vietnamese letters: evidence from them alone is weak, because genuine
# Unicode uses them too ("Tô", "Lê", "Hoà").
_VIET_LATIN1: Final = frozenset(c for c in VIETNAMESE_LETTERS if ord(c) <= 0xFF)
# Latin-1 punctuation/symbol block plus × and ÷: a "word" made only of these is more likely a sign
# ("5 × 3", "« … »", "½ kg") than a one-letter legacy word, so it is never evidence on its own.
_SYMBOLS: Final = frozenset(chr(c) for c in range(0xA0, 0xC0)) | {"×", "÷"}


# ---------------------------------------------------------------------------------------------------
# TCVN3 (ABC, TCVN 5712:1993 VN3)
# ---------------------------------------------------------------------------------------------------

# Byte of each lowercase vowel letter, tones in the order of _TONE_MARKS. VN3, the font set actually
# used (".VnTime" lowercase font + ".VnTimeH" uppercase font), has no uppercase toned letters: the
# uppercase font draws these same bytes as capitals. The gaps (0x80-0x9F, 0xAF, 0xBA, 0xBF-0xC5, 0xCD,
# 0xD9-0xDB, 0xE0, 0xF0, 0xFF) held capitals only in the rarely used VN1 variant; they are not
# decoded, so cp1252 punctuation such as “ ” – … never turns into letters.
_TCVN3_VOWELS: Final[dict[str, tuple[int, int, int, int, int, int]]] = {
    #      ngang huyền sắc  hỏi   ngã   nặng
    "a": (0x61, 0xB5, 0xB8, 0xB6, 0xB7, 0xB9),
    "ă": (0xA8, 0xBB, 0xBE, 0xBC, 0xBD, 0xC6),
    "â": (0xA9, 0xC7, 0xCA, 0xC8, 0xC9, 0xCB),
    "e": (0x65, 0xCC, 0xD0, 0xCE, 0xCF, 0xD1),
    "ê": (0xAA, 0xD2, 0xD5, 0xD3, 0xD4, 0xD6),
    "i": (0x69, 0xD7, 0xDD, 0xD8, 0xDC, 0xDE),
    "o": (0x6F, 0xDF, 0xE3, 0xE1, 0xE2, 0xE4),
    "ô": (0xAB, 0xE5, 0xE8, 0xE6, 0xE7, 0xE9),
    "ơ": (0xAC, 0xEA, 0xED, 0xEB, 0xEC, 0xEE),
    "u": (0x75, 0xEF, 0xF3, 0xF1, 0xF2, 0xF4),
    "ư": (0xAD, 0xF5, 0xF8, 0xF6, 0xF7, 0xF9),
    "y": (0x79, 0xFA, 0xFD, 0xFB, 0xFC, 0xFE),
}
# đ and the only uppercase letters VN3 has (base letters with a modifier, no tone).
_TCVN3_OTHERS: Final = {"đ": 0xAE, "Ă": 0xA1, "Â": 0xA2, "Ê": 0xA3, "Ô": 0xA4, "Ơ": 0xA5, "Ư": 0xA6, "Đ": 0xA7}


def _build_tcvn3() -> tuple[dict[str, str], dict[str, str]]:
    to_unicode: dict[str, str] = {}
    from_unicode: dict[str, str] = {}
    for vowel, codes in _TCVN3_VOWELS.items():
        for tone, code in enumerate(codes):
            letter, glyph = _letter(vowel, tone), _win(code)
            if code >= 0x80:
                to_unicode[glyph] = letter
            if not letter.isascii():
                from_unicode[letter] = glyph
                # No uppercase glyph: an uppercase letter is written with the lowercase one (that is what
                # a .VnTimeH user types), unless VN3 has the capital (Ă Â Ê Ô Ơ Ư, set below).
                from_unicode.setdefault(letter.upper(), glyph)
    for letter, code in _TCVN3_OTHERS.items():
        to_unicode[_win(code)] = letter
        from_unicode[letter] = _win(code)
    assert len(to_unicode) == 12 * 6 - 6 + len(_TCVN3_OTHERS), "each non-ASCII glyph is one distinct letter"
    return to_unicode, from_unicode


_TCVN3_TO_UNICODE, _TCVN3_FROM_UNICODE = _build_tcvn3()
_TCVN3_DECODE_TABLE: Final = str.maketrans(_TCVN3_TO_UNICODE)
_TCVN3_ENCODE_TABLE: Final = str.maketrans(_TCVN3_FROM_UNICODE)
_TCVN3_CHARS: Final = frozenset(_TCVN3_TO_UNICODE)
# Glyphs whose letter has no uppercase glyph in VN3 (all toned vowels): their case must be guessed.
_TCVN3_CASELESS: Final = frozenset(g for g, letter in _TCVN3_TO_UNICODE.items() if _TONELESS.get(letter, ("", 0))[1])
_TCVN3_UPPER_BASES: Final = frozenset(_win(code) for letter, code in _TCVN3_OTHERS.items() if letter.isupper())
_TCVN3_LOWER_BASES: Final = frozenset(_win(code) for letter, code in _TCVN3_OTHERS.items() if letter.islower()) | {
    _win(codes[0]) for codes in _TCVN3_VOWELS.values() if codes[0] >= 0x80
}
_TCVN3_WORD_RE: Final = re.compile("[A-Za-z" + re.escape("".join(sorted(_TCVN3_CHARS))) + "]+")
_TCVN3_CASE_HINT_RE: Final = re.compile("[A-Z" + "".join(sorted(_TCVN3_UPPER_BASES)) + "]")
# Glyphs that may need a capital: the toned ones, and the lowercase base glyphs in capitals text.
_TCVN3_RECASE_RE: Final = re.compile("[" + re.escape("".join(sorted(_TCVN3_CASELESS | _TCVN3_LOWER_BASES))) + "]")


_CASELESS_START, _UPPER_START, _LOWER_START, _OTHER_START = range(4)


@lru_cache(maxsize=1 << 16)
def _tcvn3_case(glyph_word: str) -> tuple[int, int, int]:
    """(uppercase, lowercase, kind of first letter) for one TCVN3 word. Only letters whose case is
    certain are counted: ASCII letters and the VN3 capitals. The lowercase base glyphs ¨ © ª « ¬ ­ ®
    are left out on purpose: the uppercase font .VnTimeH draws them as capitals, so "V¨N" is "VĂN"."""
    upper = lower = 0
    for ch in glyph_word:
        if "A" <= ch <= "Z" or ch in _TCVN3_UPPER_BASES:
            upper += 1
        elif "a" <= ch <= "z":
            lower += 1
    first = glyph_word[0]
    if first in _TCVN3_CASELESS:
        start = _CASELESS_START
    elif "A" <= first <= "Z" or first in _TCVN3_UPPER_BASES:
        start = _UPPER_START
    elif "a" <= first <= "z" or first in _TCVN3_LOWER_BASES:
        start = _LOWER_START
    else:
        start = _OTHER_START
    return upper, lower, start


def _decode_tcvn3(text: str) -> str:
    out = text.translate(_TCVN3_DECODE_TABLE)
    # Toned letters come out lowercase. Their case only needs guessing when such a glyph and some
    # capital occur together.
    if not _TCVN3_CASE_HINT_RE.search(text) or not _TCVN3_RECASE_RE.search(text):
        return out
    cases = [_tcvn3_case(w) for w in _TCVN3_WORD_RE.findall(text)]
    # Whole cell in capitals ("NGUYÔN V¡N AN", typed with .VnTimeH): no certain lowercase letter, and at
    # least one word with two certain capitals, so "Lß A Sö" (Lò A Sử) stays mixed case.
    all_caps = all(lower == 0 for _, lower, _ in cases) and any(upper >= 2 for upper, _, _ in cases)
    # Title case ("Lß ThÞ ¸nh"): every word whose first letter has a certain case starts with a capital,
    # so a word starting with a caseless glyph is capitalised too ("Ánh", "Pa Ủ").
    starts = {start for _, _, start in cases}
    title = _UPPER_START in starts and _LOWER_START not in starts and _CASELESS_START in starts
    capitalised = [lower == 0 and (all_caps or upper >= 2) for upper, lower, _ in cases]
    if not title and not any(capitalised):
        return out  # the usual "NguyÔn V¨n An": nothing to change, decided without building strings
    # The translation is one character for one, so positions in `text` and `out` line up.
    chars = list(out)
    for m, caps, (_, _, start) in zip(_TCVN3_WORD_RE.finditer(text), capitalised, cases, strict=True):
        if caps:
            chars[m.start() : m.end()] = out[m.start() : m.end()].upper()
        elif title and start == _CASELESS_START:
            chars[m.start()] = out[m.start()].upper()
    return "".join(chars)


# ---------------------------------------------------------------------------------------------------
# VNI (VNI-Windows)
# ---------------------------------------------------------------------------------------------------

# VNI writes a base letter followed by one modifier byte carrying the vowel mark and/or the tone.
# Uppercase modifiers are the lowercase ones minus 0x20 (ù 0xF9 → Ù 0xD9), like latin-1 itself.
_VNI_TONE: Final = (None, 0xF8, 0xF9, 0xFB, 0xF5, 0xEF)  # huyền ø, sắc ù, hỏi û, ngã õ, nặng ï
_VNI_CIRCUMFLEX: Final = (0xE2, 0xE0, 0xE1, 0xE5, 0xE3, 0xE4)  # â; with tone à á å ã ä
_VNI_BREVE: Final = (0xEA, 0xE8, 0xE9, 0xFA, 0xFC, 0xEB)  # ê; with tone è é ú ü ë
# i, ơ, ư, đ and ỵ are single bytes (ơ = ô, ư = ö, đ = ñ, ỵ = î; i with tones ì í æ ó ò).
_VNI_I: Final = (0x69, 0xEC, 0xED, 0xE6, 0xF3, 0xF2)
_VNI_SINGLE_BASE: Final = {"ơ": 0xF4, "ư": 0xF6}
_VNI_D: Final = 0xF1
_VNI_Y_NANG: Final = 0xEE


def _vni_spelling(vowel: str, tone: int) -> list[int]:
    """Bytes of a lowercase vowel letter in VNI."""
    if vowel == "i":
        return [_VNI_I[tone]]
    if vowel == "y" and tone == _NANG:
        return [_VNI_Y_NANG]
    if vowel in "âêô":
        return [ord({"â": "a", "ê": "e", "ô": "o"}[vowel]), _VNI_CIRCUMFLEX[tone]]
    if vowel == "ă":
        return [ord("a"), _VNI_BREVE[tone]]
    base = _VNI_SINGLE_BASE.get(vowel, ord(vowel))
    mark = _VNI_TONE[tone]
    return [base] if mark is None else [base, mark]


def _vni_upper(code: int) -> int:
    return code - 0x20 if code >= 0xC0 or 0x61 <= code <= 0x7A else code


def _build_vni() -> tuple[dict[str, str], dict[str, str]]:
    from_unicode: dict[str, str] = {}
    for vowel in _VOWELS:
        for tone in range(6):
            codes = _vni_spelling(vowel, tone)
            letter = _letter(vowel, tone)
            from_unicode[letter] = "".join(_win(c) for c in codes)
            from_unicode[letter.upper()] = "".join(_win(_vni_upper(c)) for c in codes)
    from_unicode["đ"], from_unicode["Đ"] = _win(_VNI_D), _win(_vni_upper(_VNI_D))
    from_unicode = {letter: glyphs for letter, glyphs in from_unicode.items() if not letter.isascii()}
    to_unicode = {glyphs: letter for letter, glyphs in from_unicode.items()}
    assert len(to_unicode) == len(from_unicode) == 2 * (12 * 6 - 6 + 1), "VNI spellings are unique"
    # Be lenient on the case of the modifier: some keyboard drivers wrote "Aù" for "Á". The base
    # letter decides the case, as it does on screen.
    for glyphs, letter in list(to_unicode.items()):
        if len(glyphs) == 2:
            to_unicode.setdefault(glyphs[0] + glyphs[1].swapcase(), letter)
    return to_unicode, from_unicode


_VNI_TO_UNICODE, _VNI_FROM_UNICODE = _build_vni()
_VNI_ENCODE_TABLE: Final = str.maketrans(_VNI_FROM_UNICODE)


def _vni_pattern() -> re.Pattern[str]:
    # One alternative per base letter with the class of modifiers valid after it, pairs before single
    # bytes: a regex alternation is tried left to right, which makes the match greedy on the longest
    # spelling ("ôù" is ớ, not ơ followed by a stray ù) while staying fast.
    followers: dict[str, set[str]] = {}
    singles: set[str] = set()
    for glyphs in _VNI_TO_UNICODE:
        if len(glyphs) == 2:
            followers.setdefault(glyphs[0], set()).add(glyphs[1])
        else:
            singles.add(glyphs)
    pairs = [re.escape(base) + "[" + re.escape("".join(sorted(mods))) + "]" for base, mods in sorted(followers.items())]
    return re.compile("|".join([*pairs, "[" + re.escape("".join(sorted(singles))) + "]"]))


_VNI_RE: Final = _vni_pattern()
_VNI_CHARS: Final = frozenset(ch for glyphs in _VNI_TO_UNICODE for ch in glyphs if not ch.isascii())


def _vni_sub(match: re.Match[str]) -> str:
    return _VNI_TO_UNICODE[match.group()]


def _decode_vni(text: str) -> str:
    return _VNI_RE.sub(_vni_sub, text)


def _decode_vni_strict(word: str) -> str | None:
    """Decode one word, or None when a non-ASCII character is not part of a VNI spelling (a modifier
    without its base, "ß", …): such a word is not VNI."""
    parts: list[str] = []
    pos = 0
    for m in _VNI_RE.finditer(word):
        gap = word[pos : m.start()]
        if not gap.isascii():
            return None
        parts.append(gap)
        parts.append(_VNI_TO_UNICODE[m.group()])
        pos = m.end()
    tail = word[pos:]
    if not tail.isascii():
        return None
    parts.append(tail)
    return "".join(parts)


# ---------------------------------------------------------------------------------------------------
# Public conversion
# ---------------------------------------------------------------------------------------------------


def decode(text: str, encoding: str) -> str:
    """Convert legacy text (as cp1252 characters) in `encoding` to Unicode NFC.

    TCVN3 has no uppercase toned letters; their case is restored from the word and cell around them
    (all capitals: "NGUYÔN" → "NGUYỄN"; title case: "Lß ThÞ ¸nh" → "Lò Thị Ánh"), else lowercase."""
    enc = _canonical(encoding)
    if text.isascii():
        return text
    out = _decode_tcvn3(text) if enc == TCVN3 else _decode_vni(text)
    return _nfc(out)


def encode(text: str, encoding: str) -> str:
    """Convert Unicode Vietnamese to legacy text as cp1252 characters (what Excel would show), e.g. to
    build fixture files. TCVN3 writes uppercase toned letters with the lowercase glyph, as VN3 does.
    Characters without a legacy spelling are kept as they are."""
    enc = _canonical(encoding)
    text = unicodedata.normalize("NFC", text)
    if text.isascii():
        return text
    return text.translate(_TCVN3_ENCODE_TABLE if enc == TCVN3 else _VNI_ENCODE_TABLE)


# ---------------------------------------------------------------------------------------------------
# Vietnamese syllables: the main evidence for detection
# ---------------------------------------------------------------------------------------------------
#
# Counting odd characters is not enough: "Café", "Müller", "São" hold as many latin-1 letters as a
# short legacy name. What separates them is that a legacy word *decodes to a Vietnamese syllable*
# (onset + rhyme, one tone, the spelling rules), which a foreign or already-Unicode word almost never
# does. The rhyme list is closed, about 150 entries, so it is spelled out.

_ONSETS: Final = (
    "ngh", "ng", "nh", "ch", "gh", "gi", "kh", "ph", "qu", "th", "tr",
    "b", "c", "d", "đ", "g", "h", "k", "l", "m", "n", "p", "r", "s", "t", "v", "x", "",
)  # fmt: skip
_RHYMES: Final = frozenset(
    """
    a ac ach ai am an ang anh ao ap at au ay
    ăc ăm ăn ăng ăp ăt
    âc âm ân âng âp ât âu ây
    e ec em en eng eo ep et
    ê êch êm ên ênh êp êt êu
    i ia ich im in inh ip it iu iêc iêm iên iêng iêp iêt iêu
    o oc oi om on ong op ot oong ooc
    oa oac oach oai oam oan oang oanh oao oap oat oay oăc oăm oăn oăng oăt oe oen oeo oet
    ô ôc ôi ôm ôn ông ôp ôt
    ơ ơi ơm ơn ơp ơt
    u ua uc ui um un ung up ut uôc uôi uôm uôn uông uôt
    uân uâng uât uây uê uêch uênh uy uya uych uyên uyêt uynh uyt uyu uơ
    ư ưa ưc ưi ưm ưn ưng ưt ưu ươc ươi ươm ươn ương ươp ươt ươu
    y yêm yên yêt yêu
    """.split()
)
# Rhymes that start with the glide o/u ("hoa", "tuân"). After c the glide is spelled with q: "qua",
# never "coa"; this rule is what tells VNI "Coáng" (Cống) from a Unicode word.
_GLIDE_RHYMES: Final = frozenset(r for r in _RHYMES if r[:2] in ("oa", "oă", "oe", "uâ", "uê", "uy", "uơ"))
# After "qu" the u is the glide already: "quân", "quynh", "quốc", "quê".
_QU_RHYMES: Final = frozenset({r for r in _RHYMES if r[0] not in "uư"} | {r[1:] for r in _GLIDE_RHYMES if r[0] == "u"})
_STOP_CODAS: Final = ("c", "ch", "p", "t")
_CONSONANTS: Final = frozenset("bcdđghklmnpqrstvx")
# Rhymes found only in a few loanwords and ethnic names ("xoong", "Noong Hẻo", "ngoẹo"). Used only to
# break a tie between the two encodings: TCVN3 "Coáng" would be "coỏng", VNI "Coáng" is "Cống".
_RARE_RHYMES: Final = frozenset({"oong", "ooc", "oao", "oeo", "oăm", "oăc", "oap", "oem", "uych", "uyu", "uya"})
# Open rhymes whose tone sits on either vowel: old style "hòa", "thủy", new style "hoà", "thuỷ".
_TWO_STYLE_RHYMES: Final = frozenset({"oa", "oe", "uy"})

_INVALID, _RARE, _VALID = 0, 1, 2


def _tone_position_ok(rhyme: str, position: int) -> bool:
    """Whether the tone may sit on rhyme[position], by the orthography's placement rules."""
    vowels = rhyme.rstrip("cmnpght")  # codas are c ch m n ng nh p t; vowels never end in those letters
    if position >= len(vowels):
        return False
    marked = [i for i, v in enumerate(vowels) if v in "ăâêôơư"]
    if marked:
        return position == marked[-1]  # on the vowel with a mark; on ơ in ươ
    if vowels == "oo":
        return True
    if len(vowels) < len(rhyme):
        return position == len(vowels) - 1  # closed syllable: on the last vowel ("hoàng", "huỳnh")
    if vowels in _TWO_STYLE_RHYMES:
        return True
    return position == (1 if len(vowels) == 3 else 0)  # "mái", "múa"; "hoài", "khuỷu"


def _rhyme_grade(onset: str, rhyme: str, tone: int, position: int) -> int:
    if rhyme not in (_QU_RHYMES if onset == "qu" else _RHYMES):
        return _INVALID
    front = rhyme[0] in "ieê"
    if onset == "c" and (front or rhyme[0] == "y" or rhyme in _GLIDE_RHYMES):
        return _INVALID  # k/q spell that sound
    if onset in ("gh", "ngh") and not front:
        return _INVALID
    if onset == "g" and rhyme[0] in "eê" or onset == "ng" and front:
        return _INVALID  # gh/ngh spell that sound
    # "k" is not restricted: Lai Châu place names such as "Ka Lăng", "Kan Hồ" write it before a.
    # A syllable closed by p/t/c/ch only carries sắc or nặng (or none, tolerated for ethnic names).
    if tone and (
        rhyme.endswith(_STOP_CODAS) and tone in (_HUYEN, _HOI, _NGA) or not _tone_position_ok(rhyme, position)
    ):
        return _INVALID
    return _RARE if rhyme in _RARE_RHYMES else _VALID


@lru_cache(maxsize=1 << 16)
def _syllable(word: str) -> int:
    """How well `word` (Unicode, any case) is spelled as one Vietnamese syllable: _INVALID, _RARE or
    _VALID. Checks the letters, one tone at most, onset + rhyme from the closed lists, the c/k/q, g/gh
    and ng/ngh rules, tones allowed after p/t/c/ch, and where the tone mark sits."""
    letters: list[str] = []
    tone, tone_at = 0, -1
    for ch in word.lower():
        vowel_tone = _TONELESS.get(ch)
        if vowel_tone is not None:
            vowel, t = vowel_tone
            if t:
                if tone:
                    return _INVALID  # two tone marks
                tone, tone_at = t, len(letters)
            letters.append(vowel)
        elif ch in _CONSONANTS:
            letters.append(ch)
        else:
            return _INVALID  # f, j, w, z, digits, foreign letters
    plain = "".join(letters)
    best = _INVALID
    for onset in _ONSETS:
        if plain.startswith(onset) and (not tone or tone_at >= len(onset)):
            best = max(best, _rhyme_grade(onset, plain[len(onset) :], tone, tone_at - len(onset)))
    return best


# ---------------------------------------------------------------------------------------------------
# Detection
# ---------------------------------------------------------------------------------------------------

_GOOD, _AMBIGUOUS, _SYMBOL, _BAD, _NEUTRAL = range(5)

_LEGACY_CHARS: Final = _TCVN3_CHARS | _VNI_CHARS
_LEGACY_RE: Final = re.compile("[" + re.escape("".join(sorted(_LEGACY_CHARS))) + "]")
# A word for detection: ASCII letters, every latin-1 letter or legacy glyph, and the letters cp1252
# puts at 0x80-0x9F (Š, œ, …). Foreign letters are included so that they make a word fail.
_WORD_CHARS: Final = _LEGACY_CHARS | {chr(c) for c in range(0xC0, 0x100) if chr(c).isalpha()} | set("ŠšŒœŽžŸƒ")
_WORD_RE: Final = re.compile("[A-Za-z" + re.escape("".join(sorted(_WORD_CHARS))) + "]+")
# Legacy characters that are not Vietnamese letters in Unicode: a word holding one cannot be genuine.
_TCVN3_STRONG: Final = frozenset(_TCVN3_CHARS - _VIET_LATIN1)
_VNI_STRONG: Final = frozenset(_VNI_CHARS - _VIET_LATIN1)


class _Score(NamedTuple):
    good: int  # words that decode to Vietnamese and cannot be genuine Unicode
    ambiguous: int  # words that decode to Vietnamese but are also valid Unicode as they stand
    symbol: int  # sign-only words that happen to decode to a syllable ("×" → "ì")
    bad: int  # words with legacy characters that do not decode to a Vietnamese syllable
    commonness: int  # how usual the decoded letters and rhymes are (tie-break only, see _commonness)

    def accepts(self) -> bool:
        # One good word is enough for a name cell; longer text may hold a typo or a foreign word.
        return self.good >= 1 and self.good >= 2 * self.bad

    def compatible(self) -> bool:
        """Decodes cleanly: usable when the column, not the cell, decided the encoding."""
        return self.bad == 0 and self.good + self.ambiguous + self.symbol >= 1


def _mixed_case(word: str) -> bool:
    """Case changes inside the word (beyond a capital first letter). TCVN3 produces this all the time,
    since its lowercase letters include latin-1 capitals (Ô = ễ) and its capitals-font text keeps
    lowercase glyphs (ã = ó in "TãN"); genuine text does not."""
    rest = word[1:]
    upper = any(c.isupper() for c in rest)
    return upper and (word[0].islower() or any(c.islower() for c in rest))


# Some bytes are Vietnamese in both encodings: ö is TCVN3 ử and VNI ư, ñ is TCVN3 ủ and VNI đ, î is
# TCVN3 ợ and VNI ỵ, æ is TCVN3 ổ and VNI ỉ. When a word reads as a valid syllable both ways, the
# reading with clearly more usual letters wins: the seven unaccented modified letters are the most
# frequent ones, hỏi/ngã on the rarer vowels and the y-tones the least. (ử is not counted as rare:
# Sử, Cử, Tử are everyday Hmong name syllables in Lai Châu.)
_COMMON_LETTERS: Final = frozenset("đăâêôơư")
_UNCOMMON_LETTERS: Final = frozenset("ẳẵẩẫẻẽẹễĩõỗỡũữỳỷỹỵ")


def _commonness(decoded: str, grade: int) -> int:
    score = -2 if grade == _RARE else 0
    for ch in decoded.lower():
        if ch in _COMMON_LETTERS:
            score += 1
        elif ch in _UNCOMMON_LETTERS:
            score -= 1
    return score


@lru_cache(maxsize=1 << 16)
def _judge(word: str, encoding: str) -> tuple[int, int]:
    """(kind of evidence, commonness of the reading) for one non-ASCII word read in `encoding`."""
    if encoding == TCVN3:
        decoded = word.translate(_TCVN3_DECODE_TABLE) if all(c.isascii() or c in _TCVN3_CHARS for c in word) else None
    else:
        decoded = _decode_vni_strict(word)
        if decoded is not None and _mixed_case(decoded):
            decoded = None  # VNI has every capital, so "tƠn" from "tÔn" is a misreading (of TCVN3 "tễn")
    grade = _syllable(decoded) if decoded is not None else _INVALID
    if grade == _INVALID:
        return _BAD, 0
    assert decoded is not None
    common = _commonness(decoded, grade)
    if decoded == word:
        return _NEUTRAL, common  # e.g. "Lý" in TCVN3, "Sìn" in VNI: nothing to convert, nothing learnt
    if all(c in _SYMBOLS for c in word):
        return _SYMBOL, common
    strong = _TCVN3_STRONG if encoding == TCVN3 else _VNI_STRONG
    if any(c in strong for c in word):
        return _GOOD, common
    if _mixed_case(word):
        return _GOOD, common  # "NguyÔn", "tÕ", "TãN": no Unicode spelling mixes case inside a word
    # Only Vietnamese latin-1 letters: if the word is a valid syllable as it stands ("Tô", "Hoà"), it
    # may well be genuine Unicode; refuse to rewrite it on this evidence alone.
    return (_AMBIGUOUS if _syllable(word) != _INVALID else _GOOD), common


def _scores(text: str) -> dict[str, _Score] | None:
    """Per-encoding evidence for NFC `text`, or None when it is certainly not legacy text."""
    if text.isascii() or _UNICODE_ONLY_RE.search(text) or not _LEGACY_RE.search(text):
        return None
    words = [w for w in _WORD_RE.findall(text) if not w.isascii()]
    result: dict[str, _Score] = {}
    for enc in ENCODINGS:
        counts = [0, 0, 0, 0, 0]
        commonness = 0
        for w in words:
            kind, common = _judge(w, enc)
            counts[kind] += 1
            commonness += common
        result[enc] = _Score(counts[_GOOD], counts[_AMBIGUOUS], counts[_SYMBOL], counts[_BAD], commonness)
    return result


def _choose(scores: dict[str, _Score]) -> str | None:
    # Best margin of good over bad words, then the more usual reading, with a head start of one for
    # TCVN3 which also wins what is left ("Thæ": TCVN3 Thổ, VNI Thỉ; "Sö": TCVN3 Sử, VNI Sư). ABC/TCVN3
    # was the national standard and is what the offices of the northern provinces used; VNI is mostly
    # found in the south. A lone ambiguous cell is settled better by its column: see fix_many.
    accepted = [
        (s.good - s.bad, s.commonness + (enc == TCVN3), enc == TCVN3, enc) for enc, s in scores.items() if s.accepts()
    ]
    return max(accepted)[3] if accepted else None


def detect(text: str) -> str | None:
    """The legacy encoding of `text`, "tcvn3" or "vni"; None for anything else (ASCII, Unicode
    Vietnamese, other languages) and when the evidence is too thin: a lone "Tô" may be Unicode."""
    if text.isascii():
        return None
    scores = _scores(_nfc(text))
    return _choose(scores) if scores else None


@lru_cache(maxsize=1 << 16)
def is_plain(text: str) -> bool:
    """True when `text` is certainly not legacy text, whatever the cells around it: such a cell is
    only NFC-normalised, so callers may skip it (a file repeats the same villages and communes)."""
    return text.isascii() or _scores(_nfc(text)) is None


def fix(text: str) -> str:
    """Unicode NFC of a cell: decoded when it is legacy text, otherwise `text` itself (NFC-normalised).
    Pure-ASCII input is returned as the same object without any work."""
    if text.isascii():
        return text
    text = _nfc(text)
    scores = _scores(text)
    encoding = _choose(scores) if scores else None
    return decode(text, encoding) if encoding else text


def fix_many(values: Iterable[str]) -> list[str]:
    """`fix` for the cells of one column (or row), deciding the encoding once for all of them.

    Cells whose evidence points to exactly one encoding vote; cells with Unicode Vietnamese letters
    vote for Unicode. If one legacy encoding has more votes than everything else together, it is the
    column's encoding and settles the cells that cannot decide alone: ambiguous ones that decode
    cleanly in it (TCVN3 "Phóc", "Vò", "µ" are "Phúc", "Vũ", "à", not Unicode words) and ones valid
    in both encodings ("Sö" is VNI "Sư" in a VNI column). Other cells get exactly what `fix` gives."""
    cells = list(values)
    # Per cell: its NFC text and evidence, or None for cells returned as they are.
    verdicts: list[tuple[str, dict[str, _Score] | None] | None] = []
    votes = dict.fromkeys(ENCODINGS, 0)
    unicode_votes = 0
    for cell in cells:
        if not isinstance(cell, str) or cell.isascii():
            verdicts.append(None)  # ASCII needs nothing; non-text cells (None, numbers) pass through
            continue
        text = _nfc(cell)
        scores = _scores(text)
        if scores is None:
            unicode_votes += bool(_UNICODE_ONLY_RE.search(text))
        else:
            accepted = [enc for enc in ENCODINGS if scores[enc].accepts()]
            if len(accepted) == 1:
                votes[accepted[0]] += 1
        verdicts.append((text, scores))
    best = max(ENCODINGS, key=votes.__getitem__)
    column = best if votes[best] > sum(votes.values()) - votes[best] + unicode_votes else None
    out: list[str] = []
    for cell, verdict in zip(cells, verdicts, strict=True):
        if verdict is None:
            out.append(cell)
            continue
        text, scores = verdict
        if scores is None:
            out.append(text)
            continue
        if column is not None and (scores[column].accepts() or scores[column].compatible()):
            encoding: str | None = column
        else:
            encoding = _choose(scores)
        out.append(decode(text, encoding) if encoding else text)
    return out
