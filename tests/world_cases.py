"""Each commune's testing and cases rows for the test world. Names and codes carry the commune marker
(`TEST/POOL/CASE <key>`) so tests can tell whose data a page shows.

Per commune: a pool and a positive PCR test of its person; a case opened from it, admitted to the commune's
treatment facility (tier 1) with its beds; a referral from home to that facility; a second person, a child of
three (in no vaccination target group, so the vaccination figures of the world stay as they were), treated at
home in the commune's village zone, followed by the commune's mobile-station user, with an observation, an
open alert and a patient entry link; key staff of the commune's agency."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from django.utils import timezone

from epicommand.cases.models import (
    Admission,
    Alert,
    Beds,
    Case,
    CaseEvent,
    EntryLink,
    HomeCare,
    KeyStaff,
    Observation,
    Referral,
    Zone,
)
from epicommand.core.models import Organization
from epicommand.core.roles import Role
from epicommand.core.text import fold
from epicommand.people.models import Person
from epicommand.testing.models import Kind, Pool, Result, Test

K = Organization.Kind


@dataclass
class Cases:
    tests: dict[str, Test] = field(default_factory=dict)
    pools: dict[str, Pool] = field(default_factory=dict)
    cases: dict[str, Case] = field(default_factory=dict)          # in the commune's treatment facility
    beds: dict[str, Beds] = field(default_factory=dict)
    admissions: dict[str, Admission] = field(default_factory=dict)
    referrals: dict[str, Referral] = field(default_factory=dict)
    home_people: dict[str, Person] = field(default_factory=dict)
    home_cases: dict[str, Case] = field(default_factory=dict)     # treated at home
    home_cares: dict[str, HomeCare] = field(default_factory=dict)
    zones: dict[str, Zone] = field(default_factory=dict)
    observations: dict[str, Observation] = field(default_factory=dict)
    alerts: dict[str, Alert] = field(default_factory=dict)
    links: dict[str, EntryLink] = field(default_factory=dict)
    key_staff: dict[str, KeyStaff] = field(default_factory=dict)


def add_cases(world) -> Cases:
    now = timezone.now()
    today = timezone.localdate()
    c = Cases()
    for number, key in enumerate(world.communes, start=1):
        commune = world.communes[key]
        station, facility = world.org(K.COMMUNE_STATION, key), world.org(K.TREATMENT_FACILITY, key)
        person = world.people[key]
        c.pools[key] = pool = Pool.objects.create(code=f"POOL {key}", sampled_on=today, commune=commune,
                                                  sampled_at=station)
        Test.objects.create(person=person, kind=Kind.POOLED_PCR, sampled_on=today, commune=commune, pool=pool,
                            sampled_at=station)
        c.tests[key] = test = Test.objects.create(
            person=person, kind=Kind.PCR, sampled_on=today, commune=commune, sampled_at=station,
            lab_code=f"TEST {key}", result=Result.POSITIVE, resulted_on=today)
        c.cases[key] = case = Case.objects.create(
            person=person, code=f"CASE {key}", commune=commune, basis=Case.Basis.TEST, test=test, opened_on=today,
            severity="mild", tier=1, setting=Case.Setting.FACILITY, facility=facility)
        CaseEvent.objects.create(case=case, kind=CaseEvent.Kind.OPENED, at=now, facility=facility)
        c.beds[key] = Beds.objects.create(facility=facility, kind="regular", total=10, occupied=1)
        c.admissions[key] = Admission.objects.create(case=case, facility=facility, bed_kind="regular",
                                                     admitted_at=now)
        village = f"Bản {key}"
        worker = world.user(Role.MOBILE_STATION, key)
        c.zones[key] = Zone.objects.create(commune=commune, village=village, village_folded=fold(village),
                                           worker=worker, station=world.org(K.MOBILE_STATION, key))
        c.home_people[key] = home_person = Person.objects.create(
            full_name=f"PERSON {key} Home", name_folded=fold(f"PERSON {key} Home"), sex="F",
            birth_year=today.year - 3,
            commune=commune, village=village, phone=f"09120000{number:02d}")
        c.home_cases[key] = home_case = Case.objects.create(
            person=home_person, code=f"CASE {key} home", commune=commune, basis=Case.Basis.CLINICAL,
            opened_on=today, severity="mild", tier=1, setting=Case.Setting.HOME)
        c.home_cares[key] = home = HomeCare.objects.create(
            case=home_case, commune=commune, village=village, worker=worker, started_on=today, started_at=now,
            eligibility={"eligible": True, "reasons": [], "policy_on": str(today)}, last_entry_at=now, entries=1,
            urgency=2)
        c.observations[key] = observation = Observation.objects.create(
            case=home_case, taken_at=now - timedelta(hours=1), respiratory_rate=18, pulse=80, spo2=94,
            source=Observation.Source.WORKER, by=worker, warnings=["spo2"], urgency=2)
        c.alerts[key] = Alert.objects.create(case=home_case, home_care=home, observation=observation,
                                             kind=Alert.Kind.WARNING, reasons=["spo2"], urgency=2, worker=worker,
                                             raised_at=now)
        c.links[key] = EntryLink.objects.create(home_care=home, token_hash=f"{number:064d}",
                                                code_hash=f"{number + 10:064d}", expires_at=now + timedelta(hours=12))
        c.referrals[key] = Referral.objects.create(
            case=home_case, to_facility=facility, bed_kind="regular", reason=f"REFERRAL {key}", requested_at=now)
        c.key_staff[key] = KeyStaff.objects.create(organization=world.org(K.AGENCY, key), person=person,
                                                   position=f"Director {key}")
    return c
