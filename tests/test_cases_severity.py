"""Severity suggested from vital signs by the thresholds in force on the day, risk factors from the person's
record, and the tier a clinician's confirmation gives."""

from __future__ import annotations

from datetime import date

import pytest
from django.utils import timezone

from epicommand.cases import placement, risk, services, severity
from epicommand.cases.models import ActiveCases, CaseEvent
from epicommand.core.models import PolicyVersion
from epicommand.core.roles import Role
from epicommand.vaccination.models import VaccinationStatus

from .cases_fixtures import person

pytestmark = pytest.mark.django_db
ON = date(2022, 6, 1)


@pytest.mark.parametrize(("rr", "spo2", "expected"), [
    (18, 98, "mild"), (19, 97, "mild"), (None, 97, "mild"),
    (18, 96, "moderate"), (18, 94, "moderate"), (20, 98, "moderate"), (25, 98, "moderate"),
    (18, 93, "severe"), (26, 98, "severe"), (30, 97, "severe"),
    (31, 97, "critical"), (9, 97, "critical"), (31, 90, "critical"),
])
def test_suggestion_follows_the_bands(rr, spo2, expected):
    value, reasons = severity.suggest(respiratory_rate=rr, spo2=spo2, on=ON)
    assert value == expected
    assert reasons and all(isinstance(r, str) and r for r in reasons)


def test_reasons_name_the_measured_value_and_the_threshold():
    value, reasons = severity.suggest(respiratory_rate=18, spo2=93, on=ON)
    assert value == "severe" and any("93" in r and "94" in r for r in reasons)


def test_nothing_measured_suggests_nothing():
    value, reasons = severity.suggest(respiratory_rate=None, spo2=None, on=ON)
    assert value == "" and reasons


def test_a_later_policy_version_does_not_change_an_earlier_judgement():
    key = "cases.severity.thresholds"
    current = PolicyVersion.objects.filter(key=key).order_by("-effective_from").first()
    stricter = {**current.value, "moderate": {"rr": [20, 25], "spo2": [95, 97]},
                "mild": {"rr_below": 20, "spo2_above": 97}}
    PolicyVersion.objects.create(key=key, value=stricter, effective_from=date(2023, 1, 1), source="test")
    assert severity.suggest(respiratory_rate=18, spo2=97, on=ON)[0] == "mild"
    assert severity.suggest(respiratory_rate=18, spo2=97, on=date(2023, 2, 1))[0] == "moderate"


def test_risk_factors_come_from_the_record(world):
    today = timezone.localdate()
    elder = person(world, "Cụ Bà Lò Thị Ơn", birth_year=today.year - 70, sex="F",
                   chronic_conditions=["diabetes"])
    codes = {f.code for f in risk.factors(elder, today)}
    assert codes == {"age", "chronic:diabetes", "unvaccinated"}
    pregnant = person(world, "Lò Thị Mai", birth_year=today.year - 25, sex="F", pregnant=True)
    VaccinationStatus.objects.create(person=pregnant, commune=pregnant.commune, doses=2, first_on=today,
                                     primary_on=today)
    found = risk.factors(pregnant, today)
    assert [f.code for f in found] == ["pregnant"] and risk.has_comorbidity(found)
    partly = person(world, "Vàng A Páo", birth_year=today.year - 30)
    VaccinationStatus.objects.create(person=partly, commune=partly.commune, doses=1, first_on=today)
    found = risk.factors(partly, today)
    assert [f.code for f in found] == ["partly_vaccinated"] and not risk.has_comorbidity(found)


def test_tier_by_severity_and_comorbidity():
    assert placement.tier_for("mild", comorbidity=False, on=ON) == 1
    assert placement.tier_for("mild", comorbidity=True, on=ON) == 2
    assert placement.tier_for("moderate", comorbidity=False, on=ON) == 2
    assert placement.tier_for("severe", comorbidity=False, on=ON) == 3
    assert placement.tier_for("critical", comorbidity=True, on=ON) == 3


def test_confirmation_sets_severity_tier_and_moves_the_figures(world):
    today = timezone.localdate()
    clinician = world.user(Role.COMMUNE_STATION)
    sick = person(world, "Giàng Thị Dợ", birth_year=today.year - 40, sex="F", chronic_conditions=["heart"])
    case, _created = services.open_case(actor=clinician, person=sick, opened_on=today)
    assert case.tier is None
    case = services.confirm_severity(actor=clinician, case=case, severity="mild", note="khám lâm sàng")
    assert (case.severity, case.tier, case.severity_confirmed_by) == ("mild", 2, clinician)
    row = ActiveCases.objects.get(commune=case.commune, severity="mild", tier=2, setting="pending")
    assert row.cases == 1
    assert not ActiveCases.objects.filter(commune=case.commune, severity="asymptomatic", tier=0,
                                          setting="pending", cases__gt=0).exists()
    event = case.events.get(kind=CaseEvent.Kind.SEVERITY)
    assert event.detail["tier"] == 2 and "chronic:heart" in event.detail["risk"]


def test_the_same_confirmation_sent_twice_is_one_entry(world):
    clinician = world.user(Role.COMMUNE_STATION)
    case, _ = services.open_case(actor=clinician, person=person(world, "Pờ Thị Sú", sex="F"),
                                 opened_on=timezone.localdate())
    services.confirm_severity(actor=clinician, case=case, severity="moderate")
    services.confirm_severity(actor=clinician, case=case, severity="moderate")
    assert case.events.filter(kind=CaseEvent.Kind.SEVERITY).count() == 1
    services.confirm_severity(actor=clinician, case=case, severity="severe")
    assert case.events.filter(kind=CaseEvent.Kind.SEVERITY).count() == 2
