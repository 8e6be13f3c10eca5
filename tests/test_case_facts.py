"""The case fact tables kept current by the services agree with a rebuild from scratch, step by step through a
patient's path: a positive PCR opens a case (testing's result listener), vital signs and a clinician's severity,
home treatment with its health worker, warning signs, a referral up to a tier-2 hospital (accepted, in transit,
arrived), a clinical case admitted, sent home, closed as died, discharges that close cases; a facility patient
sent home to home treatment and released, a home patient's case closed at home; and the key-staff alert follows
the cases it counts."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from epicommand.cases import admissions, facts_rebuild, home_services, key_staff, monitoring, referrals, services
from epicommand.cases.models import ActiveCases, Admission, Beds, Case, CaseDay, HomeCare, KeyStaffAlert, WorkerLoad
from epicommand.core.models import Organization
from epicommand.core.roles import Role
from epicommand.core.text import fold
from epicommand.people.models import Person
from epicommand.testing import services as testing
from epicommand.testing.models import Kind, Result

from .concurrency import at_once
from .world import K

pytestmark = pytest.mark.django_db


def snapshot() -> dict:
    """What the figures say, without the rows the incremental path may leave at zero."""
    return {
        "active": {(r.commune_id, r.severity, r.tier, r.setting): r.cases
                   for r in ActiveCases.objects.exclude(cases=0)},
        "days": {(r.commune_id, r.day): (r.opened, r.recovered, r.died) for r in CaseDay.objects.all()
                 if (r.opened, r.recovered, r.died) != (0, 0, 0)},
        "load": {r.worker_id: (r.commune_id, r.active, r.alarming) for r in WorkerLoad.objects.filter(active__gt=0)},
    }


def assert_rebuild_agrees() -> dict:
    incremental = snapshot()
    facts_rebuild.rebuild_all()
    assert snapshot() == incremental
    return incremental


def person(world, name: str, where: str, **extra) -> Person:
    return Person.objects.create(full_name=name, name_folded=fold(name), sex="M", birth_year=1985,
                                 commune=world.communes[where], **extra)


@pytest.fixture
def hospital(world):
    """A tier-2 hospital of the home commune with oxygen beds."""
    org = Organization.objects.create(name="Bệnh viện thử tầng 2", name_folded=fold("Bệnh viện thử tầng 2"),
                                      kind=K.DISTRICT_HOSPITAL, place=world.communes["home"], tier=2)
    Beds.objects.create(facility=org, kind="oxygen", total=5, occupied=0)
    return org


def test_incremental_figures_equal_a_rebuild_along_a_patients_path(world, hospital):
    station = world.user(Role.COMMUNE_STATION, "home")
    worker = world.user(Role.MOBILE_STATION, "home")
    officer = world.user(Role.HEALTH_OFFICER)
    now = timezone.now()
    # The world's rows were written without the services: start from their rebuilt figures.
    facts_rebuild.rebuild_all()
    # The world's agency: its one key staff member has an open case.
    key_staff.cases_changed(actor=None, person_ids=[world.people["home"].pk])
    assert KeyStaffAlert.objects.filter(organization=world.org(K.AGENCY, "home"), closed_at__isnull=True).exists()

    # 1. A positive PCR opens the case through testing's result listener.
    patient = person(world, "Lò Văn Dương Tính", "home", village="Bản home", phone="0912000999")
    test = testing.record_test(actor=station, person=patient, kind=Kind.PCR, sampled_on=timezone.localdate())
    testing.enter_result(actor=station, test=test, result=Result.POSITIVE, resulted_on=timezone.localdate())
    case = Case.objects.get(person=patient, closed_on__isnull=True)
    assert case.test_id == test.pk
    figures = assert_rebuild_agrees()
    assert figures["active"][(case.commune_id, "asymptomatic", 0, "pending")] == 1

    # 2. Vital signs, a clinician's severity, home treatment in the worker's zone.
    monitoring.record_observation(actor=worker, case=case, taken_at=now - timedelta(hours=2), source="worker",
                                  respiratory_rate=16, pulse=80, spo2=98)
    services.confirm_severity(actor=station, case=case, severity="mild")
    home = home_services.start_home_care(actor=station, case=case)
    assert home.worker == worker
    figures = assert_rebuild_agrees()
    assert figures["load"][worker.pk][1] == 2  # the world's home patient and this one

    # 3. Warning signs: an alert to the worker; the load counts an alarming patient more.
    monitoring.record_observation(actor=worker, case=case, taken_at=now - timedelta(hours=1), source="worker",
                                  respiratory_rate=18, pulse=90, spo2=94)
    assert HomeCare.objects.get(pk=home.pk).urgency > 0
    assert_rebuild_agrees()

    # 4. Referred up to the tier-2 hospital: accepted, in transit, arrived (home treatment ends, escalated).
    services.confirm_severity(actor=station, case=case, severity="moderate")
    referral = referrals.request(actor=station, case=case, to_facility=hospital, bed_kind="oxygen",
                                 reason="SpO2 94%")
    assert_rebuild_agrees()
    referrals.decide(actor=officer, referral=referral, accept=True)
    referrals.depart(actor=officer, referral=referral)
    assert_rebuild_agrees()
    admission = referrals.arrive(actor=officer, referral=referral)
    assert HomeCare.objects.get(pk=home.pk).status == HomeCare.Status.ESCALATED
    figures = assert_rebuild_agrees()
    assert figures["active"][(case.commune_id, "moderate", 2, "facility")] == 1

    # 5. A clinical case in the neighbouring commune: severe, admitted, sent home to wait, closed as died.
    other = person(world, "Lò Văn Lâm Sàng", "neighbour")
    other_case, created = services.open_case(actor=officer, person=other, opened_on=timezone.localdate())
    assert created
    services.confirm_severity(actor=officer, case=other_case, severity="severe")
    stay = admissions.admit(actor=officer, case=other_case, facility=world.org(K.TREATMENT_FACILITY, "neighbour"),
                            bed_kind="regular")
    assert_rebuild_agrees()
    admissions.discharge(actor=officer, admission=stay, outcome=Admission.Outcome.HOME)
    assert_rebuild_agrees()
    services.close_case(actor=officer, case=other_case, outcome=Case.Outcome.DIED)
    figures = assert_rebuild_agrees()
    assert figures["days"][(other_case.commune_id, timezone.localdate())][2] == 1

    # 6. Discharges that close cases: the world's key staff member recovers, and the agency's alert closes.
    admissions.discharge(actor=officer, admission=world.cases.admissions["home"],
                         outcome=Admission.Outcome.RECOVERED)
    assert not KeyStaffAlert.objects.filter(organization=world.org(K.AGENCY, "home"), closed_at__isnull=True).exists()
    admissions.discharge(actor=officer, admission=admission, outcome=Admission.Outcome.RECOVERED)
    figures = assert_rebuild_agrees()
    assert (case.commune_id, "moderate", 2, "facility") not in figures["active"]


def test_facility_to_home_release_and_closing_at_home_keep_the_figures(world):
    """A patient admitted to a tier-1 facility goes home (discharged to home treatment, followed by the zone's
    worker), is released after the policy's days with a negative test (the case closes recovered); another home
    patient's case is closed while at home (home treatment ends). A rebuild agrees after every step."""
    station = world.user(Role.COMMUNE_STATION, "home")
    worker = world.user(Role.MOBILE_STATION, "home")
    officer = world.user(Role.HEALTH_OFFICER)
    today, now = timezone.localdate(), timezone.now()
    facts_rebuild.rebuild_all()
    patient = person(world, "Lò Thị Về Nhà", "home", village="Bản home", phone="0912000888")
    case, _created = services.open_case(actor=officer, person=patient, opened_on=today)
    monitoring.record_observation(actor=worker, case=case, taken_at=now - timedelta(hours=3), source="worker",
                                  respiratory_rate=16, pulse=78, spo2=98)
    services.confirm_severity(actor=station, case=case, severity="mild")
    stay = admissions.admit(actor=officer, case=case, facility=world.org(K.TREATMENT_FACILITY, "home"),
                            bed_kind="regular")
    figures = assert_rebuild_agrees()
    assert figures["active"][(case.commune_id, "mild", 1, "facility")] == 2  # the world's patient and this one
    load_before = figures["load"][worker.pk][1]

    # Facility -> home: discharged to home treatment, then followed at home by the zone's worker.
    admissions.discharge(actor=officer, admission=stay, outcome=Admission.Outcome.HOME)
    assert_rebuild_agrees()
    home = home_services.start_home_care(actor=station, case=Case.objects.get(pk=case.pk))
    assert home.worker == worker
    figures = assert_rebuild_agrees()
    assert figures["active"][(case.commune_id, "mild", 1, "home")] == 2
    assert figures["load"][worker.pk][1] == load_before + 1

    # Released: the policy's days have passed (started ten days ago) and a supervised rapid test is negative.
    HomeCare.objects.filter(pk=home.pk).update(started_on=today - timedelta(days=10))
    Case.objects.filter(pk=case.pk).update(onset_on=None)
    testing.record_test(actor=station, person=patient, kind=Kind.ANTIGEN, sampled_on=today,
                        result=Result.NEGATIVE, resulted_on=today)
    home_services.release_home_care(actor=worker, case=case)
    assert HomeCare.objects.get(pk=home.pk).status == HomeCare.Status.RELEASED
    assert Case.objects.get(pk=case.pk).outcome == Case.Outcome.RECOVERED
    figures = assert_rebuild_agrees()
    assert figures["days"][(case.commune_id, today)][1] == 1
    assert figures["load"][worker.pk][1] == load_before

    # Closed while at home: home treatment ends, the worker's load falls, the alert patient leaves the figures.
    world_home = world.cases.home_cases["home"]
    services.close_case(actor=officer, case=world_home, outcome=Case.Outcome.RECOVERED)
    assert HomeCare.objects.get(case=world_home).status == HomeCare.Status.ENDED
    figures = assert_rebuild_agrees()
    assert figures["load"].get(worker.pk, (None, 0, 0))[1] == load_before - 1
    assert figures["days"][(case.commune_id, today)][1] == 2


