"""Identity numbers: CCCD (12 digits), CMND (9), passport, health-insurance number (15).

CCCD layout (Circular 07/2016/TT-BCA, DOMAIN.md §3): digits 1–3 the province where the birth was
registered, digit 4 the century and sex, digits 5–6 the last two digits of the birth year, then six
random digits. A number whose digits 4–6 disagree with the recorded sex and birth year is reported,
never silently corrected: either side may be the wrong one.
"""

from __future__ import annotations

import re

from django.utils.translation import gettext as _

# The 63 provinces of the birth-registration code (the pre-2025 provinces, zero-padded GSO codes).
CCCD_PROVINCES = frozenset(
    "001 002 004 006 008 010 011 012 014 015 017 019 020 022 024 025 026 027 030 031 033 034 035 036 037 038 "
    "040 042 044 045 046 048 049 051 052 054 056 058 060 062 064 066 067 068 070 072 074 075 077 079 080 082 "
    "083 084 086 087 089 091 092 093 094 095 096".split()
)
# Digit 4: century → (male digit, female digit).
_CENTURY_DIGITS = {1900: ("0", "1"), 2000: ("2", "3"), 2100: ("4", "5"), 2200: ("6", "7"), 1800: ("8", "9")}
_DIGIT_CENTURY = {
    digit: (century, "M" if i == 0 else "F") for century, digits in _CENTURY_DIGITS.items()
    for i, digit in enumerate(digits)
}

_NON_DIGITS = re.compile(r"[\s.\-]")
_INSURANCE = re.compile(r"^[A-Z]{2}[1-5]\d{12}$")
_PASSPORT = re.compile(r"^[A-Z0-9]{6,12}$")


def clean_number(value: str | None) -> str:
    """What people type ("012 095 001 234", "012.095.001.234", a float from Excel) as bare characters."""
    text = str(value or "").strip()
    if text.endswith(".0") and text[:-2].isdigit():
        text = text[:-2]
    return _NON_DIGITS.sub("", text).upper()


def cccd_problems(cccd: str, *, sex: str | None = None, birth_year: int | None = None) -> list[str]:
    """Why a CCCD is malformed or disagrees with the person's sex and birth year (empty when fine)."""
    if len(cccd) != 12 or not cccd.isdigit():
        return [_("A CCCD has exactly 12 digits.")]
    problems = []
    if cccd[:3] not in CCCD_PROVINCES:
        problems.append(_("The first three digits (%(code)s) are not a province code.") % {"code": cccd[:3]})
    century, coded_sex = _DIGIT_CENTURY[cccd[3]]
    if sex and sex != coded_sex:
        problems.append(_("The CCCD is that of a %(coded)s, but the person is recorded as %(recorded)s.") % {
            "coded": _("man") if coded_sex == "M" else _("woman"),
            "recorded": _("man") if sex == "M" else _("woman"),
        })
    if birth_year is not None and century + int(cccd[4:6]) != birth_year:
        problems.append(_("The CCCD gives birth year %(coded)s, but the recorded year is %(recorded)s.") % {
            "coded": century + int(cccd[4:6]), "recorded": birth_year,
        })
    return problems


def is_well_formed_cccd(cccd: str) -> bool:
    return len(cccd) == 12 and cccd.isdigit() and cccd[:3] in CCCD_PROVINCES


def cmnd_problems(cmnd: str) -> list[str]:
    return [] if len(cmnd) == 9 and cmnd.isdigit() else [_("A CMND has exactly 9 digits.")]


def insurance_problems(number: str) -> list[str]:
    if _INSURANCE.match(number):
        return []
    return [_("A health-insurance number has 15 characters: 2 letters, a benefit digit 1–5, then 12 digits.")]


def passport_problems(number: str) -> list[str]:
    return [] if _PASSPORT.match(number) else [_("A passport number has 6 to 12 letters and digits.")]
