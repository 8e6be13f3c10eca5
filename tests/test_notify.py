"""The outbox: queueing on commit, each channel against a local HTTP server (127.0.0.1 only), retries
with back-off, the claim, the sweep command, and the outbox screens' jurisdiction and retry button."""

from __future__ import annotations

import hashlib
import hmac
import json
import smtplib
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import pytest
from django.core.mail.backends.base import BaseEmailBackend
from django.core.management import call_command
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django_tasks_db.models import DBTaskResult

from epicommand.core.models import AuditEvent, Place
from epicommand.core.roles import Role
from epicommand.notify import services
from epicommand.notify.channels import TransientError
from epicommand.notify.channels.console import Console
from epicommand.notify.checks import check_channels
from epicommand.notify.models import Attempt, Message
from epicommand.notify.tasks import deliver_messages

from .world import K

pytestmark = pytest.mark.django_db

TASK_PATH = "epicommand.notify.tasks.deliver_message"


# ---- a local gateway ---------------------------------------------------------------------------

class Gateway:
    """Records what it is sent and answers with the queued (status, JSON) pairs, then 200 {"id": …}."""

    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.answers: list[tuple[int, object]] = []
        self.delay = 0.0
        self.url = ""

    def answer(self, *answers: tuple[int, object]) -> None:
        self.answers.extend(answers)


@pytest.fixture
def gateway(monkeypatch):
    monkeypatch.setenv("no_proxy", "127.0.0.1")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    gw = Gateway()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 (http.server's name)
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            headers = {k.lower(): v for k, v in self.headers.items()}
            gw.requests.append({"path": self.path, "headers": headers, "body": body})
            if gw.delay:
                time.sleep(gw.delay)
            status, payload = gw.answers.pop(0) if gw.answers else (200, {"id": f"gw-{len(gw.requests)}"})
            data = json.dumps(payload).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (the timeout test)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    gw.url = f"http://127.0.0.1:{server.server_port}"
    yield gw
    server.shutdown()
    server.server_close()


def queue(world, *, channel="console", to="", where="home", **extra) -> Message:
    """A committed-looking message, as notify() leaves it (tests call deliver() themselves)."""
    values = {"body": f"Body {where}", "subject": f"MESSAGE {where}", "kind": "test.kind", **extra}
    return services.notify(channel=channel, to=to, place=world.communes[where], **values)


def fresh(message: Message) -> Message:
    return Message.objects.get(pk=message.pk)


def make_due(message: Message) -> None:
    Message.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now() - timedelta(seconds=1))


def assert_backoff(message: Message, seconds: float) -> None:
    """Waiting `seconds` (plus at most the 10% spread) from now, with a deferred task for that time."""
    message = fresh(message)
    wait = (message.next_attempt_at - timezone.now()).total_seconds()
    assert seconds - 5 <= wait <= seconds * 1.1 + 1, wait
    task = DBTaskResult.objects.filter(task_path=TASK_PATH, run_after=message.next_attempt_at).get()
    assert task.args_kwargs["args"] == [message.pk]


@pytest.fixture
def sms(settings, gateway):
    settings.NOTIFY_CHANNELS = ["console", "sms"]
    settings.NOTIFY_SMS = {"URL": f"{gateway.url}/send", "TOKEN": "sms-token", "SENDER": "SYT-LAICHAU"}
    return gateway


# ---- queueing ----------------------------------------------------------------------------------

def test_a_rolled_back_change_queues_nothing(world, django_capture_on_commit_callbacks):
    existing = set(Message.objects.values_list("pk", flat=True))  # the world's own messages
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic():
            queue(world, sender=world.user(Role.COMMUNE_STATION))
            raise RuntimeError("the caller's change failed")
    assert callbacks == []
    assert set(Message.objects.values_list("pk", flat=True)) == existing and not DBTaskResult.objects.exists()
    assert not AuditEvent.objects.filter(object_type="notify.Message").exists()


