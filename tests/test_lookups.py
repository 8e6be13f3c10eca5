"""`field__any=[…]` (core/lookups.py) finds what `__in` finds, on both databases, with the list as one parameter
on PostgreSQL."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from epicommand.core.models import Place
from epicommand.people.models import Person

pytestmark = pytest.mark.django_db


def test_any_finds_what_in_finds(world):
    people = list(Person.objects.order_by("pk")[:4])
    assert len(people) == 4
    ids = [p.pk for p in people[:3]] + [10**12]  # one id that exists nowhere
    assert set(Person.objects.filter(pk__any=ids)) == set(Person.objects.filter(pk__in=ids)) == set(people[:3])
    names = [people[0].full_name, "Nobody Of That Name"]
    assert set(Person.objects.filter(full_name__any=names)) == set(Person.objects.filter(full_name__in=names))
    communes = [people[0].commune_id]
    # A foreign key's column, and combined with other conditions.
    assert set(Person.objects.filter(commune_id__any=communes, pk__any=ids)) == {
        p for p in people[:3] if p.commune_id == people[0].commune_id}
    assert list(Person.objects.filter(pk__any=[])) == []
    assert Place.objects.filter(code__any=[people[0].commune.code]).exists()


def test_on_postgresql_the_list_is_one_parameter(world):
    if connection.vendor != "postgresql":
        pytest.skip("the array form is PostgreSQL's; SQLite runs __in (the test above)")
    ids = list(Person.objects.values_list("pk", flat=True)[:3])
    with CaptureQueriesContext(connection) as queries:
        assert len(list(Person.objects.filter(pk__any=ids))) == 3
    assert "= ANY(" in queries[0]["sql"]
