"""Finding people: the search box (name with or without diacritics, CCCD, phone, insurance number)
and the list filters. Callers pass a queryset already limited by jurisdiction."""

from __future__ import annotations

import re
from datetime import date

from django.db import connection
from django.db.models import Case, IntegerField, Q, QuerySet, Value, When
from django.db.models.expressions import RawSQL

from epicommand.core.text import fold

from .identity import clean_number

_INSURANCE = re.compile(r"^[A-Z]{2}\d{1,13}$")


def starts_with(field: str, prefix: str) -> Q:
    """`field` starts with `prefix`, for identifiers stored bare and upper-case (clean_number). SQLite's LIKE
    ignores case, so it cannot use the column's index and reads the whole register (370 ms for a province's
    insurance numbers at 500,000 people); the same test as a range, prefix ≤ value < the next prefix, can."""
    if connection.vendor == "sqlite":
        following = prefix[:-1] + chr(ord(prefix[-1]) + 1)
        return Q(**{f"{field}__gte": prefix, f"{field}__lt": following})
    return Q(**{f"{field}__startswith": prefix})


def search(qs: QuerySet, query: str) -> QuerySet:
    raw = query.strip()
    if not raw:
        return qs
    number = clean_number(raw)
    if number.isdigit():
        if len(number) == 12:
            return qs.filter(cccd=number)
        if len(number) == 9:
            return qs.filter(Q(cmnd=number) | Q(phone="0" + number))
        if len(number) in (10, 11) and number.startswith("0"):
            return qs.filter(phone=number)
        if len(number) >= 4:
            return qs.filter(starts_with("cccd", number) | starts_with("phone", number))
    if _INSURANCE.match(number):
        return qs.filter(starts_with("insurance_number", number))
    folded = fold(raw)
    # Names that start with the query come first. Ranking also keeps PostgreSQL from walking the whole
    # name index in alphabetical order looking for the first matches (a query like "nguyen van" sorts
    # late): it takes the few thousand trigram matches and sorts those.
    starts = Case(When(name_folded__startswith=folded, then=Value(0)), default=Value(1), output_field=IntegerField())
    return qs.filter(name_matches(folded)).annotate(name_rank=starts).order_by("name_rank", "name_folded", "id")


def name_matches(folded: str) -> Q:
    """Names in which the query starts a word ("van an" finds "Nguyễn Văn An", "thang" finds "Lò Văn
    Thắng"). On SQLite the candidates come from the FTS5 trigram index (migration 0002); PostgreSQL's
    trigram index serves the LIKE itself."""
    words = Q(name_folded__startswith=folded) | Q(name_folded__contains=" " + folded)
    if connection.vendor == "sqlite" and len(folded) >= 3:
        # A phrase query on the trigram index finds the substring; the LIKE then keeps word starts.
        phrase = '"' + folded.replace('"', '""') + '"'
        return Q(pk__in=RawSQL("SELECT rowid FROM people_person_name_fts WHERE people_person_name_fts MATCH %s",
                               [phrase])) & words
    return words


def age_band(qs: QuerySet, band: str, today: date) -> QuerySet:
    """Ages by birth year (year-only births count too); the band's bounds are inclusive."""
    low, _, high = band.partition("-")
    if low:
        qs = qs.filter(birth_year__lte=today.year - int(low))
    if high:
        qs = qs.filter(birth_year__gte=today.year - int(high) - 1)
    return qs


def apply_filters(qs: QuerySet, data: dict, today: date) -> QuerySet:
    if data.get("q"):
        qs = search(qs, data["q"])
    if data.get("commune"):
        qs = qs.filter(commune=data["commune"])
    if data.get("village"):
        qs = qs.filter(village__icontains=data["village"].strip())
    if data.get("age"):
        qs = age_band(qs, data["age"], today)
    if data.get("sex"):
        qs = qs.filter(sex=data["sex"])
    if data.get("ethnicity"):
        qs = qs.filter(ethnicity=data["ethnicity"])
    if data.get("vulnerable"):
        qs = qs.filter(vulnerable=True)
    if data.get("no_cccd"):
        qs = qs.filter(cccd__isnull=True)
    if data.get("reconciliation"):
        qs = qs.filter(reconciliation=data["reconciliation"])
    return qs
