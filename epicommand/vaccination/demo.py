"""Deterministic synthetic vaccination data for the people already in the register (demo and benchmarks).

`seed_vaccination()` gives the demo province what a nurse and an officer expect to find:
- the provincial CDC and every commune station as stock holders (the demo organizations of core.demo),
  a fixed site per commune station (and one for the demo vaccination-site unit);
- historical doses from July 2021 to December 2022 with realistic timing and products (below), written
  with `imports.bulk.insert_rows` (COPY on PostgreSQL) and flagged `historical`, then one
  `coverage.rebuild()`;
- the lots those doses came from: received by the CDC, dispatched to the stations, administered there,
  the rest of each opened vial discarded, all through `stock.move()` (aggregated per station and lot: one
  movement per kind, not one per dose, so the ledger stays small and every balance ends at zero);
- today's open session at every site with a little current stock (Pfizer, Moderna), so a nurse can
  vaccinate as soon as `make run` is up;
- today's Pfizer delivery at the CDC: most of it waiting for an officer's allocation plan, a few vials
  already on their way to every commune station, whose staff confirm receipt.

The historical campaign, as Lai Châu lived it:
- adults (18+ in July 2021) from mid-July 2021, most first doses in autumn 2021: AstraZeneca and Vero Cell
  early, Pfizer and Moderna from October 2021; second dose after the schedule's interval (AstraZeneca
  56–84 days, sometimes completed with an mRNA vaccine, as the mixing rule allows); a booster 90–180 days
  after the series (from January 2022), mRNA or AstraZeneca;
- teens (12–17 in November 2021) from November 2021, Pfizer only; a booster 150–210 days after the series;
- children (5–11 in April 2022) from mid-April 2022, Pfizer or Moderna, the same vaccine for both doses.
Uptake by default: adults ~90% at least one dose, ~80% primary series, ~45% booster; teens and children
lower; each commune has its own factor, about one in five communes well below the others (at least one
always), so the low-coverage screens have something to show. `doses_per_person` raises uptake (and adds a
second booster for adults from July 2022) until the register gets about that many doses per person: the
benchmarks use it to reach 1.2 million doses for 500,000 people.

Deterministic: the same register (people in id order) and the same seed give the same doses, lots and
sites. Only the ledger's timestamps are the time of seeding."""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from epicommand.core import audit
from epicommand.core.models import AuditEvent, Organization, Place
from epicommand.imports.bulk import insert_rows
from epicommand.people.models import Person

from . import coverage, stock
from .models import Dispatch, Dose, DoseKind, Lot, Movement, Product, Session, Site

K = Organization.Kind

START = date(2021, 7, 15)  # the first adult doses in the province
END = date(2022, 12, 31)  # the last historical dose
TEEN_START = date(2021, 11, 1)
CHILD_START = date(2022, 4, 15)
BOOSTER_START = date(2022, 1, 5)
SECOND_BOOSTER_START = date(2022, 7, 1)
BATCH = 50_000  # dose rows per COPY / executemany
CURRENT_STOCK = {"pfizer": 120, "moderna": 60}  # doses each site's unit holds today (whole vials)
# Today's delivery from the Ministry, at the CDC: vials for an officer to allocate, and a dispatch on its way to
# each commune station for the station to confirm.
DELIVERY_VIALS, IN_TRANSIT_VIALS = 300, 10

# Short codes in lot numbers, as printed on the vials' labels.
LOT_PREFIX = {"astrazeneca": "A", "vero_cell": "2021", "pfizer": "FK", "moderna": "0"}

DOSE_FIELDS = ["person_id", "product_id", "lot_id", "lot_number", "given_on", "number", "kind", "site_id",
               "site_name", "organization_id", "override_codes", "override_reason", "historical", "off_schedule",
               "recorded_at"]


@dataclass(frozen=True)
class Uptake:
    """Shares of an age class: first dose; primary series given a first dose; booster given the series;
    second booster given a booster."""

    first: float
    primary: float
    booster: float
    second: float

    def towards(self, other: Uptake, s: float) -> Uptake:
        return Uptake(*(a + s * (b - a) for a, b in zip(
            (self.first, self.primary, self.booster, self.second),
            (other.first, other.primary, other.booster, other.second), strict=True)))


