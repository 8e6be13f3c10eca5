"""The escalation queue and the worker's day list: contents and order, straight from the home-care rows."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from epicommand.cases import home_queries
from epicommand.cases.models import Alert, HomeCare
from epicommand.core.roles import Role

from . import home_helpers as h


def _age_alerts(home: HomeCare, minutes: int) -> None:
    Alert.objects.filter(home_care=home).update(raised_at=timezone.now() - timedelta(minutes=minutes))


def test_queue_orders_by_urgency_then_age_of_the_alert_and_lists_the_overdue(world):
    world_home = world.cases.home_cares["home"]  # urgency 2, alert raised when the world was built
    refer = h.at_home(world)
    h.observe(refer, spo2=92)                     # urgency 4
    old_call = h.at_home(world)
    h.observe(old_call, pulse=130)                # urgency 2, older alert
    _age_alerts(old_call, 120)
    _age_alerts(world_home, 30)
    overdue = h.at_home(world)
    HomeCare.objects.filter(pk=overdue.pk).update(last_entry_at=timezone.now() - timedelta(hours=13))
    quiet = h.at_home(world)
    h.observe(quiet, spo2=98)
    queue = home_queries.page_of(home_queries.escalation_queue(world.user(Role.COMMUNE_STATION, "home"))[:10])
    assert [row.pk for row in queue] == [refer.pk, old_call.pk, world_home.pk, overdue.pk]
    assert [row.rank for row in queue] == [4, 2, 2, 1]
    assert queue[1].alert_id == Alert.objects.get(home_care=old_call).pk and queue[3].alert_id is None
    assert queue[0].case.person.full_name == refer.case.person.full_name


def test_queue_keeps_to_the_jurisdiction_and_the_chosen_commune(world):
    mine = h.at_home(world)
    h.observe(mine, spo2=94)
    theirs = h.at_home(world, "neighbour")
    h.observe(theirs, spo2=94)
    commune_rows = {row.pk for row in home_queries.escalation_queue(world.user(Role.COMMUNE_STATION, "home"))}
    assert mine.pk in commune_rows and theirs.pk not in commune_rows
    province = world.user(Role.HEALTH_OFFICER)
    assert {mine.pk, theirs.pk} <= {row.pk for row in home_queries.escalation_queue(province)}
    chosen = {row.pk for row in home_queries.escalation_queue(province, commune_id=world.communes["neighbour"].pk)}
    assert theirs.pk in chosen and mine.pk not in chosen
    assert not list(home_queries.escalation_queue(world.user(Role.FACILITY, "home")))


def test_day_list_sorts_a_workers_patients_for_the_half_day(world):
    worker = world.user(Role.MOBILE_STATION, "home")
    now = timezone.now()
    start = home_queries.half_day_start(now, 2)
    alarming = world.cases.home_cares["home"]
    done = h.at_home(world)
    h.observe(done, minutes_ago=0, spo2=98)
    due = h.at_home(world)
    HomeCare.objects.filter(pk=due.pk).update(last_entry_at=start - timedelta(minutes=1))
    overdue = h.at_home(world)
    HomeCare.objects.filter(pk=overdue.pk).update(last_entry_at=now - timedelta(hours=20))
    other_worker = h.at_home(world)
    HomeCare.objects.filter(pk=other_worker.pk).update(worker=world.user(Role.COMMUNE_STATION, "home"),
                                                       last_entry_at=None)
    lists = home_queries.day_list(worker, worker=worker, now=now)
    assert [x.pk for x in lists.alarming] == [alarming.pk]
    assert [x.pk for x in lists.overdue] == [overdue.pk]
    due_ids = [x.pk for x in lists.due]
    assert due.pk in due_ids and done.pk not in due_ids and other_worker.pk not in due_ids
    assert lists.done >= 1


def test_half_days_start_at_midnight_and_noon():
    local = timezone.localtime().replace(hour=15, minute=40)
    assert home_queries.half_day_start(local, 2).hour == 12
    assert home_queries.half_day_start(local.replace(hour=9), 2).hour == 0


def test_the_longest_silence_comes_first_whatever_the_database(world):
    """A patient who never entered anything counts from the start; NULLs do not sort by the database's habit."""
    now = timezone.now()
    entered_long_ago, never, entered_later = h.at_home(world), h.at_home(world), h.at_home(world)
    HomeCare.objects.filter(pk=entered_long_ago.pk).update(last_entry_at=now - timedelta(hours=30))
    HomeCare.objects.filter(pk=never.pk).update(last_entry_at=None, started_at=now - timedelta(hours=20))
    HomeCare.objects.filter(pk=entered_later.pk).update(last_entry_at=now - timedelta(hours=14))
    expected = [entered_long_ago.pk, never.pk, entered_later.pk]
    worker = world.user(Role.MOBILE_STATION, "home")
    assert [x.pk for x in home_queries.day_list(worker, worker=worker, now=now).overdue] == expected
    queue = home_queries.escalation_queue(world.user(Role.COMMUNE_STATION, "home"), now=now)
    assert [row.pk for row in queue if row.pk in expected] == expected
    # The sweep's alerts keep the order: the oldest alert first, the rank of the rest unchanged.
    Alert.objects.all().delete()
    HomeCare.objects.update(urgency=0)
    from epicommand.cases import monitoring
    monitoring.raise_no_entry_alerts(now=now)
    Alert.objects.filter(home_care=entered_later).update(raised_at=now - timedelta(hours=1))
    queue = home_queries.escalation_queue(world.user(Role.COMMUNE_STATION, "home"), now=now)
    assert [row.pk for row in queue if row.pk in expected] == [entered_later.pk, entered_long_ago.pk, never.pk]
