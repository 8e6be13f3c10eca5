"""Benchmark of home treatment at province scale (PostgreSQL): the escalation queue, a health worker's day list,
and the import of monitoring entries with the warning rules evaluated in bulk.

    .venv/bin/python bench/bench_home_care.py [--patients 100000] [--days 10] [--reps 30] [--entries 20000]
        [--fresh] [--skip queue,day,import]

The data set is kept between runs in the database `epicommand_bench_home` (`BENCH_PG_URL` for another server);
a `bench_marker` row names the figures it was built with, and `--fresh` (or other figures) rebuilds it. Seeding
uses bulk SQL, never the services: the places of Lai Châu, health workers of the mobile stations (one per 200
patients, spread over the communes) with their village zones, then --patients people, their cases and home-care
rows through COPY, and two monitoring entries per patient per day for --days days (100,000 × 2 × 10 =
2,000,000 observations) with `INSERT … SELECT generate_series`: about 1 % of entries carry a warning sign (open
alerts for those of the last day, resolved ones before), and 2 % of patients are 13 hours late (overdue). The
home-care rows and the worker loads are then derived as the services keep them, and the tables analysed.

a) escalation queue (`cases:escalation`) through Django's test Client as a province health officer and as the
   commune-station user of the most loaded commune: p50/p95 over --reps after 3 warm-ups (target < 300 ms).
b) a worker's day list (`cases:day_list`) as the worker with the most patients (target < 300 ms).
   Baseline for both: the login page (anonymous GET) through the same client, same run.
c) import of monitoring entries ("home_observations", the one pipeline: read, map, prepare, write in bulk) of
   --entries new entries, one per patient, taken half an hour ago, as the province officer: entries/s of the
   whole run (target ≥ 5,000/s), then the same file again (all unchanged). Baseline: a COPY of the same rows
   into a temporary copy of the observation table.
Results go to bench/results/home-care-postgres.json.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import secrets
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import pg_tools  # noqa: E402
from bench.pg_tools import load, stats  # noqa: E402

PG_SERVER = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432")
DB_NAME = "epicommand_bench_home"
VAR_DIR = Path(tempfile.gettempdir()) / "epicommand-bench-home"
PAGE_TARGET_MS = 300.0
IMPORT_TARGET = 5000.0
WARMUP = 3
PER_WORKER = 200
VILLAGES_PER_WORKER = 3


def configure() -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "epicommand.settings"
    os.environ["EPICOMMAND_VAR_DIR"] = str(VAR_DIR)
    os.environ["EPICOMMAND_DEBUG"] = "0"
    os.environ["EPICOMMAND_ALLOWED_HOSTS"] = "127.0.0.1,localhost,testserver"
    os.environ.setdefault("EPICOMMAND_PROVINCE", "12")
    os.environ["DATABASE_URL"] = f"{PG_SERVER}/{DB_NAME}"


def pg_admin(sql: str) -> None:
    pg_tools.pg_admin(PG_SERVER, sql)


def database_exists() -> bool:
    return pg_tools.database_exists(PG_SERVER, DB_NAME)


def marker() -> dict | None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE IF NOT EXISTS bench_marker (name text PRIMARY KEY, value jsonb NOT NULL)")
        cursor.execute("SELECT value FROM bench_marker WHERE name = 'home'")
        row = cursor.fetchone()
    return (json.loads(row[0]) if isinstance(row[0], str) else row[0]) if row else None


def copy_models(objects: list) -> None:
    """COPY model instances (defaults and auto_now applied as save() would) without the services."""
    from django.db import connection

    if not objects:
        return
    model = type(objects[0])
    fields = [f for f in model._meta.concrete_fields if not f.primary_key or f.remote_field is not None]
    table = connection.ops.quote_name(model._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    with connection.cursor() as cursor, cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        for obj in objects:
            copy.write_row([f.get_db_prep_save(f.pre_save(obj, True), connection) for f in fields])


# ---- the data set ----------------------------------------------------------------------------------------------

def seed(args) -> dict:
    from django.contrib.auth.hashers import make_password
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.utils import timezone

    from epicommand.cases import worker_load
    from epicommand.cases.models import Case, HomeCare, Zone
    from epicommand.core.models import Place, User
    from epicommand.core.roles import Role
    from epicommand.core.text import fold
    from epicommand.people.models import Person

    started = time.perf_counter()
    call_command("load_places", province="12", verbosity=0, stdout=open(os.devnull, "w"))  # noqa: SIM115
    communes = list(Place.objects.filter(structure="current", level="commune", path__startswith="12/").order_by("code"))
    now = timezone.now()
    today = timezone.localdate()
    unusable = make_password(None)
    workers_total = max(len(communes), args.patients // PER_WORKER)
    with transaction.atomic():
        copy_models([User(username=f"bench.worker.{i}", password=unusable, role=Role.MOBILE_STATION,
                          place=communes[i % len(communes)], full_name=f"Worker {i}", language="vi")
                     for i in range(workers_total)])
        workers = list(User.objects.filter(username__startswith="bench.worker.").order_by("id"))
        copy_models([Zone(commune_id=w.place_id, village=f"Bản {w.pk}-{v}", village_folded=fold(f"Bản {w.pk}-{v}"),
                          worker=w) for w in workers for v in range(VILLAGES_PER_WORKER)])
        zones = list(Zone.objects.order_by("id").values_list("commune_id", "village", "worker_id"))
        people = []
        for i in range(args.patients):
            commune_id, village, _worker = zones[i % len(zones)]
            name = f"Bệnh nhân {i}"
            age = 3 + (i * 7919) % 80
            people.append(Person(full_name=name, name_folded=fold(name), sex="MF"[i % 2],
                                 birth_year=today.year - age, commune_id=commune_id, village=village,
                                 phone=f"09{i:08d}"))
        copy_models(people)
        person_rows = list(Person.objects.order_by("id").values_list("id", "commune_id"))
        opened = today - timedelta(days=args.days)
        copy_models([Case(person_id=pid, code=f"F0-{pid}", commune_id=cid, basis="clinical", opened_on=opened,
                          severity="mild", tier=1, setting="home") for pid, cid in person_rows])
        cases = list(Case.objects.order_by("id").values_list("id", "person_id", "commune_id"))
        started_at = now - timedelta(days=args.days)
        copy_models([HomeCare(case_id=case_id, commune_id=cid, village=zones[i % len(zones)][1],
                              worker_id=zones[i % len(zones)][2], started_on=opened, started_at=started_at,
                              eligibility={"eligible": True, "reasons": [], "policy_on": str(opened)})
                     for i, (case_id, _pid, cid) in enumerate(cases)])
    print(f"    people, cases, home care: {time.perf_counter() - started:,.0f} s", flush=True)
    entries = args.days * 2
    with transaction.atomic(), connection.cursor() as cursor:
        # Entry k of a patient (0: the newest) is taken k half-days before now, minus a per-patient jitter of up
        # to 5 hours; 2 % of patients run 13 hours late (overdue). About 1 % of entries carry low SpO2.
        cursor.execute(f"""
            INSERT INTO cases_observation (case_id, taken_at, respiratory_rate, pulse, temperature, spo2, systolic,
                diastolic, symptoms, source, warnings, urgency, created_at)
            SELECT c.id,
                   date_trunc('minute', %(now)s::timestamptz) - k * interval '12 hours'
                       - ((c.id * 37) %% 300) * interval '1 minute'
                       - CASE WHEN c.id %% 50 = 0 THEN interval '13 hours' ELSE interval '0' END,
                   14 + (c.id + k) %% 5, 70 + (c.id * 3 + k) %% 30, 36.5 + ((c.id + k) %% 8) / 10.0,
                   CASE WHEN (c.id * 13 + k * 7) %% 100 = 0 THEN 94 ELSE 97 + (c.id + k) %% 3 END,
                   NULL, NULL, '[]'::jsonb, 'worker',
                   CASE WHEN (c.id * 13 + k * 7) %% 100 = 0 THEN '["spo2"]'::jsonb ELSE '[]'::jsonb END,
                   CASE WHEN (c.id * 13 + k * 7) %% 100 = 0 THEN 2 ELSE 0 END,
                   %(now)s
            FROM cases_case c CROSS JOIN generate_series(0, {entries - 1}) AS k
        """, {"now": now})
        observations = cursor.rowcount
        print(f"    {observations:,} observations: {time.perf_counter() - started:,.0f} s", flush=True)
        cursor.execute("""
            INSERT INTO cases_alert (case_id, home_care_id, observation_id, kind, reasons, urgency, worker_id, status,
                raised_at, handled_at, note)
            SELECT o.case_id, h.id, o.id, 'warning', o.warnings, o.urgency, h.worker_id,
                   CASE WHEN o.taken_at > %(now)s::timestamptz - interval '24 hours' THEN 'open' ELSE 'resolved' END,
                   o.taken_at,
                   CASE WHEN o.taken_at > %(now)s::timestamptz - interval '24 hours' THEN NULL ELSE o.taken_at END, ''
            FROM cases_observation o JOIN cases_homecare h ON h.case_id = o.case_id WHERE o.urgency > 0
        """, {"now": now})
        alerts = cursor.rowcount
        cursor.execute("""
            UPDATE cases_homecare h SET last_entry_at = s.last, entries = s.n, urgency = COALESCE(a.u, 0)
            FROM (SELECT case_id, max(taken_at) AS last, count(*) AS n FROM cases_observation GROUP BY case_id) s
            LEFT JOIN (SELECT case_id, max(urgency) AS u FROM cases_alert WHERE status <> 'resolved'
                       GROUP BY case_id) a ON a.case_id = s.case_id
            WHERE h.case_id = s.case_id
        """)
        worker_load.rebuild()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    info = {"patients": args.patients, "days": args.days, "workers": workers_total, "observations": observations,
            "alerts": alerts, "seeded_on": str(today), "seed_s": round(time.perf_counter() - started, 1),
            "clock": now.isoformat()}
    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO bench_marker VALUES ('home', %s) ON CONFLICT (name) DO UPDATE SET value = "
                       "EXCLUDED.value", [json.dumps(info)])
    return info


# ---- a) and b): pages ------------------------------------------------------------------------------------------

def keep_current(info: dict) -> dict:
    """Move the data set's clock to now: the home-care rows and alerts (what the pages read) shift by the time
    since the last run, so a data set seeded yesterday is not all overdue today. Observations keep their times."""
    from datetime import datetime

    from django.db import connection
    from django.utils import timezone

    now = timezone.now()
    shift = now - datetime.fromisoformat(info["clock"])
    with connection.cursor() as cursor:
        cursor.execute("UPDATE cases_homecare SET last_entry_at = last_entry_at + %s, started_at = started_at + %s",
                       [shift, shift])
        cursor.execute("UPDATE cases_alert SET raised_at = raised_at + %s, handled_at = handled_at + %s",
                       [shift, shift])
        info = {**info, "clock": now.isoformat()}
        cursor.execute("UPDATE bench_marker SET value = %s WHERE name = 'home'", [json.dumps(info)])
        # The shift (and earlier runs' imports) rewrote every home-care row, run after run: compact the two small
        # tables, as a server that autovacuums a table updated twice a day per patient keeps them.
        cursor.execute("VACUUM FULL ANALYZE cases_homecare")
        cursor.execute("VACUUM FULL ANALYZE cases_alert")
    return info


def timed_gets(client, url: str, reps: int, params: dict | None = None) -> dict:
    times = []
    for i in range(WARMUP + reps):
        begun = time.perf_counter()
        response = client.get(url, params or {})
        elapsed = (time.perf_counter() - begun) * 1000
        if response.status_code != 200:
            raise RuntimeError(f"{url} answered {response.status_code}")
        if i >= WARMUP:
            times.append(elapsed)
    return {"url": url, **stats(times), "bytes": len(response.content)}


def phase_pages(pages: list[tuple[str, object, str, dict]], reps: int) -> list[dict]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    anonymous = Client()
    rows = []
    for label, user, name, params in pages:
        client = Client()
        client.force_login(user)
        before = load()
        baseline = timed_gets(anonymous, reverse("login"), reps)
        page = timed_gets(client, reverse(name), reps, params)
        with CaptureQueriesContext(connection) as captured:
            client.get(reverse(name), params)
        slowest = sorted(captured.captured_queries, key=lambda q: -float(q["time"]))[:2]
        rows.append({"page": name, "user": label, "loadavg_1min": before, "result": page, "login_page": baseline,
                     "ratio_p50": round(page["p50"] / baseline["p50"], 1), "queries": len(captured.captured_queries),
                     "slowest_queries": [{"s": q["time"], "sql": q["sql"][:400]} for q in slowest],
                     "pass": page["p95"] < PAGE_TARGET_MS})
    return rows


# ---- c) import -------------------------------------------------------------------------------------------------

def phase_import(officer, count: int) -> dict:
    from django.db import connection
    from django.db.models import Max
    from django.utils import timezone

    from epicommand.cases.models import Alert, Case, Observation
    from epicommand.imports import services

    taken = (timezone.localtime() - timedelta(minutes=30)).replace(second=0, microsecond=0)
    earlier = Observation.objects.filter(source="import").aggregate(m=Max("taken_at"))["m"]
    if earlier is not None and earlier >= taken:  # a run within the last half hour: a fresh minute each time
        taken = timezone.localtime(earlier) + timedelta(minutes=1)
    codes = list(Case.objects.order_by("id").values_list("code", flat=True)[:count])
    path = Path(tempfile.mkdtemp(prefix="bench-home-")) / "entries.csv"
    rows = []
    for i, code in enumerate(codes):
        spo2 = 94 if i % 97 == 0 else 97 + i % 3
        rows.append([code, taken.strftime("%d/%m/%Y %H:%M"), 14 + i % 5, 70 + i % 30, f"{36.5 + (i % 8) / 10:.1f}",
                     spo2, "", "", "ho" if i % 11 == 0 else ""])
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Mã ca bệnh", "Thời gian đo", "Nhịp thở", "Mạch", "Nhiệt độ", "SpO2", "HA tâm thu",
                         "HA tâm trương", "Triệu chứng"])
        writer.writerows(rows)
    # Baseline: COPY of the same rows into a temporary copy of the observation table.
    ids = dict(Case.objects.filter(code__in=codes).values_list("code", "id"))
    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMP TABLE bench_obs (LIKE cases_observation INCLUDING DEFAULTS INCLUDING IDENTITY)")
        begun = time.perf_counter()
        with cursor.cursor.copy("COPY bench_obs (case_id, taken_at, respiratory_rate, pulse, temperature, spo2, "
                                "symptoms, source, warnings, urgency, created_at) FROM STDIN") as copy:
            for row in rows:
                copy.write_row((ids[row[0]], taken, row[2], row[3], row[4], row[5], "[]", "import", "[]", 0, taken))
        copy_s = time.perf_counter() - begun
        cursor.execute("DROP TABLE bench_obs")
    before_obs, before_alerts = Observation.objects.count(), Alert.objects.count()
    results = {}
    for label in ("first", "again"):
        with path.open("rb") as handle:
            run = services.create_run(actor=officer, spec_name="home_observations", file=handle,
                                      original_name=path.name)
        begun = time.perf_counter()
        services.execute(run)
        took = time.perf_counter() - begun
        run.refresh_from_db()
        results[label] = {"s": round(took, 2), "entries_per_s": round(count / took), "created": run.created,
                          "unchanged": run.unchanged, "rejected": run.rejected}
    first = results["first"]
    return {"entries": count, "loadavg_1min": load(), **results,
            "observations_added": Observation.objects.count() - before_obs,
            "alerts_added": Alert.objects.count() - before_alerts,
            "baseline_copy_s": round(copy_s, 2), "baseline_copy_per_s": round(count / copy_s),
            "ratio_to_copy": round(first["s"] / copy_s, 1), "pass": first["entries_per_s"] >= IMPORT_TARGET}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--patients", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=10)
    parser.add_argument("--reps", type=int, default=30)
    parser.add_argument("--entries", type=int, default=20_000)
    parser.add_argument("--fresh", action="store_true")
    parser.add_argument("--skip", default="")
    args = parser.parse_args()
    skip = {s.strip() for s in args.skip.split(",") if s.strip()}
    if args.fresh and database_exists():
        pg_admin(f'DROP DATABASE "{DB_NAME}" WITH (FORCE)')
    if not database_exists():
        pg_admin(f'CREATE DATABASE "{DB_NAME}"')
    VAR_DIR.mkdir(mode=0o700, exist_ok=True)
    configure()
    import django

    django.setup()
    from django.core.management import call_command
    from django.db.models import Count

    from epicommand.cases.models import HomeCare
    from epicommand.core.models import Place, User
    from epicommand.core.roles import Role

    call_command("migrate", verbosity=0, interactive=False)
    info = marker()
    wanted = {"patients": args.patients, "days": args.days}
    if info and {k: info.get(k) for k in wanted} != wanted:
        raise SystemExit(f"{DB_NAME} holds another data set ({info}): run with --fresh")
    print(f"EpiCommand home-treatment benchmark: {args.patients:,} patients × {args.days} days × 2 entries on "
          f"PostgreSQL ({DB_NAME}), {os.cpu_count()} CPUs, Python {platform.python_version()}", flush=True)
    if not info:
        print("  seeding…", flush=True)
        info = seed(args)
    else:
        info = keep_current(info)
    results: dict = {"setup": info, "cpus": os.cpu_count(), "python": platform.python_version(),
                     "started": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())}
    print(f"  data set: {info}", flush=True)
    province = Place.objects.get(structure="current", level="province", code="12")
    password = secrets.token_urlsafe(16)

    def account(username: str, role: str, place) -> User:
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User.objects.create_user(username=username, password=password, role=role, place=place)
        return user

    officer = account("bench.home.officer", Role.HEALTH_OFFICER, province)
    busiest = (HomeCare.objects.filter(status="active").values("commune_id").annotate(n=Count("id"))
               .order_by("-n").first())
    commune = Place.objects.get(pk=busiest["commune_id"])
    station = account(f"bench.home.station.{commune.code}", Role.COMMUNE_STATION, commune)
    worker_row = (HomeCare.objects.filter(status="active").values("worker_id").annotate(n=Count("id"))
                  .order_by("-n").first())
    worker = User.objects.get(pk=worker_row["worker_id"])
    pages = []
    if "queue" not in skip:
        pages += [("province officer", officer, "cases:escalation", {}),
                  (f"commune station ({commune.name}, {busiest['n']} patients)", station, "cases:escalation", {})]
    if "day" not in skip:
        pages += [(f"worker ({worker_row['n']} patients)", worker, "cases:day_list", {}),
                  ("commune station, one worker", station, "cases:day_list", {"worker": worker.pk})
                  if worker.place_id == commune.pk else ("province officer, one worker", officer, "cases:day_list",
                                                          {"worker": worker.pk})]
    if pages:
        print("a/b) escalation queue and day list…", flush=True)
        rows = results["pages"] = phase_pages(pages, args.reps)
        for row in rows:
            r, b = row["result"], row["login_page"]
            print(f"  {row['page']:17} {row['user']:45} p50 {r['p50']:7.1f} p95 {r['p95']:7.1f} ms "
                  f"({row['queries']} queries) | login page p50 {b['p50']:5.1f} → ratio {row['ratio_p50']}; "
                  f"{'PASS' if row['pass'] else 'FAIL'} (< {PAGE_TARGET_MS:.0f} ms); load {row['loadavg_1min']}",
                  flush=True)
    if "import" not in skip:
        print("c) import of monitoring entries…", flush=True)
        r = results["import"] = phase_import(officer, args.entries)
        print(f"  {r['entries']:,} entries: {r['first']['s']} s = {r['first']['entries_per_s']:,}/s "
              f"(created {r['first']['created']:,}, alerts {r['alerts_added']:,}); again (unchanged "
              f"{r['again']['unchanged']:,}) {r['again']['entries_per_s']:,}/s | COPY of the same rows "
              f"{r['baseline_copy_s']} s → ratio {r['ratio_to_copy']}; {'PASS' if r['pass'] else 'FAIL'} "
              f"(≥ {IMPORT_TARGET:,.0f}/s); load {r['loadavg_1min']}", flush=True)
    out = ROOT / "bench" / "results" / "home-care-postgres.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, indent=2, ensure_ascii=False, default=str))
    print(f"  results: {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
