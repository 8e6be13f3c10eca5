"""Benchmark of the people import pipeline against the fastest raw load of the same rows.

    .venv/bin/python bench/bench_import.py --rows 1000000 --db postgres|sqlite [--xlsx-rows 200000]
                                           [--seed 1] [--no-reimport] [--profile]

One run, on a fresh database it creates and drops (PostgreSQL: a throwaway database on the local server;
SQLite: a file in a temporary directory, with the project's own pragmas):

1. migrate, `load_places --province 12`, one command-centre account;
2. N synthetic Lai Châu people (epicommand.people.synthetic, fixed seed) written to a CSV; generation is not
   timed as part of anything below;
3. BASELINE: the same rows, already parsed into the tuples the importer writes, loaded in one transaction by a
   raw `COPY people_person (…) FROM STDIN` (PostgreSQL) or a raw sqlite3 `executemany` INSERT (SQLite), with
   the table's indexes and constraints as the migrations made them; then the table is emptied;
4. IMPORT: `imports.services.create_run` + `execute` on the CSV (what `manage.py import people` does), timed
   end to end, in a child process (spawned, so its peak RSS is the import's own);
5. RE-IMPORT of the same CSV (every row unchanged), in another child;
6. with --xlsx-rows: the first M people written as an xlsx (openpyxl write_only) and imported into an emptied
   table, in a third child.

Prints a summary table and writes it as JSON to bench/results/import-<db>.json (import-<db>-<rows>.json when
--rows is not 1,000,000). --profile runs the imports under cProfile and prints the top functions.
Targets (issue 3): import/baseline ≥ 0.25 on both databases; peak RSS < 600 MB whatever the file size.
"""

from __future__ import annotations

import argparse
import cProfile
import csv
import gc
import hashlib
import io
import json
import multiprocessing
import os
import platform
import pstats
import resource
import secrets
import shutil
import signal
import sys
import tempfile
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PG_SERVER = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432")
USERNAME = "bench.chihuy"
TARGET_RATIO = 0.25
TARGET_RSS_MB = 600
# The code whose speed is measured; its digest goes into the results so a figure can be tied to a version.
MEASURED = ["epicommand/imports/pipeline.py", "epicommand/imports/readers.py", "epicommand/imports/people.py",
            "epicommand/imports/bulk.py", "epicommand/imports/services.py", "epicommand/imports/values.py",
            "epicommand/imports/legacy_encodings.py", "epicommand/imports/headers.py",
            "epicommand/core/addresses.py", "epicommand/people/models.py", "epicommand/people/services.py",
            "epicommand/people/identity.py", "epicommand/people/vulnerability.py"]


# ---- process and database set-up ------------------------------------------------------------------------------

def peak_rss_mb() -> float:
    """This process's peak resident set size. On Linux, VmHWM of /proc/self/status: getrusage's ru_maxrss
    survives fork and exec, so a child spawned by a big parent would report the parent's peak."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: kilobytes


def code_digest() -> str:
    digest = hashlib.sha256()
    for name in MEASURED:
        path = ROOT / name
        digest.update(name.encode() + b"\0" + (path.read_bytes() if path.exists() else b"-"))
    return digest.hexdigest()[:12]


def configure(db: str, var_dir: str, pg_name: str | None) -> None:
    """Point Django at the benchmark's own database and var/ (environment first: children inherit it)."""
    os.environ["DJANGO_SETTINGS_MODULE"] = "epicommand.settings"
    os.environ["EPICOMMAND_VAR_DIR"] = var_dir
    os.environ["EPICOMMAND_DEBUG"] = "0"  # DEBUG would keep every query in memory
    os.environ.setdefault("EPICOMMAND_PROVINCE", "12")
    if db == "postgres":
        os.environ["DATABASE_URL"] = f"{PG_SERVER}/{pg_name}"
    else:
        os.environ.pop("DATABASE_URL", None)  # SQLite under EPICOMMAND_VAR_DIR, with the project's pragmas


def setup_django() -> None:
    import django

    django.setup()