def test_a_committed_message_is_enqueued_once_the_transaction_commits(world, django_capture_on_commit_callbacks):
    sender = world.user(Role.COMMUNE_STATION)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        message = queue(world, channel="sms", to="0912 345 678", sender=sender, body="Bệnh nhân SpO2 91%")
        assert not DBTaskResult.objects.exists()  # not before the commit
    assert len(callbacks) == 1
    task = DBTaskResult.objects.get()
    assert task.task_path == TASK_PATH and task.args_kwargs["args"] == [message.pk]
    message = fresh(message)
    assert (message.status, message.attempts, message.place, message.sender) == ("queued", 0, world.communes["home"],
                                                                                sender)
    # Audited by who and what, never by content: the body may hold health data.
    event = AuditEvent.objects.get(object_type="notify.Message", object_id=str(message.pk))
    assert event.action == "create" and event.actor_id == sender.pk
    assert event.changes["kind"][1] == "test.kind" and event.changes["to"][1] == "0912 345 678"
    assert "SpO2" not in json.dumps(event.changes) + event.object_repr


def test_many_messages_are_queued_at_once_with_one_delivery_task(world, django_capture_on_commit_callbacks):
    sender = world.user(Role.COMMUNE_STATION)
    drafts = [services.draft(channel="console", to=f"dev-{n}", body=f"Cảnh báo {n}", kind="test.many",
                             place=world.communes["home"], sender=sender if n < 2 else None) for n in range(3)]
    assert all(message.pk is None for message in drafts)  # drafts are not written
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic():
            services.notify_many(drafts)
            raise RuntimeError("the import batch failed")
    assert callbacks == [] and not Message.objects.filter(kind="test.many").exists()

    drafts = [services.draft(channel="console", to=f"dev-{n}", body=f"Cảnh báo {n}", kind="test.many",
                             place=world.communes["home"], sender=sender if n < 2 else None) for n in range(3)]
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        services.notify_many(drafts)
        assert not DBTaskResult.objects.exists()
    ids = [message.pk for message in drafts]
    assert len(callbacks) == 1 and sorted(Message.objects.filter(kind="test.many").values_list("pk", flat=True)) == ids
    task = DBTaskResult.objects.get()
    assert task.task_path == "epicommand.notify.tasks.deliver_messages" and task.args_kwargs["args"] == [ids]
    # Audited as one by one, by who and what: the system's own message is not.
    audited = AuditEvent.objects.filter(object_type="notify.Message", object_id__in=[str(pk) for pk in ids])
    assert sorted(audited.values_list("object_id", flat=True)) == sorted(str(pk) for pk in ids[:2])
    assert all(event.actor_id == sender.pk and "Cảnh báo" not in json.dumps(event.changes) for event in audited)
    assert deliver_messages.call(ids) == ["sent", "sent", "sent"]
    assert set(Message.objects.filter(pk__in=ids).values_list("status", flat=True)) == {"sent"}


def test_system_messages_are_not_audited_and_defaults_come_from_the_recipient(world):
    worker = world.user(Role.MOBILE_STATION, "neighbour")
    worker.phone, worker.email = "0987654321", "worker@example.org"
    message = services.notify(channel="sms", recipient=worker, body="Nhắc lịch", kind="cases.alert",
                              about=world.people["neighbour"])
    assert (message.to, message.place, message.sender) == ("0987654321", world.communes["neighbour"], None)
    assert (message.about_type, message.about_id) == ("people.Person", str(world.people["neighbour"].pk))
    assert services.notify(channel="email", recipient=worker, body="x").to == "worker@example.org"
    cdc = world.org(K.SCHOOL, "unrelated")
    cdc.email = "cdc@example.org"
    by_org = services.notify(channel="email", organization=cdc, body="x")
    assert (by_org.to, by_org.place) == ("cdc@example.org", world.communes["unrelated"])
    assert services.notify(channel="console", body="x").place == world.province
    assert list(services.messages_about(world.people["neighbour"], kind="cases.alert")) == [message]
    assert not AuditEvent.objects.filter(object_type="notify.Message").exists()


def test_programming_errors_raise(world):
    with pytest.raises(ValueError):
        services.notify(channel="fax", to="1", body="x")
    with pytest.raises(ValueError):
        services.notify(channel="console", to="1", body="  ")
    legacy = Place.objects.filter(structure=Place.Structure.LEGACY).first()
    with pytest.raises(ValueError):
        services.notify(channel="console", to="1", body="x", place=legacy)


