"""Monitoring entries through the import pipeline: warnings evaluated in bulk, alerts and SMS for live
entries, home-care rows updated, idempotent on a second run, other communes' cases not found."""

from __future__ import annotations

import csv
from datetime import timedelta
from pathlib import Path

from django.utils import timezone

from epicommand.cases.models import Alert, HomeCare, Observation, WorkerLoad
from epicommand.core.models import AuditEvent
from epicommand.core.roles import Role
from epicommand.imports import services
from epicommand.imports.models import ImportRun
from epicommand.notify.models import Message

from . import home_helpers as h

HEADERS = ["Mã ca bệnh", "Thời gian đo", "Nhịp thở", "Mạch", "Nhiệt độ", "SpO2", "HA tâm thu", "HA tâm trương",
           "Triệu chứng"]


def _file(path: Path, rows: list[list]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADERS)
        writer.writerows(rows)
    return path


def _run(world, path: Path, role=Role.MOBILE_STATION, where="home", dry_run=False) -> ImportRun:
    actor = world.user(role, where)
    with path.open("rb") as handle:
        run = services.create_run(actor=actor, spec_name="home_observations", file=handle, original_name=path.name)
    run.dry_run = dry_run
    run.save()
    services.execute(run)
    run.refresh_from_db()
    return run


def _moment(hours_ago: float) -> str:
    return (timezone.localtime() - timedelta(hours=hours_ago)).strftime("%d/%m/%Y %H:%M")


def test_import_evaluates_warnings_raises_alerts_and_is_idempotent(world, tmp_path):
    warned, calm, child = h.at_home(world), h.at_home(world), h.at_home(world, age=3)
    foreign = h.at_home(world, "neighbour")
    rows = [
        [warned.case.code, _moment(30), "18", "80", "37", "95", "", "", ""],          # history: no alert
        [warned.case.code, _moment(1), "18", "80", "37,5", "94", "120", "80", "ho, đau ngực"],  # live: alert
        [calm.case.code, _moment(2), "16", "76", "36.8", "98", "", "", "sốt"],
        [child.case.code, _moment(2), "35", "110", "", "98", "", "", ""],              # a child's 35 is fine
        [foreign.case.code, _moment(1), "16", "80", "", "98", "", "", ""],             # not the importer's
        [calm.case.code, _moment(2), "16", "76", "36.8", "98", "", "", ""],            # repeat in the file
        ["NO SUCH CASE", _moment(1), "16", "", "", "98", "", "", ""],
        [calm.case.code, "not a date", "16", "", "", "98", "", "", ""],
        [calm.case.code, _moment(3), "16", "", "", "101", "", "", ""],                 # impossible SpO2
    ]
    messages_before = Message.objects.filter(kind="home_care.alert").count()
    run = _run(world, _file(tmp_path / "entries.csv", rows))
    assert (run.created, run.unchanged, run.rejected) == (4, 0, 5), run.__dict__
    live = Observation.objects.get(case=warned.case, source="import", spo2=94)
    assert live.warnings == ["spo2", "symptom:chest_pain"] and live.urgency == 3 and str(live.temperature) == "37.5"
    history = Observation.objects.get(case=warned.case, source="import", spo2=95)
    assert history.warnings == ["spo2"]
    alerts = Alert.objects.filter(home_care=warned)
    assert alerts.count() == 1 and alerts.get().observation == live and alerts.get().message is not None
    assert Message.objects.filter(kind="home_care.alert").count() == messages_before + 1
    assert Observation.objects.get(case=child.case, source="import").warnings == []
    assert not Observation.objects.filter(case=foreign.case, source="import").exists()
    warned.refresh_from_db()
    assert warned.entries == 2 and warned.urgency == 3 and warned.last_entry_at == live.taken_at
    assert WorkerLoad.objects.get(worker=warned.worker).alarming == 2
    assert AuditEvent.objects.filter(object_type="cases.Observation", object_repr__startswith="import").exists()

    again = _run(world, _file(tmp_path / "entries.csv", rows))
    assert (again.created, again.unchanged) == (0, 4)
    assert Observation.objects.filter(source="import").count() == 4 and alerts.count() == 1
    warned.refresh_from_db()
    assert warned.entries == 2


def test_a_dry_run_writes_nothing(world, tmp_path):
    home = h.at_home(world)
    run = _run(world, _file(tmp_path / "dry.csv", [[home.case.code, _moment(1), "16", "", "", "93", "", "", ""]]),
               dry_run=True)
    assert run.created == 1 and not Observation.objects.filter(source="import").exists()
    assert not Alert.objects.filter(home_care=home).exists()
    assert HomeCare.objects.get(pk=home.pk).entries == 0


def test_an_imported_entry_answers_a_no_entry_alert(world, tmp_path):
    from epicommand.cases import monitoring

    home = h.at_home(world)
    HomeCare.objects.filter(pk=home.pk).update(last_entry_at=timezone.now() - timedelta(hours=14))
    monitoring.raise_no_entry_alerts()
    _run(world, _file(tmp_path / "late.csv", [[home.case.code, _moment(0.5), "16", "", "", "98", "", "", ""]]))
    assert not Alert.objects.filter(home_care=home).exclude(status="resolved").exists()
    assert HomeCare.objects.get(pk=home.pk).urgency == 0


def _loads() -> dict:
    return {w.worker_id: (w.commune_id, w.active, w.alarming) for w in WorkerLoad.objects.all()}


def test_worker_load_kept_by_import_and_services_agrees_with_a_rebuild(world, tmp_path):
    from epicommand.cases import facts_rebuild, monitoring, worker_load

    worker_load.rebuild()
    homes = [h.at_home(world) for _ in range(3)]
    h.observe(homes[0], spo2=94)
    rows = [[homes[1].case.code, _moment(1), "16", "", "", "93", "", "", ""],
            [homes[2].case.code, _moment(1), "16", "", "", "98", "", "", ""],
            [homes[0].case.code, _moment(0.5), "16", "", "", "98", "", "", ""]]
    _run(world, _file(tmp_path / "load.csv", rows))
    monitoring.handle_alert(actor=world.user(Role.MOBILE_STATION), alert=Alert.objects.get(home_care=homes[0]),
                            action="resolve", note="ok")
    incremental = _loads()
    facts_rebuild.rebuild_worker_load()
    assert incremental == _loads()
    assert incremental[homes[0].worker_id][2] == 2  # the world's patient and the imported SpO2 93