USUAL = {"adult": Uptake(0.96, 0.92, 0.63, 0.0), "teen": Uptake(0.85, 0.86, 0.35, 0.0),
         "child": Uptake(0.62, 0.80, 0.0, 0.0)}
# Where `doses_per_person` pushes uptake at most (intensity 1).
HIGHEST = {"adult": Uptake(0.995, 0.99, 0.97, 0.95), "teen": Uptake(0.99, 0.97, 0.9, 0.0),
           "child": Uptake(0.97, 0.95, 0.0, 0.0)}


@dataclass(frozen=True)
class PlannedDose:
    person_id: int
    commune_id: int
    day: int  # date ordinal
    product: str
    number: int
    kind: str


PersonRow = tuple[int, int, date | None, int | None]  # id, commune id, birth date, birth year


def _age(on: date, birth_date: date | None, birth_year: int | None) -> int | None:
    # With a year only, born on 31 December (the youngest possible), as the eligibility rules take it.
    born = birth_date or (date(birth_year, 12, 31) if birth_year else None)
    if born is None:
        return None
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def age_class(birth_date: date | None, birth_year: int | None) -> str | None:
    """The campaign that reached the person: the age on the day their group's campaign began."""
    age = _age(START, birth_date, birth_year)
    if age is None:
        return None
    if age >= 18:
        return "adult"
    # Someone turning 18 between two campaigns joins the younger one (all of them are 12+ by then).
    if _age(TEEN_START, birth_date, birth_year) >= 12:
        return "teen"
    if _age(CHILD_START, birth_date, birth_year) >= 5:
        return "child"
    return None


def commune_factors(commune_ids: Iterable[int], seed: int) -> dict[int, float]:
    """Each commune's uptake factor: about one in five well below the others, at least one always."""
    ids = sorted(set(commune_ids))
    rng = random.Random(f"communes:{seed}")
    factors = {}
    for commune_id in ids:
        low = rng.random() < 0.2
        factors[commune_id] = rng.uniform(0.6, 0.72) if low else rng.uniform(0.97, 1.03)
    if ids and min(factors.values()) > 0.8:
        factors[ids[seed % len(ids)]] = 0.66
    return factors


def _pick(rng: random.Random, choices: tuple[tuple[str, float], ...]) -> str:
    u = rng.random()
    for product, share in choices:
        u -= share
        if u < 0:
            return product
    return choices[-1][0]


def _adult_first(day: date) -> tuple[tuple[str, float], ...]:
    if day < date(2021, 10, 1):
        return (("astrazeneca", 0.5), ("vero_cell", 0.4), ("moderna", 0.1))
    if day < date(2022, 1, 1):
        return (("astrazeneca", 0.25), ("vero_cell", 0.25), ("pfizer", 0.35), ("moderna", 0.15))
    return (("pfizer", 0.6), ("moderna", 0.3), ("astrazeneca", 0.1))


# Second dose: the product (mixing as DOMAIN.md §4 allows) and the interval in days (min, max).
SECOND = {
    "astrazeneca": ((("astrazeneca", 0.7), ("pfizer", 0.2), ("moderna", 0.1)), (56, 84)),
    "vero_cell": ((("vero_cell", 1.0),), (21, 28)),
    "pfizer": ((("pfizer", 1.0),), (21, 42)),
    "moderna": ((("moderna", 1.0),), (28, 42)),
}
BOOSTERS = (("pfizer", 0.55), ("moderna", 0.3), ("astrazeneca", 0.15))


