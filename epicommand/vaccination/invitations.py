"""A session's invitation list: the people of the site's area who are due or overdue on the session day.

Who is on it (decisions written down in docs/architecture.md):
- The area is the site's commune. A mobile site at a village invites that village only (the rest of the
  commune goes to its fixed site); any other site that names a village lists that village first.
- Due: a vaccination status whose next dose is due on or before the session day (overdue included).
- Never vaccinated (no status row): people whose age on the session day falls in the campaign's target
  age groups, or in any age group vaccinated under the rules of that day when the session has no campaign.
  Age follows the eligibility rules: with only a birth year a person is taken to be born on 31 December.
- A campaign's session invites the campaign's targets only: its age groups (as on the session day) and,
  when set, its priority groups apply to the due people too.
- Order: the named village first, then priority groups (Resolution 21's order, then the earlier plan's),
  then the longest overdue first (never-vaccinated people are due since they entered their age group),
  then by name. No cap: the list holds everyone, paged on screen, whole in the export and on paper.

People come only through the jurisdiction module: the register the user sees, or, for a vaccination
site's staff, the people it serves (served_to)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import Q, QuerySet

from epicommand.core.jurisdiction import can, served_to, visible_to
from epicommand.core.models import User
from epicommand.core.roles import Cap
from epicommand.core.text import fold
from epicommand.people.models import Person

from .campaign_services import priority_order
from .eligibility import Candidate, Rules
from .models import Session, Site

UNRANKED = 10_000


@dataclass(frozen=True)
class Invitee:
    person_id: int
    due: date | None        # the day the next dose became due
    vaccinated: bool        # has doses already (False: never vaccinated)
    in_village: bool        # lives in the village the site names

    def overdue_days(self, on: date) -> int:
        return max((on - self.due).days, 0) if self.due else 0


def people_for(user: User) -> QuerySet[Person]:
    """The register rows the user may list: what they see, or for site staff the people they serve."""
    base = Person.objects.filter(merged_into__isnull=True)
    return visible_to(user, base) if can(user, Cap.PEOPLE_VIEW) else served_to(user, base)


def target_groups(session: Session, rules: Rules) -> list[str]:
    """Age groups invited: the campaign's, or every group vaccinated under the rules of the day."""
    groups = list(rules.age_groups or {})
    if session.campaign_id and session.campaign.age_groups:
        groups = [g for g in session.campaign.age_groups if g in groups]
    if "child" in groups and rules.child_products is None:
        groups.remove("child")  # children are not vaccinated before their rule is in force
    return groups


def invitees(user: User, session: Session) -> list[Invitee]:
    """Everyone invited to the session, in the order of the list."""
    site: Site = session.site
    on = session.date
    rules = Rules(on)
    groups = target_groups(session, rules)
    campaign = session.campaign if session.campaign_id else None
    priorities = list(campaign.priority_groups) if campaign and campaign.priority_groups else []
    qs = people_for(user).filter(commune_id=site.commune_id).filter(
        Q(vaccination_status__next_due__lte=on) | Q(vaccination_status__isnull=True))
    if priorities:
        qs = qs.filter(priority_group__in=priorities)
    village = fold(site.village) if site.village else ""
    only_village = site.kind == Site.Kind.VILLAGE and bool(village)
    rows = qs.values_list("id", "name_folded", "birth_date", "birth_year", "priority_group", "village",
                          "vaccination_status__person_id", "vaccination_status__next_due")
    ranks = priority_order(on)
    found: list[tuple[tuple, Invitee]] = []
    folded_villages: dict[str, str] = {}
    for pk, name, birth_date, birth_year, priority, person_village, status, next_due in rows.iterator(
            chunk_size=5000):
        in_village = False
        if village:
            key = folded_villages.get(person_village)
            if key is None:
                key = folded_villages[person_village] = fold(person_village or "")
            in_village = key == village
            if only_village and not in_village:
                continue
        candidate = Candidate(birth_date=birth_date, birth_year=birth_year, doses=())
        age = rules.age(candidate)
        group = rules.group_of(age.youngest) if age else None
        vaccinated = status is not None
        if vaccinated:
            # Due people are invited whatever their group without a campaign: the due date already follows
            # the rules of their age. A campaign invites its own age groups only.
            if campaign and campaign.age_groups and group not in groups:
                continue
            due = next_due
        else:
            if group not in groups:
                continue
            due, _key = rules.due_date(candidate)
        invitee = Invitee(pk, due, vaccinated, in_village)
        order = (0 if in_village or not village else 1, ranks.get(priority, UNRANKED) if priority else UNRANKED + 1,
                 due or on, name, pk)
        found.append((order, invitee))
    found.sort(key=lambda item: item[0])
    return [invitee for _order, invitee in found]


def people_of(user: User, page: list[Invitee]) -> list[tuple[Invitee, Person]]:
    """The people of a slice of the list, in its order, with their vaccination status."""
    by_id = {p.pk: p for p in people_for(user).filter(pk__in=[i.person_id for i in page]).select_related(
        "vaccination_status", "commune")}
    return [(i, by_id[i.person_id]) for i in page if i.person_id in by_id]