def create_pg_database(name: str) -> None:
    import psycopg

    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def drop_pg_database(name: str) -> None:
    import psycopg

    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def prepare_schema() -> str:
    """Migrations, the province's places and a command-centre account. Returns a one-line description."""
    from django.core.management import call_command

    from epicommand.core.models import Place
    from epicommand.core.services.accounts import bootstrap_command_account

    call_command("migrate", verbosity=0, interactive=False)
    out = io.StringIO()
    call_command("load_places", province="12", stdout=out)
    province = Place.objects.get(structure="current", level="province", code="12")
    bootstrap_command_account(username=USERNAME, password=secrets.token_urlsafe(16), province=province,
                              full_name="Benchmark")
    return out.getvalue().strip()


def server_description(db: str) -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        if db == "postgres":
            cursor.execute("SELECT version()")
            version = cursor.fetchone()[0].split(" on ")[0]
            settings = []
            for name in ("shared_buffers", "synchronous_commit", "max_wal_size", "work_mem"):
                cursor.execute(f"SHOW {name}")
                settings.append(f"{name}={cursor.fetchone()[0]}")
            return f"{version} ({', '.join(settings)})"
        cursor.execute("SELECT sqlite_version()")
        version = cursor.fetchone()[0]
        cursor.execute("PRAGMA journal_mode")
        journal = cursor.fetchone()[0]
        cursor.execute("PRAGMA synchronous")
        sync = cursor.fetchone()[0]
        return f"SQLite {version} (journal_mode={journal}, synchronous={sync})"


# ---- the data --------------------------------------------------------------------------------------------------

def generate_files(rows: int, seed: int, csv_path: Path, want_tuples: bool) -> tuple[list[tuple], dict]:
    """Write the CSV of `rows` synthetic people and return the tuples the importer would write for them
    (INSERT_FIELDS order), built in the same pass from the generated values."""
    from django.utils import timezone

    from epicommand.core.models import Place, User
    from epicommand.core.text import fold, nfc
    from epicommand.imports.people import INSERT_FIELDS
    from epicommand.people.demo import communes_of
    from epicommand.people.identity import clean_number
    from epicommand.people.models import Person
    from epicommand.people.synthetic import generate, write_csv
    from epicommand.people.vulnerability import Rules

    province = Place.objects.get(structure="current", level="province", code="12")
    commune_ids = {p.code: p.pk for p in Place.objects.filter(parent=province)}
    actor_id = User.objects.get(username=USERNAME).pk
    today = timezone.localdate()
    rules = Rules(today)
    now = timezone.now()
    tuples: list[tuple] = []
    stats = {"with_cccd": 0, "year_only": 0}

    def people():
        for number, p in enumerate(generate(communes_of(province), rows, seed, today=today), start=2):
            stats["with_cccd"] += p.cccd is not None
            stats["year_only"] += p.birth_date is None
            if want_tuples:
                full_name = nfc(p.full_name)
                # What the CSV carries: no chronic conditions, pregnancy or disability columns.
                person = Person(full_name=full_name, birth_date=p.birth_date, birth_year=p.birth_year, sex=p.sex,
                                chronic_conditions=[], pregnant=False)
                values = {
                    "full_name": full_name, "name_folded": fold(full_name), "birth_date": p.birth_date,
                    "birth_year": p.birth_year, "sex": p.sex, "cccd": p.cccd or None, "cmnd": "", "passport": "",
                    "insurance_number": clean_number(p.insurance_number), "ethnicity": p.ethnicity,
                    "nationality": "VN", "commune": commune_ids[p.commune_code], "village": nfc(p.village),
                    "address": "", "phone": p.phone or "", "occupation": nfc(p.occupation), "priority_group": "",
                    "chronic_conditions": "[]", "pregnant": False, "disability": "",
                    "vulnerable": rules.is_vulnerable(person), "reconciliation": "unchecked",
                    "reconciliation_detail": "{}", "created_at": now, "updated_at": now, "created_by": actor_id,
                    "source_import": None, "source_row": number,
                }
                tuples.append(tuple(values[f] for f in INSERT_FIELDS))
            yield p

    write_csv(csv_path, people())
    return tuples, stats