def plan(people: Iterable[PersonRow], *, seed: int, end: date, factors: dict[int, float],
         intensity: float = 0.0) -> Iterator[PlannedDose]:
    """The doses of these people (pure: no database), in person order. `end` is the last day a dose may
    fall on; `intensity` in [0, 1] moves uptake from the usual shares towards the highest."""
    rng = random.Random(f"doses:{seed}")
    uptake = {group: USUAL[group].towards(HIGHEST[group], intensity) for group in USUAL}
    last = min(end, END).toordinal()
    booster_from, second_from = BOOSTER_START.toordinal(), SECOND_BOOSTER_START.toordinal()
    starts = {"adult": (START.toordinal(), 260, 90), "teen": (TEEN_START.toordinal(), 150, 30),
              "child": (CHILD_START.toordinal(), 140, 30)}
    for person_id, commune_id, birth_date, birth_year in people:
        group = age_class(birth_date, birth_year)
        if group is None:
            continue
        u = uptake[group]
        # Rising intensity also evens out the communes (at 1 every commune reaches the highest uptake).
        factor = 1 - (1 - factors.get(commune_id, 1.0)) * (1 - intensity)
        if rng.random() >= min(0.995, u.first * factor):
            continue
        begin, spread, mode = starts[group]
        day = begin + int(rng.triangular(0, spread, mode))
        if group == "adult":
            product = _pick(rng, _adult_first(date.fromordinal(day)))
        elif group == "teen":
            product = "pfizer"
        else:
            product = _pick(rng, (("pfizer", 0.7), ("moderna", 0.3)))
        if day > last:
            continue
        doses = [(day, product, DoseKind.PRIMARY)]
        if rng.random() < min(0.995, u.primary * (0.5 + 0.5 * factor)):
            choices, (low, high) = SECOND[product]
            # Teens and children keep one vaccine for the whole series.
            second = _pick(rng, choices) if group == "adult" else product
            day += rng.randint(low, high)
            if day <= last:
                doses.append((day, second, DoseKind.PRIMARY))
                if u.booster and rng.random() < u.booster * factor:
                    low, high = (90, 180) if group == "adult" else (150, 210)
                    day = max(day + rng.randint(low, high), booster_from + rng.randint(0, 30))
                    booster = _pick(rng, BOOSTERS) if group == "adult" else "pfizer"
                    if day <= last:
                        doses.append((day, booster, DoseKind.BOOSTER))
                        if u.second and rng.random() < u.second:
                            day = max(day + rng.randint(120, 160), second_from + rng.randint(0, 30))
                            if day <= last:
                                doses.append((day, _pick(rng, (("pfizer", 0.6), ("moderna", 0.4))),
                                              DoseKind.BOOSTER))
        for number, (day, product, kind) in enumerate(doses, start=1):
            yield PlannedDose(person_id, commune_id, day, product, number, kind)


