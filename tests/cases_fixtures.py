"""Rows the cases and facilities tests add to the test world: a tier-2 and a tier-3 facility with beds, and
new people of the home commune without a case."""

from __future__ import annotations

from dataclasses import dataclass

from epicommand.cases.models import Beds
from epicommand.core.models import Organization, User
from epicommand.core.roles import Role
from epicommand.core.text import fold
from epicommand.people.models import Person

from .world import make_user

K = Organization.Kind


@dataclass
class Tower:
    district: Organization      # tier 2, placed at the home commune
    provincial: Organization    # tier 3, placed at the province
    district_staff: User
    provincial_staff: User


def facility(world, name: str, kind: str, tier: int, place, beds: dict[str, tuple[int, int]]) -> Organization:
    org = Organization.objects.create(name=name, name_folded=fold(name), kind=kind, tier=tier, place=place)
    for bed_kind, (total, occupied) in beds.items():
        Beds.objects.create(facility=org, kind=bed_kind, total=total, occupied=occupied)
    return org


def tower(world) -> Tower:
    district = facility(world, "ORG home-district hospital", K.DISTRICT_HOSPITAL, 2, world.communes["home"],
                        {"regular": (5, 0), "oxygen": (2, 0)})
    provincial = facility(world, "ORG province hospital", K.PROVINCIAL_HOSPITAL, 3, world.province,
                          {"oxygen": (4, 0), "icu": (2, 0), "ventilator": (1, 0)})
    return Tower(district, provincial, make_user("home.district", Role.FACILITY, org=district),
                 make_user("province.hospital", Role.FACILITY, org=provincial))


def person(world, name: str, *, where: str = "home", birth_year: int = 1990, **extra) -> Person:
    return Person.objects.create(full_name=name, name_folded=fold(name), sex=extra.pop("sex", "M"),
                                 birth_year=birth_year, commune=world.communes[where], **extra)
