"""The demo vaccination data: coverage in the intended ranges, realistic products and timing, a ledger that
balances, today's sessions ready, deterministic for a seed, and aggregates that agree with the doses."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, timedelta

import pytest
from django.core.management import call_command
from django.db import transaction
from django.db.models import Count, Max, Min, Sum
from django.utils import timezone

from epicommand.core import demo as core_demo
from epicommand.core.models import Organization, Place
from epicommand.people.demo import seed_population
from epicommand.people.models import Person
from epicommand.vaccination import stock, stock_reports
from epicommand.vaccination.demo import (
    CHILD_START,
    DELIVERY_VIALS,
    END,
    IN_TRANSIT_VIALS,
    SECOND,
    START,
    TEEN_START,
    age_class,
    commune_factors,
    plan,
    seed_vaccination,
)
from epicommand.vaccination.models import (
    CoverageDay,
    Dispatch,
    Dose,
    Lot,
    Movement,
    Product,
    Session,
    Stock,
    TargetFact,
    VaccinationStatus,
)
from epicommand.vaccination.services import lots_available

pytestmark = pytest.mark.django_db

ON = date(2023, 1, 10)  # coverage's age groups are taken on this day: close to the campaign's
SEED = 7


def _province() -> Place:
    return Place.objects.get(structure="current", level="province", code="12")


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    # The demo accounts' Argon2 hashing is most of a seed's time here; the accounts are not what is tested.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def seeded():
    core_demo.seed("12", "not-a-real-password-1")
    seed_population(_province(), 3000, SEED)
    return seed_vaccination(seed=SEED, on=ON)


def _shares(stage: str) -> dict[str, float]:
    targets = dict(TargetFact.objects.values_list("age_group").annotate(n=Sum("people")))
    reached = dict(CoverageDay.objects.filter(stage=stage).values_list("age_group").annotate(n=Sum("people")))
    return {group: reached.get(group, 0) / n for group, n in targets.items() if n}


def test_coverage_is_in_the_intended_ranges(seeded):
    assert seeded["doses"] > 2500 and seeded["people"] > 1200
    first, primary, booster = _shares("first"), _shares("primary"), _shares("booster")
    assert 0.80 <= first["adult"] <= 0.95, first
    assert 0.68 <= primary["adult"] <= 0.88, primary
    assert 0.35 <= booster["adult"] <= 0.55, booster
    assert primary["adult"] < first["adult"] and booster["adult"] < primary["adult"]
    # Teens and children lower than adults; children never get a booster.
    assert first["teen"] < first["adult"] and first["child"] < first["adult"]
    assert booster.get("child", 0) == 0
    # Coverage varies by commune: some are below the low-coverage threshold (70%), most are not.
    targets = dict(TargetFact.objects.filter(age_group="adult").values_list("commune_id").annotate(n=Sum("people")))
    reached = dict(CoverageDay.objects.filter(age_group="adult", stage="first").values_list("commune_id")
                   .annotate(n=Sum("people")))
    shares = [reached.get(c, 0) / n for c, n in targets.items() if n >= 20]
    assert sum(s < 0.70 for s in shares) >= 1
    assert sum(s >= 0.80 for s in shares) > len(shares) / 2


def test_products_and_timing_follow_the_campaign(seeded):
    people = {pk: (b, y) for pk, b, y in Person.objects.values_list("id", "birth_date", "birth_year")}
    history: dict[int, list[Dose]] = defaultdict(list)
    for dose in Dose.all_objects.select_related("product", "lot").order_by("person_id", "number"):
        history[dose.person_id].append(dose)
    assert history
    for person_id, doses in history.items():
        group = age_class(*people[person_id])
        assert group is not None
        assert [d.number for d in doses] == list(range(1, len(doses) + 1))
        first = doses[0]
        assert first.historical and first.undone_at is None and first.lot.product_id == first.product_id
        assert first.given_on >= {"adult": START, "teen": TEEN_START, "child": CHILD_START}[group]
        assert doses[-1].given_on <= min(END, ON - timedelta(days=1))
        keys = [d.product.key for d in doses]
        if group == "adult" and first.given_on < date(2021, 10, 1):
            assert keys[0] in ("astrazeneca", "vero_cell", "moderna")
        if group == "teen":
            assert set(keys) == {"pfizer"}
        if group == "child":
            assert len(doses) <= 2 and len(set(keys)) == 1 and keys[0] in ("pfizer", "moderna")
        if len(doses) >= 2:
            low, high = SECOND[keys[0]][1]
            assert low <= (doses[1].given_on - first.given_on).days <= high
            assert [d.kind for d in doses[:2]] == ["primary", "primary"]
        if len(doses) >= 3:
            assert doses[2].kind == "booster"
            assert (doses[2].given_on - doses[1].given_on).days >= (90 if group == "adult" else 150)


def test_the_ledger_balances_and_a_nurse_can_start_today(seeded):
    # Historical lots: received, dispatched, administered, the rest of the opened vials discarded: all at zero.
    historical_lots = set(Dose.all_objects.values_list("lot_id", flat=True))
    assert not Stock.objects.filter(lot_id__in=historical_lots).exclude(doses=0).exists()
    given = Movement.objects.filter(kind=Movement.Kind.ADMINISTERED).aggregate(n=Sum("doses"))["n"]
    assert given == -Dose.all_objects.count()
    for row in Stock.objects.all():
        ledger = Movement.objects.filter(holder=row.holder, lot=row.lot).aggregate(n=Sum("doses"))["n"]
        assert ledger == row.doses
    # The historical ledger is dated when it happened: a station's use of a lot on the day of its last dose of
    # it, the lot's arrival before its first; so today's rate of use is today's alone.
    last = {(org, lot): day for org, lot, day in Dose.all_objects.values_list("organization_id", "lot_id")
            .annotate(day=Max("given_on")).values_list("organization_id", "lot_id", "day")}
    for movement in Movement.objects.filter(lot_id__in=historical_lots, kind=Movement.Kind.ADMINISTERED):
        assert timezone.localtime(movement.at).date() == last[(movement.holder_id, movement.lot_id)]
    first = dict(Dose.all_objects.values_list("lot_id").annotate(day=Min("given_on")))
    for movement in Movement.objects.filter(lot_id__in=historical_lots, kind=Movement.Kind.RECEIPT):
        assert timezone.localtime(movement.at).date() < first[movement.lot_id]
    assert not stock_reports.use(Movement.objects.all(), timezone.localdate())  # seeded now, used long ago
    # Every station's site has an open session today and Pfizer in stock.
    pfizer = Product.objects.get(key="pfizer")
    stations = Organization.objects.filter(kind=Organization.Kind.COMMUNE_STATION, place__parent=_province())
    assert stations.count() >= 38
    for station in stations:
        assert Session.objects.filter(site__organization=station, date=ON, status=Session.Status.OPEN).count() == 1
        assert lots_available(station, pfizer, ON)
    unit = Organization.objects.get(kind=Organization.Kind.VACCINATION_SITE, place__parent=_province())
    assert Session.objects.filter(site__organization=unit, date=ON, status=Session.Status.OPEN).exists()
    # Today's delivery: the CDC holds vials to allocate, and a dispatch is on its way to every station.
    cdc = Organization.objects.get(kind=Organization.Kind.CDC, place=_province())
    delivered = Lot.objects.get(number__endswith="D", product=pfizer)
    assert stock.balance(cdc, delivered) == DELIVERY_VIALS * delivered.doses_per_vial
    on_the_way = Dispatch.objects.filter(lot=delivered, status=Dispatch.Status.SENT)
    assert sorted(on_the_way.values_list("recipient_id", flat=True)) == sorted(s.pk for s in stations)
    assert {d.doses for d in on_the_way} == {IN_TRANSIT_VIALS * delivered.doses_per_vial}
    assert not Stock.objects.filter(lot=delivered).exclude(holder=cdc).exists()  # not theirs until confirmed


def test_rebuilt_coverage_agrees_with_the_doses(seeded):
    per_person = dict(Dose.objects.values_list("person_id").annotate(n=Count("id")))
    assert VaccinationStatus.objects.count() == len(per_person) == seeded["people"]
    commune = dict(Person.objects.filter(pk__in=per_person).values_list("id", "commune_id"))
    expected: Counter = Counter()
    for person_id, n in per_person.items():
        # Every demo series has two primary doses; a third dose and beyond are boosters.
        for stage, needed in (("first", 1), ("primary", 2), ("booster", 3)):
            if n >= needed:
                expected[(commune[person_id], stage)] += 1
    facts = Counter()
    for commune_id, stage, n in CoverageDay.objects.values_list("commune_id", "stage").annotate(n=Sum("people")):
        facts[(commune_id, stage)] = n
    assert +facts == +expected
    # The targets count the whole register.
    assert TargetFact.objects.aggregate(n=Sum("people"))["n"] == Person.objects.count()


def _snapshot() -> list[tuple]:
    return list(Dose.all_objects.order_by("person_id", "number").values_list(
        "person__cccd", "person__full_name", "given_on", "product__key", "number", "kind", "lot__number",
        "site__name"))


def test_deterministic_for_a_seed_and_idempotent():
    core_demo.seed("12", "not-a-real-password-1")
    seed_population(_province(), 600, SEED)
    runs = []
    for seed in (SEED, SEED, SEED + 1):
        with transaction.atomic():
            seed_vaccination(seed=seed, on=ON)
            runs.append(_snapshot())
            transaction.set_rollback(True)
    assert runs[0] and runs[0] == runs[1]
    assert runs[2] != runs[0]
    # Seeding again adds nothing: no doses, no second session today.
    seed_vaccination(seed=SEED, on=ON)
    doses, sessions, movements = Dose.all_objects.count(), Session.objects.count(), Movement.objects.count()
    again = seed_vaccination(seed=SEED, on=ON)
    assert again["doses"] == 0 and again["sessions"] == 0
    assert (Dose.all_objects.count(), Session.objects.count(), Movement.objects.count()) == (
        doses, sessions, movements)


def test_plan_is_pure_and_seeded():
    people = [(i, 1 + i % 3, date(1950 + i % 70, 1 + i % 12, 1 + i % 28), None) for i in range(3000)]
    factors = commune_factors({1, 2, 3}, SEED)
    one = list(plan(people, seed=SEED, end=END, factors=factors))
    assert one == list(plan(people, seed=SEED, end=END, factors=factors))
    assert one != list(plan(people, seed=SEED + 1, end=END, factors=factors))
    # More doses per person when the intensity rises; nothing after the end day.
    more = list(plan(people, seed=SEED, end=END, factors=factors, intensity=1.0))
    assert len(more) > len(one) * 1.2
    cut = date(2022, 1, 1)
    assert all(d.day <= cut.toordinal() for d in plan(people, seed=SEED, end=cut, factors=factors))


def test_seed_demo_adds_vaccination_unless_told_not_to(tmp_path, settings):
    settings.VAR_DIR = tmp_path
    call_command("seed_demo", people=300, vaccination=False, stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert Person.objects.count() == 300 and not Dose.all_objects.exists()
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    doses = Dose.all_objects.count()
    assert doses > 100 and Session.objects.filter(status=Session.Status.OPEN).count() >= 38
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert Dose.all_objects.count() == doses