@pytest.mark.django_db(transaction=True)
def test_the_task_worker_delivers_a_committed_message(reference_data, capsys):
    from .world import build_world

    world = build_world()
    message = queue(world, to="dev", body="Xin chào từ hộp thư đi")  # no caller transaction: commits at once
    call_command("db_worker", batch=True, no_startup_delay=True, verbosity=0)
    message = fresh(message)
    assert message.status == "sent" and message.provider_id == f"console-{message.pk}-1" and message.sent_at
    assert "Xin chào từ hộp thư đi" in capsys.readouterr().out


# ---- channels ----------------------------------------------------------------------------------

def test_sms_success_sends_the_configured_request(world, sms):
    message = queue(world, channel="sms", to="0912.345.678", body="Lịch tiêm: 8h sáng mai")
    assert services.deliver(message.pk) == "sent"
    [request] = sms.requests
    assert request["path"] == "/send" and request["headers"]["authorization"] == "Bearer sms-token"
    assert json.loads(request["body"]) == {"to": "0912345678", "text": "Lịch tiêm: 8h sáng mai",
                                           "from": "SYT-LAICHAU"}
    message = fresh(message)
    assert (message.status, message.provider_id, message.attempts, message.delivered_via) == ("sent", "gw-1", 1,
                                                                                             "sms")
    assert list(message.attempt_log.values_list("outcome", flat=True)) == ["sent"]


def test_sms_form_gateway_with_key_parameter_and_a_refusal_in_a_200(world, settings, sms):
    settings.NOTIFY_SMS = {**settings.NOTIFY_SMS, "FORMAT": "form", "TOKEN_PARAM": "ApiKey", "TO_PARAM": "Phone",
                           "TEXT_PARAM": "Content", "ID_FIELD": "SMSID", "OK_FIELD": "CodeResult", "OK_VALUE": "100",
                           "EXTRA": {"SmsType": "2"}}
    sms.answer((200, {"CodeResult": "100", "SMSID": "abc-1"}), (200, {"CodeResult": "104"}))
    ok = queue(world, channel="sms", to="+84912345678")
    assert services.deliver(ok.pk) == "sent" and fresh(ok).provider_id == "abc-1"
    form = parse_qs(sms.requests[0]["body"].decode())
    assert form == {"Phone": ["+84912345678"], "Content": ["Body home"], "ApiKey": ["sms-token"], "SmsType": ["2"],
                    "from": ["SYT-LAICHAU"]}
    assert "authorization" not in sms.requests[0]["headers"]
    refused = queue(world, channel="sms", to="0912345678")
    assert services.deliver(refused.pk) == "dead" and "104" in fresh(refused).last_error


def test_sms_server_error_is_retried_with_back_off_then_succeeds(world, sms):
    sms.answer((500, {"error": "busy"}), (503, {}))
    message = queue(world, channel="sms", to="0912345678")
    assert services.deliver(message.pk) == "failed"
    assert "HTTP 500" in fresh(message).last_error
    assert_backoff(message, 60)
    assert services.deliver(message.pk) is None  # not due yet: nothing happens
    make_due(message)
    assert services.deliver(message.pk) == "failed"
    assert_backoff(message, 300)
    make_due(message)
    assert services.deliver(message.pk) == "sent"
    message = fresh(message)
    assert (message.attempts, message.last_error, len(sms.requests)) == (3, "", 3)
    assert list(message.attempt_log.order_by("number").values_list("outcome", flat=True)) == ["retry", "retry",
                                                                                             "sent"]


def test_sms_client_error_gives_up_at_once(world, sms):
    sms.answer((400, {"error": "bad number"}))
    message = queue(world, channel="sms", to="0912345678")
    assert services.deliver(message.pk) == "dead"
    message = fresh(message)
    assert "HTTP 400" in message.last_error and "bad number" in message.last_error
    assert message.next_attempt_at is None and not DBTaskResult.objects.filter(task_path=TASK_PATH).exists()


def test_a_malformed_phone_gives_up_without_calling_the_gateway(world, sms):
    message = queue(world, channel="sms", to="gọi chị Lan")
    assert services.deliver(message.pk) == "dead" and not sms.requests
    assert "not a phone number" in fresh(message).last_error


