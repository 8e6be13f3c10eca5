"""Warning signs of home treatment per band, by the policies in force on the day (warnings.py)."""

from __future__ import annotations

from datetime import date

import pytest

from epicommand.cases.warnings import (
    URGENCY_ONE_SIGN,
    URGENCY_REFER,
    URGENCY_VISIT,
    Rules,
    RulesByDay,
    Values,
    describe,
    evaluate,
)
from epicommand.core.models import PolicyVersion

DAY = date(2022, 3, 1)


@pytest.fixture
def rules(db) -> Rules:
    return Rules.on(DAY)


def codes(rules, age=40, **values):
    return evaluate(rules, Values(**values), age)


def test_adult_respiratory_rate_warns_from_20(rules):
    assert codes(rules, respiratory_rate=19) == ([], 0)
    assert codes(rules, respiratory_rate=20) == (["rr"], URGENCY_ONE_SIGN)
    assert codes(rules, age=None, respiratory_rate=20)[0] == ["rr"]  # unknown age: the adult band


@pytest.mark.parametrize(("age", "quiet", "warned"), [(3, 39, 40), (1, 39, 40), (5, 29, 30), (11, 29, 30),
                                                      (12, 19, 20), (0, 39, 40)])
def test_child_bands(rules, age, quiet, warned):
    assert codes(rules, age=age, respiratory_rate=quiet)[0] == []
    assert codes(rules, age=age, respiratory_rate=warned)[0] == ["rr"]


def test_spo2_96_is_a_warning_and_97_is_not(rules):
    assert codes(rules, spo2=97) == ([], 0)
    assert codes(rules, spo2=96) == (["spo2"], URGENCY_ONE_SIGN)
    assert codes(rules, spo2=94) == (["spo2"], URGENCY_ONE_SIGN)
    # Below the severe band of the severity policy (94): refer at once.
    assert codes(rules, spo2=93) == (["spo2"], URGENCY_REFER)


def test_pulse_outside_50_to_120(rules):
    assert codes(rules, pulse=120)[0] == [] and codes(rules, pulse=50)[0] == []
    assert codes(rules, pulse=121)[0] == ["pulse_high"]
    assert codes(rules, pulse=49)[0] == ["pulse_low"]


def test_blood_pressure_below_90_or_60(rules):
    assert codes(rules, systolic=90, diastolic=60)[0] == []
    assert codes(rules, systolic=89, diastolic=60)[0] == ["systolic"]
    assert codes(rules, systolic=100, diastolic=59)[0] == ["diastolic"]


def test_warning_symptoms_call_for_a_visit(rules):
    assert codes(rules, symptoms=("cough", "fever")) == ([], 0)
    assert codes(rules, symptoms=("cough", "chest_pain")) == (["symptom:chest_pain"], URGENCY_VISIT)
    found, urgency = codes(rules, symptoms=("confusion", "cyanosis"))
    assert found == ["symptom:confusion", "symptom:cyanosis"] and urgency == URGENCY_VISIT


def test_two_signs_call_for_a_visit_and_critical_breathing_for_a_referral(rules):
    assert codes(rules, respiratory_rate=22, pulse=125) == (["rr", "pulse_high"], URGENCY_VISIT)
    assert codes(rules, respiratory_rate=31)[1] == URGENCY_REFER
    assert codes(rules, respiratory_rate=8) == (["rr_low"], URGENCY_REFER)


def test_rules_follow_the_version_in_force_on_the_day(db):
    PolicyVersion.objects.create(key="home_care.spo2_warning", value=95, effective_from=date(2022, 6, 1),
                                 source="test")
    by_day = RulesByDay()
    assert evaluate(by_day(DAY), Values(spo2=96), 40)[0] == ["spo2"]
    assert evaluate(by_day(date(2022, 6, 2)), Values(spo2=96), 40)[0] == []
    assert by_day(DAY) is by_day(DAY)  # read once per day


def test_descriptions_are_readable():
    assert describe("symptom:chest_pain") != "symptom:chest_pain"
    assert describe("spo2") != "spo2"
