"""Home-treatment rows for tests: a confirmed case with a measured patient, started at home through the
services. Names carry `HOMETEST <commune key>` so pages can be told apart."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from itertools import count

from django.utils import timezone

from epicommand.cases import home_services, monitoring
from epicommand.cases.models import Case, HomeCare, Observation
from epicommand.cases.services import open_case
from epicommand.core.roles import Role
from epicommand.core.text import fold
from epicommand.people.models import Person
from epicommand.testing.models import Kind, Result, Test

_numbers = count(1)


def person(world, where: str = "home", *, age: int = 40, village: str | None = None, phone: str | None = None,
           born: date | None = None) -> Person:
    n = next(_numbers)
    name = f"HOMETEST {where} {n}"
    today = timezone.localdate()
    return Person.objects.create(
        full_name=name, name_folded=fold(name), sex="M", birth_year=(born.year if born else today.year - age),
        birth_date=born, commune=world.communes[where], village=village if village is not None else f"Bản {where}",
        phone=phone if phone is not None else f"0987{n:06d}")


def case(world, where: str = "home", *, sampled_on: date | None = None, rr: int | None = 16, spo2: int | None = 98,
         measured_at: datetime | None = None, **person_kwargs) -> Case:
    """An open case confirmed by a PCR test sampled on `sampled_on`, with one measurement."""
    who = person(world, where, **person_kwargs)
    sampled_on = sampled_on or timezone.localdate()
    test = Test.objects.create(person=who, kind=Kind.PCR, sampled_on=sampled_on, commune=who.commune,
                               result=Result.POSITIVE, resulted_on=sampled_on)
    opened, _created = open_case(actor=None, person=who, opened_on=sampled_on, basis=Case.Basis.TEST, test=test)
    if rr is not None or spo2 is not None:
        Observation.objects.create(case=opened, taken_at=measured_at or timezone.now() - timedelta(hours=2),
                                   respiratory_rate=rr, spo2=spo2, source=Observation.Source.FACILITY)
    return opened


def at_home(world, where: str = "home", **kwargs) -> HomeCare:
    started = case(world, where, **kwargs)
    return home_services.start_home_care(actor=world.user(Role.COMMUNE_STATION, where), case=started)


def observe(home: HomeCare, *, minutes_ago: int = 5, actor=None, **values) -> Observation:
    taken = (timezone.now() - timedelta(minutes=minutes_ago)).replace(second=0, microsecond=0)
    return monitoring.record_observation(actor=actor, case=home.case, taken_at=taken,
                                         source=Observation.Source.WORKER, **values)
