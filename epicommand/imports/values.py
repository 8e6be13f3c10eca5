"""Turning what people type in spreadsheets into values: dates in every common form, sex, numbers.
Each parser returns the value, or raises ValueError with a message for the user."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from functools import lru_cache

from django.utils.formats import number_format
from django.utils.translation import gettext as _

from epicommand.core.text import fold

_EXCEL_EPOCH = date(1899, 12, 30)
_DMY = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{2}|\d{4})$")
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T].*)?$")
_YEAR = re.compile(r"^(\d{4})(?:\.0)?$")
# A count as typed: plain digits, or thousands grouped by dots (Vietnamese), commas or spaces: 12.345, 12,345.
_COUNT = re.compile(r"^[0-9]{1,3}(?:([.,\u00a0 ])[0-9]{3})?(?:\1[0-9]{3})*$|^[0-9]+$")


def text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def parse_count(value: object, *, high: int) -> int:
    """A whole number of people or doses, from 0 to `high`. A fraction (1234.5, a formula's result) is refused,
    never read as 12345; so is a number beyond `high`, which no real count reaches."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    raw = text(value)
    if not _COUNT.match(raw):
        raise ValueError(_("Not a whole number: %(value)s") % {"value": raw or "—"})
    number = int(re.sub(r"[^0-9]", "", raw))
    if number > high:
        raise ValueError(_("%(value)s is more than %(high)s: check the figure.")
                         % {"value": raw, "high": number_format(high, force_grouping=True)})
    return number


def parse_birth(value: object, *, today: date) -> tuple[date | None, int | None]:
    """(date, year) from dd/mm/yyyy, d/m/yy, a year alone, an Excel serial, ISO, or a real date.
    A two-digit year is the most recent one not in the future (people are born in the past)."""
    if value is None or value == "":
        return None, None
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return _checked(value, today), value.year
    if isinstance(value, bool):
        raise ValueError(_("Not a date: %(value)s") % {"value": value})
    if isinstance(value, int | float):
        number = float(value)
        if 1880 <= number <= today.year and number.is_integer():
            return None, int(number)
        if 3654 <= number < 80000:  # Excel serials from 1910 on: smaller numbers are not birth dates
            day = _EXCEL_EPOCH + timedelta(days=int(number))
            return _checked(day, today), day.year
        raise ValueError(_("Not a date: %(value)s") % {"value": value})
    raw = str(value).strip()
    if m := _YEAR.match(raw):
        year = int(m.group(1))
        if not 1880 <= year <= today.year:
            raise ValueError(_("The year %(year)s is not plausible.") % {"year": year})
        return None, year
    if m := _DMY.match(raw):
        day, month, year = int(m.group(1)), int(m.group(2)), int(m.group(3))
        if year < 100:
            # The most recent such year not in the future: "15/06/25" on 01/03/2025 is 1925.
            year += 2000
            try:
                if date(year, month, day) > today:
                    year -= 100
            except ValueError:
                pass
        return _make(year, month, day, raw, today)
    if m := _ISO.match(raw):
        return _make(int(m.group(1)), int(m.group(2)), int(m.group(3)), raw, today)
    if raw.replace(".", "", 1).isdigit():
        return parse_birth(float(raw), today=today)
    raise ValueError(_("Not a date: %(value)s (write dd/mm/yyyy or the year)") % {"value": raw})


def _make(year: int, month: int, day: int, raw: str, today: date) -> tuple[date, int]:
    try:
        found = date(year, month, day)
    except ValueError:
        raise ValueError(_("Not a date: %(value)s (write dd/mm/yyyy or the year)") % {"value": raw}) from None
    return _checked(found, today), year


def _checked(day: date, today: date) -> date:
    if day > today:
        raise ValueError(_("The date %(date)s is in the future.") % {"date": day.strftime("%d/%m/%Y")})
    if day.year < 1880:
        raise ValueError(_("The year %(year)s is not plausible.") % {"year": day.year})
    return day


_SEX = {
    "nam": "M", "m": "M", "male": "M", "trai": "M", "con trai": "M", "1": "M",
    "nu": "F", "f": "F", "female": "F", "gai": "F", "con gai": "F", "0": "F", "2": "F",
}


def parse_sex(value: object) -> str:
    key = _folded(text(value))
    if key in _SEX:
        return _SEX[key]
    raise ValueError(_("Sex must be Nam or Nữ, not %(value)s.") % {"value": text(value)})


@lru_cache(maxsize=4096)
def _folded(value: str) -> str:
    return fold(value)


_PHONE = re.compile(r"^(?:\+?84|0)(\d{9})$")


def parse_phone(value: object) -> str:
    raw = re.sub(r"[\s.\-()]", "", text(value))
    if not raw:
        return ""
    if raw.isdigit() and len(raw) == 9:  # Excel drops the leading zero of a number typed as a number
        raw = "0" + raw
    if m := _PHONE.match(raw):
        return "0" + m.group(1)
    raise ValueError(_("Not a Vietnamese phone number: %(value)s") % {"value": text(value)})
