"""Coverage figures read from the fact tables only (CoverageDay, TargetFact, OfficialTarget): a handful of
GROUP BY queries per page, whatever the size of the register, and never a scan of doses or people.

A selection is an age group (or every vaccinated group), a priority group (or all) and an "as of" date.
Shares are of the target: the register's people of the selection, except that for a commune × age group
with an official target (statistics office, the Ministry's plan) that figure replaces the register's count.
An official target is per age group, not per priority group, so it is used only when no priority group is
chosen. People outside every vaccinated age group (too young, or no birth year) are in no selection."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db.models import Sum
from django.utils import timezone

from epicommand.core.jurisdiction import visible_to
from epicommand.core.models import Organization, Place, User
from epicommand.core.policies import PolicyMissing, policy

from .models import CoverageDay, OfficialTarget, Reminder, TargetFact
from .models.coverage import Stage

STAGES = (Stage.FIRST, Stage.PRIMARY, Stage.BOOSTER)
REGISTER, OFFICIAL, MIXED = "register", "official", "mixed"


@dataclass(frozen=True)
class Selection:
    on: date
    age_group: str = ""       # "" = every vaccinated age group
    priority_group: str = ""  # "" = everyone
    _groups: tuple[str, ...] = field(default=(), init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        found = list(age_groups(self.on))  # the policy is read once per selection, not once per query
        object.__setattr__(self, "_groups", tuple([self.age_group] if self.age_group in found else found))

    def groups(self) -> list[str]:
        return list(self._groups)


@dataclass
class Row:
    commune_id: int | None  # None: the total of the rows shown
    name: str
    target: int = 0
    source: str = REGISTER
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(STAGES, 0))
    latitude: float | None = None
    longitude: float | None = None

    def share(self, stage: str) -> float | None:
        return self.counts[stage] / self.target if self.target else None

    @property
    def first_share(self) -> float | None:
        return self.share(Stage.FIRST)

    @property
    def gap(self) -> int:
        return max(self.target - self.counts[Stage.FIRST], 0)

    def stages(self) -> list[tuple[str, int, float | None]]:
        return [(stage, self.counts[stage], self.share(stage)) for stage in STAGES]

    def percents(self) -> list[tuple[str, int, float | None]]:
        """For templates: (stage, people, percent of target)."""
        return [(stage, n, None if share is None else 100 * share) for stage, n, share in self.stages()]

    def labelled(self) -> list[tuple[str, int, float | None]]:
        """For templates: (stage's label, people, percent of target)."""
        return [(Stage(stage).label, n, pct) for stage, n, pct in self.percents()]

    @property
    def first_percent(self) -> float | None:
        share = self.first_share
        return None if share is None else 100 * share


def age_groups(on: date) -> dict[str, list[int | None]]:
    try:
        return policy("vaccination.age_groups", on) or {}
    except PolicyMissing:
        return {}


def priority_groups(on: date) -> list[str]:
    """Values of both priority lists in force (the Resolution's 9 and the Ministry's earlier 11), once each."""
    found: list[str] = []
    for key in ("vaccination.priority_groups.nq21", "vaccination.priority_groups.moh_plan_2021"):
        try:
            values = policy(key, on) or []
        except PolicyMissing:  # a list not in force yet offers nothing
            values = []
        found += [v for v in values if v not in found]
    return found


def low_threshold(on: date | None = None) -> float:
    return float(policy("vaccination.coverage.low_threshold", on or timezone.localdate()))


def _targets(user: User, sel: Selection) -> tuple[dict[int, int], dict[int, str]]:
    groups = sel.groups()
    facts = visible_to(user, TargetFact.objects.filter(age_group__in=groups))
    if sel.priority_group:
        facts = facts.filter(priority_group=sel.priority_group)
    register: dict[tuple[int, str], int] = {
        (r["commune_id"], r["age_group"]): r["n"]
        for r in facts.values("commune_id", "age_group").annotate(n=Sum("people")).order_by()}
    official: dict[tuple[int, str], int] = {}
    if not sel.priority_group:
        official = {(c, g): n for c, g, n in visible_to(user, OfficialTarget.objects.filter(age_group__in=groups))
                    .values_list("commune_id", "age_group", "people")}
    targets: dict[int, int] = {}
    sources: dict[int, set[str]] = {}
    for key in set(register) | set(official):
        commune_id = key[0]
        used = OFFICIAL if key in official else REGISTER
        targets[commune_id] = targets.get(commune_id, 0) + (official[key] if key in official else register[key])
        sources.setdefault(commune_id, set()).add(used)
    return targets, {c: (s.pop() if len(s) == 1 else MIXED) for c, s in sources.items()}


def _facts(user: User, sel: Selection):
    facts = visible_to(user, CoverageDay.objects.filter(age_group__in=sel.groups(), day__lte=sel.on))
    return facts.filter(priority_group=sel.priority_group) if sel.priority_group else facts


def rows(user: User, sel: Selection) -> list[Row]:
    """One row per commune of the user's jurisdiction that has a target or a vaccinated person, by name."""
    targets, sources = _targets(user, sel)
    counts: dict[int, dict[str, int]] = {}
    for commune_id, stage, n in (_facts(user, sel).values("commune_id", "stage").annotate(n=Sum("people"))
                                 .order_by().values_list("commune_id", "stage", "n")):
        counts.setdefault(commune_id, dict.fromkeys(STAGES, 0))[stage] = n or 0
    ids = set(targets) | set(counts)
    places = Place.objects.filter(pk__in=ids).only("id", "name", "short_name", "latitude", "longitude")
    found = [Row(commune_id=p.pk, name=p.name, target=targets.get(p.pk, 0), source=sources.get(p.pk, REGISTER),
                 counts=counts.get(p.pk, dict.fromkeys(STAGES, 0)), latitude=p.latitude, longitude=p.longitude)
             for p in places]
    return sorted(found, key=lambda r: r.name)


def total(found: list[Row], name: str) -> Row:
    row = Row(commune_id=None, name=name)
    row.target = sum(r.target for r in found)
    row.counts = {s: sum(r.counts[s] for r in found) for s in STAGES}
    sources = {r.source for r in found}
    row.source = sources.pop() if len(sources) == 1 else MIXED
    return row


def trend(user: User, sel: Selection, target: int, *, weeks: int = 104) -> list[dict]:
    """Weekly points (ending on the selection's day) of each stage's cumulative count and share of
    `target`, from the week of the first dose; at most `weeks` points."""
    per_day: dict[date, dict[str, int]] = {}
    for day, stage, n in (_facts(user, sel).values("day", "stage").annotate(n=Sum("people")).order_by("day")
                          .values_list("day", "stage", "n")):
        per_day.setdefault(day, dict.fromkeys(STAGES, 0))[stage] += n or 0
    if not per_day:
        return []
    first = min(per_day)
    ends = []
    end = sel.on
    # Back to a week before the first dose, so the line starts from nothing.
    while end >= first - timedelta(days=7) and len(ends) < weeks:
        ends.append(end)
        end -= timedelta(days=7)
    ends.reverse()
    points, running, days = [], dict.fromkeys(STAGES, 0), sorted(per_day)
    i = 0
    for end in ends:
        while i < len(days) and days[i] <= end:
            for stage in STAGES:
                running[stage] += per_day[days[i]][stage]
            i += 1
        points.append({"day": end.strftime("%d/%m/%Y"), **{
            stage: (round(100 * running[stage] / target, 1) if target else None) for stage in STAGES},
            **{f"{stage}_n": running[stage] for stage in STAGES}})
    return points


def commune_row(user: User, commune: Place, on: date | None = None) -> Row:
    """One commune's figures over every vaccinated age group (what a reminder states)."""
    sel = Selection(on=on or timezone.localdate())
    found = [r for r in rows(user, sel) if r.commune_id == commune.pk]
    return found[0] if found else Row(commune_id=commune.pk, name=commune.name)


def low(found: list[Row], *, threshold: float, bottom: int | None) -> list[Row]:
    """Communes with a target whose first-dose share is below the threshold, or the `bottom` lowest."""
    ranked = sorted((r for r in found if r.target), key=lambda r: (r.first_share, -r.gap, r.name))
    return ranked[:bottom] if bottom else [r for r in ranked if r.first_share < threshold]


def last_reminders(user: User, commune_ids: list[int]) -> dict[int, Reminder]:
    """The latest reminder of each commune (reminders are few: a handful per commune and campaign)."""
    latest: dict[int, Reminder] = {}
    for reminder in (visible_to(user, Reminder.objects.filter(commune_id__in=commune_ids))
                     .select_related("message", "sent_by").order_by("-sent_at", "-id")):
        latest.setdefault(reminder.commune_id, reminder)
    return latest


def focal_points(user: User, commune_ids: list[int]) -> dict[int, Organization]:
    """The active commune health station of each commune: where reminders go."""
    found: dict[int, Organization] = {}
    for org in (visible_to(user, Organization.objects.filter(place_id__in=commune_ids, is_active=True,
                                                            kind=Organization.Kind.COMMUNE_STATION))
                .order_by("place_id", "id")):
        found.setdefault(org.place_id, org)
    return found