def test_max_attempts_then_dead(world, settings, sms):
    settings.NOTIFY_MAX_ATTEMPTS = 3
    sms.answer((500, {}), (500, {}), (500, {}))
    message = queue(world, channel="sms", to="0912345678")
    outcomes = []
    for _ in range(3):
        make_due(message)
        outcomes.append(services.deliver(message.pk))
    assert outcomes == ["failed", "failed", "dead"]
    make_due(message)
    assert services.deliver(message.pk) is None and len(sms.requests) == 3


def test_zalo_sends_to_the_oa_endpoint(world, settings, gateway):
    settings.NOTIFY_CHANNELS = ["zalo"]
    settings.NOTIFY_ZALO = {"URL": f"{gateway.url}/v3.0/oa/message/cs", "ACCESS_TOKEN": "oa-token"}
    gateway.answer((200, {"error": 0, "message": "Success", "data": {"message_id": "zmsg-1", "user_id": "42"}}))
    message = queue(world, channel="zalo", to="2468458835296197922", body="Kết quả xét nghiệm đã có")
    assert services.deliver(message.pk) == "sent" and fresh(message).provider_id == "zmsg-1"
    [request] = gateway.requests
    assert request["path"] == "/v3.0/oa/message/cs" and request["headers"]["access_token"] == "oa-token"
    assert json.loads(request["body"]) == {"recipient": {"user_id": "2468458835296197922"},
                                           "message": {"text": "Kết quả xét nghiệm đã có"}}


@pytest.mark.parametrize(("answer", "status"), [
    ((500, {}), "failed"),
    ((400, {}), "dead"),
    ((200, {"error": -32, "message": "rate limit"}), "failed"),
    ((200, {"error": -213, "message": "user has not interacted with the OA"}), "dead"),
])
def test_zalo_failures(world, settings, gateway, answer, status):
    settings.NOTIFY_CHANNELS = ["zalo"]
    settings.NOTIFY_ZALO = {"URL": f"{gateway.url}/cs", "ACCESS_TOKEN": "oa-token"}
    gateway.answer(answer)
    message = queue(world, channel="zalo", to="42")
    assert services.deliver(message.pk) == status
    if status == "failed":
        assert_backoff(message, 60)
    else:
        assert fresh(message).next_attempt_at is None


def test_webhook_posts_signed_json(world, settings, gateway):
    settings.NOTIFY_CHANNELS = ["webhook"]
    settings.NOTIFY_WEBHOOK = {"SECRET": "hook-secret"}
    message = queue(world, channel="webhook", to=f"{gateway.url}/hook", kind="cases.alert", body="F0 SpO2 92%",
                    about=("cases.Case", 17))
    assert services.deliver(message.pk) == "sent"
    [request] = gateway.requests
    headers, body = request["headers"], request["body"]
    expected = hmac.new(b"hook-secret", headers["x-epicommand-timestamp"].encode() + b"." + body,
                        hashlib.sha256).hexdigest()
    assert headers["x-epicommand-signature"] == f"sha256={expected}"
    assert headers["x-epicommand-message-id"] == str(message.pk)
    data = json.loads(body)
    assert (data["id"], data["kind"], data["body"], data["about"]) == (message.pk, "cases.alert", "F0 SpO2 92%",
                                                                       {"type": "cases.Case", "id": "17"})
    assert data["place"] == world.communes["home"].code


@pytest.mark.parametrize(("answer", "status"), [((502, {}), "failed"), ((404, {}), "dead"), ((429, {}), "failed")])
def test_webhook_failures(world, settings, gateway, answer, status):
    settings.NOTIFY_CHANNELS = ["webhook"]
    gateway.answer(answer)
    message = queue(world, channel="webhook", to=f"{gateway.url}/hook")
    assert services.deliver(message.pk) == status
    assert "x-epicommand-signature" not in gateway.requests[0]["headers"]  # no secret, no signature


def test_a_timeout_is_retried(world, settings, gateway):
    settings.NOTIFY_CHANNELS = ["webhook"]
    settings.NOTIFY_TIMEOUT_SECONDS = 0.3
    gateway.delay = 1.5
    message = queue(world, channel="webhook", to=f"{gateway.url}/slow")
    started = time.monotonic()
    assert services.deliver(message.pk) == "failed"
    assert time.monotonic() - started < 1.4
    assert "timed out" in fresh(message).last_error.lower()


