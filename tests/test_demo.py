from __future__ import annotations

import pytest
from django.core.management import call_command

from epicommand.core.demo import ACCOUNTS
from epicommand.core.models import Organization, User
from epicommand.core.roles import Role
from epicommand.notify import channels

pytestmark = pytest.mark.django_db


def test_seed_demo_makes_one_account_per_role_and_is_idempotent(tmp_path, settings, capsys):
    settings.VAR_DIR = tmp_path
    call_command("seed_demo")
    users = User.objects.filter(username__startswith="demo.")
    assert sorted(users.values_list("role", flat=True)) == sorted(Role.values)
    orgs = Organization.objects.count()
    assert Organization.objects.filter(kind="commune_station").count() >= 38
    password = (tmp_path / "demo_password").read_text()
    assert password not in open(__file__).read()
    for username, *_ in ACCOUNTS:
        user = User.objects.get(username=username)
        assert user.check_password(password) and user.jurisdiction_place is not None
    # Alerts and reminders addressed to demo units and staff have somewhere to go (and nowhere real).
    for contact in [*Organization.objects.all(), *users.exclude(username=ACCOUNTS[0][0])]:
        channels.get("sms").check_address(contact.phone)
        channels.get("email").check_address(contact.email)
        assert contact.email.endswith(".invalid")
    call_command("seed_demo")
    assert (User.objects.filter(username__startswith="demo.").count(), Organization.objects.count()) == (9, orgs)
    assert "demo.tramyte" in capsys.readouterr().out
