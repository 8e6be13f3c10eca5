"""The pre-vaccination screening checklist for COVID-19 vaccines (after Quyết định 5002/QĐ-BYT, 2021, and
its updates): each item, and what a "yes" suggests. The vaccinator decides; the suggestion is what the
screen preselects, and the outcome is recorded with the answers."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

PROCEED, DEFER, REFER = "proceed", "defer", "refer"
FEVER_FROM = Decimal("37.5")  # °C: a fever defers the dose


@dataclass(frozen=True)
class Item:
    key: str
    question: str | Promise
    if_yes: str  # the outcome a "yes" suggests


CHECKLIST: tuple[Item, ...] = (
    Item("anaphylaxis", _("Severe allergic reaction (anaphylaxis, grade 2 or more) to any earlier vaccine dose "
                          "or to a component of this vaccine?"), REFER),
    Item("acute_illness", _("Acute illness now (fever, infection) or a chronic disease in an acute phase?"), DEFER),
    Item("recent_covid", _("COVID-19 within the deferral period set by the rules?"), DEFER),
    Item("immunosuppressed", _("Severe immunodeficiency, late-stage cancer, or treatment that suppresses "
                               "immunity?"), REFER),
    Item("unstable_chronic", _("Chronic disease that is not stable (heart, lung, kidney, diabetes…)?"), REFER),
    Item("other_allergy", _("History of allergy to other substances (food, drugs)?"), REFER),
    Item("bleeding", _("Bleeding disorder or taking anticoagulants?"), PROCEED),
    Item("pregnant_early", _("Pregnant, under 13 weeks?"), DEFER),
)


def suggested_outcome(answers: dict[str, bool], temperature: Decimal | None = None) -> str:
    """Refer beats defer beats proceed; a fever defers."""
    suggestions = {item.if_yes for item in CHECKLIST if answers.get(item.key)}
    if temperature is not None and Decimal(temperature) >= FEVER_FROM:
        suggestions.add(DEFER)
    for outcome in (REFER, DEFER):
        if outcome in suggestions:
            return outcome
    return PROCEED
