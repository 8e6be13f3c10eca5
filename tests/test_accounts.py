from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.auth.hashers import identify_hasher
from django.urls import reverse

from epicommand.core.models import AuditEvent, User
from epicommand.core.roles import Role

from .world import PASSWORD, K

pytestmark = pytest.mark.django_db


def login(client, username, password=PASSWORD, ip="10.0.0.1"):
    return client.post(reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=ip)


def test_passwords_are_hashed_with_argon2(world):
    assert identify_hasher(world.user(Role.COMMAND).password).algorithm == "argon2"


def test_login_and_logout_are_audited_with_the_address(client, world):
    response = login(client, "home.commune_station", ip="10.1.2.3")
    assert response.status_code == 302 and response.url == reverse("home")
    client.post(reverse("logout"), REMOTE_ADDR="10.1.2.3")
    events = AuditEvent.objects.filter(actor_username="home.commune_station").order_by("id")
    assert [(e.action, e.ip_address) for e in events] == [("login", "10.1.2.3"), ("logout", "10.1.2.3")]
    assert events[0].place_path == world.communes["home"].path


def test_failed_logins_lock_the_account_from_that_address_only(client, world):
    statuses = [login(client, "home.commune_station", "wrong", ip="10.9.9.9").status_code
                for _ in range(settings.AXES_FAILURE_LIMIT)]
    # The limit-th failure is the one that locks.
    assert statuses == [200] * (settings.AXES_FAILURE_LIMIT - 1) + [429]
    assert AuditEvent.objects.filter(action="login_failed", actor_username="home.commune_station").count() == 5
    # Now even the right password is refused from that address…
    response = login(client, "home.commune_station", ip="10.9.9.9")
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    # …while the nurse can still log in from her own phone.
    response = login(client, "home.commune_station", ip="10.0.0.7")
    assert response.status_code == 302


def test_sessions_expire_when_idle_and_at_browser_close():
    assert settings.SESSION_COOKIE_AGE <= 8 * 3600
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE


def test_a_session_in_use_is_renewed_once_a_minute(client, world, monkeypatch):
    from django.contrib.sessions.models import Session

    from epicommand.core import middleware

    clock = [16_667]  # minutes
    monkeypatch.setattr(middleware, "current_minute", lambda: clock[0])
    client.force_login(world.user(Role.COMMUNE_STATION))
    client.get(reverse("home"))
    key = client.session.session_key
    first = Session.objects.get(pk=key).expire_date
    # The same minute: nothing written.
    Session.objects.filter(pk=key).update(expire_date=first - timedelta(hours=1))
    client.get(reverse("home"))
    assert Session.objects.get(pk=key).expire_date == first - timedelta(hours=1)
    clock[0] += 1  # a new minute: saved again, so the idle timeout starts over
    client.get(reverse("home"))
    assert Session.objects.get(pk=key).expire_date > first - timedelta(minutes=1)


def test_commune_manager_creates_an_account_in_their_commune(client, world):
    nurse = world.user(Role.COMMUNE_STATION)
    client.force_login(nurse)
    data = {"username": "new.worker", "full_name": "Lò Thị Mai", "role": Role.MOBILE_STATION,
            "place": world.communes["home"].pk, "organization": world.org(K.MOBILE_STATION).pk,
            "phone": "0912345678", "email": "", "password1": "Bản-Mường-2026!", "password2": "Bản-Mường-2026!"}
    response = client.post(reverse("accounts:create"), data)
    assert response.status_code == 302
    created = User.objects.get(username="new.worker")
    assert (created.role, created.place, created.created_by) == (Role.MOBILE_STATION, world.communes["home"], nurse)
    assert created.check_password("Bản-Mường-2026!")
    event = AuditEvent.objects.get(action="create", object_type="core.User", object_id=str(created.pk))
    assert event.actor == nurse and event.changes["role"] == [None, Role.MOBILE_STATION]


def test_account_form_refuses_more_than_the_granter_holds(client, world):
    client.force_login(world.user(Role.COMMUNE_STATION))
    data = {"username": "boss", "full_name": "X", "role": Role.COMMAND, "place": world.province.pk,
            "password1": "Bản-Mường-2026!", "password2": "Bản-Mường-2026!"}
    response = client.post(reverse("accounts:create"), data)
    assert response.status_code == 200 and not User.objects.filter(username="boss").exists()
    data.update(role=Role.MOBILE_STATION, place=world.communes["neighbour"].pk)
    response = client.post(reverse("accounts:create"), data)
    assert response.status_code == 200 and not User.objects.filter(username="boss").exists()


def test_manager_edits_and_resets_password_within_jurisdiction(client, world):
    client.force_login(world.user(Role.COMMUNE_STATION))
    worker = world.user(Role.MOBILE_STATION)
    response = client.post(reverse("accounts:edit", args=[worker.pk]), {
        "full_name": "Renamed", "role": Role.MOBILE_STATION, "place": world.communes["home"].pk,
        "organization": world.org(K.MOBILE_STATION).pk, "phone": "", "email": "", "is_active": "on"})
    assert response.status_code == 302
    worker.refresh_from_db()
    assert worker.full_name == "Renamed"
    response = client.post(reverse("accounts:password", args=[worker.pk]),
                           {"password1": "Mới-mật-khẩu-99", "password2": "Mới-mật-khẩu-99"})
    assert response.status_code == 302
    worker.refresh_from_db()
    assert worker.check_password("Mới-mật-khẩu-99")
    foreign = world.user(Role.MOBILE_STATION, "neighbour")
    assert client.get(reverse("accounts:edit", args=[foreign.pk])).status_code == 404


def test_users_change_their_own_password(client, world):
    user = world.user(Role.CHECKPOINT)
    client.force_login(user)
    response = client.post(reverse("password_change"), {
        "old_password": PASSWORD, "new_password1": "Chốt-Phong-Thổ-7", "new_password2": "Chốt-Phong-Thổ-7"})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password("Chốt-Phong-Thổ-7")
    response = client.post(reverse("password_change"), {
        "old_password": "wrong", "new_password1": "Chốt-Phong-Thổ-8", "new_password2": "Chốt-Phong-Thổ-8"})
    assert response.status_code == 200
    user.refresh_from_db()
    assert user.check_password("Chốt-Phong-Thổ-7")


def test_first_command_account_is_bootstrapped_from_the_shell(monkeypatch, capsys):
    from django.core.management import call_command
    from django.core.management.base import CommandError

    monkeypatch.setenv("EPICOMMAND_INITIAL_PASSWORD", "Lai-Châu-chỉ-huy-2026")
    call_command("create_command_account", "chihuy.tinh", full_name="Trung tâm Chỉ huy")
    account = User.objects.get(username="chihuy.tinh")
    assert account.role == Role.COMMAND and account.place.path == "12/"
    assert AuditEvent.objects.filter(object_id=str(account.pk), action="create").exists()
    monkeypatch.setenv("EPICOMMAND_INITIAL_PASSWORD", "123")
    with pytest.raises(CommandError):
        call_command("create_command_account", "weak.one")
    assert not User.objects.filter(username="weak.one").exists()