def test_webhook_refuses_other_schemes_and_urls_outside_the_allowed_list(world, settings, gateway):
    settings.NOTIFY_CHANNELS = ["webhook"]
    settings.NOTIFY_WEBHOOK = {"ALLOWED_PREFIXES": [f"{gateway.url}/ok/"]}
    local_file = queue(world, channel="webhook", to="file:///etc/passwd")
    elsewhere = queue(world, channel="webhook", to=f"{gateway.url}/other")
    allowed = queue(world, channel="webhook", to=f"{gateway.url}/ok/hook")
    assert [services.deliver(m.pk) for m in (local_file, elsewhere, allowed)] == ["dead", "dead", "sent"]
    assert [r["path"] for r in gateway.requests] == ["/ok/hook"]


def test_email_through_django_mail(world, settings, mailoutbox):
    settings.NOTIFY_CHANNELS = ["email"]
    message = queue(world, channel="email", to="cdc@example.org", subject="Cảnh báo", body="Ca bệnh mới")
    assert services.deliver(message.pk) == "sent"
    [sent] = mailoutbox
    assert (sent.subject, sent.body, sent.to) == ("Cảnh báo", "Ca bệnh mới", ["cdc@example.org"])
    assert fresh(message).provider_id == sent.extra_headers["Message-ID"]
    bad = queue(world, channel="email", to="not-an-address")
    assert services.deliver(bad.pk) == "dead" and len(mailoutbox) == 1


class FlakyBackend(BaseEmailBackend):
    error: Exception | None = None

    def send_messages(self, messages):
        raise self.error


@pytest.mark.parametrize(("error", "status"), [
    (smtplib.SMTPServerDisconnected("gone"), "failed"),
    (smtplib.SMTPResponseException(451, b"try later"), "failed"),
    (smtplib.SMTPResponseException(550, b"no such mailbox"), "dead"),
    (smtplib.SMTPRecipientsRefused({"x@example.org": (550, b"unknown")}), "dead"),
    (TimeoutError("timed out"), "failed"),
])
def test_email_errors_are_classified(world, settings, error, status):
    settings.NOTIFY_CHANNELS = ["email"]
    settings.EMAIL_BACKEND = f"{__name__}.FlakyBackend"
    FlakyBackend.error = error
    message = queue(world, channel="email", to="x@example.org")
    assert services.deliver(message.pk) == status


def test_a_channel_not_enabled_gives_up_unless_the_console_stands_in(world, settings, capsys):
    settings.NOTIFY_CHANNELS = ["console"]
    settings.NOTIFY_CONSOLE_FALLBACK = False
    message = queue(world, channel="sms", to="0912345678", body="Nhắc tiêm mũi 2")
    assert services.deliver(message.pk) == "dead"
    assert "not enabled" in fresh(message).last_error
    settings.NOTIFY_CONSOLE_FALLBACK = True
    message = queue(world, channel="sms", to="0912345678", body="Nhắc tiêm mũi 3")
    assert services.deliver(message.pk) == "sent"
    assert (fresh(message).delivered_via, fresh(message).channel) == ("console", "sms")
    assert "Nhắc tiêm mũi 3" in capsys.readouterr().out
    # Even the stand-in refuses what the real channel would refuse.
    bad = queue(world, channel="sms", to="not a phone")
    assert services.deliver(bad.pk) == "dead"


def test_checks_name_the_missing_settings(settings):
    settings.NOTIFY_CHANNELS = ["sms", "zalo", "pigeon"]
    settings.NOTIFY_SMS = {}
    settings.NOTIFY_ZALO = {"ACCESS_TOKEN": ""}
    found = {(m.id, m.msg) for m in check_channels()}
    ids = sorted(i for i, _ in found)
    assert ids == ["notify.E001", "notify.W001", "notify.W001"]
    assert any("EPICOMMAND_SMS_URL" in msg for _, msg in found)
    assert any("EPICOMMAND_ZALO_ACCESS_TOKEN" in msg for _, msg in found)


