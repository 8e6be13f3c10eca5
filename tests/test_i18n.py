from __future__ import annotations

from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.urls import reverse

from epicommand.core.models import User
from epicommand.core.roles import Role

from .world import PASSWORD

PO = Path(settings.BASE_DIR) / "epicommand" / "locale" / "vi" / "LC_MESSAGES" / "django.po"


def test_login_page_is_vietnamese_by_default_even_in_an_english_browser(client):
    response = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert response.status_code == 200
    body = response.content.decode()
    assert 'lang="vi"' in body and "Đăng nhập" in body and "Log in" not in body


@pytest.mark.django_db
def test_english_switch_persists_across_logins(client, world):
    user = world.user(Role.COMMUNE_STATION)
    client.force_login(user)
    response = client.post(reverse("set_language"), {"language": "en", "next": "/organizations/"})
    assert response.status_code == 302 and response.url == "/organizations/"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME]["max-age"] >= 30 * 24 * 3600
    assert User.objects.get(pk=user.pk).language == "en"
    assert "Organizations" in client.get("/organizations/").content.decode()
    # A fresh browser (no cookie) gets English back at login, from the account.
    client.logout()
    client.cookies.clear()
    response = client.post(reverse("login"), {"username": user.username, "password": PASSWORD})
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"


def test_language_switch_refuses_foreign_redirects(client):
    response = client.post(reverse("set_language"), {"language": "vi", "next": "https://evil.example/"})
    assert response.url == "/"


def test_every_message_has_a_vietnamese_translation():
    """Untranslated or fuzzy entries would show English to a commune nurse."""
    catalogue = polib.pofile(str(PO))
    assert not catalogue.untranslated_entries() and not catalogue.fuzzy_entries()
    assert len(catalogue.translated_entries()) > 200
