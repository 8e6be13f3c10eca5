"""A small province for tests: three communes of Lai Châu (home, a neighbour, an unrelated ward),
organizations of each kind in each, and one named user per role and commune.

Organization and account names carry a marker (`<commune key>-<kind>`) so tests can tell whose
data a page shows without trusting the code under test."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache

from django.contrib.auth.hashers import make_password
from django.core.files.base import ContentFile

from epicommand.core.models import Job, Organization, Place, User
from epicommand.core.roles import Role
from epicommand.core.text import fold
from epicommand.imports.models import ImportRun
from epicommand.notify.models import Message
from epicommand.people.models import DuplicateCandidate, Merge, Person, ReferenceCandidate, ReferenceRecord
from epicommand.vaccination import stock
from epicommand.vaccination.models import (
    Aefi,
    AllocationLine,
    AllocationPlan,
    Certificate,
    Dispatch,
    Dose,
    Lot,
    Movement,
    Product,
    Reminder,
    Session,
    Site,
)

from .world_cases import Cases, add_cases

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
    people: dict[str, Person] = field(default_factory=dict)
    imports: dict[str, ImportRun] = field(default_factory=dict)
    # Reconciliation rows about each commune's person: a proposal, a duplicate pair, a merge.
    candidates: dict[str, ReferenceCandidate] = field(default_factory=dict)
    pairs: dict[str, DuplicateCandidate] = field(default_factory=dict)
    merges: dict[str, Merge] = field(default_factory=dict)
    messages: dict[str, Message] = field(default_factory=dict)
    vaccination: Vaccination | None = None
    cases: Cases | None = None  # testing and cases rows (tests/world_cases.py)

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
    return User.objects.create(
        username=username,
        role=role,
        place=place,
        organization=org,
        full_name=f"USER {username}",
        password=password_hash(),
    )


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
            kind="test",
            title=f"JOB {key}",
            place=commune,
            organization=world.orgs[(key, K.COMMUNE_STATION)],
            created_by=world.users[(key, Role.COMMUNE_STATION)],
        )
        # CCCD 012 (Lai Châu) + 0 (man, 1900s) + 80 (born 1980) + a number unique to the commune.
        number = list(COMMUNES).index(key) + 1
        world.people[key] = Person.objects.create(
            full_name=f"PERSON {key} An",
            name_folded=f"person {key} an",
            sex="M",
            birth_year=1980,
            birth_date=None,
            cccd=f"012080{number:06d}",
            commune=commune,
            village=f"Bản {key}",
        )
        run = ImportRun(
            spec="people",
            original_name=f"IMPORT {key}.csv",
            created_by=world.users[(key, Role.COMMUNE_STATION)],
            place=commune,
            organization=world.orgs[(key, K.COMMUNE_STATION)],
            header_row=0,
            mapping={"0": "full_name"},
        )
        run.file.save(f"{key}.csv", ContentFile("Họ và tên\nA\n".encode()), save=False)
        run.error_report.save(f"errors-{key}.xlsx", ContentFile(b"report"), save=False)
        run.save()
        world.imports[key] = run
        person = world.people[key]
        reference = ReferenceRecord.objects.create(
            cccd=f"012080{number + 10:06d}",
            full_name=person.full_name,
            name_folded=person.name_folded,
            birth_year=1980,
            sex="M",
        )
        world.candidates[key] = ReferenceCandidate.objects.create(person=person, reference=reference, probability=0.95)
        twin, merged = (
            Person.objects.create(
                full_name=f"PERSON {key} {suffix}",
                name_folded=fold(f"PERSON {key} {suffix}"),
                sex="M",
                birth_year=1980,
                commune=commune,
            )
            for suffix in ("Bis", "Ter")
        )
        world.pairs[key] = DuplicateCandidate.objects.create(first=person, second=twin, probability=0.97)
        world.merges[key] = Merge.objects.create(kept=person, merged=merged, moved=[])
        Person.objects.filter(pk=merged.pk).update(merged_into=person)
        world.messages[key] = Message.objects.create(
            channel="sms",
            to="0912000000",
            subject=f"OUTBOX {key}",
            body=f"OUTBOX {key} body",
            kind="test",
            place=commune,
            sender=world.users[(key, Role.COMMUNE_STATION)],
            status=Message.Status.DEAD,
            attempts=6,
        )
    for role in PROVINCE_ROLES:
        world.users[("province", role)] = make_user(f"province.{role}", role, place=province)
    add_vaccination(world)
    world.cases = add_cases(world)
    return world


@dataclass
class Vaccination:
    """Each commune's vaccination rows: a site run by its station and a session today there, a lot in the
    station's stock, a dose given to its person with an AEFI, a certificate, a dispatch from the provincial
    CDC, an allocation line and a reminder. Names carry the commune marker (SITE/LOT <key>)."""

    cdc: Organization
    sites: dict[str, Site] = field(default_factory=dict)
    sessions: dict[str, Session] = field(default_factory=dict)
    lots: dict[str, Lot] = field(default_factory=dict)
    doses: dict[str, Dose] = field(default_factory=dict)
    aefis: dict[str, Aefi] = field(default_factory=dict)
    certificates: dict[str, Certificate] = field(default_factory=dict)
    dispatches: dict[str, Dispatch] = field(default_factory=dict)
    plan: AllocationPlan | None = None
    lines: dict[str, AllocationLine] = field(default_factory=dict)
    reminders: dict[str, Reminder] = field(default_factory=dict)


def add_vaccination(world: World) -> None:
    from datetime import date, timedelta

    from django.utils import timezone

    cdc = Organization.objects.create(name="ORG province-cdc", name_folded="org province-cdc", kind=K.CDC,
                                      place=world.province)
    world.vaccination = v = Vaccination(cdc=cdc)
    pfizer = Product.objects.get(key="pfizer")
    today = timezone.localdate()
    v.plan = AllocationPlan.objects.create(product=pfizer, source=cdc, doses=600)
    for number, key in enumerate(COMMUNES, start=1):
        commune, station = world.communes[key], world.orgs[(key, K.COMMUNE_STATION)]
        v.sites[key] = site = Site.objects.create(name=f"SITE {key}", commune=commune, organization=station)
        v.sessions[key] = session = Session.objects.create(site=site, date=today, team=f"Team {key}")
        v.lots[key] = lot = Lot.objects.create(product=pfizer, number=f"LOT {key}", expiry=today + timedelta(days=90),
                                               doses_per_vial=6)
        stock.move(holder=station, lot=lot, doses=60, kind=Movement.Kind.RECEIPT, by=None)
        person = world.people[key]
        v.doses[key] = dose = Dose.objects.create(
            person=person, product=pfizer, lot=lot, lot_number=lot.number, given_on=today, number=1,
            session=session, site=site, organization=station, vaccinator=world.users[(key, Role.COMMUNE_STATION)])
        v.aefis[key] = Aefi.objects.create(dose=dose, symptoms=["fever"], onset=timezone.now(),
                                           severity=Aefi.Severity.MILD)
        v.certificates[key] = Certificate.objects.create(
            person=person, token=f"EC1.TEST{number}.SIGNATURE", payload={"n": "P.A.", "d": [[str(today), "PF", 1]],
                                                                      "iat": str(date.today())})
        v.dispatches[key] = Dispatch.objects.create(sender=cdc, recipient=station, lot=lot, doses=12)
        v.lines[key] = AllocationLine.objects.create(plan=v.plan, commune=commune, recipient=station, gap=100,
                                                     suggested=200, doses=200)
        v.reminders[key] = Reminder.objects.create(commune=commune, message=world.messages[key],
                                                   figures={"first": 0.5})