def test_a_webhook_channel_open_to_any_address_is_pointed_out(settings):
    settings.NOTIFY_CHANNELS = ["console", "webhook"]
    settings.NOTIFY_WEBHOOK = {**settings.NOTIFY_WEBHOOK, "ALLOWED_PREFIXES": []}
    assert "notify.W002" in {m.id for m in check_channels()}
    settings.NOTIFY_WEBHOOK = {**settings.NOTIFY_WEBHOOK, "ALLOWED_PREFIXES": ["https://hooks.laichau.gov.vn/"]}
    assert "notify.W002" not in {m.id for m in check_channels()}


# ---- the claim ---------------------------------------------------------------------------------

def test_two_deliveries_of_one_message_send_it_once(world, monkeypatch):
    sends: list[int] = []

    def send(self, message):
        sends.append(message.pk)
        # A second worker reaching the same message while the first is sending it.
        assert services.deliver(message.pk) is None
        return "once"

    monkeypatch.setattr(Console, "send", send)
    message = queue(world)
    assert services.deliver(message.pk) == "sent"
    assert services.deliver(message.pk) is None
    assert sends == [message.pk] and fresh(message).attempts == 1


def test_a_message_left_sending_by_a_dead_worker_is_taken_over_after_its_lease(world):
    message = queue(world)
    Message.objects.filter(pk=message.pk).update(status="sending", attempts=1,
                                                 next_attempt_at=timezone.now() + timedelta(minutes=4))
    Attempt.objects.create(message=message, number=1, started_at=timezone.now())
    assert services.deliver(message.pk) is None  # its worker may still be sending
    make_due(message)  # the lease ran out
    assert services.deliver(message.pk) == "sent"
    assert list(fresh(message).attempt_log.order_by("number").values_list("outcome", flat=True)) == [
        "interrupted", "sent"]


def test_a_stopped_worker_frees_the_message(world, monkeypatch):
    def send(self, message):
        raise KeyboardInterrupt

    monkeypatch.setattr(Console, "send", send)
    message = queue(world)
    with pytest.raises(KeyboardInterrupt):
        services.deliver(message.pk)
    message = fresh(message)
    assert message.status == "failed" and message.next_attempt_at > timezone.now()
    assert message.attempt_log.get().outcome == "interrupted"


# ---- the sweep ---------------------------------------------------------------------------------

def test_the_sweep_command_delivers_what_is_due(world):
    due = queue(world)
    retry_due = queue(world)
    later = queue(world)
    Message.objects.filter(pk=retry_due.pk).update(status="failed", attempts=1,
                                                   next_attempt_at=timezone.now() - timedelta(minutes=1))
    Message.objects.filter(pk=later.pk).update(status="failed", attempts=1,
                                               next_attempt_at=timezone.now() + timedelta(minutes=5))
    sent = Message.objects.create(channel="console", to="x", body="done", place=world.communes["home"],
                                  status="sent", attempts=1)
    call_command("notify_deliver", verbosity=0)
    assert [fresh(m).status for m in (due, retry_due, later, sent)] == ["sent", "sent", "failed", "sent"]
    assert fresh(sent).attempts == 1
    make_due(later)
    call_command("notify_deliver", "--loop", "--rounds", "2", "--interval", "0", verbosity=0)
    assert fresh(later).status == "sent"


# ---- the screens -------------------------------------------------------------------------------

@pytest.fixture
def outbox(world):
    """Messages sent by each commune's station, a dead one, and one to the home facility."""
    made = {}
    for where in ("home", "neighbour"):
        made[where] = queue(world, where=where, to=f"09{where}", sender=world.user(Role.COMMUNE_STATION, where))
    made["dead"] = queue(world, channel="sms", to="0912345678", subject="DEAD home",
                         sender=world.user(Role.COMMUNE_STATION, "home"), kind="vaccination.reminder")
    Message.objects.filter(pk=made["dead"].pk).update(status="dead", attempts=6, last_error="HTTP 400: bad number")
    made["facility"] = services.notify(channel="email", to="f@example.org", body="x", subject="FACILITY unrelated",
                                       place=world.communes["unrelated"],
                                       organization=world.org(K.TREATMENT_FACILITY, "unrelated"))
    return made


def subjects(response) -> set[str]:
    # The shared test world has one "OUTBOX <commune>" message per commune (for the URL sweep): not ours.
    return {m.subject for m in response.context["page"] if not m.subject.startswith("OUTBOX ")}


