"""The dose-eligibility engine (epicommand.vaccination.eligibility), against the seeded default policies.

The database is needed only for the policy rows; every expectation is written from DOMAIN.md §4 and the
seeded values, not read back from the engine."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone, translation

from epicommand.core.models import PolicyVersion
from epicommand.core.roles import Role
from epicommand.core.services.policies import add_policy_version
from epicommand.vaccination.eligibility import Candidate, PastDose, Rules, RulesByDay, check, due_date

pytestmark = pytest.mark.django_db

AFTER_BOOSTER_RULES = date(2022, 9, 1)  # booster and deferral rules are in force from 01/07/2022


def person(born: date | None = date(1980, 5, 17), *doses: PastDose, year: int | None = None,
           infected_on: date | None = None, pregnant: bool = False) -> Candidate:
    return Candidate(birth_date=born, birth_year=year if year is not None else (born.year if born else None),
                     doses=tuple(doses), infected_on=infected_on, pregnant=pregnant)


def d(day: date, product: str, kind: str = "") -> PastDose:
    return PastDose(day=day, product=product, kind=kind)


def days(n: int) -> timedelta:
    return timedelta(days=n)


# ---- age ----------------------------------------------------------------------------------------------

def test_first_dose_for_an_adult():
    verdict = check(person(), product="astrazeneca", on=date(2021, 7, 15))
    assert verdict.eligible
    assert (verdict.dose_number, verdict.kind, verdict.codes, verdict.reasons, verdict.earliest) == (
        1, "primary", (), (), None)


def test_a_four_year_old_is_too_young_until_the_fifth_birthday():
    verdict = check(person(date(2018, 3, 1)), product="pfizer", on=AFTER_BOOSTER_RULES)
    assert not verdict.eligible
    assert verdict.codes == ("too_young",)
    assert verdict.earliest == date(2023, 3, 1)
    assert len(verdict.reasons) == 1
    assert check(person(date(2018, 3, 1)), product="pfizer", on=date(2023, 3, 1)).eligible


def test_children_get_only_pfizer_or_moderna_and_only_once_the_child_rule_is_in_force():
    child = person(date(2015, 1, 10))
    refused = check(child, product="astrazeneca", on=AFTER_BOOSTER_RULES)
    assert refused.codes == ("child_product",) and refused.earliest is None
    assert check(child, product="pfizer", on=AFTER_BOOSTER_RULES).eligible
    assert check(child, product="moderna", on=AFTER_BOOSTER_RULES).eligible
    # vaccination.child_products is in force from 01/04/2022: before it children were not vaccinated.
    assert check(child, product="pfizer", on=date(2022, 3, 31)).codes == ("no_rule",)
    assert check(child, product="pfizer", on=date(2022, 4, 1)).eligible


def test_children_keep_the_same_vaccine():
    child = person(date(2015, 1, 10), d(date(2022, 5, 1), "pfizer"))
    assert check(child, product="moderna", on=date(2022, 6, 15)).codes == ("child_same_vaccine",)
    assert check(child, product="pfizer", on=date(2022, 6, 15)).eligible


def test_teens_keep_the_same_vaccine_where_adults_may_mix():
    first = d(date(2022, 1, 10), "pfizer")
    teen = person(date(2008, 1, 1), first)
    refused = check(teen, product="moderna", on=date(2022, 3, 1))
    assert refused.codes == ("teen_same_vaccine",) and refused.earliest is None
    assert check(teen, product="pfizer", on=date(2022, 3, 1)).eligible
    # The same history for an adult: Pfizer → Moderna is allowed by vaccination.mixing.
    assert check(person(date(1990, 1, 1), first), product="moderna", on=date(2022, 3, 1)).eligible


def test_year_only_births_are_taken_as_born_on_31_december():
    born_2019 = person(None, year=2019)
    early = check(born_2019, product="pfizer", on=date(2024, 6, 1))
    assert early.codes == ("too_young",)
    assert early.earliest == date(2024, 12, 31)
    assert early.warning_codes == ("birth_year_only",)
    on_the_day = check(born_2019, product="pfizer", on=date(2024, 12, 31))
    assert on_the_day.eligible and on_the_day.warning_codes == ()
    # Born "2006": 17 or 18 in March 2024; the (stricter) 12–17 rules apply.
    born_2006 = person(None, d(date(2024, 1, 10), "pfizer"), year=2006)
    teen = check(born_2006, product="moderna", on=date(2024, 3, 1))
    assert teen.codes == ("teen_same_vaccine",)
    assert "birth_year_only" in teen.warning_codes
    # An elderly person with only a year: plainly adult, no warning.
    elder = check(person(None, year=1948), product="astrazeneca", on=date(2021, 7, 15))
    assert elder.eligible and elder.warnings == ()


def test_no_age_at_all_is_refused():
    verdict = check(person(None), product="pfizer", on=AFTER_BOOSTER_RULES)
    assert verdict.codes == ("age_unknown",) and verdict.earliest is None


# ---- primary series -------------------------------------------------------------------------------------

def test_astrazeneca_then_pfizer_waits_the_astrazeneca_interval():
    first = date(2021, 8, 2)
    adult = person(date(1975, 2, 3), d(first, "astrazeneca"))
    allowed = check(adult, product="pfizer", on=first + days(56))
    assert allowed.eligible and (allowed.dose_number, allowed.kind) == (2, "primary")
    refused = check(adult, product="pfizer", on=first + days(30))
    assert refused.codes == ("too_early",)
    assert refused.earliest == first + days(56)
    assert check(adult, product="pfizer", on=first + days(55)).earliest == first + days(56)


def test_the_shortened_astrazeneca_minimum_only_when_asked_and_in_force():
    first = date(2021, 8, 2)
    adult = person(date(1975, 2, 3), d(first, "astrazeneca"))
    assert check(adult, product="astrazeneca", on=first + days(30), shortened_astrazeneca=True).eligible
    short = check(adult, product="astrazeneca", on=first + days(27), shortened_astrazeneca=True)
    assert short.codes == ("too_early",) and short.earliest == first + days(28)
    # The shortened minimum is in force from 01/08/2021: on 20/07/2021 the standard 56 days apply.
    early = person(date(1975, 2, 3), d(date(2021, 6, 1), "astrazeneca"))
    before = check(early, product="astrazeneca", on=date(2021, 7, 20), shortened_astrazeneca=True)
    assert before.codes == ("too_early",) and before.earliest == date(2021, 7, 27)


def test_vero_cell_is_followed_only_by_vero_cell_and_late_doses_are_allowed_with_a_warning():
    first = date(2021, 9, 1)
    adult = person(date(1970, 1, 1), d(first, "vero_cell"))
    mixed = check(adult, product="pfizer", on=first + days(21))
    assert mixed.codes == ("mixing",) and mixed.earliest is None
    assert check(adult, product="vero_cell", on=first + days(21)).eligible
    assert check(adult, product="vero_cell", on=first + days(20)).codes == ("too_early",)
    late = check(adult, product="vero_cell", on=first + days(35))
    assert late.eligible and late.codes == () and late.warning_codes == ("too_late",)
    on_time = check(adult, product="vero_cell", on=first + days(28))
    assert on_time.warning_codes == ()


def test_mixing_follows_the_policy_direction():
    adult = person(date(1970, 1, 1), d(date(2021, 9, 1), "pfizer"))
    # Pfizer may be followed by Moderna but not by AstraZeneca; Sputnik V is not in the mixing rule at all.
    assert check(adult, product="astrazeneca", on=date(2021, 10, 1)).codes == ("mixing",)
    sputnik = person(date(1970, 1, 1), d(date(2021, 9, 1), "sputnik_v"))
    assert check(sputnik, product="pfizer", on=date(2021, 10, 1)).codes == ("mixing",)
    assert check(sputnik, product="sputnik_v", on=date(2021, 10, 1)).eligible


def test_janssen_is_a_complete_series_so_the_next_dose_is_a_booster():
    adult = person(date(1970, 1, 1), d(date(2022, 1, 5), "janssen"))
    verdict = check(adult, product="pfizer", on=AFTER_BOOSTER_RULES)
    assert verdict.eligible and (verdict.dose_number, verdict.kind) == (2, "booster")
    assert check(adult, product="vero_cell", on=AFTER_BOOSTER_RULES).codes == ("booster_product",)


def test_abdala_has_three_primary_doses():
    adult = person(date(1970, 1, 1), d(date(2022, 7, 1), "abdala"), d(date(2022, 7, 15), "abdala"))
    third = check(adult, product="abdala", on=date(2022, 7, 29))
    assert third.eligible and (third.dose_number, third.kind) == (3, "primary")
    assert check(adult, product="abdala", on=date(2022, 7, 28)).codes == ("too_early",)


def test_unknown_products_and_products_without_a_schedule_yet():
    verdict = check(person(), product="covaxin", on=AFTER_BOOSTER_RULES)
    assert verdict.codes == ("unknown_product",) and not verdict.eligible
    # Janssen's schedule is in force from 01/09/2021.
    assert check(person(), product="janssen", on=date(2021, 8, 15)).codes == ("no_rule",)
    history = person(date(1970, 1, 1), d(date(2021, 9, 1), "covaxin"))
    assert check(history, product="pfizer", on=date(2021, 10, 1)).codes == ("unknown_history",)


# ---- boosters ---------------------------------------------------------------------------------------------

def two_pfizer(last: date, born: date = date(1980, 5, 17)) -> Candidate:
    return person(born, d(last - days(21), "pfizer"), d(last, "pfizer"))


def test_no_booster_before_the_booster_rules_are_in_force():
    verdict = check(two_pfizer(date(2021, 10, 1)), product="pfizer", on=date(2022, 6, 30))
    assert verdict.codes == ("no_rule",) and verdict.kind == "booster" and verdict.earliest is None
    assert check(two_pfizer(date(2021, 10, 1)), product="pfizer", on=date(2022, 7, 1)).eligible


def test_dose_3_needs_90_days_after_the_primary_series():
    last = date(2022, 6, 22)
    refused = check(two_pfizer(last), product="moderna", on=last + days(89))
    assert refused.codes == ("too_early",) and refused.earliest == last + days(90)
    allowed = check(two_pfizer(last), product="moderna", on=last + days(90))
    assert allowed.eligible and (allowed.dose_number, allowed.kind) == (3, "booster")


def test_dose_4_needs_120_days_after_dose_3():
    dose3 = date(2022, 7, 5)
    adult = person(date(1960, 1, 1), d(date(2021, 8, 1), "astrazeneca"), d(date(2021, 10, 1), "astrazeneca"),
                   d(dose3, "pfizer"))
    refused = check(adult, product="pfizer", on=dose3 + days(119))
    assert refused.codes == ("too_early",) and refused.earliest == dose3 + days(120)
    allowed = check(adult, product="pfizer", on=dose3 + days(120))
    assert allowed.eligible and allowed.dose_number == 4


def test_teen_dose_3_needs_150_days():
    last = date(2022, 3, 1)
    teen = two_pfizer(last, born=date(2008, 6, 1))
    refused = check(teen, product="pfizer", on=last + days(149))
    assert refused.codes == ("too_early",) and refused.earliest == last + days(150)
    assert check(teen, product="pfizer", on=last + days(150)).eligible


def test_no_second_booster_rule_for_teens_and_no_booster_rule_for_children():
    teen = person(date(2008, 6, 1), d(date(2021, 11, 1), "pfizer"), d(date(2021, 11, 22), "pfizer"),
                  d(date(2022, 7, 1), "pfizer"))
    assert check(teen, product="pfizer", on=date(2023, 1, 1)).codes == ("no_rule",)
    child = person(date(2015, 1, 1), d(date(2022, 4, 10), "pfizer"), d(date(2022, 5, 1), "pfizer"))
    assert check(child, product="pfizer", on=date(2023, 1, 1)).codes == ("no_rule",)


def test_a_fifth_dose_is_refused():
    adult = person(date(1950, 1, 1), d(date(2021, 8, 1), "pfizer"), d(date(2021, 8, 22), "pfizer"),
                   d(date(2022, 1, 5), "moderna"), d(date(2022, 8, 1), "pfizer"))
    verdict = check(adult, product="pfizer", on=date(2023, 6, 1))
    assert verdict.codes == ("series_complete",)
    assert (verdict.dose_number, verdict.kind, verdict.earliest) == (5, "booster", None)
    # Janssen: one primary dose and two boosters; a third booster is refused as well.
    janssen = person(date(1950, 1, 1), d(date(2021, 10, 1), "janssen"), d(date(2022, 7, 5), "pfizer"),
                     d(date(2022, 11, 10), "pfizer"))
    assert check(janssen, product="pfizer", on=date(2023, 6, 1)).codes == ("series_complete",)


def test_recorded_kinds_history_order_and_later_doses():
    # A recorded booster closes the primary series: the next dose is a second booster (120 days).
    booster = d(date(2022, 7, 10), "pfizer", "booster")
    adult = person(date(1970, 1, 1), booster, d(date(2021, 9, 1), "vero_cell", "primary"))
    verdict = check(adult, product="pfizer", on=date(2022, 10, 1))
    assert verdict.codes == ("too_early",) and verdict.earliest == date(2022, 11, 7)
    # Given in any order, doses after the day judged are ignored (an import re-judging an old dose).
    first, second, later = d(date(2021, 9, 1), "pfizer"), d(date(2021, 9, 22), "pfizer"), d(date(2022, 10, 1), "pfizer")
    shuffled = check(person(date(1970, 1, 1), later, second, first), product="moderna", on=date(2022, 8, 1))
    assert shuffled.eligible and (shuffled.dose_number, shuffled.kind) == (3, "booster")
    judged = check(person(date(1970, 1, 1), later, first), product="pfizer", on=date(2021, 9, 22))
    assert judged.eligible and (judged.dose_number, judged.kind) == (2, "primary")
    # A second dose the same day is too early.
    assert check(person(date(1970, 1, 1), first), product="pfizer", on=first.day).codes == ("too_early",)


# ---- deferral --------------------------------------------------------------------------------------------

def test_an_infection_60_days_ago_defers_until_90_days():
    on = date(2022, 10, 1)
    infected = on - days(60)
    verdict = check(person(infected_on=infected), product="pfizer", on=on)
    assert verdict.codes == ("deferred",) and verdict.earliest == infected + days(90)
    assert check(person(infected_on=infected), product="pfizer", on=infected + days(90)).eligible
    # Both too early and deferred: the later day.
    last = date(2022, 8, 5)
    both = check(person(date(1980, 5, 17), d(last - days(21), "pfizer"), d(last, "pfizer"), infected_on=infected),
                 product="pfizer", on=on)
    assert set(both.codes) == {"too_early", "deferred"} and both.earliest == last + days(90)  # 03/11 > 31/10
    later_infection = check(person(date(1980, 5, 17), d(last - days(21), "pfizer"), d(last, "pfizer"),
                                   infected_on=on - days(10)), product="pfizer", on=on)
    assert later_infection.earliest == on - days(10) + days(90)
    # Infections after the day judged and days before the deferral rule (01/07/2022) do not defer.
    assert check(person(infected_on=on + days(5)), product="pfizer", on=on).eligible
    assert check(person(infected_on=date(2022, 5, 1)), product="pfizer", on=date(2022, 6, 1)).eligible


def test_earliest_is_only_given_when_time_alone_is_the_problem():
    infected = date(2022, 9, 1)
    teen = person(date(2008, 1, 1), d(date(2022, 8, 20), "pfizer"), infected_on=infected)
    verdict = check(teen, product="moderna", on=date(2022, 9, 5))
    assert set(verdict.codes) == {"teen_same_vaccine", "too_early", "deferred"}
    assert verdict.earliest is None and len(verdict.reasons) == 3


def test_pregnancy_is_a_warning_not_a_refusal():
    verdict = check(person(pregnant=True), product="pfizer", on=AFTER_BOOSTER_RULES)
    assert verdict.eligible and verdict.warning_codes == ("pregnant",) and len(verdict.warnings) == 1


# ---- due dates --------------------------------------------------------------------------------------------

def test_due_dates():
    on = AFTER_BOOSTER_RULES
    assert due_date(person(date(1980, 5, 17)), on=on) == (date(1998, 5, 17), "vaccination.age_groups")
    assert due_date(person(date(2018, 3, 1)), on=on) == (date(2023, 3, 1), "vaccination.age_groups")
    assert due_date(person(None, year=2019), on=date(2024, 6, 1)) == (date(2024, 12, 31), "vaccination.age_groups")
    one_az = person(date(1975, 2, 3), d(date(2022, 8, 1), "astrazeneca"))
    assert due_date(one_az, on=on) == (date(2022, 9, 26), "vaccination.schedule.astrazeneca")
    assert due_date(one_az, on=on, shortened_astrazeneca=True) == (
        date(2022, 8, 29), "vaccination.schedule.astrazeneca.shortened_min_interval")
    last = date(2022, 6, 22)
    assert due_date(two_pfizer(last), on=on) == (last + days(90), "vaccination.booster.dose3_min_days")
    assert due_date(two_pfizer(last, born=date(2008, 6, 1)), on=on) == (
        last + days(150), "vaccination.booster.age_12_17_dose3_min_days")
    three = person(date(1960, 1, 1), d(date(2021, 8, 1), "pfizer"), d(date(2021, 8, 22), "pfizer"),
                   d(date(2022, 7, 5), "pfizer"))
    assert due_date(three, on=on) == (date(2022, 11, 2), "vaccination.booster.dose4_min_days")
    four = person(date(1960, 1, 1), *three.doses, d(date(2022, 11, 10), "moderna"))
    assert due_date(four, on=date(2023, 1, 1)) == (None, "series_complete")
    assert due_date(two_pfizer(date(2021, 10, 1)), on=date(2022, 6, 1)) == (None, "no_rule")
    assert due_date(person(date(2015, 1, 1)), on=date(2022, 3, 1)) == (None, "no_rule")
    assert due_date(person(None), on=on) == (None, "age_unknown")
    # The deferral is later than the booster interval: it is the rule that sets the day.
    infected = date(2022, 8, 20)
    deferred = person(date(1980, 5, 17), d(last - days(21), "pfizer"), d(last, "pfizer"), infected_on=infected)
    assert due_date(deferred, on=on) == (infected + days(90), "vaccination.deferral_after_infection_days")
    # An older infection ends its deferral before the booster interval: the booster rule is named.
    old_infection = person(date(1980, 5, 17), *deferred.doses, infected_on=date(2022, 6, 1))
    assert due_date(old_infection, on=on) == (last + days(90), "vaccination.booster.dose3_min_days")


def test_due_date_agrees_with_check():
    last = date(2022, 6, 22)
    for candidate in (two_pfizer(last), two_pfizer(last, born=date(2008, 6, 1)),
                      person(date(1975, 2, 3), d(date(2022, 8, 1), "astrazeneca"))):
        due, _rule = due_date(candidate, on=AFTER_BOOSTER_RULES)
        assert check(candidate, product="pfizer", on=due).eligible
        assert check(candidate, product="pfizer", on=due - days(1)).earliest == due


# ---- policies are data, judged on the dose date -----------------------------------------------------------

def test_a_later_policy_version_changes_only_doses_on_or_after_its_date():
    PolicyVersion.objects.create(key="vaccination.booster.dose3_min_days", value=120,
                                 effective_from=date(2022, 10, 1), source="Công văn thử")
    last = date(2022, 6, 22)
    before = check(two_pfizer(last), product="pfizer", on=date(2022, 9, 30))  # 100 days, the 90-day rule
    assert before.eligible
    after = check(two_pfizer(last), product="pfizer", on=date(2022, 10, 15))  # 115 days, the 120-day rule
    assert after.codes == ("too_early",) and after.earliest == last + days(120)
    assert due_date(two_pfizer(last), on=date(2022, 9, 30))[0] == last + days(90)
    assert due_date(two_pfizer(last), on=date(2022, 10, 1))[0] == last + days(120)


def test_a_version_added_through_the_service_applies_from_its_future_date(world):
    officer = world.user(Role.HEALTH_OFFICER)
    today = timezone.localdate()
    add_policy_version(actor=officer, key="vaccination.deferral_after_infection_days", value=180,
                       effective_from=today + days(30), source="Quyết định thử nghiệm")
    infected = today - days(70)
    candidate = person(infected_on=infected)
    assert check(candidate, product="pfizer", on=today + days(29)).eligible  # 99 days, the 90-day rule
    later = check(candidate, product="pfizer", on=today + days(30))  # 100 days, the 180-day rule
    assert later.codes == ("deferred",) and later.earliest == infected + days(180)


# ---- speed and messages -----------------------------------------------------------------------------------

def test_rules_read_the_policies_once(django_assert_num_queries):
    rules = Rules(AFTER_BOOSTER_RULES)
    histories = [person(), two_pfizer(date(2022, 1, 1)), person(date(2015, 1, 1)),
                 person(date(2008, 1, 1), d(date(2022, 8, 1), "pfizer"), infected_on=date(2022, 8, 15))]
    with django_assert_num_queries(0):
        for candidate in histories:
            for product in ("pfizer", "astrazeneca", "vero_cell", "janssen"):
                rules.check(candidate, product)
            rules.due_date(candidate)
    by_day = RulesByDay()
    assert by_day[AFTER_BOOSTER_RULES] is by_day[AFTER_BOOSTER_RULES]
    assert by_day[date(2022, 6, 1)].dose3_days is None and by_day[AFTER_BOOSTER_RULES].dose3_days == 90


def test_reasons_name_the_product_and_the_day():
    first = date(2021, 8, 2)
    adult = person(date(1975, 2, 3), d(first, "vero_cell"))
    with translation.override("en"):
        mixed = check(adult, product="sputnik_v", on=first + days(10))
    assert mixed.codes == ("mixing", "too_early")
    assert "Sputnik V" in mixed.reasons[0] and "Vero Cell" in mixed.reasons[0]
    assert "23/08/2021" in mixed.reasons[1] and "02/08/2021" in mixed.reasons[1]
