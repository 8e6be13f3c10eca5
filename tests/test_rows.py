"""core/rows.py: a row read or written without the ORM's compiler is the row the ORM reads or writes."""

from __future__ import annotations

from contextlib import nullcontext

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from epicommand.core import rows
from epicommand.core.auth_backend import AccountBackend
from epicommand.core.models import AuditEvent, Place, User
from epicommand.core.roles import Role
from epicommand.core.rows import fetch_one, insert, select_one

from .world import K

pytestmark = pytest.mark.django_db


def _fields(obj) -> dict:
    return {f.attname: getattr(obj, f.attname) for f in type(obj)._meta.concrete_fields}


def test_an_account_is_read_with_its_place_and_unit_as_the_orm_reads_it(world, django_assert_num_queries):
    user = world.user(Role.COMMUNE_STATION)
    user.organization = world.org(K.SCHOOL)
    user.last_login = timezone.now()
    user.save()
    Place.objects.filter(pk=user.place_id).update(latitude=22.3964, area_km2=123.45)
    expected = User.objects.select_related("place", "organization").get(pk=user.pk)
    with django_assert_num_queries(1):
        found = select_one(User, user.pk, ("place", "organization"))
        assert _fields(found) == _fields(expected)
        assert _fields(found.place) == _fields(expected.place) and _fields(found.organization) == _fields(
            expected.organization)
    assert found.place.latitude == 22.3964 and found.is_active is True and found.last_login.tzinfo


def test_a_missing_relation_or_row_reads_as_none(world, django_assert_num_queries):
    user = world.user(Role.HEALTH_OFFICER)
    assert user.organization_id is None
    with django_assert_num_queries(1):
        found = select_one(User, user.pk, ("place", "organization"))
        assert found.organization is None and found.place == user.place
    assert select_one(User, 10**12, ("place",)) is None
    assert AccountBackend().get_user("not a number") is None and AccountBackend().get_user(10**12) is None
    user.is_active = False
    user.save()
    assert AccountBackend().get_user(user.pk) is None  # a deactivated account is signed out at its next request


def test_an_inserted_row_is_the_row_save_writes(world):
    actor = world.user(Role.HEALTH_OFFICER)
    event = insert(AuditEvent(actor=actor, actor_username=actor.username, action=AuditEvent.Action.VIEW,
                              object_type="people.Person", object_id="1", changes={"đã xem": [None, "hồ sơ"]},
                              place_path="12/"))
    stored = AuditEvent.objects.get(pk=event.pk)
    assert stored.at is not None and stored.changes == {"đã xem": [None, "hồ sơ"]} and stored.actor_id == actor.pk


def test_a_long_statement_runs_with_its_values_in_order_and_errors_as_djangos(world):
    """fetch_one() with PostgreSQL's own placeholders (queries not logged, as in production) and with %s (logged):
    the same values in the same places, and a broken rule raises Django's IntegrityError either way."""
    sql = "SELECT %s, %s, %s || %s, CAST(%s AS integer) + 1"
    values = [7, "bảy", "a", "b", 41]
    assert not connection.queries_logged
    assert fetch_one(sql, values) == (7, "bảy", "ab", 42)
    if connection.vendor == "postgresql":
        assert rows._NATIVE[sql] == "SELECT $1, $2, $3 || $4, CAST($5 AS integer) + 1"
    with CaptureQueriesContext(connection):
        assert fetch_one(sql, values) == (7, "bảy", "ab", 42)
    taken = Place.objects.first()
    for logged in (False, True):
        with CaptureQueriesContext(connection) if logged else nullcontext(), pytest.raises(IntegrityError):
            with transaction.atomic():
                # The key of a row that exists: a uniqueness error from the database.
                fetch_one(f"INSERT INTO {Place._meta.db_table} (id, structure, level, code, name, short_name, kind, "
                          f"name_folded, path) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s) RETURNING id",
                          [taken.pk, "current", "province", "99", "Trùng", "Trùng", "", "trung", "99/"])
    if connection.vendor == "postgresql":  # the placeholders are rewritten there only
        with pytest.raises(ValueError):
            fetch_one("SELECT 'a%%b', %s", [1])
