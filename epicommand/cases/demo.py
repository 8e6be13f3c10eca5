"""Demo testing and case data for the people already in the register, written through the services so the figures,
alerts, outbox and timelines are what real use would leave.

`seed_cases()` gives the demo province:
- beds of every kind a tier calls for at each treating facility (tiers 1–3), and a second tier-1 treatment
  facility where the mobile station works;
- a village zone per village of the mobile station's commune, followed by its health worker;
- tests: negative rapid tests, two pools (one negative, one positive with its individual follow-ups, one of them
  positive), and a positive PCR per case over the last two weeks, each opening its case through testing's result
  listener;
- cases at home (mild, asymptomatic; twice-daily vital signs, some with warning signs and so alerts to the worker)
  and in facilities (moderate at tier 2, severe and critical at tier 3), some discharged recovered;
- referrals from home to tier 2 (requested, accepted, arrived) and from tier 1 to tier 3;
- key staff of the provincial agencies, two of one agency infected, so the command centre has an alert.

Deterministic for a seed and a register (people in id order). Written once: a province that already has cases
is left as it is."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from epicommand.core.models import Organization, Place, User
from epicommand.core.roles import Role
from epicommand.core.services.organizations import create_organization
from epicommand.people.models import Person
from epicommand.testing import services as testing
from epicommand.testing.models import Kind, Reason, Result

from . import admissions, beds, home_services, key_staff, monitoring, referrals, services, zones
from .models import Case, HomeCare

K = Organization.Kind
BEDS_BY_TIER = {
    1: {"regular": 40, "oxygen": 10},
    2: {"regular": 60, "oxygen": 30, "icu": 6},
    3: {"regular": 80, "oxygen": 40, "icu": 20, "ventilator": 10},
}
# What a case becomes, by share: (severity, where treated).
PATHS = (("asymptomatic", "home", 0.30), ("mild", "home", 0.35), ("moderate", 2, 0.2), ("severe", 3, 0.1),
         ("critical", 3, 0.05))
DAYS = 14


def _province(code: str | None) -> Place:
    from django.conf import settings

    code = (code or str(settings.PROVINCE_CODE)).zfill(2)
    return Place.objects.get(structure=Place.Structure.CURRENT, level=Place.Level.PROVINCE, code=code)


def _chief(province: Place) -> User:
    chief = User.objects.filter(role=Role.COMMAND, place=province, is_active=True).order_by("id").first()
    if chief is None:
        raise ValueError("No command-centre account: run the demo organizations (manage.py seed_demo) first.")
    return chief


def seed_cases(*, seed: int, on: date, province_code: str | None = None, cases: int = 80) -> dict:
    """Seed the demo's testing and case data (see the module's docstring). Returns what was done."""
    province = _province(province_code)
    if Case.objects.filter(commune__parent=province).exists():
        return {"cases": 0, "tests": 0, "skipped": True}
    chief = _chief(province)
    rng = random.Random(f"cases:{seed}")
    with transaction.atomic():
        worker = User.objects.filter(role=Role.MOBILE_STATION, is_active=True, place__parent=province).order_by(
            "id").first()
        focus = worker.place if worker else Place.objects.filter(parent=province).order_by("code").first()
        facilities = _facilities(chief, province, focus)
        zoned = _zones(chief, focus, worker) if worker else 0
        sick, healthy = _people(province, focus, rng, cases, on)
        # The two first to fall ill are key staff of one agency (two with an identity number, moved to the front).
        sick.sort(key=lambda p: not p.cccd)
        staff = _key_staff(chief, province, [p for p in sick[:2] if p.cccd])
        tests = _negative_tests(chief, healthy, on, rng)
        tests += _pools(chief, focus, on, sick, rng)
        result = _cases(chief, sick, on, rng, facilities)
    return {"cases": result["cases"], "home": result["home"], "facility": result["facility"],
            "referrals": result["referrals"], "tests": tests + result["cases"], "zones": zoned, "key_staff": staff,
            "facilities": sum(len(v) for v in facilities.values())}


# ---- facilities, zones, people ---------------------------------------------------------------------------

def _facilities(chief: User, province: Place, focus: Place) -> dict[int, list[Organization]]:
    name = f"Cơ sở thu dung, điều trị COVID-19 số 2 {focus.name[0].lower()}{focus.name[1:]}"
    if not Organization.objects.filter(name=name, place=focus).exists():
        create_organization(actor=chief, name=name, kind=K.TREATMENT_FACILITY, place=focus, tier=1)
    found: dict[int, list[Organization]] = {1: [], 2: [], 3: []}
    for org in (Organization.objects.filter(kind__in=Organization.TREATING_KINDS, tier__in=[1, 2, 3], is_active=True,
                                            place__path__startswith=province.path).order_by("tier", "id")):
        beds.set_totals(actor=chief, facility=org, totals=BEDS_BY_TIER[org.tier])
        found[org.tier].append(org)
    return found


def _zones(chief: User, commune: Place, worker: User) -> int:
    villages = sorted({v for v in Person.objects.filter(commune=commune, merged_into__isnull=True)
                      .exclude(village="").values_list("village", flat=True)})
    station = worker.organization if worker.organization_id else None
    made = 0
    for village in villages:
        if zones.zone_for(commune.pk, village) is None:
            zones.save_zone(actor=chief, commune=commune, village=village, worker=worker, station=station)
            made += 1
    return made


def _people(province: Place, focus: Place, rng: random.Random, cases: int,
            on: date) -> tuple[list[Person], list[Person]]:
    """(who falls ill, who is tested negative). The ill are adults with a phone (home treatment needs one), most
    from the mobile station's commune (so its worker has patients), the rest from the whole province; four times
    as many people of any age are tested negative, so positivity looks like an outbreak's, not a ward's."""
    adults = Person.objects.filter(merged_into__isnull=True, birth_year__lte=on.year - 18,
                                   birth_year__gte=on.year - 75).exclude(phone="").exclude(phone__isnull=True)
    local = list(adults.filter(commune=focus).order_by("id").values_list("id", flat=True)[:2000])
    wider = list(adults.filter(commune__parent=province).exclude(commune=focus).order_by("id")
                 .values_list("id", flat=True)[:20000])
    rng.shuffle(local)
    rng.shuffle(wider)
    n_local = min(int(cases * 0.6), len(local))
    sick = local[:n_local] + wider[:cases - n_local]
    others = list(Person.objects.filter(commune__parent=province, merged_into__isnull=True).exclude(pk__in=sick)
                  .order_by("id").values_list("id", flat=True)[:50000])
    healthy = rng.sample(others, min(4 * cases, len(others)))
    by_id = Person.objects.in_bulk(sick + healthy)
    return [by_id[pk] for pk in sick], [by_id[pk] for pk in healthy]


def _key_staff(chief: User, province: Place, infected: list[Person]) -> int:
    """Six key staff for each agency of the province; the first agency's include the two people about to fall ill
    (2 of 6 ≥ the 30% threshold), so the command centre receives an alert when their cases open."""
    agencies = list(Organization.objects.filter(kind__in=[K.AGENCY, K.HEALTH_DEPARTMENT], place=province,
                                                is_active=True).order_by("id"))
    pool = list(Person.objects.filter(commune__parent=province, merged_into__isnull=True, cccd__isnull=False)
                .exclude(pk__in=[p.pk for p in infected]).order_by("id")[: 6 * len(agencies)])
    positions = ["Giám đốc", "Phó Giám đốc", "Phó Giám đốc", "Chánh Văn phòng", "Trưởng phòng", "Trưởng phòng"]
    marked = 0
    for n, agency in enumerate(agencies):
        members = (infected if n == 0 else []) + pool[6 * n:6 * n + 6]
        for person, position in zip(members[:6], positions, strict=False):
            if person.cccd:
                key_staff.mark_key_staff(actor=chief, organization=agency, cccd=person.cccd, position=position)
                marked += 1
    return marked


# ---- tests -----------------------------------------------------------------------------------------------

def _negative_tests(chief: User, people: list[Person], on: date, rng: random.Random) -> int:
    made = 0
    for person in people:
        day = on - timedelta(days=rng.randrange(DAYS))
        testing.record_test(actor=chief, person=person, kind=Kind.ANTIGEN, sampled_on=day,
                            reason=rng.choice([Reason.CONTACT, Reason.SYMPTOMS, Reason.SCREENING]),
                            result=Result.NEGATIVE, resulted_on=day)
        made += 1
    return made


def _pools(chief: User, commune: Place, on: date, sick: list[Person], rng: random.Random) -> int:
    """Two pools of three people of the mobile station's commune who do not fall ill (phones not needed here)."""
    candidates = list(Person.objects.filter(commune=commune, merged_into__isnull=True)
                      .exclude(pk__in=[p.pk for p in sick]).order_by("id")[:200])
    if len(candidates) < 6:
        return 0
    members = rng.sample(candidates, 6)
    day = on - timedelta(days=2)
    negative = testing.create_pool(actor=chief, code=f"GOP-{day:%d%m}-01", sampled_on=day, commune=commune,
                                   members=members[:3])
    testing.enter_pool_result(actor=chief, pool=negative, result=Result.NEGATIVE, resulted_on=day)
    positive = testing.create_pool(actor=chief, code=f"GOP-{day:%d%m}-02", sampled_on=day, commune=commune,
                                   members=members[3:])
    follow_ups = testing.enter_pool_result(actor=chief, pool=positive, result=Result.POSITIVE, resulted_on=day)
    for n, test in enumerate(follow_ups):
        # One member is positive on the individual test (a case opens); the others negative; one still pending.
        if n == len(follow_ups) - 1:
            continue
        testing.enter_result(actor=chief, test=test, result=Result.POSITIVE if n == 0 else Result.NEGATIVE,
                             resulted_on=on - timedelta(days=1))
    return len(members) + len(follow_ups)


