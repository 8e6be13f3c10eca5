"""The sweep's testing entries (tests/sweep_testing.py, swept with every other URL by tests/test_sweep.py) carry
payloads that succeed for a holder: a refusal in the sweep is the jurisdiction's, not the form's."""

from __future__ import annotations

import pytest
from django.urls import reverse

from epicommand.core.roles import Role

from .sweep_testing import OBJECT_URLS

pytestmark = pytest.mark.django_db


def test_a_holder_posting_the_sweep_payload_succeeds(client, world):
    client.force_login(world.user(Role.COMMUNE_STATION))
    for name in ("testing:result", "testing:pool_result"):
        target = OBJECT_URLS[name](world, "home")
        response = client.post(reverse(name, kwargs=target.kwargs), target.payload)
        assert response.status_code == 302, (name, response.content.decode()[:2000])
        target.instance.refresh_from_db()
        assert target.instance.result == "negative"