def copy_prefix(source: Path, target: Path, rows: int) -> None:
    """The header and the first `rows` data rows of a CSV (the generator is sequential: the same people)."""
    with source.open(newline="", encoding="utf-8-sig") as src, \
            target.open("w", newline="", encoding="utf-8-sig") as dst:
        reader, writer = csv.reader(src), csv.writer(dst)
        for number, row in enumerate(reader):
            if number > rows:
                break
            writer.writerow(row)


def write_xlsx(rows: int, seed: int, path: Path) -> None:
    """The first `rows` people of the same seed, as a commune's workbook (same cells as the CSV)."""
    from django.utils import timezone
    from openpyxl import Workbook

    from epicommand.core.models import Place
    from epicommand.people.demo import communes_of
    from epicommand.people.synthetic import CSV_HEADERS, generate, to_row

    province = Place.objects.get(structure="current", level="province", code="12")
    book = Workbook(write_only=True)
    sheet = book.create_sheet("Danh sách")
    sheet.append(list(CSV_HEADERS))
    for p in generate(communes_of(province), rows, seed, today=timezone.localdate()):
        row = to_row(p)
        sheet.append([row[h] for h in CSV_HEADERS])
    book.save(path)


# The columns compared between the baseline's rows and the import's (not the timestamps, author or run id).
COMPARED = ["full_name", "name_folded", "birth_date", "birth_year", "sex", "cccd", "cmnd", "passport",
            "insurance_number", "ethnicity", "nationality", "commune_id", "village", "address", "phone", "occupation",
            "priority_group", "chronic_conditions", "pregnant", "disability", "vulnerable", "reconciliation",
            "source_row"]


def keep_baseline_copy() -> None:
    """Copy what the baseline wrote (untimed), to compare it row by row with what the import writes."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_baseline")
        cursor.execute(f"CREATE TABLE bench_baseline AS SELECT {', '.join(COMPARED)} FROM people_person")  # noqa: S608


def compare_with_baseline() -> dict:
    """Rows of the baseline the import did not write identically, and rows the import wrote that the baseline
    did not (set difference over COMPARED, source_row included)."""
    from django.db import connection

    cols = ", ".join(COMPARED)
    out = {}
    with connection.cursor() as cursor:
        for name, a, b in (("only_baseline", "bench_baseline", "people_person"),
                           ("only_import", "people_person", "bench_baseline")):
            cursor.execute(f"SELECT COUNT(*) FROM (SELECT {cols} FROM {a} EXCEPT SELECT {cols} FROM {b}) d")  # noqa: S608
            out[name] = cursor.fetchone()[0]
        cursor.execute("DROP TABLE bench_baseline")
    return out


class ServerCPU:
    """CPU seconds used by the PostgreSQL processes serving the benchmark's database (backends of every
    connection, the import's writer thread included, and autovacuum workers), sampled from /proc every
    half second so that backends which exit before the end still count. None on SQLite (in-process)."""

    def __init__(self) -> None:
        from django.db import connection

        self.name = connection.settings_dict["NAME"] if connection.vendor == "postgresql" else None
        self.first: dict[int, float] = {}
        self.last: dict[int, float] = {}
        self.autovacuum: set[int] = set()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._loop, daemon=True)

    def _sample(self) -> None:
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit():
                continue
            try:
                with open(f"/proc/{entry.name}/cmdline", "rb") as f:
                    cmdline = f.read()
                if not cmdline.startswith(b"postgres:") or f" {self.name} ".encode() not in cmdline + b" ":
                    continue
                with open(f"/proc/{entry.name}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            cpu = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
            pid = int(entry.name)
            if b"autovacuum" in cmdline:
                self.autovacuum.add(pid)
            self.first.setdefault(pid, 0.0 if self.started else cpu)
            self.last[pid] = cpu

    def _loop(self) -> None:
        while not self.stop.wait(0.5):
            self._sample()

    def __enter__(self) -> ServerCPU:
        self.started = False
        if self.name:
            self._sample()  # processes already there count from now
            self.started = True
            self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        if self.name:
            self.stop.set()
            self.thread.join()
            self._sample()

    @property
    def seconds(self) -> float | None:
        return round(sum(self.last[p] - self.first[p] for p in self.last), 1) if self.name else None

    @property
    def autovacuum_seconds(self) -> float | None:
        """The part of `seconds` spent by autovacuum workers (vacuum/analyze the load set off)."""
        return round(sum(self.last[p] - self.first[p] for p in self.autovacuum), 1) if self.name else None


def empty_people_table(db: str) -> None:
    """Back to an empty table with the migrations' indexes, and the database settled (checkpoint)."""
    from django.db import connection

    from epicommand.people.models import Person

    table = Person._meta.db_table
    with connection.cursor() as cursor:
        if db == "postgres":
            cursor.execute(f'TRUNCATE "{table}" RESTART IDENTITY CASCADE')
            cursor.execute("CHECKPOINT")
        else:
            cursor.execute(f'DELETE FROM "{table}"')
            cursor.execute("DELETE FROM sqlite_sequence WHERE name = %s", [table])
    if db == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM")
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")