# ---- cases -------------------------------------------------------------------------------------------------

def _path(rng: random.Random) -> tuple[str, str | int]:
    pick, total = rng.random(), 0.0
    for severity, where, share in PATHS:
        total += share
        if pick < total:
            return severity, where
    return PATHS[-1][0], PATHS[-1][1]


VITALS = {"asymptomatic": (16, 78, 98), "mild": (18, 88, 97), "moderate": (22, 98, 95), "severe": (27, 112, 92),
          "critical": (32, 124, 86)}


def _observe(chief: User, case: Case, severity: str, at: datetime, source: str, rng: random.Random) -> None:
    rr, pulse, spo2 = VITALS[severity]
    monitoring.record_observation(actor=chief, case=case, taken_at=at, source=source,
                                  respiratory_rate=rr + rng.randint(-1, 1), pulse=pulse + rng.randint(-5, 5),
                                  temperature=round(36.6 + rng.random() * 1.6, 1), spo2=spo2)


def _cases(chief: User, people: list[Person], on: date, rng: random.Random,
           facilities: dict[int, list[Organization]]) -> dict:
    now = timezone.now()
    done = {"cases": 0, "home": 0, "facility": 0, "referrals": 0}
    home_cases: list[Case] = []
    for n, person in enumerate(people):
        day = on - timedelta(days=min(rng.randrange(DAYS), rng.randrange(DAYS)))  # more cases lately
        testing.record_test(actor=chief, person=person, kind=Kind.PCR, sampled_on=day,
                            reason=rng.choice([Reason.CONTACT, Reason.SYMPTOMS]), result=Result.POSITIVE,
                            resulted_on=min(day + timedelta(days=1), on))
        case = Case.objects.filter(person=person, closed_on__isnull=True).first()
        if case is None:
            continue
        done["cases"] += 1
        severity, where = ("mild", "home") if n < 2 else _path(rng)
        _observe(chief, case, severity, now - timedelta(hours=10), "worker", rng)
        services.confirm_severity(actor=chief, case=case, severity=severity)
        if where == "home":
            try:
                home_services.start_home_care(actor=chief, case=case)
            except ValidationError:  # an ineligible patient waits for placement, as in real life
                continue
            done["home"] += 1
            home_cases.append(case)
            # Twice a day: the latest entry of some patients shows warning signs (an alert to their worker).
            warning = len(home_cases) <= 3 or rng.random() < 0.2  # at least three: the referrals below
            _observe(chief, case, "moderate" if warning else severity, now - timedelta(hours=2), "worker", rng)
            continue
        tier_facilities = facilities.get(where) or facilities.get(2) or []
        if not tier_facilities:
            continue
        facility = rng.choice(tier_facilities)
        kind = {"moderate": "oxygen", "severe": "icu", "critical": "ventilator"}[severity]
        admission = admissions.admit(actor=chief, case=case, facility=facility, bed_kind=kind,
                                     at=now - timedelta(hours=rng.randint(3, 48)))
        done["facility"] += 1
        _observe(chief, case, severity, now - timedelta(hours=1), "facility", rng)
        # Patients of the first week mostly went home recovered (the first always, so the demo shows one).
        if done["facility"] == 1 or (day <= on - timedelta(days=7) and rng.random() < 0.6):
            admissions.discharge(actor=chief, admission=admission, outcome="recovered")
    done["referrals"] = _referrals(chief, home_cases, facilities)
    return done


def _referrals(chief: User, home_cases: list[Case], facilities: dict[int, list[Organization]]) -> int:
    """The most urgent home patients referred up to tier 2: one arrived, one accepted, one awaiting an answer."""
    targets = facilities.get(2) or []
    if not targets:
        return 0
    alarming = [c for c in home_cases if HomeCare.objects.filter(case=c, status=HomeCare.Status.ACTIVE,
                                                                 urgency__gt=0).exists()][:3]
    for n, case in enumerate(alarming):
        services.confirm_severity(actor=chief, case=case, severity="moderate")
        referral = referrals.request(actor=chief, case=case, to_facility=targets[0], bed_kind="oxygen",
                                     reason="SpO2 ≤ 96% khi đo lại; thở nhanh")
        if n < 2:
            referrals.decide(actor=chief, referral=referral, accept=True)
        if n == 0:
            referrals.arrive(actor=chief, referral=referral)
    return len(alarming)
