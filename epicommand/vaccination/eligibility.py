"""Dose eligibility: may this person receive this product on this day, and if not, why and from when.

The engine takes plain data (no models), so the dose screen, the import of historical doses and the
benchmarks all call the same code. Every threshold is a policy (`vaccination.*`) read through
`epicommand.core.policies.policy`, judged by the version in force on the dose date `on` — never a
constant here. A rule that is not in force on that day is treated as "not allowed under the rules of that
day" (code "no_rule"), never as a crash.

Interpretations chosen where DOMAIN.md §4 is silent or ambiguous (each is repeated where the code applies it):

- Only doses given on or before `on` count; later doses in `Candidate.doses` are ignored, so an import
  can pass a person's whole history when it re-judges one historical dose (it must leave that dose out).
  A dose on the same day as an earlier one counts as earlier, so it is refused as too early.
- The primary series is set by the product of its first dose (`vaccination.schedule.<product>.doses`:
  AstraZeneca then Pfizer is a complete 2-dose series). The interval to the next primary dose is the
  previous dose's product's interval (AstraZeneca → Pfizer waits AstraZeneca's 56 days).
- A recorded kind wins over counting: a past dose recorded "additional" or "booster" is after the primary
  series and closes it; an unrecorded kind ("" from historical imports) is inferred by counting.
- Boosters are counted after the primary series: the first booster follows
  `vaccination.booster.dose3_min_days` after the last primary dose, the second
  `vaccination.booster.dose4_min_days` after the first. This is "dose 3 / dose 4" of the 2-dose schedules
  the Ministry wrote for, and extends sensibly to Janssen (1 dose: booster is dose 2) and Abdala (3 doses).
  The rules know two boosters: a third one is refused ("series_complete") — for every 2-dose series that
  is "more than 4 doses". An "additional" dose (mũi bổ sung) counts as one of the two.
- Ages 12–17 get the first booster after `vaccination.booster.age_12_17_dose3_min_days`; no rule gives them
  a second booster, nor children 5–11 any booster: refused with "no_rule" until a policy says otherwise.
- Booster products: mRNA (Pfizer, Moderna) and AstraZeneca, as used in Vietnam in 2022. No seeded policy
  lists them, so `vaccination.booster.products` is read when it exists and this default applies otherwise.
- Teens: no product list is seeded, so any scheduled product is allowed, same vaccine for every primary dose.
  Children 5–11: only `vaccination.child_products`, same vaccine; before that policy (1 April 2022) children
  were not vaccinated ("no_rule").
- Beyond a product's maximum interval the dose is late but allowed (the Ministry's guidance: give it as soon
  as possible, do not restart the series): a warning, with warning code "too_late" for imports to flag.
- AstraZeneca: the standard minimum (56 days) unless the caller opts in to the province's shortened minimum
  (`shortened_astrazeneca=True` reads `vaccination.schedule.astrazeneca.shortened_min_interval`, 28 days,
  in force from 1 August 2021; before that day the standard minimum still applies).
- Age is taken on `on`. With only a birth year the person is taken to be born on 31 December of that year,
  the youngest they can be: someone born "2019" is not 5 before 31/12/2024, someone born "2006" follows the
  12–17 rules in 2024 (they are stricter than the adult ones). A warning says so when the choice matters.
- No age at all (neither birth date nor year): refused ("age_unknown"); the vaccinator records the year or
  overrides with a written reason.
- Deferral after an infection applies to every dose, counted from the latest infection on or before `on`;
  with no deferral rule in force on `on` there is no deferral.
- `earliest` is set only when every failed rule is about time (too young, too early, deferred); it is the
  day all of them pass, under the rules in force on `on`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.utils.translation import gettext as _

from epicommand.core.policies import policies_in_force

PRODUCT_NAMES: dict[str, str] = {
    "astrazeneca": "AstraZeneca",
    "pfizer": "Pfizer",
    "moderna": "Moderna",
    "sputnik_v": "Sputnik V",
    "vero_cell": "Vero Cell",
    "hayat_vax": "Hayat-Vax",
    "janssen": "Janssen",
    "abdala": "Abdala",
}
# Used as boosters in Vietnam in 2022; overridden by the policy "vaccination.booster.products" when it exists.
DEFAULT_BOOSTER_PRODUCTS: tuple[str, ...] = ("astrazeneca", "pfizer", "moderna")
# Recorded kinds that put a past dose after the primary series.
POST_PRIMARY_KINDS = frozenset({"additional", "booster"})
# Failed rules that only time cures: `earliest` is given only when every failure is one of these.
TIMING_CODES = frozenset({"too_young", "too_early", "deferred"})
BOOSTERS_IN_RULES = 2  # the policies know a first (dose 3) and a second (dose 4) booster

PRIMARY = "primary"
BOOSTER = "booster"


@dataclass(frozen=True)
class PastDose:
    day: date
    product: str  # policy product key, see PRODUCT_NAMES
    kind: str = ""  # "primary" / "additional" / "booster" when recorded; "" when unknown (historical imports)


@dataclass(frozen=True)
class Candidate:
    birth_date: date | None
    birth_year: int | None  # always set when known; birth_date None when only the year is known
    doses: tuple[PastDose, ...]  # the person's earlier doses, any order
    infected_on: date | None = None  # the latest confirmed infection, if any (deferral)
    pregnant: bool = False


@dataclass(frozen=True)
class Verdict:
    eligible: bool
    dose_number: int  # the number this dose would have (1-based, counting all earlier doses)
    kind: str  # "primary", "booster" (doses after a completed primary series)
    reasons: tuple[str, ...]  # why not, translated; parallel to `codes`; empty when eligible
    codes: tuple[str, ...]  # machine codes of the failed rules
    earliest: date | None  # the day the dose would be allowed, when the only problems are about time
    warnings: tuple[str, ...] = ()  # not blocking, translated
    warning_codes: tuple[str, ...] = ()  # parallel to `warnings`: "too_late", "birth_year_only", "pregnant"


def product_name(product: str) -> str:
    return PRODUCT_NAMES.get(product, product)


def _dmy(day: date) -> str:
    return day.strftime("%d/%m/%Y")


def _add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February: the birthday is reached on 1 March in common years
        return date(day.year + years, 3, 1)


@dataclass
class _Series:
    """A person's earlier doses, split into the primary series and the doses after it."""

    primary: list[PastDose]
    post: list[PastDose]
    required: int | None  # doses in the primary series, from its first dose's product
    unknown: PastDose | None  # a primary dose whose product has no schedule in force: the series cannot be judged

    @property
    def complete(self) -> bool:
        return bool(self.post) or (self.required is not None and len(self.primary) >= self.required)