def test_the_command_rebuilds_the_same_figures(world):
    facts_rebuild.rebuild_all()
    rebuilt = snapshot()
    ActiveCases.objects.all().delete()
    CaseDay.objects.update(opened=99)
    WorkerLoad.objects.all().delete()
    call_command("rebuild_case_facts", stdout=io.StringIO())
    assert snapshot() == rebuilt
    # The world: two open cases per commune, one at home followed by its commune's worker.
    assert sum(rebuilt["active"].values()) == 6 and len(rebuilt["load"]) == 3


@pytest.fixture
def _fast_passwords(settings):
    # The demo accounts' Argon2 hashing is most of a seed's time here; the accounts are not what is tested.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def test_the_demo_cases_leave_figures_that_a_rebuild_confirms(_fast_passwords):
    from epicommand.cases.demo import seed_cases
    from epicommand.cases.models import Alert, Referral, Zone
    from epicommand.core import demo as core_demo
    from epicommand.people.demo import seed_population
    from epicommand.testing.models import Pool, Test

    core_demo.seed("12", "not-a-real-password-1")
    province = Organization.objects.get(kind=K.COMMAND_CENTRE).place
    seed_population(province, 3000, 7)
    done = seed_cases(seed=7, on=timezone.localdate(), province_code="12", cases=40)
    assert done["cases"] >= 35 and done["home"] >= 10 and done["facility"] >= 5
    for tier in (1, 2, 3):
        assert Beds.objects.filter(facility__tier=tier, total__gt=0).exists()
    assert Zone.objects.filter(worker__role=Role.MOBILE_STATION).count() >= 5
    assert HomeCare.objects.filter(status=HomeCare.Status.ACTIVE, worker__isnull=False).exists()
    assert Alert.objects.filter(status=Alert.Status.OPEN).exists()
    assert set(Referral.objects.values_list("status", flat=True)) >= {"requested", "accepted", "arrived"}
    assert Pool.objects.filter(result=Result.POSITIVE).exists() and Test.objects.filter(follows__isnull=False).exists()
    assert KeyStaffAlert.objects.filter(closed_at__isnull=True).count() == 1
    assert Case.objects.filter(closed_on__isnull=False).exists()
    assert_rebuild_agrees()
    # Written once: a second run leaves the province's cases as they are.
    assert seed_cases(seed=7, on=timezone.localdate(), province_code="12", cases=40)["cases"] == 0


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks under real concurrency: PostgreSQL")
def test_cases_opened_at_once_in_one_commune_are_each_counted(reference_data):
    """Cases opened together in a commune whose figures have no row for their key yet: each is counted once."""
    from .world import build_world

    world = build_world()
    people = [person(world, f"Lò Văn Đồng Thời {n}", "home") for n in range(4)]
    results = at_once(lambda who: services.open_case(actor=None, person=who, opened_on=timezone.localdate()),
                      people)
    failures = [repr(r) for r in results if isinstance(r, Exception)]
    assert failures == []
    commune = world.communes["home"]
    assert ActiveCases.objects.get(commune=commune, severity="asymptomatic", tier=0, setting="pending").cases == 4
    assert CaseDay.objects.get(commune=commune, day=timezone.localdate()).opened == 4
