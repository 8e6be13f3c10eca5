"""The last bed, wanted by many at once: twenty receiving-staff acceptances and twenty direct admissions race
for one free bed each on PostgreSQL. Exactly one of each wins; the others are told no bed is free, and the
bed count never passes the total."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone

from epicommand.cases import admissions, referrals, services
from epicommand.cases.models import Admission, Beds, Referral

from .cases_fixtures import person, tower
from .concurrency import at_once

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql",
                       reason="row locks under real concurrency: PostgreSQL"),
]
RACERS = 20


def _race(work, items) -> list[str]:
    return ["won" if not isinstance(r, Exception) else "no bed" if isinstance(r, ValidationError)
            else f"unexpected {r!r}" for r in at_once(work, items)]


def test_concurrent_acceptances_and_admissions_for_the_last_bed(reference_data):
    from .world import build_world

    world = build_world()
    t = tower(world)
    Beds.objects.filter(facility=t.provincial, kind="icu").update(total=2, occupied=1)
    today = timezone.localdate()
    cases = [services.open_case(actor=None, person=person(world, f"Người bệnh {n}"), opened_on=today)[0]
             for n in range(2 * RACERS)]
    asked = [referrals.request(actor=None, case=c, to_facility=t.provincial, bed_kind="icu", reason="suy hô hấp")
             for c in cases[:RACERS]]
    answers = _race(lambda r: referrals.decide(actor=t.provincial_staff, referral=r, accept=True), asked)
    assert sorted(set(answers)) == ["no bed", "won"], answers
    assert answers.count("won") == 1
    assert Referral.objects.filter(status="accepted").count() == 1
    assert Beds.objects.get(facility=t.provincial, kind="icu").occupied == 2

    Beds.objects.filter(facility=t.district, kind="regular").update(total=3, occupied=2)
    answers = _race(lambda c: admissions.admit(actor=t.district_staff, case=c, facility=t.district,
                                               bed_kind="regular"), cases[RACERS:])
    assert answers.count("won") == 1 and answers.count("no bed") == RACERS - 1, answers
    assert Admission.objects.filter(facility=t.district).count() == 1
    assert Beds.objects.get(facility=t.district, kind="regular").occupied == 3


def test_an_arrival_and_a_closing_of_the_same_patient_at_once_leave_the_beds_exact(reference_data):
    """Arrival locks the case, then the referral and the admission; closing locks the case, then cancels the
    referral and discharges: both in the same order, so they queue instead of deadlocking, and whichever
    comes second sees what the first did."""
    from .world import build_world

    world = build_world()
    t = tower(world)
    today = timezone.localdate()
    for n in range(6):
        case = services.open_case(actor=None, person=person(world, f"Người đến {n}"), opened_on=today)[0]
        admissions.admit(actor=t.district_staff, case=case, facility=t.district, bed_kind="oxygen"
                         if n % 2 else "regular")
        referral = referrals.request(actor=None, case=case, to_facility=t.provincial, bed_kind="icu",
                                     reason="suy hô hấp")
        referrals.decide(actor=t.provincial_staff, referral=referral, accept=True)
        answers = _race(lambda work: work[0](**work[1]), [
            (referrals.arrive, {"actor": t.provincial_staff, "referral": referral}),
            (services.close_case, {"actor": None, "case": case, "outcome": "died"})])
        assert not [a for a in answers if a.startswith("unexpected")], answers
        case.refresh_from_db()
        assert case.outcome == "died"
    # Every bed is free again: nobody is left in one, and nothing was freed twice.
    assert not Admission.objects.filter(discharged_at__isnull=True, case__person__full_name__startswith="Người đến")
    assert {(b.facility_id, b.kind): b.occupied for b in Beds.objects.filter(facility__in=[t.district, t.provincial])
            } == {(t.district.pk, "regular"): 0, (t.district.pk, "oxygen"): 0, (t.provincial.pk, "oxygen"): 0,
                  (t.provincial.pk, "icu"): 0, (t.provincial.pk, "ventilator"): 0}
