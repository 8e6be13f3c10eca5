"""The sweep's targets for vaccination rows (tests/world.py add_vaccination). Each screen module's sweep
file (tests/sweep_<area>.py) maps its URL names to these; test_sweep.py merges them."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Model

from epicommand.core.models import Organization

from .world import K, World


@dataclass
class Target:
    kwargs: dict          # URL arguments
    org: Organization | None  # the organization the object belongs to (None: it belongs to an area only)
    instance: Model       # the row a request could change
    payload: dict = field(default_factory=dict)  # a VALID change, so a refusal is the code's, not the form's


def station(world: World, where: str) -> Organization:
    return world.org(K.COMMUNE_STATION, where)


def site(world: World, where: str) -> Target:
    return Target({"pk": world.vaccination.sites[where].pk}, station(world, where), world.vaccination.sites[where])


def session(world: World, where: str) -> Target:
    return Target({"pk": world.vaccination.sessions[where].pk}, station(world, where),
                  world.vaccination.sessions[where])


def dose(world: World, where: str) -> Target:
    return Target({"pk": world.vaccination.doses[where].pk}, station(world, where), world.vaccination.doses[where])


def aefi(world: World, where: str) -> Target:
    return Target({"pk": world.vaccination.aefis[where].pk}, station(world, where), world.vaccination.aefis[where])


def certificate(world: World, where: str) -> Target:
    return Target({"pk": world.vaccination.certificates[where].pk}, None, world.vaccination.certificates[where])


def person(world: World, where: str) -> Target:
    return Target({"pk": world.people[where].pk}, None, world.people[where])


def dispatch(world: World, where: str) -> Target:
    return Target({"pk": world.vaccination.dispatches[where].pk}, station(world, where),
                  world.vaccination.dispatches[where])


def allocation_line(world: World, where: str) -> Target:
    return Target({"pk": world.vaccination.lines[where].pk}, None, world.vaccination.lines[where])


def reminder(world: World, where: str) -> Target:
    return Target({"pk": world.vaccination.reminders[where].pk}, None, world.vaccination.reminders[where])


def commune(world: World, where: str) -> Target:
    """A URL about a commune (its coverage, its due list): the place row stands for it."""
    return Target({"pk": world.communes[where].pk}, None, world.communes[where])


def allocation_plan(world: World, where: str) -> Target:
    """An allocation plan whose source is the commune's station, with one line to it.

    world.vaccination.plan (source: the provincial CDC) cannot serve: holds() counts a commune role as
    holding every object of its own commune, and one plan cannot be "the home commune's" for one request
    and another commune's for the next. A plan placed at the commune (AllocationPlan is scoped by its
    source's place) gives the sweep what it needs: province roles and the commune's own roles hold it,
    every other commune and every organization role must get 404."""
    from epicommand.vaccination.models import AllocationLine, AllocationPlan

    source = station(world, where)
    plan, _created = AllocationPlan.objects.get_or_create(
        product=world.vaccination.plan.product, source=source, note=f"PLAN {where}", defaults={"doses": 60})
    line, _created = AllocationLine.objects.get_or_create(
        plan=plan, commune=world.communes[where], defaults={"recipient": source, "suggested": 6, "doses": 6})
    return Target({"pk": plan.pk}, source, plan, {"action": "dispatch", f"line-{line.pk}": "12"})


def campaign(world: World, where: str) -> Target:
    """A campaign of the commune (the world has none: made on first use). Campaigns are read by the users
    whose area they concern; among organization roles that is the vaccination site standing in the commune."""
    from epicommand.vaccination.models import Campaign

    row, _created = Campaign.objects.get_or_create(
        name=f"CAMPAIGN {where}", defaults={"area": world.communes[where], "starts_on": world.vaccination.sessions[
            where].date, "age_groups": ["adult"]})
    return Target({"pk": row.pk}, world.org(K.VACCINATION_SITE, where), row,
                  {"name": "HACKED", "area": row.area_id, "starts_on": row.starts_on.strftime("%d/%m/%Y")})
