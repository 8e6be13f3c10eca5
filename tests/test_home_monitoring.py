"""Recording vital signs: warnings, alerts to the worker through the outbox, the home-care row and the
worker's load kept current, double submits, alert handling, and the no-entry sweep."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.utils import timezone

from epicommand.cases import monitoring
from epicommand.cases.models import Alert, Case, HomeCare, Observation, WorkerLoad
from epicommand.cases.warnings import URGENCY_NO_ENTRY, URGENCY_ONE_SIGN
from epicommand.core.roles import Role
from epicommand.notify.models import Message

from . import home_helpers as h


def test_a_warning_raises_an_alert_with_an_sms_to_the_worker(world):
    home = h.at_home(world)
    worker = home.worker
    before = Message.objects.count()
    observation = h.observe(home, actor=worker, spo2=94, respiratory_rate=18, pulse=80)
    assert observation.warnings == ["spo2"] and observation.urgency == URGENCY_ONE_SIGN
    alert = Alert.objects.get(home_care=home, kind=Alert.Kind.WARNING)
    assert alert.worker == worker and alert.reasons == ["spo2"] and alert.observation == observation
    message = alert.message
    assert Message.objects.count() == before + 1
    assert message.kind == "home_care.alert" and message.channel == "sms" and message.recipient == worker
    assert home.case.code in message.body and home.case.person.full_name not in message.body
    home.refresh_from_db()
    assert home.urgency == URGENCY_ONE_SIGN and home.entries == 1 and home.last_entry_at == observation.taken_at
    assert WorkerLoad.objects.get(worker=worker).alarming == 2  # the world's alerting patient and this one


def test_a_normal_entry_raises_nothing(world):
    home = h.at_home(world)
    before = Message.objects.count()
    h.observe(home, spo2=98, respiratory_rate=16, pulse=80, temperature=37.2, systolic=120, diastolic=80)
    assert not Alert.objects.filter(home_care=home).exists() and Message.objects.count() == before
    home.refresh_from_db()
    assert home.urgency == 0 and home.entries == 1


def test_the_childs_band_is_taken_from_the_age_on_the_day(world):
    child = h.at_home(world, age=3)
    assert h.observe(child, respiratory_rate=35).warnings == []
    assert h.observe(child, minutes_ago=1, respiratory_rate=40).warnings == ["rr"]


def test_a_double_submit_changes_nothing(world):
    home = h.at_home(world)
    taken = timezone.now().replace(second=0, microsecond=0)
    first = monitoring.record_observation(actor=None, case=home.case, taken_at=taken, source="worker", spo2=93)
    counts = (Observation.objects.count(), Alert.objects.count(), Message.objects.count())
    second = monitoring.record_observation(actor=None, case=home.case, taken_at=taken, source="worker", spo2=99)
    assert second.pk == first.pk and second.spo2 == 93
    assert (Observation.objects.count(), Alert.objects.count(), Message.objects.count()) == counts
    home.refresh_from_db()
    assert home.entries == 1


def test_impossible_values_are_refused_whole(world):
    home = h.at_home(world)
    with pytest.raises(ValidationError) as refused:
        monitoring.record_observation(actor=None, case=home.case, taken_at=timezone.now(), source="worker",
                                      spo2=101, pulse=80)
    assert "spo2" in refused.value.message_dict
    with pytest.raises(ValidationError):
        monitoring.record_observation(actor=None, case=home.case, taken_at=timezone.now() + timedelta(hours=1),
                                      source="worker", spo2=98)
    with pytest.raises(ValidationError):
        monitoring.record_observation(actor=None, case=home.case, taken_at=timezone.now(), source="worker")
    assert not Observation.objects.filter(case=home.case, source="worker").exists()


def test_the_severity_is_suggested_never_confirmed(world):
    home = h.at_home(world)
    h.observe(home, spo2=92, respiratory_rate=26)
    case = Case.objects.get(pk=home.case_id)
    assert case.severity_suggested == "severe" and case.severity_reasons
    assert case.severity == "asymptomatic"


def test_handling_an_alert_lowers_the_urgency(world):
    home = h.at_home(world)
    h.observe(home, spo2=94)
    alert = Alert.objects.get(home_care=home)
    worker = home.worker
    monitoring.handle_alert(actor=worker, alert=alert, action="acknowledge", note="calling")
    home.refresh_from_db()
    assert home.urgency == URGENCY_ONE_SIGN  # being handled is still open
    with pytest.raises(ValidationError):
        monitoring.handle_alert(actor=worker, alert=alert, action="resolve", note="")
    monitoring.handle_alert(actor=worker, alert=alert, action="resolve", note="re-measured 97%")
    home.refresh_from_db()
    alert.refresh_from_db()
    assert alert.status == Alert.Status.RESOLVED and "97%" in alert.note and home.urgency == 0
    assert WorkerLoad.objects.get(worker=worker).alarming == 1  # only the world's patient


def test_no_entry_sweep_is_idempotent_and_an_entry_answers_it(world):
    home = h.at_home(world)
    HomeCare.objects.filter(pk=home.pk).update(last_entry_at=timezone.now() - timedelta(hours=13))
    before = Message.objects.filter(kind="home_care.alert").count()
    assert monitoring.raise_no_entry_alerts() >= 1
    assert monitoring.raise_no_entry_alerts() == 0
    call_command("home_no_entry_alerts")
    alerts = Alert.objects.filter(home_care=home, kind=Alert.Kind.NO_ENTRY)
    assert alerts.count() == 1 and alerts.get().message is not None
    assert Message.objects.filter(kind="home_care.alert").count() == before + 1
    home.refresh_from_db()
    assert home.urgency == URGENCY_NO_ENTRY
    h.observe(home, spo2=98)
    home.refresh_from_db()
    assert alerts.get().status == Alert.Status.RESOLVED and home.urgency == 0


def test_a_facility_entry_for_a_patient_not_at_home_raises_no_home_alert(world):
    case = world.cases.cases["home"]
    observation = monitoring.record_observation(actor=world.user(Role.FACILITY, "home"), case=case,
                                                taken_at=timezone.now(), source="facility", spo2=90)
    assert observation.warnings == ["spo2"] and not Alert.objects.filter(observation=observation).exists()


def test_a_closed_case_takes_no_entry(world):
    case = world.cases.cases["home"]
    Case.objects.filter(pk=case.pk).update(closed_on=timezone.localdate(), setting=Case.Setting.CLOSED)
    with pytest.raises(ValidationError):
        monitoring.record_observation(actor=None, case=case, taken_at=timezone.now(), source="facility", spo2=97)
    assert not Observation.objects.filter(case=case, spo2=97).exists()


def test_an_open_warning_and_an_old_answered_no_entry_alert_do_not_hide_a_new_silence(world):
    home = h.at_home(world)
    HomeCare.objects.filter(pk=home.pk).update(last_entry_at=timezone.now() - timedelta(hours=13))
    assert monitoring.raise_no_entry_alerts() >= 1
    h.observe(home, minutes_ago=60 * 12 + 30, spo2=94)  # a late entry: answers the no-entry alert, warns
    HomeCare.objects.filter(pk=home.pk).update(last_entry_at=timezone.now() - timedelta(hours=13))
    assert Alert.objects.filter(home_care=home, kind=Alert.Kind.WARNING, status=Alert.Status.OPEN).exists()
    assert Alert.objects.filter(home_care=home, kind=Alert.Kind.NO_ENTRY, status=Alert.Status.RESOLVED).exists()
    monitoring.raise_no_entry_alerts()
    assert Alert.objects.filter(home_care=home, kind=Alert.Kind.NO_ENTRY, status=Alert.Status.OPEN).count() == 1


def test_an_entry_is_judged_by_the_policy_in_force_on_the_local_day_it_was_taken(world):
    from epicommand.core.models import PolicyVersion

    today = timezone.localdate()
    PolicyVersion.objects.create(key="home_care.spo2_warning", value=95, effective_from=today, source="test")
    home = h.at_home(world)
    midnight = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    late_yesterday = monitoring.record_observation(actor=None, case=home.case, source="worker", spo2=96,
                                                   taken_at=midnight - timedelta(minutes=1))
    just_after = monitoring.record_observation(actor=None, case=home.case, source="worker", spo2=96,
                                               taken_at=midnight)
    assert late_yesterday.warnings == ["spo2"] and just_after.warnings == []
    assert just_after.urgency == 0 and late_yesterday.urgency == URGENCY_ONE_SIGN
