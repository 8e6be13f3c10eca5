"""core/rows.py: a row read or written without the ORM's compiler is the row the ORM reads or writes."""

from __future__ import annotations

import pytest
from django.utils import timezone

from epicommand.core.auth_backend import AccountBackend
from epicommand.core.models import AuditEvent, Place, User
from epicommand.core.roles import Role
from epicommand.core.rows import insert, select_one

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