def test_a_commune_user_sees_her_communes_messages_only(client, world, outbox, django_assert_max_num_queries):
    client.force_login(world.user(Role.COMMUNE_STATION, "home"))
    with django_assert_max_num_queries(10):
        response = client.get(reverse("notify:list"))
    assert subjects(response) == {"MESSAGE home", "DEAD home"}
    assert b"MESSAGE neighbour" not in response.content and b"FACILITY" not in response.content
    assert client.get(reverse("notify:detail", args=[outbox["home"].pk])).status_code == 200
    assert client.get(reverse("notify:detail", args=[outbox["neighbour"].pk])).status_code == 404
    assert AuditEvent.objects.filter(action="denied", object_id=str(outbox["neighbour"].pk)).exists()
    client.force_login(world.user(Role.HEALTH_OFFICER))
    assert subjects(client.get(reverse("notify:list"))) == {"MESSAGE home", "MESSAGE neighbour", "DEAD home",
                                                           "FACILITY unrelated"}


def test_an_organization_user_sees_her_organizations_messages(client, world, outbox):
    client.force_login(world.user(Role.FACILITY, "unrelated"))
    assert subjects(client.get(reverse("notify:list"))) == {"FACILITY unrelated"}
    client.force_login(world.user(Role.FACILITY, "home"))
    assert subjects(client.get(reverse("notify:list"))) == set()
    assert client.get(reverse("notify:detail", args=[outbox["facility"].pk])).status_code == 404


def test_outbox_filters(client, world, outbox):
    client.force_login(world.user(Role.HEALTH_OFFICER))
    url = reverse("notify:list")
    assert subjects(client.get(url, {"status": "dead"})) == {"DEAD home"}
    assert subjects(client.get(url, {"channel": "email"})) == {"FACILITY unrelated"}
    assert subjects(client.get(url, {"kind": "vaccination"})) == {"DEAD home"}
    assert subjects(client.get(url, {"status": "queued", "channel": "console"})) == {"MESSAGE home",
                                                                                     "MESSAGE neighbour"}


def test_the_detail_page_is_audited_and_its_status_refreshes_without_the_body(client, world, outbox):
    client.force_login(world.user(Role.COMMUNE_STATION, "home"))
    url = reverse("notify:detail", args=[outbox["dead"].pk])
    response = client.get(url)
    body = response.content.decode()
    assert "HTTP 400: bad number" in body and "Body home" in body and 'data-testid="retry"' in body
    assert AuditEvent.objects.filter(action="view", object_type="notify.Message",
                                     object_id=str(outbox["dead"].pk)).count() == 1
    partial = client.get(reverse("notify:detail", args=[outbox["home"].pk]), HTTP_HX_REQUEST="true")
    assert b"every 2s" in partial.content and b"Body home" not in partial.content and b"<html" not in partial.content
    assert AuditEvent.objects.filter(action="view", object_type="notify.Message").count() == 1


def test_retry_now(client, world, outbox, django_capture_on_commit_callbacks, monkeypatch):
    dead = outbox["dead"]
    url = reverse("notify:retry", args=[dead.pk])
    # Same commune, not the sender, no right to retry others' messages: sees it, may not retry it.
    client.force_login(world.user(Role.MOBILE_STATION, "home"))
    assert b'data-testid="retry"' not in client.get(reverse("notify:detail", args=[dead.pk])).content
    assert client.post(url).status_code == 403
    client.force_login(world.user(Role.COMMUNE_STATION, "neighbour"))
    assert client.post(url).status_code == 404
    assert fresh(dead).status == "dead"

    client.force_login(world.user(Role.COMMUNE_STATION, "home"))  # the sender
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(url).status_code == 302
    dead = fresh(dead)
    assert (dead.status, dead.attempts, dead.round_attempts) == ("queued", 6, 0)
    assert DBTaskResult.objects.filter(task_path=TASK_PATH, args_kwargs__args=[dead.pk]).exists()
    event = AuditEvent.objects.get(action="update", object_type="notify.Message", object_id=str(dead.pk))
    assert event.changes == {"status": ["dead", "queued"]}
    # It gets a fresh series of attempts: a failure now is a retry, not the end (6 attempts were used).
    Message.objects.filter(pk=dead.pk).update(channel="console")

    def send(self, message):
        raise TransientError("still down")

    monkeypatch.setattr(Console, "send", send)
    assert services.deliver(dead.pk) == "failed"
    # Nothing to retry on a queued or sent message.
    assert client.post(reverse("notify:retry", args=[outbox["home"].pk])).status_code == 302
    assert fresh(outbox["home"]).status == "queued"
    assert not AuditEvent.objects.filter(action="update", object_id=str(outbox["home"].pk)).exists()


