"""The home-treatment screens over HTTP: what holders see and do, and what others are denied."""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone

from epicommand.cases.models import Alert, HomeCare, Observation, Zone
from epicommand.core.roles import Role
from epicommand.notify.models import Message

from . import home_helpers as h


def _login(client, world, role, where="home"):
    user = world.user(role, where)
    client.force_login(user)
    return user


def test_start_page_shows_the_verdict_and_starts(client, world):
    case = h.case(world, rr=22, spo2=97)
    _login(client, world, Role.COMMUNE_STATION)
    url = reverse("cases:home_start", kwargs={"pk": case.pk})
    page = client.get(url).content.decode()
    assert 'data-testid="reasons"' in page and "22" in page
    refused = client.post(url, {"village": "Bản home", "self_care": "on"})
    assert refused.status_code == 200 and not HomeCare.objects.filter(case=case).exists()
    fine = h.case(world, rr=16, spo2=98)
    started = client.post(reverse("cases:home_start", kwargs={"pk": fine.pk}), {"village": "Bản home",
                                                                                  "self_care": "on"})
    assert started.status_code == 302 and HomeCare.objects.get(case=fine).worker == world.user(Role.MOBILE_STATION)


def test_worker_enters_spo2_94_and_the_alert_reaches_list_queue_and_outbox(client, world):
    home = h.at_home(world)
    worker = _login(client, world, Role.MOBILE_STATION)
    taken = timezone.localtime().strftime("%Y-%m-%dT%H:%M")
    response = client.post(reverse("cases:observe", kwargs={"pk": home.case_id}),
                           {"taken_at": taken, "spo2": "94", "respiratory_rate": "18"})
    assert response.status_code == 302
    alert = Alert.objects.get(home_care=home)
    assert Message.objects.filter(kind="home_care.alert", recipient=worker, about_id=str(alert.pk)).exists()
    day = client.get(reverse("cases:day_list")).content.decode()
    alarming = day.split('data-testid="alarming"')[1].split('data-testid="overdue"')[0]
    assert home.case.code in alarming
    queue = client.get(reverse("cases:escalation")).content.decode()
    assert home.case.code in queue and reverse("cases:alert_handle", kwargs={"pk": alert.pk}) in queue


def test_facility_staff_enter_vital_signs_of_their_patient(client, world):
    case = world.cases.cases["home"]
    _login(client, world, Role.FACILITY)
    url = reverse("cases:observe", kwargs={"pk": case.pk})
    assert client.get(url).status_code == 200
    taken = timezone.localtime().strftime("%Y-%m-%dT%H:%M")
    assert client.post(url, {"taken_at": taken, "spo2": "97"}).status_code == 302
    assert Observation.objects.get(case=case, spo2=97).source == Observation.Source.FACILITY


def test_alert_is_acknowledged_then_resolved_with_a_note(client, world):
    alert = world.cases.alerts["home"]
    _login(client, world, Role.MOBILE_STATION)
    url = reverse("cases:alert_handle", kwargs={"pk": alert.pk})
    assert client.get(url).status_code == 200
    assert client.post(url, {"action": "acknowledge", "note": "calling"}).status_code == 302
    assert client.post(url, {"action": "resolve", "note": ""}).status_code == 200  # a note is needed
    assert client.post(url, {"action": "resolve", "note": "visited"}).status_code == 302
    alert.refresh_from_db()
    assert alert.status == Alert.Status.RESOLVED and "visited" in alert.note


def test_zones_are_created_and_handed_over_by_the_commune_station(client, world):
    _login(client, world, Role.COMMUNE_STATION)
    worker = world.user(Role.MOBILE_STATION)
    assert client.post(reverse("cases:zones"), {"village": "Bản Mới", "worker": worker.pk}).status_code == 302
    zone = Zone.objects.get(village="Bản Mới")
    station = world.user(Role.COMMUNE_STATION)
    response = client.post(reverse("cases:zone_edit", kwargs={"pk": zone.pk}), {"village": "Bản Mới",
                                                                                "worker": station.pk})
    assert response.status_code == 302
    zone.refresh_from_db()
    assert zone.worker == station


def test_mobile_workers_read_zones_but_do_not_change_them(client, world):
    _login(client, world, Role.MOBILE_STATION)
    zone = world.cases.zones["home"]
    assert client.get(reverse("cases:zones")).status_code == 200
    assert client.post(reverse("cases:zones"), {"village": "X", "worker": zone.worker_id}).status_code == 403
    assert client.get(reverse("cases:zone_edit", kwargs={"pk": zone.pk})).status_code == 403