@dataclass
class _Age:
    youngest: int  # the age used: exact with a birth date, the youngest possible with a year only
    oldest: int
    born: date  # the birth date used (31 December with a year only)
    year_only: bool


class Rules:
    """The vaccination policies in force on one day, read once: an import judges a million doses, the
    dose screen one. `check()` and `due_date()` below build one for a single call."""

    def __init__(self, on: date, *, shortened_astrazeneca: bool = False):
        self.on = on
        # Every vaccination rule of the day in one query (a dose is recorded in a few milliseconds).
        self._in_force = policies_in_force("vaccination.", on)
        _read = self._read  # noqa: N806  (the module's reader, answered from the rules read at once)
        self.schedules: dict[str, dict | None] = {
            p: _read(f"vaccination.schedule.{p}", on) for p in PRODUCT_NAMES
        }
        # The shortened AstraZeneca minimum is a province's choice, so only when the caller asks for it,
        # and only once that rule is in force; otherwise the standard minimum of the schedule applies.
        self.az_shortened: int | None = (
            _read("vaccination.schedule.astrazeneca.shortened_min_interval", on) if shortened_astrazeneca else None
        )
        self.mixing: dict[str, list[str]] = _read("vaccination.mixing", on) or {}
        self.age_groups: dict[str, list[int | None]] | None = _read("vaccination.age_groups", on)
        self.child_products: list[str] | None = _read("vaccination.child_products", on)
        self.dose3_days: int | None = _read("vaccination.booster.dose3_min_days", on)
        self.dose4_days: int | None = _read("vaccination.booster.dose4_min_days", on)
        self.teen_dose3_days: int | None = _read("vaccination.booster.age_12_17_dose3_min_days", on)
        self.deferral_days: int | None = _read("vaccination.deferral_after_infection_days", on)
        booster_products = _read("vaccination.booster.products", on)
        self.booster_products: tuple[str, ...] = (
            tuple(booster_products) if booster_products is not None else DEFAULT_BOOSTER_PRODUCTS
        )
        self.min_age: int | None = (
            min(bounds[0] for bounds in self.age_groups.values()) if self.age_groups else None
        )

    # ---- reading the policies ----------------------------------------------------------------------

    def _read(self, key: str, on: date) -> Any:
        """The value in force on the rules' day, or None when the rule is not in force (never raises)."""
        return self._in_force.get(key)

    def schedule(self, product: str) -> dict | None:
        if product not in self.schedules:  # a key outside PRODUCT_NAMES: looked up once, then cached
            self.schedules[product] = self._read(f"vaccination.schedule.{product}", self.on)
        return self.schedules[product]

    def min_interval(self, product: str) -> tuple[int, str]:
        """Days before the next primary dose after a dose of `product`, and the policy that says so."""
        if product == "astrazeneca" and self.az_shortened is not None:
            return self.az_shortened, "vaccination.schedule.astrazeneca.shortened_min_interval"
        schedule = self.schedule(product) or {}
        # No minimum (only single-dose Janssen has none) still means another day: never two doses at once.
        return schedule.get("min_interval") or 1, f"vaccination.schedule.{product}"

    def group_of(self, age: int) -> str | None:
        for name, (low, high) in (self.age_groups or {}).items():
            if age >= low and (high is None or age <= high):
                return name
        return None

    def ages_label(self, group: str) -> str:
        low, high = (self.age_groups or {}).get(group, (None, None))
        return f"{low}–{high}" if high is not None else f"{low}+"

    # ---- the person ----------------------------------------------------------------------------------

    def age(self, candidate: Candidate) -> _Age | None:
        on = self.on
        if candidate.birth_date:
            born = candidate.birth_date
            age = on.year - born.year - ((on.month, on.day) < (born.month, born.day))
            return _Age(age, age, born, False)
        if candidate.birth_year:
            # Born on 31 December for the rules (the youngest possible): never vaccinate too young.
            born = date(candidate.birth_year, 12, 31)
            youngest = on.year - born.year - ((on.month, on.day) < (12, 31))
            return _Age(youngest, on.year - candidate.birth_year, born, True)
        return None

    def history(self, candidate: Candidate) -> list[PastDose]:
        # Later doses are ignored: an import can pass the whole history when re-judging an old dose.
        return sorted((d for d in candidate.doses if d.day <= self.on), key=lambda d: d.day)

    def series(self, history: list[PastDose]) -> _Series:
        primary: list[PastDose] = []
        post: list[PastDose] = []
        required: int | None = None
        unknown: PastDose | None = None
        for dose in history:
            # A recorded "additional"/"booster" closes the primary series (the vaccinator judged it complete);
            # otherwise doses beyond the series' count are after it, whatever their recorded kind.
            if post or dose.kind in POST_PRIMARY_KINDS or (required is not None and len(primary) >= required):
                post.append(dose)
                continue
            primary.append(dose)
            if self.schedule(dose.product) is None and unknown is None:
                unknown = dose
            if required is None and (schedule := self.schedule(dose.product)):
                required = schedule["doses"]
        return _Series(primary, post, required, unknown)

    # ---- the verdict ---------------------------------------------------------------------------------

    def check(self, candidate: Candidate, product: str) -> Verdict:
        on = self.on
        failed: list[tuple[str, str]] = []
        warned: list[tuple[str, str]] = []
        timing: list[date] = []
        history = self.history(candidate)
        series = self.series(history)
        kind = BOOSTER if series.complete else PRIMARY
        name = product_name(product)

        # Age and group: without a group the group rules below cannot be judged.
        group: str | None = None
        age = self.age(candidate)
        if self.age_groups is None:
            failed.append(("no_rule", _("No vaccination age rule is in force on %(date)s.") % {"date": _dmy(on)}))
        elif age is None:
            failed.append(("age_unknown", _("Age unknown: record the birth date or at least the birth year.")))
        elif age.youngest < self.min_age:
            reach = _add_years(age.born, self.min_age)
            timing.append(reach)
            failed.append(("too_young", _("Aged %(age)s: vaccination starts at %(min)s years, from %(date)s.")
                           % {"age": max(age.youngest, 0), "min": self.min_age, "date": _dmy(reach)}))
        else:
            group = self.group_of(age.youngest)
            if group is None:  # a gap between age groups in an edited policy
                failed.append(("no_age_group", _("No age group of the rules in force on %(date)s covers age "
                                                 "%(age)s.") % {"date": _dmy(on), "age": age.youngest}))
        if age is not None and age.year_only and self.age_groups is not None and (
            self.group_of(age.youngest) != self.group_of(age.oldest)
        ):
            warned.append(("birth_year_only", _(
                "Only the birth year (%(year)s) is known: the rules for age %(age)s (the youngest possible) apply. "
                "Check the birth date.") % {"year": age.born.year, "age": max(age.youngest, 0)}))

        # The product itself.
        known = self.schedule(product) is not None
        if not known:
            if product in PRODUCT_NAMES:
                failed.append(("no_rule", _("No schedule for %(product)s is in force on %(date)s.")
                               % {"product": name, "date": _dmy(on)}))
            else:
                failed.append(("unknown_product", _("Unknown vaccine: %(product)s.") % {"product": name}))

        if series.unknown is not None:
            failed.append(("unknown_history", _(
                "The earlier dose of %(date)s (%(product)s) has no schedule in force: check the record.")
                % {"date": _dmy(series.unknown.day), "product": product_name(series.unknown.product)}))
        elif kind == PRIMARY:
            self._check_primary(series, product, known, group, failed, warned, timing)
        else:
            self._check_booster(series, product, known, group, failed, timing)

        # Deferral after an infection, for every dose; infections after `on` do not exist yet on that day.
        infected = candidate.infected_on
        if infected is not None and infected <= on and self.deferral_days:
            until = infected + timedelta(days=self.deferral_days)
            if on < until:
                timing.append(until)
                failed.append(("deferred", _(
                    "Deferred after the infection of %(infected)s: %(days)s days, allowed from %(date)s.")
                    % {"infected": _dmy(infected), "days": self.deferral_days, "date": _dmy(until)}))

        if candidate.pregnant:
            warned.append(("pregnant", _("Pregnant: follow the pregnancy items of the screening checklist.")))

        codes = tuple(code for code, _message in failed)
        return Verdict(
            eligible=not failed,
            dose_number=len(history) + 1,
            kind=kind,
            reasons=tuple(message for _code, message in failed),
            codes=codes,
            earliest=max(timing) if failed and timing and set(codes) <= TIMING_CODES else None,
            warnings=tuple(message for _code, message in warned),
            warning_codes=tuple(code for code, _message in warned),
        )

    def _check_primary(self, series: _Series, product: str, known: bool, group: str | None,
                       failed: list[tuple[str, str]], warned: list[tuple[str, str]], timing: list[date]) -> None:
        on = self.on
        name = product_name(product)
        previous = series.primary[-1] if series.primary else None
        if group == "child":
            if self.child_products is None:
                failed.append(("no_rule", _("Vaccination of children aged %(ages)s is not in force on %(date)s.")
                               % {"ages": self.ages_label("child"), "date": _dmy(on)}))
            elif product not in self.child_products:
                failed.append(("child_product", _("Children aged %(ages)s receive only %(products)s, not "
                                                  "%(product)s.") % {
                    "ages": self.ages_label("child"), "product": name,
                    "products": ", ".join(product_name(p) for p in self.child_products)}))
        if previous is not None and known and product != previous.product:
            values = {"previous": product_name(previous.product), "product": name}
            if group == "child":
                failed.append(("child_same_vaccine", _(
                    "Children aged %(ages)s receive the same vaccine for every primary dose: %(previous)s, not "
                    "%(product)s.") % {**values, "ages": self.ages_label("child")}))
            elif group == "teen":
                failed.append(("teen_same_vaccine", _(
                    "Ages %(ages)s receive the same vaccine for every primary dose: %(previous)s, not %(product)s.")
                    % {**values, "ages": self.ages_label("teen")}))
            elif product not in self.mixing.get(previous.product, ()):
                # A vaccine absent from the mixing rule (Sputnik V, Hayat-Vax, Abdala) is followed only by itself.
                failed.append(("mixing", _("%(product)s may not follow %(previous)s in the primary series.")
                               % values))
        if previous is not None:
            min_days, _key = self.min_interval(previous.product)
            days = (on - previous.day).days
            if days < min_days:
                allowed = previous.day + timedelta(days=min_days)
                timing.append(allowed)
                failed.append(("too_early", _(
                    "Too early: %(days)s days after the previous dose of %(previous_date)s are needed; "
                    "allowed from %(date)s.") % {
                    "days": min_days, "previous_date": _dmy(previous.day), "date": _dmy(allowed)}))
            max_days = (self.schedule(previous.product) or {}).get("max_interval")
            if max_days is not None and days > max_days:
                # Late but allowed: the series is continued, not restarted.
                warned.append(("too_late", _(
                    "Late: %(days)s days since the previous dose, more than the %(max)s of the schedule. Give it "
                    "now; the series is not restarted.") % {"days": days, "max": max_days}))

    def booster_rule(self, series: _Series, group: str | None) -> tuple[int | None, str]:
        """Days from the reference dose to the next booster, and the policy key (None: no rule in force)."""
        number = len(series.post) + 1
        if group == "child":
            return None, ""
        if number == 1:
            if group == "teen":
                return self.teen_dose3_days, "vaccination.booster.age_12_17_dose3_min_days"
            return self.dose3_days, "vaccination.booster.dose3_min_days"
        if number == 2 and group != "teen":
            return self.dose4_days, "vaccination.booster.dose4_min_days"
        return None, ""

    def _check_booster(self, series: _Series, product: str, known: bool, group: str | None,
                       failed: list[tuple[str, str]], timing: list[date]) -> None:
        on = self.on
        number = len(series.post) + 1
        if number > BOOSTERS_IN_RULES:
            failed.append(("series_complete", _(
                "The schedule is complete: %(count)s doses given, the rules in force know no further booster.")
                % {"count": len(series.primary) + len(series.post)}))
            return
        if known and product not in self.booster_products:
            failed.append(("booster_product", _("%(product)s is not used as a booster (%(products)s are).") % {
                "product": product_name(product),
                "products": ", ".join(product_name(p) for p in self.booster_products)}))
        if group is None:  # age unknown or too young: reported above, the age rules decide nothing more here
            return
        min_days, _key = self.booster_rule(series, group)
        if min_days is None:
            failed.append(("no_rule", _("No rule for booster %(number)s at ages %(ages)s is in force on %(date)s.")
                           % {"number": number, "ages": self.ages_label(group), "date": _dmy(on)}))
            return
        reference = series.post[-1] if series.post else series.primary[-1]
        allowed = reference.day + timedelta(days=min_days)
        if on < allowed:
            timing.append(allowed)
            failed.append(("too_early", _(
                "Booster too early: %(days)s days after the dose of %(previous_date)s are needed; "
                "allowed from %(date)s.") % {
                "days": min_days, "previous_date": _dmy(reference.day), "date": _dmy(allowed)}))

    # ---- due dates -----------------------------------------------------------------------------------

    def due_date(self, candidate: Candidate) -> tuple[date | None, str]:
        """When the next dose is due under the rules in force on `on`, and the policy key that sets the day
        (the latest of the rules that apply wins). A date before `on` means overdue. None with a code
        instead of a key: "series_complete", "no_rule", "age_unknown", "unknown_history"."""
        age = self.age(candidate)
        if self.age_groups is None:
            return None, "no_rule"
        if age is None:
            return None, "age_unknown"
        series = self.series(self.history(candidate))
        if series.unknown is not None:
            return None, "unknown_history"
        # The group of today; a teen turning 18 before the day follows the adult rule then (check() decides).
        group = self.group_of(max(age.youngest, self.min_age))
        # The day they entered their age group (too young: the day they reach the youngest group). An adult
        # without any dose is due since the 18th birthday: overdue, which is what the reminder lists need.
        low = self.age_groups[group][0] if group else self.min_age
        due: list[tuple[date, str]] = [(_add_years(age.born, low), "vaccination.age_groups")]
        if not series.complete:
            if group == "child" and self.child_products is None:
                return None, "no_rule"
            if series.primary:
                previous = series.primary[-1]
                min_days, key = self.min_interval(previous.product)
                due.append((previous.day + timedelta(days=min_days), key))
        else:
            if len(series.post) >= BOOSTERS_IN_RULES:
                return None, "series_complete"
            min_days, key = self.booster_rule(series, group)
            if min_days is None:
                return None, "no_rule"
            reference = series.post[-1] if series.post else series.primary[-1]
            due.append((reference.day + timedelta(days=min_days), key))
        infected = candidate.infected_on
        if infected is not None and infected <= self.on and self.deferral_days:
            due.append((infected + timedelta(days=self.deferral_days), "vaccination.deferral_after_infection_days"))
        # The latest constraint decides; on a tie the schedule (listed before the deferral) is named.
        return max(due, key=lambda item: item[0])


class RulesByDay(dict[date, Rules]):
    """Rules per day, built on first use: an import of historical doses judges each by its own date."""

    def __init__(self, *, shortened_astrazeneca: bool = False):
        super().__init__()
        self.shortened_astrazeneca = shortened_astrazeneca

    def __missing__(self, on: date) -> Rules:
        rules = self[on] = Rules(on, shortened_astrazeneca=self.shortened_astrazeneca)
        return rules


def check(candidate: Candidate, *, product: str, on: date, shortened_astrazeneca: bool = False) -> Verdict:
    return Rules(on, shortened_astrazeneca=shortened_astrazeneca).check(candidate, product)


def due_date(candidate: Candidate, *, on: date, shortened_astrazeneca: bool = False) -> tuple[date | None, str]:
    return Rules(on, shortened_astrazeneca=shortened_astrazeneca).due_date(candidate)