# ---- the baseline ----------------------------------------------------------------------------------------------

def baseline(db: str, tuples: list[tuple]) -> dict:
    """Load the tuples by the fastest raw path, in one transaction, commit included: seconds and CPU."""
    from django.db import connection, transaction

    from epicommand.imports.people import INSERT_FIELDS
    from epicommand.people.models import Person

    meta = Person._meta
    table = connection.ops.quote_name(meta.db_table)
    columns = ", ".join(connection.ops.quote_name(meta.get_field(f).column) for f in INSERT_FIELDS)
    connection.ensure_connection()
    server = ServerCPU().__enter__()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu = usage.ru_utime + usage.ru_stime
    load = os.getloadavg()[0]
    started = time.perf_counter()
    with transaction.atomic():
        if db == "postgres":
            with connection.cursor() as cursor, cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in tuples:
                    copy.write_row(row)
        else:
            marks = ", ".join(["?"] * len(INSERT_FIELDS))
            connection.connection.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", tuples)  # noqa: S608
    seconds = time.perf_counter() - started
    usage = resource.getrusage(resource.RUSAGE_SELF)
    server.__exit__()
    return {"method": "baseline raw COPY" if db == "postgres" else "baseline raw executemany",
            "rows": len(tuples), "seconds": round(seconds, 3), "rows_per_s": round(len(tuples) / seconds),
            "python_cpu_s": round(usage.ru_utime + usage.ru_stime - cpu, 1),
            "server_cpu_s": server.seconds, "autovacuum_cpu_s": server.autovacuum_seconds,
            "loadavg_1min": [round(load, 2), round(os.getloadavg()[0], 2)]}


# ---- the import, in a child process ----------------------------------------------------------------------------

def _strip_paths(text: str) -> str:
    site = next((p for p in sys.path if p.endswith("site-packages")), None)
    if site:
        text = text.replace(site + "/", "")
    return text.replace(str(ROOT) + "/", "")


