from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from epicommand.core.models import AuditEvent, PolicyVersion
from epicommand.core.policies import PolicyMissing, policies_in_force, policy
from epicommand.core.policy_defaults import DEFAULTS
from epicommand.core.roles import Role
from epicommand.core.services.policies import add_policy_version

pytestmark = pytest.mark.django_db


def test_every_default_is_seeded_with_its_source():
    for key, effective_from, value, source, unverified, _ in DEFAULTS:
        row = PolicyVersion.objects.get(key=key, effective_from=effective_from)
        assert (row.value, row.source, row.unverified) == (value, source, unverified)
    # DOMAIN.md §3–7 areas are all present.
    prefixes = {k.split(".")[0] for k, *_ in DEFAULTS}
    assert {"people", "vaccination", "entry", "contacts", "cases", "home_care", "risk", "safety"} <= prefixes


def test_a_record_is_judged_by_the_version_in_force_on_its_date():
    assert policy("entry.quarantine", on=date(2020, 6, 1))["centre_days"] == 14
    assert policy("entry.quarantine", on=date(2021, 5, 4))["centre_days"] == 14
    assert policy("entry.quarantine", on=date(2021, 5, 5))["centre_days"] == 21
    assert policy("home_care.spo2_warning", on=date(2022, 2, 1)) == 96
    with pytest.raises(PolicyMissing):
        policy("home_care.spo2_warning", on=date(2021, 1, 1))


def test_a_new_version_applies_from_its_date_and_leaves_the_past_alone(world):
    officer = world.user(Role.HEALTH_OFFICER)
    tomorrow = timezone.localdate() + timedelta(days=1)
    old = list(PolicyVersion.objects.filter(key="home_care.spo2_warning").values())
    add_policy_version(actor=officer, key="home_care.spo2_warning", value=95, effective_from=tomorrow,
                       source="Quyết định thử nghiệm")
    assert policy("home_care.spo2_warning", on=tomorrow) == 95
    assert policy("home_care.spo2_warning", on=timezone.localdate()) == 96
    unchanged = PolicyVersion.objects.filter(key="home_care.spo2_warning", pk__in=[o["id"] for o in old])
    assert list(unchanged.values()) == old
    event = AuditEvent.objects.get(action="create", object_type="core.PolicyVersion")
    assert event.changes["value"] == [96, 95]


def test_the_rules_of_a_day_are_read_once_and_a_new_version_is_seen_at_once(world, django_assert_num_queries,
                                                                               django_capture_on_commit_callbacks):
    officer = world.user(Role.HEALTH_OFFICER)
    tomorrow = timezone.localdate() + timedelta(days=1)
    with django_assert_num_queries(1):
        assert policies_in_force("home_care.", tomorrow)["home_care.spo2_warning"] == 96
    with django_assert_num_queries(0):  # every saved dose reads its day's rules: from the cache
        assert policies_in_force("home_care.", tomorrow)["home_care.spo2_warning"] == 96
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        add_policy_version(actor=officer, key="home_care.spo2_warning", value=95, effective_from=tomorrow,
                           source="Quyết định thử nghiệm")
        assert policies_in_force("home_care.", tomorrow)["home_care.spo2_warning"] == 95  # in its transaction
    assert callbacks  # and again once committed: a reader between the save and the commit cached the old rule
    assert policies_in_force("home_care.", tomorrow)["home_care.spo2_warning"] == 95
    assert policies_in_force("home_care.", timezone.localdate())["home_care.spo2_warning"] == 96
    PolicyVersion.objects.filter(key="home_care.spo2_warning", value=95).delete()
    assert policies_in_force("home_care.", tomorrow)["home_care.spo2_warning"] == 96


@pytest.mark.parametrize("offset", [-1, 0])
def test_versions_cannot_be_backdated_or_doubled(world, offset):
    officer = world.user(Role.HEALTH_OFFICER)
    day = timezone.localdate() + timedelta(days=offset)
    if offset == 0:
        add_policy_version(actor=officer, key="home_care.checks_per_day", value=3, effective_from=day, source="x")
    with pytest.raises(ValidationError):
        add_policy_version(actor=officer, key="home_care.checks_per_day", value=4, effective_from=day, source="x")


def test_policy_screen_lists_history_and_only_officers_add_versions(client, world):
    client.force_login(world.user(Role.COMMUNE_STATION))
    response = client.get(reverse("policies:list"))
    assert response.status_code == 200 and b"entry.quarantine" in response.content
    response = client.get(reverse("policies:detail", args=["entry.quarantine"]))
    assert len(response.context["versions"]) == 3 and response.context["form"] is None
    assert b"unverified" in response.content or "chưa xác minh".encode() in response.content
    response = client.post(reverse("policies:detail", args=["entry.quarantine"]), {"value": "1"})
    assert response.status_code == 403

    client.force_login(world.user(Role.HEALTH_OFFICER))
    tomorrow = (timezone.localdate() + timedelta(days=1)).strftime("%d/%m/%Y")
    response = client.post(reverse("policies:detail", args=["entry.quarantine"]), {
        "value": '{"centre_days": 7, "home_days": 7, "test_days": [1, 7]}', "effective_from": tomorrow,
        "source": "Công văn thử", "note": ""})
    assert response.status_code == 302
    assert PolicyVersion.objects.filter(key="entry.quarantine").count() == 4
    response = client.post(reverse("policies:detail", args=["entry.quarantine"]), {
        "value": "{not json", "effective_from": tomorrow, "source": "x"})
    assert response.status_code == 200 and response.context["form"].errors["value"]
    assert client.get(reverse("policies:detail", args=["no.such.rule"])).status_code == 404


@pytest.mark.parametrize("value", [7, {"centre_days": 7}, [7]])
def test_a_new_version_keeps_the_shape_code_reads(world, value):
    with pytest.raises(ValidationError):
        add_policy_version(actor=world.user(Role.HEALTH_OFFICER), key="entry.quarantine", value=value,
                           effective_from=timezone.localdate() + timedelta(days=1), source="x")


def test_nan_is_refused_as_a_value(client, world):
    client.force_login(world.user(Role.HEALTH_OFFICER))
    tomorrow = (timezone.localdate() + timedelta(days=1)).strftime("%d/%m/%Y")
    response = client.post(reverse("policies:detail", args=["home_care.spo2_warning"]),
                           {"value": "NaN", "effective_from": tomorrow, "source": "x"})
    assert response.status_code == 200 and response.context["form"].errors["value"]


def test_a_backdated_version_from_the_screen_gets_a_message_not_an_error_page(client, world):
    client.force_login(world.user(Role.HEALTH_OFFICER))
    yesterday = (timezone.localdate() - timedelta(days=1)).strftime("%d/%m/%Y")
    response = client.post(reverse("policies:detail", args=["home_care.spo2_warning"]),
                           {"value": "95", "effective_from": yesterday, "source": "x"})
    assert response.status_code == 200 and response.context["form"].errors["effective_from"]
    assert PolicyVersion.objects.filter(key="home_care.spo2_warning").count() == 1
