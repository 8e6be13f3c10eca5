"""Reminding a low-coverage commune: the message goes through the outbox to the commune health station, a
Reminder keeps the figures it was sent on, all audited in one transaction; refused outside the sender's
area and without the capability; clear messages when the station cannot be reached."""

from __future__ import annotations

import html

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from epicommand.core.models import AuditEvent, Organization
from epicommand.core.roles import Role
from epicommand.notify.models import Message
from epicommand.vaccination import coverage, reminders
from epicommand.vaccination.models import Reminder

from .world import K

pytestmark = pytest.mark.django_db


@pytest.fixture
def facts(world):
    coverage.rebuild()  # home: An vaccinated, Bis not → 1 of 2 adults
    return world


def remind_url(world, where: str = "home") -> str:
    return reverse("vaccination:remind", kwargs={"pk": world.communes[where].pk})


def test_the_form_proposes_a_vietnamese_message_with_the_communes_figures(client, facts):
    world = facts
    client.force_login(world.user(Role.HEALTH_OFFICER))
    with translation.override("en"):
        response = client.get(remind_url(world), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    body = response.context["form"].initial["body"]
    assert "Mường Tè" in body and "50,0%" in body and "70,0%" in body  # share and threshold, Vietnamese decimals
    assert "lý do" in body  # it asks for the reasons, in Vietnamese whatever the sender's language
    assert response.context["station"] == world.org(K.COMMUNE_STATION, "home")


def test_sending_queues_a_message_to_the_station_and_records_the_reminder(client, facts):
    world = facts
    officer = world.user(Role.HEALTH_OFFICER)
    station = world.org(K.COMMUNE_STATION, "home")
    Organization.objects.filter(pk=station.pk).update(phone="0912345678")
    client.force_login(officer)
    before = Reminder.objects.count()
    response = client.post(remind_url(world), {"channel": "sms", "to": "", "body": "Đề nghị báo cáo lý do."})
    reminder = Reminder.objects.exclude(pk__in=[r.pk for r in world.vaccination.reminders.values()]).get()
    message = reminder.message
    assert Reminder.objects.count() == before + 1
    assert response.status_code == 302 and response.url == reverse("notify:detail", kwargs={"pk": message.pk})
    assert (message.kind, message.channel, message.to, message.organization_id, message.place_id) == (
        "vaccination.reminder", "sms", "0912345678", station.pk, world.communes["home"].pk)
    assert message.body == "Đề nghị báo cáo lý do." and message.sender == officer
    assert (message.about_type, message.about_id) == ("core.Place", str(world.communes["home"].pk))
    assert reminder.sent_by == officer and reminder.commune == world.communes["home"]
    assert reminder.figures["target"] == 2 and reminder.figures["first"] == 1
    assert reminder.figures["first_share"] == 0.5 and reminder.figures["threshold"] == 0.7
    assert AuditEvent.objects.filter(action="create", object_type="vaccination.Reminder",
                                     object_id=str(reminder.pk), actor=officer).exists()
    # The officer then finds it in the outbox.
    page = client.get(reverse("notify:list")).content.decode()
    assert reverse("notify:detail", kwargs={"pk": message.pk}) in page


def test_a_channel_without_an_address_is_refused_clearly_and_nothing_is_written(client, facts):
    world = facts
    client.force_login(world.user(Role.HEALTH_OFFICER))
    counts = Message.objects.count(), Reminder.objects.count(), AuditEvent.objects.count()
    response = client.post(remind_url(world), {"channel": "email", "to": "", "body": "Nhắc nhở"})
    assert response.status_code == 200
    assert response.context["form"].errors["to"]
    assert (Message.objects.count(), Reminder.objects.count(), AuditEvent.objects.count()) == counts
    response = client.post(remind_url(world), {"channel": "email", "to": "tramyte@example.vn", "body": "Nhắc nhở"})
    assert response.status_code == 302 and Message.objects.latest("id").to == "tramyte@example.vn"


def test_an_address_the_channel_cannot_reach_is_refused_before_anything_is_queued(client, facts):
    world = facts
    client.force_login(world.user(Role.HEALTH_OFFICER))
    counts = Message.objects.count(), Reminder.objects.count()
    for channel, to in (("email", "not-an-address"), ("sms", "gọi trạm"), ("webhook", "ftp://example.vn/x")):
        response = client.post(remind_url(world), {"channel": channel, "to": to, "body": "Nhắc nhở"})
        assert response.status_code == 200 and to in html.unescape(str(response.context["form"].errors["to"]))
    assert (Message.objects.count(), Reminder.objects.count()) == counts
    response = client.post(remind_url(world), {"channel": "sms", "to": "0912 345 678", "body": "Nhắc nhở"})
    assert response.status_code == 302 and Message.objects.latest("id").to == "0912 345 678"


def test_an_empty_message_is_refused(client, facts):
    world = facts
    client.force_login(world.user(Role.HEALTH_OFFICER))
    response = client.post(remind_url(world), {"channel": "console", "body": "   "})
    assert response.status_code == 200 and response.context["form"].errors["body"]


def test_a_commune_without_an_active_station_gets_a_clear_message(client, facts):
    world = facts
    Organization.objects.filter(pk=world.org(K.COMMUNE_STATION, "home").pk).update(is_active=False)
    client.force_login(world.user(Role.HEALTH_OFFICER))
    response = client.get(remind_url(world))
    assert response.status_code == 200 and 'data-testid="no-station"' in response.content.decode()
    with pytest.raises(ValidationError, match="no active commune health station"):
        with translation.override("en"):
            reminders.send_reminder(actor=world.user(Role.HEALTH_OFFICER), commune=world.communes["home"],
                                    channel="console", body="x")
    before = Reminder.objects.count()
    assert client.post(remind_url(world), {"channel": "console", "body": "x"}).status_code == 200
    assert Reminder.objects.count() == before


def test_users_without_the_capability_are_refused(client, facts):
    world = facts
    station_user = world.user(Role.COMMUNE_STATION, "home")
    with pytest.raises(PermissionDenied):
        reminders.send_reminder(actor=station_user, commune=world.communes["home"], channel="console", body="x")
    client.force_login(station_user)
    before = Reminder.objects.count()
    assert client.post(remind_url(world), {"channel": "console", "body": "x"}).status_code == 403
    assert Reminder.objects.count() == before


def test_a_commune_outside_the_jurisdiction_is_404_and_audited_as_denied(client, facts):
    world = facts
    before = Reminder.objects.count(), Message.objects.count()
    client.force_login(world.user(Role.COMMUNE_STATION, "home"))
    assert client.post(remind_url(world, "neighbour"), {"channel": "console", "body": "x"}).status_code == 404
    assert AuditEvent.objects.filter(action="denied", object_type="core.Place",
                                     object_id=str(world.communes["neighbour"].pk)).exists()
    client.force_login(world.user(Role.VACCINATION_SITE, "home"))
    assert client.get(remind_url(world, "home")).status_code == 404
    assert (Reminder.objects.count(), Message.objects.count()) == before


def test_a_failed_reminder_row_rolls_back_the_message(facts, monkeypatch):
    world = facts
    before = Message.objects.count()

    def broken(**kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(Reminder.objects, "create", broken)
    with pytest.raises(RuntimeError):
        reminders.send_reminder(actor=world.user(Role.HEALTH_OFFICER), commune=world.communes["home"],
                                channel="console", body="x")
    assert Message.objects.count() == before


def test_a_double_submit_sends_one_message_and_says_why(client, facts):
    world = facts
    officer = world.user(Role.HEALTH_OFFICER)
    client.force_login(officer)
    before = Reminder.objects.count(), Message.objects.count()
    form = {"channel": "console", "to": "", "body": "Đề nghị báo cáo lý do."}
    assert client.post(remind_url(world), form).status_code == 302
    first = Reminder.objects.latest("id")
    again = client.post(remind_url(world), form)
    assert again.status_code == 200
    with translation.override("vi"):  # the screens' language
        expected = gettext(
            "You sent this same reminder to %(commune)s at %(time)s; it was not sent a second time. "
            "Find it in the outbox, or change the message to send another one.") % {
            "commune": world.communes["home"].name, "time": timezone.localtime(first.sent_at).strftime("%H:%M")}
    assert expected != "" and "%(" not in expected
    assert list(again.context["form"].non_field_errors()) == [expected]
    assert html.escape(expected) in again.content.decode()  # shown on the page, not only kept in the form
    assert (Reminder.objects.count(), Message.objects.count()) == (before[0] + 1, before[1] + 1)
    # Trailing spaces do not make it another message.
    assert client.post(remind_url(world), {**form, "body": form["body"] + "  "}).status_code == 200
    assert Reminder.objects.count() == before[0] + 1
    # Another text, another commune, another officer, or the same later: each is a decision, and is sent.
    assert client.post(remind_url(world), {**form, "body": "Nhắc lần hai."}).status_code == 302
    assert client.post(remind_url(world, "neighbour"), form).status_code == 302
    client.force_login(world.user(Role.COMMAND))
    assert client.post(remind_url(world), form).status_code == 302
    assert Reminder.objects.count() == before[0] + 4
    Reminder.objects.filter(sent_by=officer).update(sent_at=timezone.now() - reminders.REPEAT_WINDOW)
    client.force_login(officer)
    assert client.post(remind_url(world), form).status_code == 302
    assert Reminder.objects.count() == before[0] + 5


def test_the_service_refuses_the_repeat_itself(facts):
    world = facts
    officer, home = world.user(Role.HEALTH_OFFICER), world.communes["home"]
    reminders.send_reminder(actor=officer, commune=home, channel="console", body="x")
    with pytest.raises(ValidationError):
        reminders.send_reminder(actor=officer, commune=home, channel="sms", to="0912345678", body="x")
