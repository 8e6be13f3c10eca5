"""The jurisdiction module's two ways to the same answer: its rules as a filter in the database (visible_to,
served_to) and checked on a row already read (reaches, get_one_for_user, used by the busiest reads). For every
registered scope, every user of the test world and rows from every commune, both must agree."""

from __future__ import annotations

import pytest
from django.db.models import Q
from django.http import Http404

from epicommand.core import jurisdiction
from epicommand.core.jurisdiction import get_one_for_user, reaches, served_to, visible_to
from epicommand.core.models import AuditEvent
from epicommand.people.models import Person
from epicommand.vaccination.models import Dose, Session

pytestmark = pytest.mark.django_db

ROWS_PER_MODEL = 40


def _sample(model) -> list:
    """Rows of the model from all over the world: the first and the last ones (of those its manager shows, as
    visible_to() starts from them)."""
    manager = model._default_manager
    ids = list(manager.order_by("pk").values_list("pk", flat=True)[:ROWS_PER_MODEL // 2])
    ids += list(manager.order_by("-pk").values_list("pk", flat=True)[:ROWS_PER_MODEL // 2])
    return list(manager.filter(pk__in=ids))


def test_the_rules_checked_on_a_row_agree_with_the_database_for_every_scope(world):
    checked = 0
    for model in list(jurisdiction._SCOPES):
        rows = _sample(model)
        for _key, user in world.all_users():
            seen = set(visible_to(user, model).filter(pk__in=[r.pk for r in rows]).values_list("pk", flat=True))
            served = set(served_to(user, model).filter(pk__in=[r.pk for r in rows]).values_list("pk", flat=True))
            for row in rows:
                assert reaches(user, row) == (row.pk in seen), (model.__name__, user.username, row.pk)
                assert reaches(user, row, served=True) == (row.pk in served), (model.__name__, user.username, row.pk)
                checked += 1
    assert checked > 1000  # the world holds rows of most scopes, for users of every role


def test_one_row_for_a_user_answers_404_and_audits_like_get_for_user(world, django_assert_max_num_queries):
    from epicommand.core.roles import Role

    nurse = world.user(Role.COMMUNE_STATION)
    session = world.vaccination.sessions["home"]
    with django_assert_max_num_queries(1):
        found = get_one_for_user(nurse, Session, session.pk, related=("site", "site__organization"))
        assert found == session and found.site.organization == session.site.organization
    neighbour = world.vaccination.sessions["neighbour"]
    with pytest.raises(Http404):
        get_one_for_user(nurse, Session, neighbour.pk, related=("site",))
    assert AuditEvent.objects.filter(action="denied", actor_id=nurse.pk, object_id=str(neighbour.pk)).exists()
    with pytest.raises(Http404):
        get_one_for_user(nurse, Session, "abc")
    with pytest.raises(Http404):  # beyond any key: no row, on every database
        get_one_for_user(nurse, Session, "99999999999999999999999")
    person = world.people["home"]
    assert get_one_for_user(nurse, Person, person.pk, served=True) == person
    with pytest.raises(Http404):  # a further condition on the row answers as a missing row
        get_one_for_user(nurse, Person, person.pk, served=True, where=lambda p: p.merged_into_id is not None)
    with pytest.raises(ValueError):  # undone doses are hidden by the manager, not by a rule: not read this way
        get_one_for_user(nurse, Dose, 1)


def test_a_rule_through_something_other_than_foreign_keys_is_asked_of_the_database(world, monkeypatch):
    from epicommand.core.roles import Role

    nurse = world.user(Role.COMMUNE_STATION)
    person = world.people["home"]
    # A rule reaching the row through a reverse relation cannot be read off the row: the database answers.
    monkeypatch.setattr(jurisdiction, "_rules", lambda user, scope: [("doses__person", "in", [person.pk])])
    assert reaches(nurse, person) == Person.objects.filter(Q(doses__person__in=[person.pk]), pk=person.pk).exists()