def import_child(path: str, label: str, profile: bool, profile_lines: int) -> dict:
    """Runs in a fresh (spawned) process: create_run + execute on one file, as `manage.py import` does."""
    setup_django()
    from django.db import connection

    from epicommand.core.models import User
    from epicommand.imports import services

    actor = User.objects.get(username=USERNAME)
    connection.ensure_connection()
    rss_start = peak_rss_mb()
    file = Path(path)
    started = time.perf_counter()
    last = [started, 0]

    def progress(done: int, total: int | None) -> None:
        now = time.perf_counter()
        if done > last[1] and (done - last[1] >= 100_000 or (total and done >= total)):
            rate = (done - last[1]) / max(now - last[0], 1e-9)
            sys.stderr.write(f"    [{label}] {done:,} rows, {now - started:,.0f} s, {rate:,.0f} rows/s lately, "
                             f"peak RSS {peak_rss_mb():,.0f} MB\n")
            sys.stderr.flush()
            last[:] = [now, done]

    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu_start = usage.ru_utime + usage.ru_stime
    server = ServerCPU().__enter__()
    load_start = os.getloadavg()[0]
    profiler = cProfile.Profile() if profile else None
    if profiler:
        profiler.enable()
    t0 = time.perf_counter()
    with file.open("rb") as handle:
        run = services.create_run(actor=actor, spec_name="people", file=handle, original_name=file.name)
    t1 = time.perf_counter()
    if run.header_row is None:
        raise RuntimeError(f"header row not recognised in {file.name}")
    result = services.execute(run, progress=progress)
    t2 = time.perf_counter()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu = usage.ru_utime + usage.ru_stime - cpu_start
    server.__exit__()
    if profiler:
        profiler.disable()
        for order, count in (("cumulative", profile_lines), ("tottime", profile_lines // 2)):
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).sort_stats(order).print_stats(count)
            text = out.getvalue()
            text = text[text.find("   ncalls"):] if "   ncalls" in text else text
            print(f"\n---- cProfile of {label}, top {count} by {order} "
                  f"(profiled run: {t2 - t0:,.1f} s; profiling slows it) ----")
            print(_strip_paths(text).rstrip(), flush=True)
    return {
        "label": label, "file": file.name, "file_mb": round(file.stat().st_size / 1e6, 1),
        "rows": result.total, "created": result.created, "updated": result.updated,
        "unchanged": result.unchanged, "rejected": result.rejected,
        "problems": [f"row {p.row} {p.column}: {p.reason} ({p.value})" for p in result.problems[:5]],
        "create_run_s": round(t1 - t0, 3), "execute_s": round(t2 - t1, 3), "seconds": round(t2 - t0, 3),
        "rows_per_s": round(result.total / (t2 - t0)), "execute_rows_per_s": round(result.total / (t2 - t1)),
        "rss_before_mb": round(rss_start), "peak_rss_mb": round(peak_rss_mb()), "profiled": profile,
        "python_cpu_s": round(cpu, 1), "code_digest": code_digest(),
        "server_cpu_s": server.seconds, "autovacuum_cpu_s": server.autovacuum_seconds,
        "loadavg_1min": [round(load_start, 2), round(os.getloadavg()[0], 2)],
    }


def run_child(path: Path, label: str, args) -> dict:
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        return pool.submit(import_child, str(path), label, args.profile, args.profile_lines).result()


# ---- reporting -------------------------------------------------------------------------------------------------

def table(rows: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = []
    for n, r in enumerate(rows):
        lines.append("  ".join(c.ljust(w) if i == 0 or i == len(r) - 1 else c.rjust(w)
                               for i, (c, w) in enumerate(zip(r, widths, strict=True))).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def summarise(results: dict) -> str:
    rows = [["phase", "rows", "seconds", "rows/s", "peak RSS MB", "notes"]]
    b = results["baseline"]
    rows.append(["generate CSV (untimed for import)", f"{results['rows']:,}", f"{results['generate_s']:.1f}", "", "",
                 f"{results['csv_mb']} MB, {results['with_cccd']:,} with CCCD"])
    rows.append([b["method"], f"{b['rows']:,}", f"{b['seconds']:.1f}", f"{b['rows_per_s']:,}", "",
                 f"one transaction, already-parsed tuples; Python CPU {b['python_cpu_s']} s"
                 + (f", PostgreSQL CPU {b['server_cpu_s']} s (autovacuum {b['autovacuum_cpu_s']} s)"
                    if b["server_cpu_s"] is not None else "")
                 + f"; load {b['loadavg_1min'][0]}→{b['loadavg_1min'][1]}"])
    for key in ("import", "reimport", "xlsx_import"):
        r = results.get(key)
        if not r:
            continue
        name = {"import": "import CSV (create_run+execute)",
                "reimport": "re-import same CSV" + (" (prefix)" if r["rows"] < results["rows"] else ""),
                "xlsx_import": f"import xlsx ({r['file_mb']} MB)"}[key]
        note = (f"created {r['created']:,}, updated {r['updated']:,}, unchanged {r['unchanged']:,}, "
                f"rejected {r['rejected']:,}; execute alone {r['execute_rows_per_s']:,} rows/s; "
                f"RSS at start {r['rss_before_mb']} MB; importer CPU {r['python_cpu_s']} s"
                + (f", PostgreSQL CPU {r['server_cpu_s']} s (autovacuum {r['autovacuum_cpu_s']} s)"
                   if r["server_cpu_s"] is not None else "")
                + "; load "
                f"{r['loadavg_1min'][0]}→{r['loadavg_1min'][1]}" + ("; PROFILED" if r["profiled"] else ""))
        rows.append([name, f"{r['rows']:,}", f"{r['seconds']:.1f}", f"{r['rows_per_s']:,}", f"{r['peak_rss_mb']:,}",
                     note])
    lines = [table(rows), ""]
    imp = results["import"]
    ratio = results["ratio"]
    lines.append(f"ratio import/baseline: {ratio:.3f} (execute alone: {results['ratio_execute']:.3f}); target ≥ "
                 f"{TARGET_RATIO} → {'PASS' if ratio >= TARGET_RATIO else 'FAIL'}")
    peaks = [(k, results[k]["peak_rss_mb"]) for k in ("import", "reimport", "xlsx_import") if results.get(k)]
    worst = max(peaks, key=lambda kv: kv[1])
    lines.append("peak RSS: " + ", ".join(f"{k} {v:,} MB" for k, v in peaks) + f"; target < {TARGET_RSS_MB} MB → "
                 + ("PASS" if worst[1] < TARGET_RSS_MB else f"FAIL ({worst[0]})"))
    same = results.get("same_rows")
    if same is not None:
        verdict = ("yes" if same["only_baseline"] == imp["rejected"] and not same["only_import"] else "NO")
        lines.append(f"same rows as the baseline (row-by-row over {len(COMPARED)} columns): {verdict} — "
                     f"{same['only_baseline']:,} baseline rows not written by the import ({imp['rejected']:,} "
                     f"rejected), {same['only_import']:,} import rows not in the baseline")
    lines.append(f"code digest: parent {results['code_digest']}; children "
                 + ", ".join(f"{k} {results[k]['code_digest']}" for k in ("import", "reimport", "xlsx_import")
                             if results.get(k)))
    for key in ("import", "reimport", "xlsx_import"):
        if results.get(key) and results[key]["problems"]:
            lines.append(f"first problems of {key}: " + " | ".join(results[key]["problems"]))
    if imp["rejected"]:
        lines.append(f"note: the import rejected {imp['rejected']:,} rows; rows/s counts every row read.")
    return "\n".join(lines)


# ---- main ------------------------------------------------------------------------------------------------------

def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--db", choices=("postgres", "sqlite"), default="postgres")
    parser.add_argument("--xlsx-rows", type=int, default=0, help="also import an xlsx of this many rows")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-reimport", action="store_true", help="skip the second (idempotent) import")
    parser.add_argument("--reimport-rows", type=int, default=0,
                        help="re-import only the first K rows of the CSV (a prefix: every row unchanged), against "
                             "the full table; default all")
    parser.add_argument("--profile", action="store_true", help="run the imports under cProfile, print the top")
    parser.add_argument("--profile-lines", type=int, default=40)
    parser.add_argument("--keep", action="store_true", help="keep the temporary files and database (debugging)")
    args = parser.parse_args()

    var_dir = tempfile.mkdtemp(prefix="epicommand-bench-import-")
    pg_name = f"epicommand_bench_import_{os.getpid()}" if args.db == "postgres" else None
    # SIGTERM (e.g. a timeout) cleans up too.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    results: dict = {"db": args.db, "rows": args.rows, "seed": args.seed, "xlsx_rows": args.xlsx_rows,
                     "cpus": os.cpu_count(), "python": platform.python_version(), "code_digest": code_digest(),
                     "started": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())}
    try:
        if pg_name:
            create_pg_database(pg_name)
        configure(args.db, var_dir, pg_name)
        setup_django()
        print(f"EpiCommand import benchmark: {args.rows:,} rows on {args.db}, seed {args.seed}, "
              f"{os.cpu_count()} CPUs, Python {platform.python_version()}, code {results['code_digest']}", flush=True)
        t = time.perf_counter()
        places = prepare_schema()
        results["server"] = server_description(args.db)
        print(f"  database: {results['server']}\n  set-up (migrate, places, account): "
              f"{time.perf_counter() - t:.1f} s — {places}", flush=True)

        csv_path = Path(var_dir) / f"people-{args.rows}.csv"
        t = time.perf_counter()
        tuples, stats = generate_files(args.rows, args.seed, csv_path, want_tuples=True)
        results["generate_s"] = round(time.perf_counter() - t, 1)
        results["csv_mb"] = round(csv_path.stat().st_size / 1e6, 1)
        results.update(stats)
        print(f"  generated {args.rows:,} people and their tuples in {results['generate_s']} s; "
              f"CSV {results['csv_mb']} MB", flush=True)

        gc.collect()
        b = results["baseline"] = baseline(args.db, tuples)
        print(f"  {b['method']}: {b['rows']:,} rows in {b['seconds']:.1f} s ({b['rows_per_s']:,} rows/s)", flush=True)
        keep_baseline_copy()
        del tuples
        gc.collect()
        empty_people_table(args.db)
        from django.db import connection

        connection.close()  # the children use their own connections

        print("  import (child process)…", flush=True)
        results["import"] = run_child(csv_path, "import CSV", args)
        results["same_rows"] = compare_with_baseline()
        connection.close()
        results["ratio"] = round(results["import"]["rows_per_s"] / results["baseline"]["rows_per_s"], 4)
        results["ratio_execute"] = round(results["import"]["execute_rows_per_s"] / results["baseline"]["rows_per_s"], 4)
        print(f"  import: {results['import']['rows_per_s']:,} rows/s, peak RSS {results['import']['peak_rss_mb']} MB",
              flush=True)

        if not args.no_reimport:
            again = csv_path
            if 0 < args.reimport_rows < args.rows:
                again = Path(var_dir) / f"people-{args.rows}-first-{args.reimport_rows}.csv"
                copy_prefix(csv_path, again, args.reimport_rows)
            print(f"  re-import of {again.name} (child process)…", flush=True)
            results["reimport"] = run_child(again, "re-import CSV", args)
            print(f"  re-import: {results['reimport']['rows_per_s']:,} rows/s", flush=True)

        if args.xlsx_rows:
            xlsx_path = Path(var_dir) / f"people-{args.xlsx_rows}.xlsx"
            t = time.perf_counter()
            write_xlsx(args.xlsx_rows, args.seed, xlsx_path)
            results["xlsx_generate_s"] = round(time.perf_counter() - t, 1)
            print(f"  wrote {xlsx_path.name} ({xlsx_path.stat().st_size / 1e6:.1f} MB) in "
                  f"{results['xlsx_generate_s']} s; emptying the people table", flush=True)
            empty_people_table(args.db)
            connection.close()
            results["xlsx_import"] = run_child(xlsx_path, "import xlsx", args)
            print(f"  xlsx import: {results['xlsx_import']['rows_per_s']:,} rows/s", flush=True)

        summary = summarise(results)
        print("\n" + summary)
        out_dir = ROOT / "bench" / "results"
        out_dir.mkdir(parents=True, exist_ok=True)
        suffix = "" if args.rows == 1_000_000 and not args.profile else f"-{args.rows}" + ("-profile" if args.profile
                                                                                           else "")
        out = out_dir / f"import-{args.db}{suffix}.json"
        results["finished"] = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())
        out.write_text(json.dumps(results, indent=1, default=str) + "\n")
        print(f"\nresults: {out.relative_to(ROOT)}")
    finally:
        try:
            from django.db import connections

            connections.close_all()
        except Exception:  # noqa: S110 — Django may not be set up yet
            pass
        if not args.keep:
            shutil.rmtree(var_dir, ignore_errors=True)
            if pg_name:
                drop_pg_database(pg_name)
        else:
            print(f"kept: {var_dir}" + (f", database {pg_name}" if pg_name else ""))


if __name__ == "__main__":
    main()
