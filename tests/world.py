"""A small province for tests: three communes of Lai Châu (home, a neighbour, an unrelated ward),
organizations of each kind in each, and one named user per role and commune.

Organization and account names carry a marker (`<commune key>-<kind>`) so tests can tell whose
data a page shows without trusting the code under test."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache

from django.contrib.auth.hashers import make_password

from epicommand.core.models import Job, Organization, Place, User
from epicommand.core.roles import Role
from epicommand.core.text import fold

PASSWORD = "Mật-khẩu-thử-2026"
COMMUNES = {"home": "Mường Tè", "neighbour": "Bum Tở", "unrelated": "Đoàn Kết"}
K = Organization.Kind
ORG_FOR_ROLE = {
    Role.COMMUNE_STATION: K.COMMUNE_STATION,
    Role.MOBILE_STATION: K.MOBILE_STATION,
    Role.FACILITY: K.TREATMENT_FACILITY,
    Role.VACCINATION_SITE: K.VACCINATION_SITE,
    Role.CHECKPOINT: K.CHECKPOINT,
    Role.ESTABLISHMENT: K.SCHOOL,
    Role.DEPARTMENT: K.AGENCY,
}
COMMUNE_ROLES = (Role.COMMUNE_STATION, Role.MOBILE_STATION)
PROVINCE_ROLES = (Role.COMMAND, Role.HEALTH_OFFICER)


@dataclass
class World:
    province: Place
    communes: dict[str, Place] = field(default_factory=dict)
    orgs: dict[tuple[str, str], Organization] = field(default_factory=dict)  # (commune key, kind)
    users: dict[tuple[str, str], User] = field(default_factory=dict)  # (commune key or "province", role)
    jobs: dict[str, Job] = field(default_factory=dict)

    def user(self, role: str, where: str = "home") -> User:
        return self.users[("province", role) if role in PROVINCE_ROLES else (where, role)]

    def org(self, kind: str, where: str = "home") -> Organization:
        return self.orgs[(where, kind)]

    def all_users(self):
        return list(self.users.items())


@cache
def password_hash() -> str:
    # Argon2 is slow on purpose; hash the shared test password once per run.
    return make_password(PASSWORD)


def make_user(username: str, role: str, *, place: Place | None = None, org: Organization | None = None) -> User:
    return User.objects.create(username=username, role=role, place=place, organization=org,
                               full_name=f"USER {username}", password=password_hash())


def build_world() -> World:
    province = Place.objects.get(structure="current", level="province", code="12")
    world = World(province=province)
    for key, short in COMMUNES.items():
        world.communes[key] = commune = Place.objects.get(parent=province, short_name=short)
        for kind in set(ORG_FOR_ROLE.values()):
            name = f"ORG {key}-{kind}"
            tier = 1 if kind == K.TREATMENT_FACILITY else None
            world.orgs[(key, kind)] = Organization.objects.create(
                name=name, name_folded=fold(name), kind=kind, place=commune, tier=tier
            )
        for role, kind in ORG_FOR_ROLE.items():
            place = commune if role in COMMUNE_ROLES else None
            world.users[(key, role)] = make_user(f"{key}.{role}", role, place=place, org=world.orgs[(key, kind)])
        world.jobs[key] = Job.objects.create(
            kind="test", title=f"JOB {key}", place=commune, organization=world.orgs[(key, K.COMMUNE_STATION)],
            created_by=world.users[(key, Role.COMMUNE_STATION)],
        )
    for role in PROVINCE_ROLES:
        world.users[("province", role)] = make_user(f"province.{role}", role, place=province)
    return world
