from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction
from django.urls import reverse

from epicommand.core import audit
from epicommand.core.models import AuditEvent
from epicommand.core.roles import Role
from epicommand.core.services.organizations import update_organization

from .world import K

pytestmark = pytest.mark.django_db


def test_events_cannot_be_changed_or_deleted_through_the_orm(world):
    event = audit.record(actor=world.user(Role.COMMAND), action=AuditEvent.Action.VIEW, object_type="x")
    event.reason = "tampered"
    with pytest.raises(PermissionError):
        event.save()
    with pytest.raises(PermissionError):
        event.delete()
    with pytest.raises(PermissionError):
        AuditEvent.objects.filter(pk=event.pk).update(reason="tampered")
    with pytest.raises(PermissionError):
        AuditEvent.objects.filter(pk=event.pk).delete()
    assert AuditEvent.objects.get(pk=event.pk).reason == ""


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger is PostgreSQL's; SQLite has the ORM guard")
def test_postgresql_refuses_update_and_delete_on_the_table(world):
    event = audit.record(actor=world.user(Role.COMMAND), action=AuditEvent.Action.VIEW, object_type="x")
    for sql in ("UPDATE core_auditevent SET reason = 'tampered' WHERE id = %s",
                "DELETE FROM core_auditevent WHERE id = %s"):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cur:
            cur.execute(sql, [event.pk])
    assert AuditEvent.objects.get(pk=event.pk).reason == ""


def test_a_change_and_its_event_commit_or_fail_together(world):
    officer = world.user(Role.HEALTH_OFFICER)
    org = world.org(K.SCHOOL)
    before = AuditEvent.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic():
        update_organization(actor=officer, organization=org, phone="0231 3876 543")
        raise RuntimeError("the surrounding work failed")
    org.refresh_from_db()
    assert org.phone == "" and AuditEvent.objects.count() == before
    update_organization(actor=officer, organization=org, phone="0231 3876 543")
    event = AuditEvent.objects.latest("id")
    assert (event.action, event.changes) == ("update", {"phone": ["", "0231 3876 543"]})


def test_command_centre_searches_events_and_others_cannot(client, world):
    officer = world.user(Role.HEALTH_OFFICER)
    update_organization(actor=officer, organization=world.org(K.SCHOOL), phone="0900")
    client.force_login(world.user(Role.COMMAND))
    response = client.get(reverse("audit:list"), {"q": "province.health_officer", "action": "update"})
    assert response.status_code == 200
    rows = list(response.context["page"])
    assert len(rows) == 1 and rows[0].object_repr == "ORG home-school"
    response = client.get(reverse("audit:list"), {"q": "nobody-such"})
    assert list(response.context["page"]) == []
    client.force_login(officer)
    assert client.get(reverse("audit:list")).status_code == 403


def test_failed_logins_with_unknown_names_reach_the_command_centre(client, world):
    client.post(reverse("login"), {"username": "admin", "password": "admin"})
    client.force_login(world.user(Role.COMMAND))
    response = client.get(reverse("audit:list"), {"action": "login_failed"})
    assert [e.actor_username for e in response.context["page"]] == ["admin"]


def test_the_base_manager_is_guarded_too(world):
    event = audit.record(actor=world.user(Role.COMMAND), action=AuditEvent.Action.VIEW, object_type="x")
    with pytest.raises(PermissionError):
        AuditEvent._base_manager.filter(pk=event.pk).update(reason="x")
    with pytest.raises(PermissionError):
        AuditEvent._base_manager.filter(pk=event.pk).delete()
