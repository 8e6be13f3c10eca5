"""Bed accounting and case figures never drift: a long mixed run of admissions, referrals (accepted,
declined, cancelled, in transit, arrived), discharges (home, recovered, died), closings, home treatment
starts and escalations, with every step checked against counts recomputed from the rows themselves."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db.models import Count, F, Q
from django.utils import timezone

from epicommand.cases import admissions, facts, home_services, referrals, services
from epicommand.cases.models import ActiveCases, Admission, Beds, Case, CaseDay, Observation, Referral
from epicommand.core.roles import Role

from .cases_fixtures import person, tower

pytestmark = pytest.mark.django_db
HELD = (Referral.Status.ACCEPTED, Referral.Status.IN_TRANSIT)


def _occupancy() -> dict[tuple[int, str], int]:
    return {(b.facility_id, b.kind): b.occupied for b in Beds.objects.all()}


def _recounted() -> dict[tuple[int, str], int]:
    """What every bed row must hold: open admissions plus the beds held by accepted or travelling referrals."""
    counts = {(b.facility_id, b.kind): 0 for b in Beds.objects.all()}
    for row in (Admission.objects.filter(discharged_at__isnull=True).values("facility_id", "bed_kind")
                .annotate(n=Count("id"))):
        counts[(row["facility_id"], row["bed_kind"])] += row["n"]
    for row in (Referral.objects.filter(status__in=HELD).values("to_facility_id", "bed_kind")
                .annotate(n=Count("id"))):
        counts[(row["to_facility_id"], row["bed_kind"])] += row["n"]
    return counts


def _figures() -> tuple[set, set]:
    return ({(r.commune_id, r.severity, r.tier, r.setting, r.cases) for r in ActiveCases.objects.exclude(cases=0)},
            {(r.commune_id, r.day, r.opened, r.recovered, r.died) for r in CaseDay.objects.all()})


def _check(step: str) -> None:
    assert _occupancy() == _recounted(), step
    assert not Beds.objects.filter(Q(occupied__lt=0) | Q(occupied__gt=F("total"))).exists(), step
    # Every case row agrees with where it is: an open admission means "facility" at that facility.
    for case in Case.objects.filter(closed_on__isnull=True):
        open_admission = case.admissions.filter(discharged_at__isnull=True).first()
        if open_admission is not None:
            assert (case.setting, case.facility_id) == (Case.Setting.FACILITY, open_admission.facility_id), step
        assert case.referrals.filter(status__in=Referral.OPEN).count() <= 1, step
    kept = _figures()
    facts.rebuild()
    assert _figures() == kept, step


def test_a_long_mixed_sequence_keeps_every_bed_count_and_figure_exact(world):
    t = tower(world)
    facts.rebuild()  # the test world writes its cases directly: the figures start from the rows
    rng = random.Random(20211122)
    officer, command = world.user(Role.COMMUNE_STATION), world.user(Role.COMMAND)
    staff = {t.district.pk: t.district_staff, t.provincial.pk: t.provincial_staff}
    facilities = [t.district, t.provincial]
    kinds = {t.district.pk: ["regular", "oxygen"], t.provincial.pk: ["oxygen", "icu", "ventilator"]}
    today = timezone.localdate()
    cases = []
    for n in range(14):
        case, _ = services.open_case(actor=officer, person=person(world, f"Bệnh nhân {n}", birth_year=1990 + n,
                                                                  phone=f"09123450{n:02d}"),
                                     opened_on=today - timedelta(days=n % 3))
        cases.append(case)
    _check("opened")
    done: dict[str, int] = {}
    refusals: dict[str, set[str]] = {}

    def attempt(name, fn, **kwargs) -> None:
        try:
            fn(**kwargs)
        except ValidationError as exc:
            refusals.setdefault(name, set()).add(" ".join(exc.messages))
            return
        done[name] = done.get(name, 0) + 1

    for step in range(400):
        case = Case.objects.get(pk=rng.choice(cases).pk)
        if not case.is_open:
            # A closed case comes back as a new case for the same person (a later infection).
            if rng.random() < 0.3:
                cases.append(services.open_case(actor=officer, person=case.person, opened_on=today)[0])
            continue
        facility = rng.choice(facilities)
        kind = rng.choice(kinds[facility.pk])
        referral = case.referrals.filter(status__in=Referral.OPEN).first()
        admission = case.admissions.filter(discharged_at__isnull=True).first()
        roll = rng.random()
        if referral is not None and rng.random() < 0.6:
            # A referral under way is answered most of the time, as it is in the inbox.
            pick = rng.random()
            receiver = staff[referral.to_facility_id]
            if referral.status == Referral.Status.REQUESTED and pick < 0.9:
                accept = rng.random() < 0.8
                attempt("decide", referrals.decide, actor=receiver, referral=referral, accept=accept,
                        reason="" if accept else "hết giường")
            elif pick < 0.3:
                attempt("depart", referrals.depart, actor=officer, referral=referral)
            elif pick < 0.9:
                attempt("arrive", referrals.arrive, actor=receiver, referral=referral)
            else:
                attempt("cancel", referrals.cancel, actor=officer, referral=referral, reason="gia đình xin")
        elif roll < 0.15:
            attempt("severity", services.confirm_severity, actor=command, case=case,
                    severity=rng.choice(["mild", "moderate", "severe", "critical"]))
        elif roll < 0.35:
            attempt("admit", admissions.admit, actor=officer, case=case, facility=facility, bed_kind=kind)
        elif roll < 0.60:
            attempt("request", referrals.request, actor=officer, case=case, to_facility=facility, bed_kind=kind,
                    reason="nặng lên")
        elif admission is not None and roll < 0.78:
            attempt("discharge", admissions.discharge, actor=officer, admission=admission,
                    outcome=rng.choice(["home", "home", "recovered", "died", "transferred"]))
        elif case.setting == Case.Setting.PENDING and roll < 0.88:
            # Home treatment needs calm vital signs on record (the eligibility rule).
            Observation.objects.create(case=case, taken_at=timezone.now(), respiratory_rate=18, spo2=98,
                                       source=Observation.Source.WORKER)
            attempt("home", home_services.start_home_care, actor=officer, case=case)
        elif roll < 0.92:
            attempt("close", services.close_case, actor=officer, case=case,
                    outcome=rng.choice(["recovered", "died"]))
        # A repeated tap on the same answer must change nothing either.
        if referral is not None and roll < 0.03:
            attempt("double decide", referrals.decide, actor=staff[referral.to_facility_id], referral=referral,
                    accept=True)
        _check(f"step {step}")
    # The run went through every path, so the checks above judged all of them.
    for name in ("severity", "admit", "request", "decide", "depart", "arrive", "cancel", "discharge", "home",
                 "close"):
        assert done.get(name, 0) > 0, (name, done, refusals.get(name))
