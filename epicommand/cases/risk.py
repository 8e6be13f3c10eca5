"""Risk factors of a case, read from the person's record on a given day: age, chronic conditions, pregnancy
(the register's vulnerability policies) and vaccination status (the vaccination app's per-person status
table, `VaccinationStatus`, which the vaccination services keep current inside every dose change).

Which factors make a mild case "mild with comorbidity" (tier 2 in `cases.tier_by_severity`): age at or above
the vulnerability age, a listed chronic condition, pregnancy. Not being vaccinated is shown to the clinician
but does not move the tier on its own."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.utils.translation import gettext as _

from epicommand.core.policies import policies_in_force
from epicommand.people.models import Person
from epicommand.people.vulnerability import CONDITION_LABELS


@dataclass(frozen=True)
class Factor:
    code: str
    label: str
    raises_tier: bool


def factors(person: Person, on: date) -> list[Factor]:
    rules = policies_in_force("people.vulnerability.", on)
    found: list[Factor] = []
    age = person.age_on(on)
    min_age = rules.get("people.vulnerability.min_age", 65)
    if age is not None and age >= min_age:
        found.append(Factor("age", _("aged %(age)s (%(min)s or older)") % {"age": age, "min": min_age}, True))
    listed = set(rules.get("people.vulnerability.chronic_conditions", []))
    for condition in person.chronic_conditions or []:
        if condition in listed:
            found.append(Factor(f"chronic:{condition}", _("chronic condition: %(name)s") % {
                "name": CONDITION_LABELS.get(condition, condition)}, True))
    if person.pregnant and rules.get("people.vulnerability.pregnancy", True):
        found.append(Factor("pregnant", _("pregnant"), True))
    adult = rules.get("people.vulnerability.unvaccinated_adult_min_age", 18)
    status = vaccination_status(person)
    if age is not None and age >= adult:
        if status is None or status.doses == 0:
            found.append(Factor("unvaccinated", _("not vaccinated against COVID-19"), False))
        elif status.primary_on is None:
            found.append(Factor("partly_vaccinated", _("primary vaccination series not complete"), False))
    return found


def vaccination_status(person: Person):
    """The person's row of the vaccination app's public status table (None: no dose recorded)."""
    from epicommand.vaccination.models import VaccinationStatus

    return VaccinationStatus.objects.filter(person=person).first()


def has_comorbidity(found: list[Factor]) -> bool:
    return any(f.raises_tier for f in found)
