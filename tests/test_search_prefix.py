"""Identifier prefixes (CCCD, phone, insurance number) find exactly the numbers that start with what was
typed, and on SQLite through the column's index rather than a scan of the register."""

from __future__ import annotations

import pytest
from django.db import connection

from epicommand.people.models import Person
from epicommand.people.search import search

pytestmark = pytest.mark.django_db


def _person(world, name: str, **numbers) -> Person:
    return Person.objects.create(full_name=name, name_folded=name.lower(), sex="F", birth_year=1990,
                                 commune=world.communes["home"], **numbers)


def test_a_prefix_finds_exactly_the_numbers_that_start_with_it(world):
    _person(world, "A", insurance_number="DN4121249300001")
    _person(world, "B", insurance_number="DN4121249399999")
    _person(world, "C", insurance_number="DN4121249400000")  # the next prefix: not a match
    _person(world, "D", insurance_number="DN412124")  # shorter than the prefix: not a match
    _person(world, "E", phone="0912345678", cccd="012090000001")
    _person(world, "F", phone="0912399999")
    found = {p.full_name for p in search(Person.objects.all(), "dn41212493")}  # typed in lower case
    assert found == {"A", "B"}
    assert {p.full_name for p in search(Person.objects.all(), "09123")} == {"E", "F"}
    assert {p.full_name for p in search(Person.objects.all(), "01209")} == {"E"}  # a CCCD prefix


def test_on_sqlite_the_prefix_uses_the_index(world):
    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL uses its pattern_ops index for LIKE 'x%' (migration people 0003)")
    sql, params = search(Person.objects.all(), "DN41212493").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        plan = " ".join(str(row[-1]) for row in cursor.fetchall())
    assert "person_insurance_idx" in plan, plan