def test_the_command_centre_may_retry_system_messages(client, world, outbox):
    message = outbox["facility"]
    Message.objects.filter(pk=message.pk).update(status="failed", next_attempt_at=timezone.now() + timedelta(hours=1))
    # The facility's own staff see the message but neither sent it nor manage the outbox.
    client.force_login(world.user(Role.FACILITY, "unrelated"))
    assert client.post(reverse("notify:retry", args=[message.pk])).status_code == 403
    client.force_login(world.user(Role.HEALTH_OFFICER))  # provincial officers hold notify.manage
    assert client.post(reverse("notify:retry", args=[message.pk])).status_code == 302
    message = fresh(message)
    assert message.status == "queued" and message.next_attempt_at <= timezone.now()


# ---- on a phone --------------------------------------------------------------------------------

@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_sender_retries_a_dead_message_from_a_360_px_phone(phone, browser_world, live_server):
    from .browsing import fits_width, log_in, open_menu_if_collapsed

    world = browser_world
    message = queue(world, channel="sms", to="0912345678", subject="Nhắc tiêm xã Mường Tè",
                    sender=world.user(Role.COMMUNE_STATION), body="Mời bà con đến trạm y tế tiêm mũi nhắc lại " * 4)
    Message.objects.filter(pk=message.pk).update(status="dead", attempts=6,
                                                 last_error="HTTP 400: " + "số điện thoại không hợp lệ " * 8)
    log_in(phone, live_server.url, "home.commune_station")
    open_menu_if_collapsed(phone)
    phone.click("#mainnav a[href='/notify/']")
    assert fits_width(phone)
    assert phone.locator("[data-testid=outbox-list] tbody tr").all_inner_texts()[0].startswith("Nhắc tiêm")
    phone.click(f"a[href='/notify/{message.pk}/']")
    assert fits_width(phone)
    assert phone.locator("[data-testid=message-status]").get_attribute("data-status") == "dead"
    phone.click("[data-testid=retry]")
    phone.wait_for_url(f"**/notify/{message.pk}/")
    assert fits_width(phone)
    assert phone.locator("[data-testid=message-status]").get_attribute("data-status") == "queued"
    assert fresh(message).status == "queued"


def test_each_channel_error_reads_as_what_the_sender_should_do(world, settings, sms):
    settings.NOTIFY_CHANNELS = ["console", "sms"]
    settings.NOTIFY_CONSOLE_FALLBACK = False
    sms.answer((400, {"error": "bad number"}))
    cases = [
        (queue(world, channel="sms", to=""), "There is no address to send to: add a phone number or e-mail address "
         "to the receiving unit or account, then send again."),
        (queue(world, channel="sms", to="gọi chị Lan"), "The address is not one this channel can reach: correct it, "
         "then send again."),
        (queue(world, channel="zalo", to="12345"), "This channel is not set up on this server: tell the system "
         "administrator."),
        (queue(world, channel="sms", to="0912345678"), "The provider refused the message: see the details."),
    ]
    for message, meaning in cases:
        assert services.deliver(message.pk) == "dead"
        assert fresh(message).error_meaning == gettext(meaning)
    assert Message(last_error="").error_meaning == ""
    assert Message(last_error="URLError: timed out").error_meaning == gettext(
        "Sending failed: see the details. Failed messages are tried again a few times.")


def test_the_message_page_shows_the_meaning_above_the_details(client, world, outbox):
    client.force_login(world.user(Role.COMMUNE_STATION, "home"))
    page = client.get(reverse("notify:detail", args=[outbox["dead"].pk])).content.decode()
    assert gettext("The provider refused the message: see the details.") in page and "HTTP 400: bad number" in page
