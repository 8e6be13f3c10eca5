"""The 3-tier tower: placement recommendation, beds held and freed, admission, discharge, referrals up and
from home, with the figures kept current."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db.models import F
from django.utils import timezone

from epicommand.cases import admissions, beds, facts, placement, referrals, services
from epicommand.cases.models import ActiveCases, Admission, Beds, Case, CaseDay, CaseEvent, HomeCare, Referral
from epicommand.core.models import Organization
from epicommand.core.roles import Role

from .cases_fixtures import facility, person, tower

pytestmark = pytest.mark.django_db
K = Organization.Kind


def _beds(org, kind="regular") -> tuple[int, int]:
    row = Beds.objects.get(facility=org, kind=kind)
    return row.total, row.occupied


def _case(world, name="Lò Văn Tâm", *, severity=None, **extra) -> Case:
    officer = world.user(Role.COMMUNE_STATION)
    case, _ = services.open_case(actor=officer, person=person(world, name, **extra), opened_on=timezone.localdate())
    if severity:
        case = services.confirm_severity(actor=officer, case=case, severity=severity)
    return case


def _facts() -> tuple[set, set]:
    return ({(r.commune_id, r.severity, r.tier, r.setting, r.cases) for r in ActiveCases.objects.exclude(cases=0)},
            {(r.commune_id, r.day, r.opened, r.recovered, r.died) for r in CaseDay.objects.all()})


def test_placement_picks_the_tier_the_bed_kind_and_the_nearest_facility(world):
    t = tower(world)
    moderate = _case(world, severity="moderate")
    rec = placement.recommend(moderate)
    assert (rec.tier, rec.kinds, rec.best.facility, rec.best.kind) == (2, ["regular", "oxygen"], t.district, "regular")
    assert any(str(t.district.name) in r for r in rec.reasons)
    # A second tier-2 facility closer to the patient's commune wins when it has a free bed.
    near = person(world, "Sùng A Dơ", where="neighbour")
    case, _ = services.open_case(actor=None, person=near, opened_on=timezone.localdate())
    case = services.confirm_severity(actor=world.user(Role.COMMAND), case=case, severity="moderate")
    closer = facility(world, "ORG neighbour-district hospital", K.DISTRICT_HOSPITAL, 2, world.communes["neighbour"],
                      {"regular": (3, 0)})
    rec = placement.recommend(case)
    assert rec.best.facility == closer
    far, close = (next(o for o in rec.options if o.facility == f) for f in (t.district, closer))
    if close.distance_km is not None and far.distance_km is not None:
        assert close.distance_km < far.distance_km
    Beds.objects.filter(facility=closer).update(occupied=3)
    assert placement.recommend(case).best.facility == t.district


def test_severe_needs_oxygen_then_icu_and_a_higher_tier_when_the_tier_is_full(world):
    t = tower(world)
    severe = _case(world, severity="severe")
    rec = placement.recommend(severe)
    assert (rec.tier, rec.best.facility, rec.best.kind) == (3, t.provincial, "oxygen")
    plain = len(rec.reasons)
    Beds.objects.filter(facility=t.provincial, kind="oxygen").update(occupied=4)
    rec = placement.recommend(severe)
    assert rec.best.kind == "icu" and len(rec.reasons) == plain + 1  # the reason says oxygen ran out
    critical = services.confirm_severity(actor=world.user(Role.COMMAND), case=severe, severity="critical")
    assert placement.recommend(critical).best.kind == "icu"
    # Mild with a chronic condition: tier 2; with tier 2 full, tier 3 is offered and the reason says so.
    mild = _case(world, "Bà Lường Thị Ban", severity="mild", chronic_conditions=["kidney"], sex="F")
    assert placement.recommend(mild).best.facility == t.district
    Beds.objects.filter(facility=t.district).update(occupied=F("total"))
    assert placement.recommend(mild).best is None  # tier 3 has no regular bed either
    Beds.objects.create(facility=t.provincial, kind="regular", total=2)
    rec = placement.recommend(mild)
    assert (rec.best.facility, rec.best.kind) == (t.provincial, "regular") and len(rec.reasons) == 4


def test_a_full_kind_refuses_a_hold_and_totals_never_go_below_occupancy(world):
    t = tower(world)
    Beds.objects.filter(facility=t.district, kind="oxygen").update(occupied=2)
    with pytest.raises(beds.NoFreeBed):
        beds.hold(facility=t.district, kind="oxygen")
    with pytest.raises(ValidationError) as exc:
        beds.set_totals(actor=t.district_staff, facility=t.district, totals={"oxygen": 1, "regular": 9})
    assert "oxygen" in exc.value.message_dict and _beds(t.district) == (5, 0)  # nothing half-written
    beds.set_totals(actor=t.district_staff, facility=t.district,
                    totals={"oxygen": 2, "regular": 9, "icu": 1, "ventilator": 0})
    assert _beds(t.district) == (9, 0) and _beds(t.district, "icu") == (1, 0)
    assert not Beds.objects.filter(facility=t.district, kind="ventilator").exists()


def test_admission_and_discharge_hold_and_free_the_bed_and_close_the_case(world):
    t = tower(world)
    case = _case(world, severity="moderate")
    facts.rebuild()
    admission = admissions.admit(actor=t.district_staff, case=case, facility=t.district, bed_kind="regular")
    case.refresh_from_db()
    assert (case.setting, case.facility) == ("facility", t.district) and _beds(t.district) == (5, 1)
    with pytest.raises(ValidationError):
        admissions.admit(actor=t.district_staff, case=case, facility=t.district, bed_kind="regular")
    admissions.discharge(actor=t.district_staff, admission=admission, outcome=Admission.Outcome.RECOVERED)
    case.refresh_from_db()
    assert _beds(t.district) == (5, 0) and (case.outcome, case.setting) == ("recovered", "closed")
    assert case.facility == t.district  # its staff keep the record of the patient they treated
    assert CaseDay.objects.get(commune=case.commune, day=timezone.localdate()).recovered == 1
    incremental = _facts()
    facts.rebuild()
    assert _facts() == incremental
    with pytest.raises(ValidationError):
        admissions.discharge(actor=t.district_staff, admission=admission, outcome="recovered")


def test_referral_from_home_accepted_in_transit_arrived(world):
    t = tower(world)
    officer = world.user(Role.COMMUNE_STATION)
    home_case = world.cases.home_cases["home"]
    Referral.objects.filter(case=home_case).delete()
    facts.rebuild()
    with pytest.raises(ValidationError):
        referrals.request(actor=officer, case=home_case, to_facility=t.district, bed_kind="regular", reason=" ")
    with pytest.raises(ValidationError):  # the district hospital has no ICU beds
        referrals.request(actor=officer, case=home_case, to_facility=t.district, bed_kind="icu", reason="SpO2 94%")
    referral = referrals.request(actor=officer, case=home_case, to_facility=t.district, bed_kind="oxygen",
                                 reason="SpO2 94%")
    assert referral.from_facility is None and referral.status == "requested" and _beds(t.district, "oxygen") == (2, 0)
    with pytest.raises(ValidationError):  # one referral under way per case
        referrals.request(actor=officer, case=home_case, to_facility=t.provincial, bed_kind="oxygen", reason="x")
    with pytest.raises(ValidationError):
        referrals.decide(actor=t.district_staff, referral=referral, accept=False, reason="")
    referrals.decide(actor=t.district_staff, referral=referral, accept=True)
    with pytest.raises(ValidationError):  # a double submit of the acceptance holds no second bed
        referrals.decide(actor=t.district_staff, referral=referral, accept=True)
    assert _beds(t.district, "oxygen") == (2, 1)
    referrals.depart(actor=officer, referral=referral)
    admission = referrals.arrive(actor=t.district_staff, referral=referral)
    with pytest.raises(ValidationError):
        referrals.arrive(actor=t.district_staff, referral=referral)
    referral.refresh_from_db()
    home_case.refresh_from_db()
    assert referral.status == "arrived" and referral.arrived_at is not None
    assert (admission.facility, admission.bed_kind) == (t.district, "oxygen") and _beds(t.district, "oxygen") == (2, 1)
    assert (home_case.setting, home_case.facility) == ("facility", t.district)
    assert HomeCare.objects.get(case=home_case).status == HomeCare.Status.ESCALATED
    kinds = list(home_case.events.values_list("kind", flat=True))
    for kind in (CaseEvent.Kind.REFERRAL_REQUESTED, CaseEvent.Kind.REFERRAL_ACCEPTED, CaseEvent.Kind.IN_TRANSIT,
                 CaseEvent.Kind.ADMITTED):
        assert kind in kinds
    incremental = _facts()
    facts.rebuild()
    assert _facts() == incremental


def test_referral_up_frees_the_origin_bed_on_arrival_and_cancel_releases_a_held_bed(world):
    t = tower(world)
    case = world.cases.cases["home"]  # admitted to the commune's tier-1 facility on a regular bed
    origin = case.facility
    first = referrals.request(actor=t.district_staff, case=case, to_facility=t.provincial, bed_kind="icu",
                              reason="suy hô hấp")
    referrals.decide(actor=t.provincial_staff, referral=first, accept=True)
    assert _beds(t.provincial, "icu") == (2, 1)
    referrals.cancel(actor=t.district_staff, referral=first, reason="gia đình xin chuyển nơi khác")
    assert _beds(t.provincial, "icu") == (2, 0)
    declined = referrals.request(actor=None, case=case, to_facility=t.provincial, bed_kind="icu", reason="x")
    referrals.decide(actor=t.provincial_staff, referral=declined, accept=False, reason="hết giường")
    declined.refresh_from_db()
    assert declined.status == "declined" and declined.decision_reason == "hết giường"
    with pytest.raises(ValidationError):
        referrals.decide(actor=t.provincial_staff, referral=declined, accept=True)
    up = referrals.request(actor=None, case=case, to_facility=t.provincial, bed_kind="ventilator", reason="thở máy")
    assert up.from_facility == origin
    referrals.decide(actor=t.provincial_staff, referral=up, accept=True)
    referrals.arrive(actor=t.provincial_staff, referral=up)
    assert _beds(origin) == (10, 0) and _beds(t.provincial, "ventilator") == (1, 1)
    old = Admission.objects.get(case=case, facility=origin)
    assert old.outcome == Admission.Outcome.REFERRED and old.discharged_at is not None
    case.refresh_from_db()
    assert case.facility == t.provincial and case.is_open


def test_accepting_needs_a_free_bed(world):
    t = tower(world)
    Beds.objects.filter(facility=t.provincial, kind="ventilator").update(occupied=1)
    referral = referrals.request(actor=None, case=world.cases.cases["home"], to_facility=t.provincial,
                                 bed_kind="ventilator", reason="x")
    with pytest.raises(ValidationError):
        referrals.decide(actor=t.provincial_staff, referral=referral, accept=True)
    referral.refresh_from_db()
    assert referral.status == "requested"


def test_a_referral_request_texts_the_receiving_facility_without_the_patients_name(world):
    from epicommand.notify.models import Message

    t = tower(world)
    Organization.objects.filter(pk=t.district.pk).update(phone="0213123456")
    t.district.refresh_from_db()
    case = world.cases.cases["home"]
    referrals.request(actor=t.district_staff, case=case, to_facility=t.district, bed_kind="oxygen", reason="x")
    message = Message.objects.get(kind="cases.referral")
    assert message.to == "0213123456" and message.organization_id == t.district.pk
    assert case.code in message.body and case.person.full_name not in message.body
    referrals.request(actor=None, case=world.cases.cases["neighbour"], to_facility=t.provincial, bed_kind="icu",
                      reason="x")  # no phone: nothing to send
    assert Message.objects.filter(kind="cases.referral").count() == 1
