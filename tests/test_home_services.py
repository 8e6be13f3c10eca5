"""Eligibility for home treatment, starting and ending it, zones and hand-overs, release."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from epicommand.cases import home_services, zones
from epicommand.cases.home_services import HomeCareRefused
from epicommand.cases.models import ActiveCases, Alert, Case, CaseEvent, HomeCare, WorkerLoad
from epicommand.core.models import AuditEvent, PolicyVersion
from epicommand.core.roles import Role
from epicommand.testing.models import Kind, Result
from epicommand.testing.models import Test as LabTest

from . import home_helpers as h


def officer(world, where="home"):
    return world.user(Role.COMMUNE_STATION, where)


def test_an_eligible_patient_starts_at_home_with_the_zone_worker(world):
    case = h.case(world, rr=18, spo2=97)
    verdict = home_services.eligibility(case)
    assert verdict.eligible and verdict.reasons == []
    home = home_services.start_home_care(actor=officer(world), case=case)
    case.refresh_from_db()
    assert case.setting == Case.Setting.HOME and case.tier == 1
    assert home.status == HomeCare.Status.ACTIVE and home.worker == world.user(Role.MOBILE_STATION, "home")
    assert home.eligibility["eligible"] is True and home.eligibility["policy_on"] == str(timezone.localdate())
    kinds = set(case.events.values_list("kind", flat=True))
    assert kinds >= {CaseEvent.Kind.HOME_STARTED, CaseEvent.Kind.HOME_ASSIGNED}
    assert ActiveCases.objects.get(commune=case.commune, severity=case.severity, tier=1, setting="home").cases == 1
    assert WorkerLoad.objects.get(worker=home.worker).active == 2  # the world's home patient and this one
    assert AuditEvent.objects.filter(object_type="cases.HomeCare", object_id=str(home.pk)).exists()


def test_an_ineligible_patient_is_refused_with_the_reasons_of_the_policy(world):
    case = h.case(world, rr=22, spo2=95, phone="")
    with pytest.raises(HomeCareRefused) as refused:
        home_services.start_home_care(actor=officer(world), case=case)
    text = " ".join(refused.value.messages)
    assert "22" in text and "20" in text  # rate and the policy's limit
    assert "95" in text and "96" in text
    assert set(home_services.eligibility(case).codes) == {"rr", "spo2", "phone"}
    case.refresh_from_db()
    assert case.setting == Case.Setting.PENDING and not HomeCare.objects.filter(case=case).exists()


def test_unmeasured_unstable_or_dependent_patients_stay(world):
    case = h.case(world, rr=None, spo2=None)
    assert set(home_services.eligibility(case).codes) == {"rr_missing", "spo2_missing"}
    measured = h.case(world)
    verdict = home_services.eligibility(measured, unstable_comorbidity=True, self_care=False)
    assert set(verdict.codes) == {"comorbidity", "self_care"}
    measured.severity = "moderate"
    assert "severity" in home_services.eligibility(measured).codes


def test_a_policy_version_added_later_does_not_rejudge_an_earlier_case(world):
    today = timezone.localdate()
    earlier = h.case(world, sampled_on=today - timedelta(days=10), rr=17, spo2=97)
    PolicyVersion.objects.create(
        key="home_care.eligibility", effective_from=today - timedelta(days=5), source="test",
        value={"severities": ["asymptomatic", "mild"], "rr_below": 16, "spo2_above": 96,
               "no_unstable_comorbidity": True, "self_care": True, "phone": True})
    later = h.case(world, sampled_on=today, rr=17, spo2=97)
    judged = home_services.eligibility(earlier)
    assert judged.eligible and judged.policy_on == today - timedelta(days=10)
    refused = home_services.eligibility(later)
    assert not refused.eligible and refused.codes == ["rr"] and "16" in refused.reasons[0]
    home = home_services.start_home_care(actor=officer(world), case=earlier)
    assert home.eligibility["policy_on"] == str(today - timedelta(days=10))


def test_no_zone_means_no_worker_until_a_zone_is_made(world):
    home = h.at_home(world, village="Bản Mới")
    assert home.worker is None
    worker = world.user(Role.MOBILE_STATION, "home")
    zones.save_zone(actor=officer(world), commune=world.communes["home"], village="ban moi", worker=worker)
    home.refresh_from_db()
    assert home.worker == worker  # the new zone picks up the village's unfollowed patients


def test_handing_a_zone_over_moves_its_patients_and_alerts(world):
    home = h.at_home(world)
    h.observe(home, spo2=94)
    new_worker = officer(world)
    zone = world.cases.zones["home"]
    zones.save_zone(actor=officer(world), commune=zone.commune, village=zone.village, worker=new_worker, zone=zone)
    home.refresh_from_db()
    assert home.worker == new_worker
    assert set(Alert.objects.filter(home_care=home).values_list("worker_id", flat=True)) == {new_worker.pk}
    old = world.user(Role.MOBILE_STATION, "home")
    assert not WorkerLoad.objects.filter(worker=old).exists()
    assert WorkerLoad.objects.get(worker=new_worker).active == 2


def test_one_patient_handed_over_and_workers_of_other_communes_refused(world):
    home = h.at_home(world)
    zones.assign_patient(actor=officer(world), home_care=home, worker=officer(world))
    home.refresh_from_db()
    assert home.worker == officer(world)
    with pytest.raises(ValidationError):
        zones.assign_patient(actor=officer(world), home_care=home, worker=world.user(Role.MOBILE_STATION, "neighbour"))
    with pytest.raises(ValidationError):
        zones.save_zone(actor=officer(world), commune=world.communes["neighbour"], village="X",
                        worker=world.user(Role.MOBILE_STATION, "neighbour"))


def test_starting_twice_is_refused(world):
    home = h.at_home(world)
    with pytest.raises(ValidationError):
        home_services.start_home_care(actor=officer(world), case=home.case)


def test_release_needs_the_days_and_a_supervised_negative_test(world):
    today = timezone.localdate()
    home = h.at_home(world)
    HomeCare.objects.filter(pk=home.pk).update(started_on=today - timedelta(days=7))
    home.refresh_from_db()
    check = home_services.release_check(home)
    assert not check.allowed and len(check.reasons) == 1  # days done, no test
    person = home.case.person
    LabTest.objects.create(person=person, kind=Kind.SELF_TEST, self_reported=True, sampled_on=today,
                           commune=person.commune, result=Result.NEGATIVE)
    LabTest.objects.create(person=person, kind=Kind.ANTIGEN, sampled_on=today - timedelta(days=1),
                        commune=person.commune, result=Result.NEGATIVE)
    assert not home_services.release_check(home).allowed  # self-test, and a test before the release day
    with pytest.raises(ValidationError):
        home_services.release_home_care(actor=officer(world), case=home.case)
    test = LabTest.objects.create(person=person, kind=Kind.ANTIGEN, sampled_on=today, commune=person.commune,
                               result=Result.NEGATIVE)
    check = home_services.release_check(home)
    assert check.allowed and check.test == test
    home_services.release_home_care(actor=officer(world), case=home.case, note="well")
    home.refresh_from_db()
    case = Case.objects.get(pk=home.case_id)
    assert home.status == HomeCare.Status.RELEASED and case.outcome == Case.Outcome.RECOVERED and not case.is_open


def test_release_days_count_from_onset_when_known(world):
    today = timezone.localdate()
    home = h.at_home(world)
    Case.objects.filter(pk=home.case_id).update(onset_on=today - timedelta(days=3))
    home.refresh_from_db()
    assert home_services.release_check(home).release_day == today + timedelta(days=4)


def test_end_home_care_closes_open_alerts_and_is_idempotent(world):
    home = h.at_home(world)
    h.observe(home, spo2=94)
    home_services.end_home_care(actor=None, case=home.case, status=HomeCare.Status.ESCALATED)
    home.refresh_from_db()
    assert home.status == HomeCare.Status.ESCALATED and home.urgency == 0
    assert not Alert.objects.filter(home_care=home).exclude(status=Alert.Status.RESOLVED).exists()
    again = home_services.end_home_care(actor=None, case=home.case, status=HomeCare.Status.ENDED)
    assert again.status == HomeCare.Status.ESCALATED
