"""The warning signs of home treatment (Quyết định 261/QĐ-BYT) and the urgency they give an entry.

Rules are read once per day (`Rules.on(day)`, or `RulesByDay` for a batch spanning days) from the
`home_care.*` and `cases.severity.*` policies in force on the day the entry was taken, then applied to
as many entries as needed without another query.

Urgency scale (0–4), the order of the escalation queue:
  0  nothing to do;
  1  no entry for `home_care.no_entry_hours` (the patient may be unreachable: call);
  2  one warning sign (call the patient now, re-measure, decide on a visit);
  3  two or more warning signs, or a warning symptom (chest pain, confusion, cyanosis): visit now;
  4  a sign of severe or critical illness (SpO2 below the severe band, respiratory rate in the critical
     range): refer at once.
Warning codes are stable strings ("spo2", "rr", "pulse_high", …, "symptom:<key>") so that stored rows can be
explained in any language later (`describe`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from epicommand.core.policies import policies_in_force

URGENCY_NO_ENTRY = 1
URGENCY_ONE_SIGN = 2
URGENCY_VISIT = 3
URGENCY_REFER = 4

URGENCY_LABELS = {
    0: gettext_lazy("None"),
    URGENCY_NO_ENTRY: gettext_lazy("No entry"),
    URGENCY_ONE_SIGN: gettext_lazy("Call now"),
    URGENCY_VISIT: gettext_lazy("Visit now"),
    URGENCY_REFER: gettext_lazy("Refer at once"),
}

# The symptom checklist offered to workers and patients; the warning ones come from the policy.
SYMPTOMS = {
    "fever": gettext_lazy("Fever"),
    "cough": gettext_lazy("Cough"),
    "sore_throat": gettext_lazy("Sore throat"),
    "tiredness": gettext_lazy("Tiredness"),
    "loss_of_smell": gettext_lazy("Loss of taste or smell"),
    "diarrhoea": gettext_lazy("Diarrhoea"),
    "shortness_of_breath": gettext_lazy("Shortness of breath"),
    "chest_pain": gettext_lazy("Chest pain or tightness"),
    "confusion": gettext_lazy("Confusion, drowsiness"),
    "cyanosis": gettext_lazy("Bluish lips or face"),
}


@dataclass(frozen=True)
class Values:
    respiratory_rate: int | None = None
    pulse: int | None = None
    spo2: int | None = None
    systolic: int | None = None
    diastolic: int | None = None
    symptoms: tuple[str, ...] = ()


@dataclass(frozen=True)
class Rules:
    """The warning rules of one day."""

    spo2_at_or_below: int
    rr_adult: int
    rr_age_1_to_5: int
    rr_age_5_to_12: int
    rr_under_1: int
    pulse_above: int
    pulse_below: int
    systolic_below: int
    diastolic_below: int
    warning_symptoms: frozenset[str]
    severe_spo2_below: int | None
    critical_rr_above: int | None
    critical_rr_below: int | None
    no_entry_hours: int
    checks_per_day: int

    @classmethod
    def on(cls, day: date) -> Rules:
        home = policies_in_force("home_care.", day)
        severity = policies_in_force("cases.severity.", day)
        return cls.from_values(home, severity)

    @classmethod
    def from_values(cls, home: dict[str, Any], severity: dict[str, Any]) -> Rules:
        rr = home["home_care.rr_warning"]
        pulse = home["home_care.pulse_warning"]
        pressure = home["home_care.blood_pressure_warning"]
        severe = (severity.get("cases.severity.thresholds") or {}).get("severe", {})
        critical = severity.get("cases.severity.critical_rr") or {}
        return cls(
            spo2_at_or_below=int(home["home_care.spo2_warning"]),
            rr_adult=int(rr["adult"]), rr_age_1_to_5=int(rr["age_1_to_5"]), rr_age_5_to_12=int(rr["age_5_to_12"]),
            # The decision names no band under one year: the youngest band it names applies (infants breathe
            # faster, so this errs towards calling the worker), unless the province adds "under_1".
            rr_under_1=int(rr.get("under_1", rr["age_1_to_5"])),
            pulse_above=int(pulse["above"]), pulse_below=int(pulse["below"]),
            systolic_below=int(pressure["systolic_below"]), diastolic_below=int(pressure["diastolic_below"]),
            warning_symptoms=frozenset(home["home_care.warning_symptoms"]),
            severe_spo2_below=severe.get("spo2_below"),
            critical_rr_above=critical.get("above"), critical_rr_below=critical.get("below"),
            no_entry_hours=int(home["home_care.no_entry_hours"]),
            checks_per_day=max(int(home.get("home_care.checks_per_day", 2)), 1),
        )

    def rr_limit(self, age: int | None) -> int:
        """The respiratory rate at or above which a person of this age is warned; unknown age: adult."""
        if age is None or age >= 12:
            return self.rr_adult
        if age >= 5:
            return self.rr_age_5_to_12
        if age >= 1:
            return self.rr_age_1_to_5
        return self.rr_under_1


class RulesByDay:
    """Rules per day, each read once: for batches whose entries span several days."""

    def __init__(self) -> None:
        self._days: dict[date, Rules] = {}

    def __call__(self, day: date) -> Rules:
        rules = self._days.get(day)
        if rules is None:
            rules = self._days[day] = Rules.on(day)
        return rules


def evaluate(rules: Rules, values: Values, age: int | None) -> tuple[list[str], int]:
    """The warning codes of one entry and its urgency (0 when none)."""
    found: list[str] = []
    refer = False
    if values.spo2 is not None and values.spo2 <= rules.spo2_at_or_below:
        found.append("spo2")
        refer |= rules.severe_spo2_below is not None and values.spo2 < rules.severe_spo2_below
    rr = values.respiratory_rate
    if rr is not None:
        if rr >= rules.rr_limit(age):
            found.append("rr")
        # The critical "above" band is an adult's (children breathe faster; their warning band says enough).
        adult = age is None or age >= 12
        critical = ((adult and rules.critical_rr_above is not None and rr > rules.critical_rr_above)
                    or (rules.critical_rr_below is not None and rr < rules.critical_rr_below))
        if critical and "rr" not in found:
            found.append("rr_low")
        refer |= critical
    if values.pulse is not None:
        if values.pulse > rules.pulse_above:
            found.append("pulse_high")
        elif values.pulse < rules.pulse_below:
            found.append("pulse_low")
    if values.systolic is not None and values.systolic < rules.systolic_below:
        found.append("systolic")
    if values.diastolic is not None and values.diastolic < rules.diastolic_below:
        found.append("diastolic")
    symptoms = [s for s in values.symptoms if s in rules.warning_symptoms]
    found += [f"symptom:{s}" for s in sorted(set(symptoms))]
    if not found:
        return [], 0
    if refer:
        urgency = URGENCY_REFER
    elif symptoms or len(found) >= 2:
        urgency = URGENCY_VISIT
    else:
        urgency = URGENCY_ONE_SIGN
    return found, urgency


def describe(code: str) -> str:
    """A warning code in the reader's language."""
    if code.startswith("symptom:"):
        key = code.split(":", 1)[1]
        return str(SYMPTOMS.get(key, key))
    labels = {
        "spo2": _("Low SpO2"),
        "rr": _("Fast breathing"),
        "rr_low": _("Breathing rate in the critical range"),
        "pulse_high": _("Fast pulse"),
        "pulse_low": _("Slow pulse"),
        "systolic": _("Low systolic pressure"),
        "diastolic": _("Low diastolic pressure"),
        "no_entry": _("No entry"),
    }
    return labels.get(code, code)
