"""Benchmark of vaccination at province scale (PostgreSQL): rebuilding the coverage aggregates, the coverage page,
and recording doses over HTTP from a separate load process.

    .venv/bin/python bench/bench_vaccination.py [--people 500000] [--doses 1200000] [--db postgres] [--seed 1]
        [--reps 30] [--workers 4] [--clients 8 16] [--requests 3000] [--fresh] [--profile] [--skip rebuild,page,http]

The data set is kept between runs (seeding 500,000 people and 1.2 million doses takes minutes): the database
`epicommand_bench_vaccination` on the local server (`BENCH_PG_URL` for another server) holds a `bench_marker`
table naming the people, doses and seed it was built with; a run with other figures, or `--fresh`, rebuilds it
from scratch (migrate, `load_places --province 12`, `people.demo.seed_population`, the demo organizations of
`core.demo`, then `vaccination.demo.seed_vaccination` with `doses_per_person = doses / people`, and VACUUM ANALYZE).
Doses recorded by an HTTP phase are taken back at the start of the next one (`forget_earlier_runs`), so every
run vaccinates the same people.

The measurement of issue 4 (dose recording only, on a quiet machine; the data set must exist, a first run seeds
it in about five minutes):

    .venv/bin/python bench/bench_vaccination.py --skip rebuild,page --workers 4 --clients 8 16 --requests 3000

a) rebuild: `vaccination.coverage.rebuild()` wall time (target < 60 s). Baseline, in the same run: reading the
   very rows the rebuild reads (the live doses joined with their person and product, in person order) with
   `COPY (SELECT …) TO STDOUT` into nothing, and a plain `COPY vaccination_dose TO STDOUT`. Ratio = rebuild ÷
   the join read.
b) coverage page: `vaccination:coverage` through Django's test Client (rendering, session, middleware) as a
   province health officer and as a commune-station user of the most populous commune: p50/p95 over --reps
   after 3 warm-ups (target < 300 ms). Baseline: the home page for the same users.
c) dose recording over HTTP: the production server of README.md (gunicorn, `--workers`, DEBUG off) on the
   benchmark database; one vaccinator account per commune station (created), today's open session at each
   station's site (from the demo), a fresh Pfizer lot with enough doses at every station; a separate process
   (this script with `--load-worker`, stdlib sockets in threads; nothing to install) logs every account
   in through the login form, then POSTs the dose form (`vaccination:dose_new`: product, lot, outcome=proceed,
   CSRF token) for distinct adults of each account's commune: never vaccinated first, then (at the seeded
   uptake few are left) adults whose primary series is complete and who never had a booster, both eligible
   for a Pfizer dose today; --clients requests at a time. The load process shares the two cores with the
   server, so each request's bytes are written out before the clock starts and only its status line and
   Location header are read back (as a load generator such as wrk does; `http.client` cost about half a
   millisecond of CPU a request, a twentieth of what a dose may cost).
   Success is the redirect to the new dose. Reports requests/s, p50/p95/p99 latency and errors (target
   ≥ 200 req/s, p99 < 200 ms, no errors). Baseline: anonymous GETs of the login page (a template, no database
   write) through the same server and load process, same concurrency. Afterwards the doses in the database are
   counted against the successes, and the lot's stock against its ledger. The CPU each request cost is measured
   too, per phase, from /proc: gunicorn's workers and the PostgreSQL backends of the benchmark database (a dose
   POST must cost about 10 ms all in for 200 a second on two cores). On a shared machine the request rates move
   with the neighbours' load; the CPU per request, and its ratio to the login page's, much less.

Each phase prints the 1-minute load average before it, so a busy machine shows. Results go to
bench/results/vaccination-postgres.json (vaccination-postgres-<people>.json for other sizes).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import queue
import re
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from http.client import HTTPConnection
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PG_SERVER = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432")
DB_NAME = "epicommand_bench_vaccination"
VAR_DIR = Path(tempfile.gettempdir()) / "epicommand-bench-vaccination"  # secret key and certificate key
REBUILD_TARGET_S = 60.0
PAGE_TARGET_MS = 300.0
RPS_TARGET = 200.0
P99_TARGET_MS = 200.0
WARMUP = 3


def configure() -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "epicommand.settings"
    os.environ["EPICOMMAND_VAR_DIR"] = str(VAR_DIR)
    os.environ["EPICOMMAND_DEBUG"] = "0"
    os.environ["EPICOMMAND_ALLOWED_HOSTS"] = "127.0.0.1,localhost,testserver"
    os.environ.setdefault("EPICOMMAND_PROVINCE", "12")
    os.environ["DATABASE_URL"] = f"{PG_SERVER}/{DB_NAME}"
    os.environ.setdefault("EPICOMMAND_CERTIFICATE_KEY_AUTOCREATE", "1")


def pg_admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
        conn.execute(sql)


def database_exists() -> bool:
    import psycopg

    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
        return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DB_NAME]).fetchone() is not None


def stats(values: list[float]) -> dict:
    ordered = sorted(values)

    def pct(p: float) -> float:
        return round(ordered[min(len(ordered) - 1, max(0, round(p * len(ordered)) - 1))], 1)

    return {"n": len(ordered), "p50": round(statistics.median(ordered), 1), "p95": pct(0.95), "p99": pct(0.99),
            "max": round(ordered[-1], 1)}


def load() -> float:
    return round(os.getloadavg()[0], 2)


# ---- the data set ----------------------------------------------------------------------------------------------

def marker(name: str) -> dict | None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE IF NOT EXISTS bench_marker (name text PRIMARY KEY, value jsonb NOT NULL)")
        cursor.execute("SELECT value FROM bench_marker WHERE name = %s", [name])
        row = cursor.fetchone()
    return (json.loads(row[0]) if isinstance(row[0], str) else row[0]) if row else None


def set_marker(name: str, value: dict) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO bench_marker VALUES (%s, %s) ON CONFLICT (name) DO UPDATE SET value = "
                       "EXCLUDED.value", [name, json.dumps(value)])


def prepare(args, password: str) -> dict:
    """Build what is missing (or everything, when the markers disagree). Returns what the report needs."""
    from django.core.management import call_command
    from django.db import connection
    from django.db.models import Count
    from django.utils import timezone

    from epicommand.core import demo as core_demo
    from epicommand.core.models import Place
    from epicommand.people.demo import seed_population
    from epicommand.people.models import Person
    from epicommand.vaccination.demo import seed_vaccination
    from epicommand.vaccination.models import Dose

    info: dict = {}
    call_command("migrate", verbosity=0, interactive=False)
    population = marker("population")
    wanted = {"people": args.people, "seed": args.seed}
    if population and {k: population.get(k) for k in wanted} != wanted:
        raise SystemExit(f"{DB_NAME} holds another population ({population}): run with --fresh")
    if not population:
        call_command("load_places", province="12", verbosity=0, stdout=open(os.devnull, "w"))  # noqa: SIM115
        started = time.perf_counter()
        province = Place.objects.get(structure="current", level="province", code="12")
        written = seed_population(province, args.people, args.seed, progress=lambda done: (
            sys.stderr.write(f"    seeded {done:,} people, {time.perf_counter() - started:,.0f} s\n")
            if done % 100_000 == 0 else None))
        population = {**wanted, "written": written, "seed_s": round(time.perf_counter() - started, 1)}
        set_marker("population", population)
    info["population"] = population
    core_demo.seed("12", password)  # idempotent: the CDC, a station per commune, the demo accounts
    doses = marker("doses")
    wanted = {"doses": args.doses, "seed": args.seed}
    if doses and {k: doses.get(k) for k in wanted} != wanted:
        raise SystemExit(f"{DB_NAME} holds other doses ({doses}): run with --fresh")
    today = timezone.localdate()
    started = time.perf_counter()
    done = seed_vaccination(seed=args.seed, on=today, doses_per_person=args.doses / args.people,
                            progress=lambda n: sys.stderr.write(f"    {n:,} doses, "
                                                                f"{time.perf_counter() - started:,.0f} s\n"))
    if not doses:
        doses = {**wanted, "written": done["doses"], "people_vaccinated": done["people"],
                 "intensity": done["intensity"], "seed_s": round(time.perf_counter() - started, 1),
                 "on": str(today)}
        set_marker("doses", doses)
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    info["doses"] = doses
    info["doses_in_table"] = Dose.all_objects.count()
    info["people_in_table"] = Person.objects.count()
    top = Person.objects.values("commune_id").annotate(n=Count("id")).order_by("-n", "commune_id").first()
    info["commune_id"], info["commune_people"] = top["commune_id"], top["n"]
    return info


# ---- a) rebuild ------------------------------------------------------------------------------------------------

REBUILD_READ = (
    "SELECT d.person_id, d.given_on, pr.key, d.kind, p.commune_id, p.birth_date, p.birth_year, p.priority_group, "
    "p.pregnant FROM vaccination_dose d JOIN people_person p ON p.id = d.person_id "
    "JOIN vaccination_product pr ON pr.id = d.product_id "
    "WHERE d.undone_at IS NULL AND p.merged_into_id IS NULL ORDER BY d.person_id, d.given_on, d.id")


def copy_out(sql: str) -> tuple[float, int]:
    """Seconds to stream `COPY (sql) TO STDOUT` to this process and drop it; bytes read."""
    from django.db import connection

    started = time.perf_counter()
    size = 0
    with connection.cursor() as cursor, cursor.cursor.copy(f"COPY ({sql}) TO STDOUT") as copy:
        for block in copy:
            size += len(block)
    return time.perf_counter() - started, size


def phase_rebuild(profile: bool) -> dict:
    from epicommand.vaccination import coverage

    before = load()
    join_s, join_bytes = copy_out(REBUILD_READ)  # also warms the cache for the rebuild
    join_s, join_bytes = copy_out(REBUILD_READ)
    table_s, table_bytes = copy_out("SELECT * FROM vaccination_dose")
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]
    started = time.perf_counter()
    cpu, server_cpu = time.process_time(), proc_cpu(backend)
    counts = coverage.rebuild()
    rebuild_s = time.perf_counter() - started
    cpu_s, server_cpu_s = time.process_time() - cpu, proc_cpu(backend) - server_cpu
    # On a busy machine wall time is mostly waiting for a CPU: the two CPU figures show the work itself.
    result = {"loadavg_1min": before, "rebuild_s": round(rebuild_s, 2), "rebuild_python_cpu_s": round(cpu_s, 2),
              "rebuild_postgres_backend_cpu_s": round(server_cpu_s, 2), "loadavg_after": load(),
              "counts": counts, "baseline_join_copy_s": round(join_s, 2), "baseline_join_mb": round(join_bytes / 1e6),
              "baseline_table_copy_s": round(table_s, 2), "baseline_table_mb": round(table_bytes / 1e6),
              "ratio_to_join_copy": round(rebuild_s / join_s, 1), "pass": rebuild_s < REBUILD_TARGET_S}
    if profile:
        import cProfile
        import io
        import pstats

        profiler = cProfile.Profile()
        profiler.enable()
        coverage.rebuild()
        profiler.disable()
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(18)
        result["profile"] = out.getvalue()
    return result


# ---- b) coverage page ------------------------------------------------------------------------------------------

def timed_gets(client, url: str, reps: int) -> dict:
    times = []
    for i in range(WARMUP + reps):
        started = time.perf_counter()
        response = client.get(url)
        elapsed = (time.perf_counter() - started) * 1000
        if response.status_code != 200:
            raise RuntimeError(f"{url} answered {response.status_code}")
        if i >= WARMUP:
            times.append(elapsed)
    return {"url": url, **stats(times), "bytes": len(response.content)}


def phase_page(users: list[tuple[str, object]], reps: int) -> list[dict]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    rows = []
    for label, user in users:
        client = Client()
        client.force_login(user)
        before = load()
        home = timed_gets(client, reverse("home"), reps)
        page = timed_gets(client, reverse("vaccination:coverage"), reps)
        with CaptureQueriesContext(connection) as captured:
            client.get(reverse("vaccination:coverage"))
        slowest = sorted(captured.captured_queries, key=lambda q: -float(q["time"]))[:3]
        rows.append({"user": label, "loadavg_1min": before, "coverage": page, "home": home,
                     "ratio_p50": round(page["p50"] / home["p50"], 1), "queries": len(captured.captured_queries),
                     "slowest_queries": [{"s": q["time"], "sql": q["sql"][:600]} for q in slowest],
                     "pass": page["p95"] < PAGE_TARGET_MS})
    return rows


# ---- c) dose recording over HTTP -------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(port: int, path: str, seconds: float = 60) -> None:
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            conn = HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", path)
            if conn.getresponse().status < 500:
                return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError("the server did not start")


def proc_cpu(pid: int) -> float:
    """CPU seconds of a process and its children still running (gunicorn's master and workers)."""
    total = 0.0
    tick = os.sysconf("SC_CLK_TCK")
    pids = [pid]
    try:
        pids += [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        pass
    for p in pids:
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
        except OSError:
            pass
    return total


def forget_earlier_runs() -> int:
    """Take back what earlier HTTP phases recorded, so that every run finds the same people due a dose without
    seeding the data set again: their doses, screenings, vial counts, ledger rows, stock and lots (all tied to
    the benchmark's own lots and accounts), then the coverage of those people restated by the service that
    restates it after any change of doses. Their audit events stay: the audit log is append-only."""
    from django.db import transaction

    from epicommand.vaccination import coverage
    from epicommand.vaccination.models import Dose, Lot, Movement, Screening, SessionLot, Stock

    lots = Lot.objects.filter(source="benchmark")
    doses = Dose.all_objects.filter(lot__in=lots)
    people = set(doses.values_list("person_id", flat=True))
    screenings = list(doses.exclude(screening=None).values_list("screening_id", flat=True))
    with transaction.atomic():
        doses._raw_delete(doses.db)  # nothing points at these doses: no certificates or AEFI in the benchmark
        Screening.objects.filter(pk__in=screenings).delete()
        for model in (SessionLot, Movement, Stock):
            model.objects.filter(lot__in=lots).delete()
        lots.delete()
        coverage.refresh_people(people)
    return len(people)


def http_setup(chief, password: str, per_station: int) -> dict:
    """Vaccinator accounts, sessions, a fresh lot with stock and the people to vaccinate, per station."""
    from django.urls import reverse
    from django.utils import timezone

    from epicommand.core.models import Organization, Place, User
    from epicommand.core.roles import Role
    from epicommand.core.services.accounts import create_account
    from epicommand.people.models import Person
    from epicommand.vaccination import stock
    from epicommand.vaccination.models import Lot, Movement, Product, Session

    today = timezone.localdate()
    province = Place.objects.get(structure="current", level="province", code="12")
    pfizer = Product.objects.get(key="pfizer")
    lot = Lot.objects.create(product=pfizer, number=f"BENCH{time.strftime('%Y%m%d%H%M%S')}",
                             expiry=today.replace(year=today.year + 1), doses_per_vial=pfizer.doses_per_vial,
                             source="benchmark")
    accounts = []
    for station in Organization.objects.filter(kind=Organization.Kind.COMMUNE_STATION, is_active=True,
                                               place__parent=province).select_related("place").order_by("id"):
        session = Session.objects.filter(site__organization=station, date=today, status__in=["planned", "open"]).first()
        if session is None:
            continue
        username = f"bench.vaccinator.{station.place.code}"
        user = User.objects.filter(username=username).first()
        if user is None:
            user = create_account(actor=chief, username=username, password=password, role=Role.COMMUNE_STATION,
                                  place=station.place, organization=station, full_name=f"Benchmark {station.name}")
        else:  # a new password each run (the harness, not the application, sets it)
            user.set_password(password)
            user.save(update_fields=["password"])
        adults = Person.objects.filter(commune=station.place, merged_into__isnull=True, pregnant=False,
                                       birth_year__lte=today.year - 19)
        people = list(adults.filter(vaccination_status__isnull=True, doses__isnull=True).order_by("id")
                      .values_list("id", flat=True)[:per_station])
        never = len(people)
        if len(people) < per_station:
            # At the benchmark's uptake few adults are left unvaccinated: the rest are adults whose primary
            # series is complete and who never had a booster (a Pfizer booster is due for all of them).
            people += list(adults.filter(vaccination_status__doses=2, vaccination_status__booster_on__isnull=True,
                                         vaccination_status__primary_on__isnull=False)
                           .exclude(doses__given_on=today).order_by("id")
                           .values_list("id", flat=True)[:per_station - len(people)])
        if not people:
            continue
        stock.move(holder=station, lot=lot, doses=len(people) + 10, kind=Movement.Kind.RECEIPT, by=None,
                   note="benchmark")
        accounts.append({"username": username, "password": password, "station": station.pk, "session": session.pk,
                         "people": people, "never_vaccinated": never,
                         "url": reverse("vaccination:dose_new", kwargs={"session_pk": session.pk, "person_pk": 0})})
    return {"lot": lot.pk, "accounts": accounts, "login": reverse("login"), "product": "pfizer"}


def start_server(workers: int, port: int) -> subprocess.Popen:
    env = {**os.environ, "EPICOMMAND_DEBUG": "0"}
    return subprocess.Popen(
        [str(ROOT / ".venv" / "bin" / "gunicorn"), "epicommand.wsgi", "--workers", str(workers), "--bind",
         f"127.0.0.1:{port}", "--timeout", "120", "--log-level", "warning"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)


def run_load(spec: dict) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(spec, f)
    try:
        out = subprocess.run([sys.executable, __file__, "--load-worker", f.name], capture_output=True, text=True,
                             timeout=3600, cwd=ROOT)
    finally:
        os.unlink(f.name)
    if out.returncode:
        raise RuntimeError(f"load process failed: {out.stderr[-3000:]}")
    return json.loads(out.stdout)


def phase_http(chief, password: str, workers: int, clients: list[int], requests: int) -> dict:
    from django.db.models import Sum

    from epicommand.vaccination.models import Dose, Movement, Stock

    forgotten = forget_earlier_runs()
    if forgotten:
        print(f"  earlier runs' doses taken back ({forgotten:,} people): the same people are due again", flush=True)
    rounds = len(clients)
    stations_hint = 30  # fewer than the stations: each gets more people than it needs
    setup = http_setup(chief, password, per_station=requests * rounds // stations_hint + 5)
    people_total = sum(len(a["people"]) for a in setup["accounts"])
    port = free_port()
    server = start_server(workers, port)
    result: dict = {"server": f"gunicorn {workers} sync workers (README.md's production command), DEBUG off",
                    "accounts": len(setup["accounts"]), "people_available": people_total,
                    "never_vaccinated": sum(a["never_vaccinated"] for a in setup["accounts"]), "rounds": []}
    try:
        wait_for(port, setup["login"])
        offset = 0
        for concurrency in clients:
            n = requests
            spec = {"port": port, "login": setup["login"], "product": setup["product"], "lot": setup["lot"],
                    "accounts": setup["accounts"], "offset": offset, "requests": n, "clients": concurrency,
                    "server_pid": server.pid, "db_name": DB_NAME}
            before = load()
            cpu = proc_cpu(server.pid)
            measured = run_load(spec)
            offset = measured["next_offset"]
            if not measured["doses"]["requests"]:
                # The rounds of one run share the people due a dose (the next run takes their doses back).
                print(f"  {concurrency:3} clients: nobody left to vaccinate for this round; ask for fewer "
                      f"--requests or rounds", flush=True)
                break
            measured["server_cpu_s"] = round(proc_cpu(server.pid) - cpu, 1)
            measured["loadavg_1min"] = before
            measured["clients"] = concurrency
            d, b = measured["doses"], measured["baseline"]
            measured["ratio_rps"] = round(d["rps"] / b["rps"], 2) if b["rps"] else None
            measured["ratio_p50"] = round(d["latency"]["p50"] / b["latency"]["p50"], 1) if b["latency"] else None
            measured["pass"] = (d["rps"] >= RPS_TARGET and d["latency"]["p99"] < P99_TARGET_MS and not d["errors"])
            result["rounds"].append(measured)
            print(f"  {concurrency:3} clients, {d['requests']} POSTs: doses {d['rps']:7.1f} req/s p50 "
                  f"{d['latency']['p50']:6.1f} p95 "
                  f"{d['latency']['p95']:6.1f} p99 {d['latency']['p99']:6.1f} ms, errors {d['errors']} | baseline "
                  f"{b['rps']:7.1f} req/s p50 {b['latency']['p50']:6.1f} p99 {b['latency']['p99']:6.1f} ms | "
                  f"server CPU {measured['server_cpu_s']} s, load {before}", flush=True)
            dc, bc = d["cpu_per_request"], b["cpu_per_request"]
            print(f"       CPU per request: dose POST {dc['server_ms']} ms gunicorn + {dc['db_ms']} ms PostgreSQL = "
                  f"{dc['all_in_ms']} ms | login page {bc['server_ms']} + {bc['db_ms']} = {bc['all_in_ms']} ms "
                  f"→ ratio {round(dc['all_in_ms'] / bc['all_in_ms'], 1) if bc['all_in_ms'] else '-'}; "
                  f"2 cores at this cost: ≤ {round(2000 / dc['all_in_ms']) if dc['all_in_ms'] else '-'} dose POSTs/s",
                  flush=True)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
        errors = server.stderr.read().decode(errors="replace") if server.stderr else ""
        result["server_stderr_tail"] = errors[-2000:]
    # The database's word: every success is one dose, and one dose less in the lot.
    ok = sum(r["doses"]["ok"] for r in result["rounds"])
    recorded = Dose.objects.filter(lot_id=setup["lot"]).count()
    received = sum(len(a["people"]) + 10 for a in setup["accounts"])
    left = Stock.objects.filter(lot_id=setup["lot"]).aggregate(n=Sum("doses"))["n"] or 0
    ledger = -(Movement.objects.filter(lot_id=setup["lot"], kind=Movement.Kind.ADMINISTERED)
               .aggregate(n=Sum("doses"))["n"] or 0)
    print(f"  {result['accounts']} vaccinator accounts, {people_total:,} people to vaccinate "
          f"({result['never_vaccinated']:,} never vaccinated, the others due a booster)", flush=True)
    result["check"] = {"successes": ok, "doses_recorded": recorded, "stock_received": received, "stock_left": left,
                       "stock_used": received - left, "administered_movements": ledger,
                       "consistent": ok == recorded == received - left == ledger}
    return result


# ---- the load process ------------------------------------------------------------------------------------------

def db_cpu(db_name: str) -> dict[int, float]:
    """CPU seconds of each PostgreSQL backend serving `db_name` on this machine (its process title names the
    database), by pid: with the server's own CPU, what one request costs all in."""
    tick = os.sysconf("SC_CLK_TCK")
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            title = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            if not title.startswith("postgres: ") or f" {db_name} " not in title:
                continue
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            found[int(entry.name)] = (int(fields[11]) + int(fields[12])) / tick
        except OSError:
            continue
    return found


def measured_cpu(spec: dict, run) -> tuple[dict, dict]:
    """Run `run()` and return its result with the CPU it cost per request, in ms: the application server
    (gunicorn's workers) and the database backends. On a shared machine wall-clock rates move with the
    neighbours' load; these move much less. Backends are sampled every quarter second while it runs: a
    worker's connection older than CONN_MAX_AGE is closed and reopened, and an ended backend's CPU is
    otherwise lost (the sample before its end is kept)."""
    first: dict[int, float] = {}
    last: dict[int, float] = {}
    done = threading.Event()

    def sample() -> None:
        for pid, cpu in db_cpu(spec["db_name"]).items():
            first.setdefault(pid, cpu)
            last[pid] = cpu

    def sampler() -> None:
        while not done.wait(0.25):
            sample()

    sample()
    known = set(first)
    server = proc_cpu(spec["server_pid"])
    thread = threading.Thread(target=sampler, daemon=True)
    thread.start()
    try:
        result = run()
    finally:
        done.set()
        thread.join()
    sample()
    server_s = proc_cpu(spec["server_pid"]) - server
    # A backend first seen during the run started during it: all its CPU is the run's.
    db_s = sum(cpu - (first[pid] if pid in known else 0.0) for pid, cpu in last.items())
    n = max(result["requests"], 1)
    return result, {"server_ms": round(server_s * 1000 / n, 2), "db_ms": round(db_s * 1000 / n, 2),
                    "all_in_ms": round((server_s + db_s) * 1000 / n, 2)}


def _header(head: bytes, name: str) -> list[str]:
    """The values of a header of an answer's head (read by _send)."""
    return [value.decode() for value in re.findall(rb"\r\n" + name.encode() + rb": ([^\r]*)", head, re.IGNORECASE)]


def _prepared(method: str, path: str, jar: dict | None = None, body: dict | None = None) -> bytes:
    """The bytes of one HTTP/1.1 request that asks the server to close the connection after its answer."""
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", "Connection: close"]
    if jar:
        lines.append("Cookie: " + "; ".join(f"{k}={v}" for k, v in jar.items()))
    data = b""
    if body is not None:
        data = urlencode(body).encode()
        lines += ["Content-Type: application/x-www-form-urlencoded", f"Content-Length: {len(data)}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + data


def _send(port: int, request: bytes) -> tuple[int, bytes, bytes]:
    """Send a prepared request and read the answer to its end (the server closes the connection): the status,
    the head and the body."""
    with socket.create_connection(("127.0.0.1", port), timeout=60) as sock:
        sock.sendall(request)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    head, _sep, body = b"".join(chunks).partition(b"\r\n\r\n")
    if not head.startswith(b"HTTP/1."):
        raise RuntimeError(f"not an HTTP answer: {head[:80]!r}")
    return int(head[9:12]), head, body


def login(port: int, path: str, username: str, password: str) -> dict:
    jar: dict = {}

    def keep_cookies(head: bytes) -> None:
        for cookie in _header(head, "Set-Cookie"):
            name, _, rest = cookie.partition("=")
            jar[name.strip()] = rest.split(";", 1)[0]

    _status, head, content = _send(port, _prepared("GET", path))
    keep_cookies(head)
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', content).group(1).decode()
    status, head, _content = _send(port, _prepared("POST", path, jar, {
        "username": username, "password": password, "csrfmiddlewaretoken": token}))
    keep_cookies(head)
    if status != 302 or "sessionid" not in jar:
        raise RuntimeError(f"login of {username} failed: {status}")
    return jar


def drive(port: int, work: list, clients: int, send) -> dict:
    """Run `send(item)` for every item, `clients` at a time; (ok, latency ms) per request."""
    todo: queue.Queue = queue.Queue()
    for item in work:
        todo.put(item)
    results: list[tuple[bool, float, str]] = []
    lock = threading.Lock()

    def worker() -> None:
        while True:
            try:
                item = todo.get_nowait()
            except queue.Empty:
                return
            started = time.perf_counter()
            try:
                ok, detail = send(item)
            except Exception as exc:  # noqa: BLE001 — a failed request is counted, never fatal
                ok, detail = False, repr(exc)
            elapsed = (time.perf_counter() - started) * 1000
            with lock:
                results.append((ok, elapsed, detail))

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - started
    errors = [d for ok, _ms, d in results if not ok]
    return {"requests": len(results), "ok": len(results) - len(errors), "errors": len(errors),
            "error_samples": errors[:5], "wall_s": round(wall, 2), "rps": round(len(results) / wall, 1),
            "latency": stats([ms for _ok, ms, _d in results]) if results else {}}


def load_worker(spec_file: str) -> None:
    spec = json.loads(Path(spec_file).read_text())
    port = spec["port"]
    jars = [login(port, spec["login"], a["username"], a["password"]) for a in spec["accounts"]]
    # Interleave the accounts: the g-th request of the whole run (rounds included) goes to account g mod N, to
    # its person number g // N, so no person is sent twice, across rounds either.
    work = []
    count = len(spec["accounts"])
    longest = max(len(a["people"]) for a in spec["accounts"])
    g = spec["offset"]
    while len(work) < spec["requests"] and g // count < longest:
        people = spec["accounts"][g % count]["people"]
        if g // count < len(people):
            work.append((g % count, people[g // count]))
        g += 1

    login_page = _prepared("GET", spec["login"])
    posts = []
    for account, person in work:
        a, jar = spec["accounts"][account], jars[account]
        posts.append(_prepared("POST", a["url"].replace("/people/0/", f"/people/{person}/"), jar, {
            "csrfmiddlewaretoken": jar["csrftoken"], "product": spec["product"], "lot": spec["lot"],
            "outcome": "proceed"}))

    def baseline(_item) -> tuple[bool, str]:
        status, _head, _body = _send(port, login_page)
        return status == 200, str(status)

    def dose(item) -> tuple[bool, str]:
        status, head, content = _send(port, posts[item])
        location = next(iter(_header(head, "Location")), "")
        if status == 302 and "/vaccination/doses/" in location:
            return True, ""
        text = re.sub(rb"\s+", b" ", re.sub(rb"<[^>]+>", b" ", content)).decode(errors="replace")
        found = re.search(r"(alert[^.]{0,200}|invalid-feedback[^.]{0,200})", text)
        return False, f"{status} {location} {found.group(0) if found else text[:200]}"

    warm = drive(port, list(range(20)), 2, baseline)
    base, base_cpu = measured_cpu(spec, lambda: drive(port, list(range(len(posts))), spec["clients"], baseline))
    doses, doses_cpu = measured_cpu(spec, lambda: drive(port, list(range(len(posts))), spec["clients"], dose))
    base["cpu_per_request"], doses["cpu_per_request"] = base_cpu, doses_cpu
    print(json.dumps({"warmup": warm["requests"], "baseline": base, "doses": doses, "next_offset": g,
                      "load_process_cpu_s": round(time.process_time(), 1)}))


# ---- main ------------------------------------------------------------------------------------------------------

def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--people", type=int, default=500_000)
    parser.add_argument("--doses", type=int, default=1_200_000)
    parser.add_argument("--db", choices=("postgres",), default="postgres")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--reps", type=int, default=30)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers")
    parser.add_argument("--clients", type=int, nargs="+", default=[8, 16], help="concurrent requests, per round")
    parser.add_argument("--requests", type=int, default=3000, help="dose POSTs per round")
    parser.add_argument("--fresh", action="store_true", help="drop and rebuild the benchmark database")
    parser.add_argument("--profile", action="store_true", help="profile a second rebuild (cProfile)")
    parser.add_argument("--skip", default="", help="comma-separated phases to skip: rebuild, page, http")
    parser.add_argument("--load-worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.load_worker:
        load_worker(args.load_worker)
        return
    skip = {s.strip() for s in args.skip.split(",") if s.strip()}
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if args.fresh and database_exists():
        pg_admin(f'DROP DATABASE "{DB_NAME}" WITH (FORCE)')
    if not database_exists():
        pg_admin(f'CREATE DATABASE "{DB_NAME}"')
    VAR_DIR.mkdir(mode=0o700, exist_ok=True)
    configure()
    import django

    django.setup()
    from django.db import connection

    from epicommand.core.models import Place, User
    from epicommand.core.roles import Role
    from epicommand.core.services.accounts import create_account

    results: dict = {"db": args.db, "people": args.people, "doses": args.doses, "seed": args.seed,
                     "cpus": os.cpu_count(), "python": platform.python_version(),
                     "started": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())}
    print(f"EpiCommand vaccination benchmark: {args.people:,} people, {args.doses:,} doses on {args.db} "
          f"({DB_NAME}), seed {args.seed}, {os.cpu_count()} CPUs, Python {platform.python_version()}", flush=True)
    password = secrets.token_urlsafe(16)
    setup = prepare(args, password)
    results["setup"] = setup
    with connection.cursor() as cursor:
        cursor.execute("SELECT version()")
        results["server"] = cursor.fetchone()[0].split(" on ")[0]
    print(f"  {results['server']}; {setup['people_in_table']:,} people, {setup['doses_in_table']:,} doses "
          f"(seeded: people {setup['population'].get('seed_s')} s, doses {setup['doses'].get('seed_s')} s)",
          flush=True)

    chief = User.objects.get(username="demo.chihuy")
    province = Place.objects.get(structure="current", level="province", code="12")
    commune = Place.objects.get(pk=setup["commune_id"])

    def account(username: str, role: str, place: Place) -> User:
        user = User.objects.filter(username=username).first()
        return user or create_account(actor=chief, username=username, password=password, role=role, place=place,
                                      full_name=username)

    officer = account("bench.soyte", Role.HEALTH_OFFICER, province)
    commune_user = account(f"bench.tramyte.{commune.code}", Role.COMMUNE_STATION, commune)

    if "rebuild" not in skip:
        print("a) rebuilding the coverage aggregates…", flush=True)
        r = results["rebuild"] = phase_rebuild(args.profile)
        print(f"  rebuild {r['rebuild_s']} s (CPU: Python {r['rebuild_python_cpu_s']} s, PostgreSQL backend "
              f"{r['rebuild_postgres_backend_cpu_s']} s) for {r['counts']}; "
              f"baseline COPY of its rows {r['baseline_join_copy_s']} s ({r['baseline_join_mb']} MB), of the dose "
              f"table {r['baseline_table_copy_s']} s → ratio {r['ratio_to_join_copy']}; load {r['loadavg_1min']}",
              flush=True)
        if r.get("profile"):
            print(r["profile"])
    if "page" not in skip:
        print("b) the coverage page…", flush=True)
        rows = results["page"] = phase_page([("province officer", officer),
                                             (f"commune user ({commune.name})", commune_user)], args.reps)
        for row in rows:
            c, h = row["coverage"], row["home"]
            print(f"  {row['user']:32} coverage p50 {c['p50']:7.1f} p95 {c['p95']:7.1f} max {c['max']:7.1f} ms "
                  f"({row['queries']} queries) | home p50 {h['p50']:6.1f} → ratio {row['ratio_p50']}; "
                  f"load {row['loadavg_1min']}", flush=True)
    if "http" not in skip:
        print(f"c) recording doses over HTTP ({args.workers} gunicorn workers)…", flush=True)
        h = results["http"] = phase_http(chief, password, args.workers, args.clients, args.requests)
        print(f"  check: {h['check']}", flush=True)

    print("\nsummary (targets of issue 4)")
    lines = []
    if "rebuild" in results:
        r = results["rebuild"]
        lines.append(("rebuild of the aggregates", f"{r['rebuild_s']} s", f"{r['ratio_to_join_copy']}× COPY of "
                      "its rows", "< 60 s", r["pass"]))
    for row in results.get("page", []):
        lines.append((f"coverage page, {row['user']}", f"p50 {row['coverage']['p50']} / p95 "
                      f"{row['coverage']['p95']} ms", f"{row['ratio_p50']}× home p50", "p95 < 300 ms", row["pass"]))
    for rnd in results.get("http", {}).get("rounds", []):
        d = rnd["doses"]
        cpu = d.get("cpu_per_request", {})
        lines.append((f"dose POST, {rnd['clients']} clients", f"{d['rps']} req/s, p50 {d['latency']['p50']} p95 "
                      f"{d['latency']['p95']} p99 {d['latency']['p99']} ms, {d['errors']} errors, CPU "
                      f"{cpu.get('all_in_ms')} ms/request all in",
                      f"{rnd['ratio_rps']}× login-page req/s", "≥ 200 req/s, p99 < 200 ms, 0 errors", rnd["pass"]))
    if "http" in results:
        lines.append(("doses = successes = stock used", json.dumps(results["http"]["check"]), "", "equal",
                      results["http"]["check"]["consistent"]))
    widths = [max((len(str(line[i])) for line in lines), default=0) for i in range(4)]
    for line in lines:
        print("  " + "  ".join(str(c).ljust(w) for c, w in zip(line[:4], widths, strict=True))
              + ("  pass" if line[4] else "  MISS"))

    out_dir = ROOT / "bench" / "results"
    out_dir.mkdir(parents=True, exist_ok=True)
    out = out_dir / ("vaccination-postgres.json" if args.people == 500_000 else
                     f"vaccination-postgres-{args.people}.json")
    results["finished"] = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())
    out.write_text(json.dumps(results, indent=1, ensure_ascii=False, default=str) + "\n")
    print(f"\nresults: {out.relative_to(ROOT)}")
    connection.close()


if __name__ == "__main__":
    main()