def calibrate(people: list[PersonRow], *, seed: int, end: date, factors: dict[int, float],
              doses_per_person: float, sample: int = 20_000) -> float:
    """The intensity that gives about `doses_per_person` doses per person in the register, found on an
    evenly spaced sample of it (1 when even the highest uptake falls short)."""
    if not people:
        return 0.0
    rows = people[::max(1, len(people) // sample)]

    def per_person(s: float) -> float:
        return sum(1 for _ in plan(rows, seed=seed, end=end, factors=factors, intensity=s)) / len(rows)

    if per_person(0.0) >= doses_per_person:
        return 0.0
    if per_person(1.0) <= doses_per_person:
        return 1.0
    low, high = 0.0, 1.0
    for _ in range(14):
        middle = (low + high) / 2
        low, high = (middle, high) if per_person(middle) < doses_per_person else (low, middle)
    return (low + high) / 2


# ---- the database side ---------------------------------------------------------------------------------

def _holders(province: Place) -> tuple[Organization, dict[int, Organization], list[Organization]]:
    """The CDC, each commune's station (by commune id) and the vaccination-site units of the demo."""
    cdc = Organization.objects.filter(kind=K.CDC, place=province, is_active=True).order_by("id").first()
    if cdc is None:
        raise ValueError("No provincial CDC: run the demo organizations (manage.py seed_demo) first.")
    stations: dict[int, Organization] = {}
    for org in Organization.objects.filter(kind=K.COMMUNE_STATION, is_active=True,
                                           place__parent=province).order_by("id"):
        stations.setdefault(org.place_id, org)
    units = list(Organization.objects.filter(kind=K.VACCINATION_SITE, is_active=True,
                                             place__parent=province).order_by("id"))
    return cdc, stations, units


def _site(org: Organization) -> Site:
    site = Site.objects.filter(organization=org, kind=Site.Kind.FIXED).order_by("id").first()
    if site is None:
        name = org.name if org.kind == K.VACCINATION_SITE else f"Điểm tiêm {org.name}"
        site = Site.objects.create(name=name[:150], kind=Site.Kind.FIXED, commune=org.place, organization=org)
    return site


class _Lots:
    """Lots by (product, year), created on first use with deterministic numbers. A lot a year per vaccine keeps
    the ledger small (each station × lot pair is a dispatch and four movements)."""

    def __init__(self, seed: int, products: dict[str, Product]):
        self.rng = random.Random(f"lots:{seed}")
        self.products = products
        self.found: dict[tuple[str, int], Lot] = {}

    def get(self, product: str, year: int) -> Lot:
        key = (product, year)
        lot = self.found.get(key)
        if lot is None:
            expiry = date(year, 12, 31)
            number = f"{LOT_PREFIX.get(product, product[:2].upper())}{year % 100}{self.rng.randint(10000, 99999)}"
            item = self.products[product]
            lot, _new = Lot.objects.get_or_create(
                product=item, number=number,
                defaults={"expiry": expiry + timedelta(days=180), "doses_per_vial": item.doses_per_vial,
                          "source": "COVAX"})
            self.found[key] = lot
        return lot


def seed_vaccination(*, seed: int, on: date, doses_per_person: float | None = None, province_code: str | None = None,
                     progress: Callable[[int], None] | None = None) -> dict:
    """Seed the register's vaccination history, the lots behind it, and today's sessions (see the module's
    docstring). Historical doses are written once: a register that has them keeps them, and only today's
    sessions are added. Returns what was done."""
    province = Place.objects.get(structure=Place.Structure.CURRENT, level=Place.Level.PROVINCE,
                                 code=province_code or _province_code())
    cdc, stations, units = _holders(province)
    result: dict = {"doses": 0, "people": 0, "intensity": 0.0}
    with transaction.atomic():
        sites = {org.pk: _site(org) for org in [*stations.values(), *units]}
        if not Dose.all_objects.filter(historical=True).exists():
            result.update(_history(seed=seed, on=on, doses_per_person=doses_per_person, cdc=cdc, stations=stations,
                                   sites=sites, progress=progress))
        result["sessions"] = _today(seed=seed, on=on, cdc=cdc, sites=list(sites.values()))
        result["delivery"] = _delivery(seed=seed, on=on, cdc=cdc, stations=list(stations.values()))
        result["sites"] = len(sites)
    if result["doses"]:
        result["coverage"] = coverage.rebuild(on=on)
    return result


def _province_code() -> str:
    from django.conf import settings

    return str(settings.PROVINCE_CODE).zfill(2)


def _history(*, seed: int, on: date, doses_per_person: float | None, cdc: Organization,
             stations: dict[int, Organization], sites: dict[int, Site],
             progress: Callable[[int], None] | None) -> dict:
    people: list[PersonRow] = list(
        Person.objects.filter(merged_into__isnull=True, commune_id__in=list(stations)).order_by("id")
        .values_list("id", "commune_id", "birth_date", "birth_year").iterator(chunk_size=20_000))
    factors = commune_factors(stations, seed)
    end = on - timedelta(days=1)  # today's doses are the sessions' business
    intensity = (calibrate(people, seed=seed, end=end, factors=factors, doses_per_person=doses_per_person)
                 if doses_per_person else 0.0)
    products = {p.key: p for p in Product.objects.all()}
    lots = _Lots(seed, products)
    adapt_date, adapt_time = connection.ops.adapt_datefield_value, connection.ops.adapt_datetimefield_value
    zone = timezone.get_current_timezone()
    days: dict[int, tuple] = {}  # ordinal → (date, adapted date, adapted 'recorded at', year)
    used: Counter = Counter()  # (station id, lot id) → doses given
    spans: dict[tuple[int, int], tuple[int, int]] = {}  # (station id, lot id) → first and last day given (ordinals)
    pending: list[tuple] = []
    written = vaccinated = 0
    previous = None
    for planned in plan(people, seed=seed, end=end, factors=factors, intensity=intensity):
        info = days.get(planned.day)
        if info is None:
            day = date.fromordinal(planned.day)
            recorded = adapt_time(timezone.make_aware(datetime.combine(day, time(10)), zone))
            info = days[planned.day] = (day, adapt_date(day), recorded, day.year)
        station = stations[planned.commune_id]
        site = sites[station.pk]
        lot = lots.get(planned.product, info[3])
        used[(station.pk, lot.pk)] += 1
        first, last = spans.get((station.pk, lot.pk), (planned.day, planned.day))
        spans[(station.pk, lot.pk)] = (min(first, planned.day), max(last, planned.day))
        pending.append((planned.person_id, lot.product_id, lot.pk, lot.number, info[1], planned.number,
                        planned.kind, site.pk, site.name, station.pk, "[]", "", True, "[]", info[2]))
        if planned.person_id != previous:
            vaccinated += 1
            previous = planned.person_id
        if len(pending) >= BATCH:
            insert_rows(Dose, DOSE_FIELDS, pending)
            written += len(pending)
            pending = []
            if progress:
                progress(written)
    insert_rows(Dose, DOSE_FIELDS, pending)
    written += len(pending)
    _ledger(cdc, {s.pk: s for s in stations.values()}, lots, used, spans)
    audit.record(actor=None, action=AuditEvent.Action.CREATE, object_type="vaccination.dose",
                 object_repr=f"{written} historical demo doses", reason="seed_demo",
                 changes={"doses": [None, written], "people": [None, vaccinated], "seed": [None, seed]})
    return {"doses": written, "people": vaccinated, "intensity": round(intensity, 4), "lots": len(lots.found),
            "register": len(people)}


def _ledger(cdc: Organization, stations: dict[int, Organization], lots: _Lots, used: Counter,
            spans: dict[tuple[int, int], tuple[int, int]]) -> None:
    """The stock story behind the historical doses, per lot: the CDC received what the stations needed
    in whole vials, dispatched it, the stations gave the doses and discarded the rest of the last vial.
    Each movement is dated when it happened (receipt and dispatch the day before a station's first dose of the
    lot, use and discard on its last), so the rate of use and the days of stock left read today's use only."""
    by_lot: dict[int, Lot] = {lot.pk: lot for lot in lots.found.values()}
    sent: dict[tuple[int, int], int] = {
        key: math.ceil(n / by_lot[key[1]].doses_per_vial) * by_lot[key[1]].doses_per_vial for key, n in used.items()}
    received: Counter = Counter()
    for (_station, lot_id), doses in sent.items():
        received[lot_id] += doses
    zone = timezone.get_current_timezone()

    def at(day: int, hour: int) -> datetime:
        return timezone.make_aware(datetime.combine(date.fromordinal(day), time(hour)), zone)

    dated: dict[datetime, list[int]] = {}  # when → the movements written then
    for lot_id in sorted(received):
        first = min(spans[key][0] for key in sent if key[1] == lot_id)
        receipt = stock.move(holder=cdc, lot=by_lot[lot_id], doses=received[lot_id], kind=Movement.Kind.RECEIPT,
                             by=None, note="demo")
        dated.setdefault(at(first - 1, 8), []).append(receipt.pk)
    # In the order they were sent, so each lot's balances after every movement follow one another in time.
    for station_id, lot_id in sorted(sent, key=lambda key: (spans[key][0], key)):
        station, lot, doses = stations[station_id], by_lot[lot_id], sent[(station_id, lot_id)]
        first, last = spans[(station_id, lot_id)]
        dispatch = Dispatch.objects.create(sender=cdc, recipient=station, lot=lot, doses=doses,
                                           status=Dispatch.Status.RECEIVED, received_doses=doses,
                                           received_at=at(first - 1, 15), note="demo")
        reference = f"dispatch:{dispatch.pk}"
        moved = [stock.move(holder=cdc, lot=lot, doses=-doses, kind=Movement.Kind.DISPATCH_OUT, by=None,
                            reference=reference),
                 stock.move(holder=station, lot=lot, doses=doses, kind=Movement.Kind.DISPATCH_IN, by=None,
                            reference=reference)]
        dated.setdefault(at(first - 1, 15), []).extend(m.pk for m in moved)
        given = used[(station_id, lot_id)]
        moved = [stock.move(holder=station, lot=lot, doses=-given, kind=Movement.Kind.ADMINISTERED, by=None,
                            note="historical doses")]
        if doses > given:
            moved.append(stock.move(holder=station, lot=lot, doses=given - doses, kind=Movement.Kind.WASTED, by=None,
                                    reason=Movement.Waste.OPEN_VIAL, note="historical doses"))
        dated.setdefault(at(last, 17), []).extend(m.pk for m in moved)
    for when, pks in dated.items():
        Movement.objects.filter(pk__in=pks).update(at=when)
    Dispatch.objects.filter(note="demo", status=Dispatch.Status.RECEIVED, lot__in=list(by_lot)).update(
        sent_at=F("received_at"))


def _today(*, seed: int, on: date, cdc: Organization, sites: list[Site]) -> int:
    """An open session today at every site, and current stock at each site's unit when it has none."""
    rng = random.Random(f"current:{seed}")
    opened = 0
    current: list[Lot] = []
    for key in CURRENT_STOCK:
        product = Product.objects.get(key=key)
        number = f"{LOT_PREFIX[key]}{on.year % 100}{rng.randint(10000, 99999)}"
        lot, _new = Lot.objects.get_or_create(product=product, number=number, defaults={
            "expiry": on + timedelta(days=150), "doses_per_vial": product.doses_per_vial, "source": "COVAX"})
        current.append(lot)
    for site in sites:
        _session, created = Session.objects.get_or_create(
            site=site, date=on, defaults={"status": Session.Status.OPEN, "team": "Tổ tiêm số 1"})
        opened += created
    units = list({site.organization_id: site.organization for site in sites}.values())
    for lot in current:
        doses = CURRENT_STOCK[lot.product.key]
        # Only units that never held this lot: a second run does not top them up.
        held = set(Movement.objects.filter(lot=lot).values_list("holder_id", flat=True))
        needing = [unit for unit in units if unit.pk not in held]
        if not needing:
            continue
        stock.move(holder=cdc, lot=lot, doses=doses * len(needing), kind=Movement.Kind.RECEIPT, by=None, note="demo")
        for unit in needing:
            dispatch = Dispatch.objects.create(sender=cdc, recipient=unit, lot=lot, doses=doses,
                                               status=Dispatch.Status.RECEIVED, received_doses=doses,
                                               received_at=timezone.now(), note="demo")
            reference = f"dispatch:{dispatch.pk}"
            stock.move(holder=cdc, lot=lot, doses=-doses, kind=Movement.Kind.DISPATCH_OUT, by=None,
                       reference=reference)
            stock.move(holder=unit, lot=lot, doses=doses, kind=Movement.Kind.DISPATCH_IN, by=None,
                       reference=reference)
    return opened


def _delivery(*, seed: int, on: date, cdc: Organization, stations: list[Organization]) -> int:
    """Today's Pfizer delivery, received once by the CDC: some vials sent on to every station (in transit until
    the station confirms), the rest held for allocation. Returns the doses received (0 when already there)."""
    product = Product.objects.get(key="pfizer")
    number = f"{LOT_PREFIX['pfizer']}{on.year % 100}{random.Random(f'delivery:{seed}').randint(10000, 99999)}D"
    lot, created = Lot.objects.get_or_create(product=product, number=number, defaults={
        "expiry": on + timedelta(days=180), "doses_per_vial": product.doses_per_vial, "source": "ministry"})
    if not created:
        return 0
    per_station = IN_TRANSIT_VIALS * lot.doses_per_vial
    received = DELIVERY_VIALS * lot.doses_per_vial + per_station * len(stations)
    stock.move(holder=cdc, lot=lot, doses=received, kind=Movement.Kind.RECEIPT, by=None, note="demo",
               reference="source:ministry")
    for station in stations:
        dispatch = Dispatch.objects.create(sender=cdc, recipient=station, lot=lot, doses=per_station, note="demo")
        stock.move(holder=cdc, lot=lot, doses=-per_station, kind=Movement.Kind.DISPATCH_OUT, by=None,
                   reference=f"dispatch:{dispatch.pk}")
    return received