def test_other_communes_and_other_roles_are_denied(client, world):
    home = world.cases.home_cases["home"]
    alert = world.cases.alerts["home"]
    _login(client, world, Role.MOBILE_STATION, "neighbour")
    for name, pk in (("cases:observe", home.pk), ("cases:home_start", home.pk), ("cases:entry_link", home.pk),
                     ("cases:home_release", home.pk), ("cases:alert_handle", alert.pk)):
        assert client.get(reverse(name, kwargs={"pk": pk})).status_code == 404, name
        assert client.post(reverse(name, kwargs={"pk": pk}), {"action": "resolve", "note": "x"}).status_code == 404
    _login(client, world, Role.VACCINATION_SITE)
    assert client.get(reverse("cases:day_list")).status_code == 403
    assert client.get(reverse("cases:escalation")).status_code == 403
    _login(client, world, Role.FACILITY)  # facility staff do not follow home patients
    assert client.get(reverse("cases:observe", kwargs={"pk": home.pk})).status_code == 404
    alert.refresh_from_db()
    assert alert.status == Alert.Status.OPEN


def test_province_day_list_asks_for_a_worker(client, world):
    _login(client, world, Role.HEALTH_OFFICER)
    page = client.get(reverse("cases:day_list")).content.decode()
    assert 'data-testid="alarming"' not in page
    worker = world.user(Role.MOBILE_STATION)
    chosen = client.get(reverse("cases:day_list"), {"worker": worker.pk}).content.decode()
    assert world.cases.home_cases["home"].code in chosen


def test_escalation_queue_reads_a_bounded_number_of_queries(client, world, django_assert_max_num_queries):
    for _ in range(5):
        h.observe(h.at_home(world), spo2=94)
    _login(client, world, Role.COMMUNE_STATION)
    client.get(reverse("cases:escalation"))
    with django_assert_max_num_queries(12):
        page = client.get(reverse("cases:escalation"))
    assert page.content.decode().count('data-testid="home-') == 6


def test_a_double_submit_is_saved_once_and_a_correction_at_the_same_time_is_not_silently_lost(client, world):
    home = h.at_home(world)
    _login(client, world, Role.MOBILE_STATION)
    url = reverse("cases:observe", kwargs={"pk": home.case_id})
    entry = {"taken_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"), "spo2": "94", "symptoms": ["cough"]}
    assert client.post(url, entry).status_code == 302
    assert client.post(url, entry).status_code == 302  # the same again: nothing new, no second alert
    assert Observation.objects.filter(case=home.case).count() == 2  # the measurement before the start and this
    assert Alert.objects.filter(home_care=home).count() == 1
    correction = client.post(url, entry | {"spo2": "97"})
    assert correction.status_code == 200 and correction.context["form"].errors.get("taken_at")
    assert Observation.objects.get(case=home.case, source="worker").spo2 == 94


def test_a_case_found_elsewhere_does_not_open_the_home_care_of_another_commune(client, world):
    """The case is visible where it was found; its home care is the patient's commune's alone."""
    from epicommand.cases.models import Case, EntryLink

    home = h.at_home(world)
    Case.objects.filter(pk=home.case_id).update(commune=world.communes["neighbour"])
    _login(client, world, Role.COMMUNE_STATION, "neighbour")
    assert client.get(reverse("cases:observe", kwargs={"pk": home.case_id})).status_code == 200
    for name in ("cases:entry_link", "cases:home_release", "cases:home_assign"):
        url = reverse(name, kwargs={"pk": home.case_id})
        assert client.get(url).status_code == 404, name
        assert client.post(url, {"send": "1", "note": "x",
                                 "worker": world.user(Role.COMMUNE_STATION, "neighbour").pk}).status_code == 404, name
    assert not EntryLink.objects.filter(home_care=home).exists()
    home.refresh_from_db()
    assert home.status == HomeCare.Status.ACTIVE and home.worker == world.user(Role.MOBILE_STATION, "home")


def test_absurd_page_and_worker_numbers_are_harmless(client, world):
    _login(client, world, Role.HEALTH_OFFICER)
    big = "9" * 25
    assert client.get(reverse("cases:escalation"), {"page": big, "commune": big}).status_code == 200
    assert client.get(reverse("cases:escalation"), {"page": "99999"}).status_code == 200
    assert client.get(reverse("cases:day_list"), {"worker": big}).status_code == 200
