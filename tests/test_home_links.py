"""Patients' one-time links and codes: hashes only, one use, expiry, lock-out after wrong codes, and the
public pages without an account."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from epicommand.cases import entry_links
from epicommand.cases.models import Alert, EntryLink, Observation
from epicommand.core.roles import Role
from epicommand.notify.models import Message

from . import home_helpers as h


@pytest.fixture(autouse=True)
def _fresh_attempt_counters():
    cache.clear()  # wrong codes are counted per address in the cache
    yield
    cache.clear()


def _link(world):
    home = h.at_home(world)
    return home, entry_links.create_link(actor=world.user(Role.MOBILE_STATION, "home"), home_care=home)


def test_only_hashes_are_stored(world):
    _home, new = _link(world)
    row = EntryLink.objects.get(pk=new.link.pk)
    assert new.token not in (row.token_hash, row.code_hash) and new.code not in (row.token_hash, row.code_hash)
    assert row.token_hash == entry_links.token_hash(new.token)
    assert len(new.code) == 6 and new.code.isdigit()


def test_a_link_serves_one_entry_without_login(client, world):
    home, new = _link(world)
    url = reverse("cases:patient_entry", kwargs={"token": new.token})
    page = client.get(url)
    assert page.status_code == 200 and "patient-form" in page.content.decode()
    assert page["Referrer-Policy"] == "same-origin"
    done = client.post(url, {"spo2": "93", "respiratory_rate": "18", "symptoms": ["cough"]})
    assert done.status_code == 200 and "patient-done" in done.content.decode()
    observation = Observation.objects.get(case=home.case, source=Observation.Source.PATIENT)
    assert observation.spo2 == 93 and observation.symptoms == ["cough"] and observation.by is None
    assert Alert.objects.filter(home_care=home, observation=observation).exists()
    # A second tap on "Send" is thanked again, never recorded twice; later the link is spent (410).
    again = client.post(url, {"spo2": "99"})
    assert again.status_code == 200 and 'data-testid="patient-again"' in again.content.decode()
    assert Observation.objects.filter(case=home.case, source="patient").count() == 1
    EntryLink.objects.filter(pk=new.link.pk).update(used_at=timezone.now() - timedelta(hours=1))
    late = client.post(url, {"spo2": "99"})
    assert late.status_code == 410 and Observation.objects.filter(case=home.case, source="patient").count() == 1


def test_an_expired_or_unknown_link_is_refused(client, world):
    _home, new = _link(world)
    EntryLink.objects.filter(pk=new.link.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    url = reverse("cases:patient_entry", kwargs={"token": new.token})
    assert client.get(url).status_code == 410
    assert client.post(url, {"spo2": "98"}).status_code == 410
    assert client.get(reverse("cases:patient_entry", kwargs={"token": "nothing-here"})).status_code == 404
    assert not Observation.objects.filter(source="patient").exists()


def test_code_with_phone_works_once(client, world):
    home, new = _link(world)
    phone = home.case.person.phone
    url = reverse("cases:patient_code")
    assert client.get(url).status_code == 200
    done = client.post(url, {"phone": phone, "code": new.code, "spo2": "98"})
    assert "patient-done" in done.content.decode()
    assert Observation.objects.filter(case=home.case, source="patient").count() == 1
    again = client.post(url, {"phone": phone, "code": new.code, "spo2": "98"})
    assert "patient-done" not in again.content.decode()


def test_wrong_codes_lock_the_link(client, world):
    home, new = _link(world)
    phone = home.case.person.phone
    wrong = f"{(int(new.code) + 1) % 1000000:06d}"
    for _ in range(entry_links.MAX_FAILED):
        client.post(reverse("cases:patient_code"), {"phone": phone, "code": wrong, "spo2": "98"})
    assert EntryLink.objects.get(pk=new.link.pk).failed_attempts == entry_links.MAX_FAILED
    page = client.post(reverse("cases:patient_code"), {"phone": phone, "code": new.code, "spo2": "98"})
    assert "patient-done" not in page.content.decode()
    assert not Observation.objects.filter(source="patient").exists()


def test_the_worker_sends_the_link_by_sms(client, world):
    home = h.at_home(world)
    worker = world.user(Role.MOBILE_STATION, "home")
    client.force_login(worker)
    page = client.post(reverse("cases:entry_link", kwargs={"pk": home.case_id}), {"send": "1"})
    assert page.status_code == 200
    message = Message.objects.get(kind="home_care.entry_link")
    assert message.to == home.case.person.phone and "/cases/entry/" in message.body
    code = page.context["new"].code
    assert code in message.body and EntryLink.objects.filter(home_care=home).count() == 1


def _code_page(client, phone, code, address="10.0.0.1"):
    return client.post(reverse("cases:patient_code"), {"phone": phone, "code": code, "spo2": "98"},
                       REMOTE_ADDR=address)


def _without_token(page) -> str:
    import re
    text = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", page.content.decode())
    return re.sub(r'"X-CSRFToken": "[^"]*"', "", text)


def test_the_code_page_does_not_tell_whether_a_phone_is_a_patients(client, world):
    home, new = _link(world)
    wrong = f"{(int(new.code) + 1) % 1000000:06d}"
    known = _code_page(client, home.case.person.phone, wrong)
    unknown = _code_page(client, "0911000111", wrong)
    assert known.status_code == unknown.status_code == 200
    assert _without_token(known).replace(home.case.person.phone, "X") == _without_token(unknown).replace(
        "0911000111", "X")
    assert EntryLink.objects.get(pk=new.link.pk).failed_attempts == 1


def test_the_code_works_with_the_phone_written_any_way(client, world):
    home, new = _link(world)
    phone = home.case.person.phone  # 0987…
    spaced = "+84 " + " ".join([phone[1:4], phone[4:7], phone[7:]])
    done = _code_page(client, spaced, new.code)
    assert 'data-testid="patient-done"' in done.content.decode()


def test_a_code_typed_with_another_patients_phone_fails(client, world):
    home, new = _link(world)
    other, _other_link = _link(world)
    page = _code_page(client, other.case.person.phone, new.code)
    assert 'data-testid="patient-done"' not in page.content.decode()
    assert not Observation.objects.filter(source="patient").exists()


def test_guessing_codes_over_many_phones_is_stopped_per_address(client, world, settings):
    settings.EPICOMMAND_ENTRY_CODE_FAILURES_PER_ADDRESS = 3
    home, new = _link(world)
    for n in range(3):
        assert _code_page(client, f"091100{n:04d}", "123456").status_code == 200
    blocked = _code_page(client, home.case.person.phone, new.code)
    assert blocked.status_code == 429 and not Observation.objects.filter(source="patient").exists()
    # The patient's own link was not spent or locked, and another address may still use it.
    assert EntryLink.objects.get(pk=new.link.pk).failed_attempts == 0
    done = _code_page(client, home.case.person.phone, new.code, address="10.0.0.2")
    assert 'data-testid="patient-done"' in done.content.decode()


def test_guessing_from_many_addresses_is_stopped_for_the_site(client, world, settings):
    settings.EPICOMMAND_ENTRY_CODE_FAILURES_TOTAL = 4
    home, new = _link(world)
    for n in range(4):
        _code_page(client, f"091100{n:04d}", "123456", address=f"10.0.1.{n}")
    assert _code_page(client, home.case.person.phone, new.code, address="10.0.2.1").status_code == 429


def test_public_pages_show_nothing_of_the_patient_and_need_the_csrf_token(world):
    home, new = _link(world)
    person = home.case.person
    strict = Client(enforce_csrf_checks=True)
    url = reverse("cases:patient_entry", kwargs={"token": new.token})
    page = strict.get(url)
    for secret in (person.full_name, person.full_name.split()[-1], home.case.code, person.phone):
        assert secret not in page.content.decode()
    assert "no-cache" in page["Cache-Control"] or "no-store" in page["Cache-Control"]
    assert strict.post(url, {"spo2": "98"}).status_code == 403
    assert strict.post(reverse("cases:patient_code"), {"phone": person.phone, "code": new.code,
                                                       "spo2": "98"}).status_code == 403
    assert not Observation.objects.filter(source="patient").exists()
    done = Client().post(url, {"spo2": "98"})
    assert person.full_name not in done.content.decode() and home.case.code not in done.content.decode()


def test_a_new_link_replaces_the_unused_one(client, world):
    home, first = _link(world)
    second = entry_links.create_link(actor=world.user(Role.MOBILE_STATION, "home"), home_care=home)
    phone = home.case.person.phone
    assert _code_page(client, phone, first.code).status_code == 200
    assert not Observation.objects.filter(source="patient").exists()
    assert client.get(reverse("cases:patient_entry", kwargs={"token": first.token})).status_code == 410
    done = _code_page(client, phone, second.code)
    assert 'data-testid="patient-done"' in done.content.decode()
