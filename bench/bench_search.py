"""Benchmark of the people search at province scale: the list page's queries, as a province officer and as a
commune user run them.

    .venv/bin/python bench/bench_search.py [--people 500000] [--db postgres|sqlite] [--reps 50] [--seed 1]
                                           [--analyze | --no-analyze] [--explain-all]

On a fresh database it creates and drops (PostgreSQL: a throwaway database on the local server; SQLite: a
file in a temporary directory, with the project's own pragmas): migrate, `load_places --province 12`, a
command-centre account, a health officer for the province and a commune-station account for the most
populous commune, then `people.demo.seed_population` (households included). PostgreSQL is then analysed
(VACUUM ANALYZE: what autovacuum does soon after a bulk load); SQLite is left as the project leaves it
(it never runs ANALYZE) unless --analyze.

Each query kind is run the way `people.views.person_list` runs it: visible_to(user, Person) without merged
people → `search.apply_filters` → select_related("commune"), ordered as the list page orders (a name search
ranks names that start with the query first; otherwise by name) → the first page (51 rows) and the match
count: for a search, a window count in the page query itself; for the plain list, a second capped query
(qs[:10001].count()). Latency = page + count, over --reps warm repetitions
(after 3 warm-up runs). Then the same URL through the real view with Django's test Client (force_login),
rendering included. Target (issue 3): p95 < 100 ms at 500,000 people.

For every kind whose p95 misses the target, the SQL is printed with its plan (EXPLAIN (ANALYZE, BUFFERS) on
PostgreSQL, EXPLAIN QUERY PLAN on SQLite); --explain-all prints them all. Results go to
bench/results/search-<db>.json (search-<db>-<people>.json for other sizes).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import secrets
import shutil
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PG_SERVER = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432")
TARGET_MS = 100.0
WARMUP = 3
PAGE = 50
COUNT_CAP = 10_000


def configure(db: str, var_dir: str, pg_name: str | None) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "epicommand.settings"
    os.environ["EPICOMMAND_VAR_DIR"] = var_dir
    os.environ["EPICOMMAND_DEBUG"] = "0"
    os.environ["EPICOMMAND_ALLOWED_HOSTS"] = "127.0.0.1,localhost,testserver"  # the test Client's host
    os.environ.setdefault("EPICOMMAND_PROVINCE", "12")
    if db == "postgres":
        os.environ["DATABASE_URL"] = f"{PG_SERVER}/{pg_name}"
    else:
        os.environ.pop("DATABASE_URL", None)


def pg_admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
        conn.execute(sql)


# ---- set-up ----------------------------------------------------------------------------------------------------

def prepare(people: int, seed: int, db: str, analyze: bool) -> dict:
    """Schema, places, accounts and the synthetic population. Returns what the report needs."""
    from django.core.management import call_command
    from django.db import connection
    from django.db.models import Count

    from epicommand.core.models import Place
    from epicommand.core.roles import Role
    from epicommand.core.services.accounts import bootstrap_command_account, create_account
    from epicommand.people.demo import seed_population
    from epicommand.people.models import Person

    call_command("migrate", verbosity=0, interactive=False)
    call_command("load_places", province="12", verbosity=0, stdout=open(os.devnull, "w"))  # noqa: SIM115
    province = Place.objects.get(structure="current", level="province", code="12")
    password = secrets.token_urlsafe(16)
    chief = bootstrap_command_account(username="bench.chihuy", password=password, province=province)

    started = time.perf_counter()
    last = [0]

    def progress(done: int) -> None:
        if done - last[0] >= 100_000:
            last[0] = done
            sys.stderr.write(f"    seeded {done:,} people, {time.perf_counter() - started:,.0f} s\n")
            sys.stderr.flush()

    written = seed_population(province, people, seed, progress=progress)
    seed_s = time.perf_counter() - started
    started = time.perf_counter()
    with connection.cursor() as cursor:
        if db == "postgres":
            cursor.execute("VACUUM ANALYZE")
        elif analyze:
            cursor.execute("ANALYZE")
    analyze_s = time.perf_counter() - started

    top = (Person.objects.values("commune_id").annotate(n=Count("id")).order_by("-n", "commune_id").first())
    commune = Place.objects.get(pk=top["commune_id"])
    officer = create_account(actor=chief, username="bench.soyte", password=password, role=Role.HEALTH_OFFICER,
                             place=province, full_name="Benchmark health officer")
    commune_user = create_account(actor=chief, username="bench.tramyte", password=password,
                                  role=Role.COMMUNE_STATION, place=commune, full_name="Benchmark commune station")
    return {"written": written, "seed_s": round(seed_s, 1), "analyze_s": round(analyze_s, 1),
            "commune": commune.name, "commune_people": top["n"], "officer": officer.pk,
            "commune_user": commune_user.pk, "commune_id": commune.pk}


def query_kinds(commune_id: int) -> list[tuple[str, dict]]:
    """(kind, GET parameters). Numbers are taken from a person of the commune user's commune, so both users
    find them; the names are the common fragments an officer types."""
    from django.db.models import Count

    from epicommand.people.models import Person

    local = Person.objects.filter(commune_id=commune_id).order_by("id")

    def pick(qs, field: str, k: int) -> str:  # the k-th value (or the last one of a small commune)
        return list(qs.values_list(field, flat=True)[:k + 1])[-1]

    cccd = pick(local.exclude(cccd__isnull=True), "cccd", 100)
    phone = pick(local.exclude(phone=""), "phone", 200)
    insurance = pick(local.exclude(insurance_number=""), "insurance_number", 300)
    village = (local.values("village").annotate(n=Count("id")).order_by("-n", "village").first() or {}).get(
        "village", "")
    return [
        ("list, no filter", {}),
        ("name fragment", {"q": "nguyen van"}),
        ("given name, diacritics", {"q": "Thắng"}),
        ("given name, no diacritics", {"q": "thang"}),
        ("full CCCD", {"q": cccd}),
        ("phone", {"q": phone}),
        ("insurance prefix", {"q": insurance[:10]}),
        ("village filter", {"village": village}),
    ]


# ---- measuring -------------------------------------------------------------------------------------------------

def list_queryset(user, params: dict):
    """The list page's queryset, as people.views.person_list builds it."""
    from django.utils import timezone

    from epicommand.core.jurisdiction import visible_to
    from epicommand.people.models import Person
    from epicommand.people.search import apply_filters

    qs = visible_to(user, Person.objects.filter(merged_into__isnull=True))
    qs = apply_filters(qs, params, timezone.localdate())
    qs = qs.select_related("commune")
    # As people/views.py person_list does: a name search keeps its own ranking.
    return qs if qs.ordered else qs.order_by("name_folded", "id")


def run_page(user, params: dict) -> tuple[float, float, int]:
    """(page ms, count ms, capped count) for the first page, as the view runs it: a search counts its
    matches in the same query (a window count); the plain list counts with a second, capped query."""
    from django.db.models import Count, Window

    t0 = time.perf_counter()
    qs = list_queryset(user, params)
    if (params.get("q") or "").strip():
        rows = list(qs.annotate(matches=Window(Count("id")))[0:PAGE + 1])
        t1 = time.perf_counter()
        capped = rows[0].matches if rows else 0
    else:
        rows = list(qs[0:PAGE + 1])
        t1 = time.perf_counter()
        capped = qs[:COUNT_CAP + 1].count()
    t2 = time.perf_counter()
    assert len(rows) <= PAGE + 1
    return (t1 - t0) * 1000, (t2 - t1) * 1000, capped


def stats(values: list[float]) -> dict:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, max(0, round(0.95 * len(ordered)) - 1))]
    return {"p50": round(statistics.median(ordered), 1), "p95": round(p95, 1), "max": round(ordered[-1], 1)}


def measure_orm(user, params: dict, reps: int) -> dict:
    for _ in range(WARMUP):
        run_page(user, params)
    pages, counts, totals = [], [], []
    capped = 0
    for _ in range(reps):
        page, count, capped = run_page(user, params)
        pages.append(page)
        counts.append(count)
        totals.append(page + count)
    return {"matches": min(capped, COUNT_CAP), "capped": capped > COUNT_CAP, "total": stats(totals),
            "page": stats(pages), "count": stats(counts)}


def measure_view(client, params: dict, reps: int) -> dict:
    from django.urls import reverse

    url = reverse("people:list") + ("?" + urlencode(params) if params else "")
    times = []
    for i in range(WARMUP + reps):
        t0 = time.perf_counter()
        response = client.get(url)
        elapsed = (time.perf_counter() - t0) * 1000
        if response.status_code != 200:
            raise RuntimeError(f"{url} answered {response.status_code}")
        if i >= WARMUP:
            times.append(elapsed)
    return {"url": url, **stats(times), "bytes": len(response.content)}


def explain(user, params: dict, db: str) -> str:
    """The two statements the list page runs, each with its plan."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        run_page(user, params)
    out = []
    for query in captured.captured_queries:
        sql = query["sql"]
        if not sql.lstrip().upper().startswith("SELECT"):
            continue
        with connection.cursor() as cursor:
            if db == "postgres":
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
                plan = "\n".join("      " + r[0] for r in cursor.fetchall())
            else:
                cursor.execute("EXPLAIN QUERY PLAN " + sql)
                plan = "\n".join(f"      {r[-1]}" for r in cursor.fetchall())
        shown = re.sub(r'SELECT "people_person"\."id", .*? FROM "people_person"',
                       'SELECT "people_person".*, "core_place".* FROM "people_person"', sql, count=1)
        out.append(f"    SQL ({query['time']} s): {shown}\n{plan}")
    return "\n".join(out)


# ---- main ------------------------------------------------------------------------------------------------------

def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--people", type=int, default=500_000)
    parser.add_argument("--db", choices=("postgres", "sqlite"), default="postgres")
    parser.add_argument("--reps", type=int, default=50)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--analyze", action=argparse.BooleanOptionalAction, default=None,
                        help="run ANALYZE after seeding (default: yes on PostgreSQL — VACUUM ANALYZE — no on SQLite)")
    parser.add_argument("--explain-all", action="store_true", help="print the plan of every query kind")
    parser.add_argument("--keep", action="store_true", help="keep the temporary files and database (debugging)")
    args = parser.parse_args()
    analyze = args.analyze if args.analyze is not None else args.db == "postgres"

    var_dir = tempfile.mkdtemp(prefix="epicommand-bench-search-")
    pg_name = f"epicommand_bench_search_{os.getpid()}" if args.db == "postgres" else None
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    results: dict = {"db": args.db, "people": args.people, "seed": args.seed, "reps": args.reps,
                     "analyzed": analyze, "cpus": os.cpu_count(), "python": platform.python_version(),
                     "started": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())}
    try:
        if pg_name:
            pg_admin(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')
            pg_admin(f'CREATE DATABASE "{pg_name}"')
        configure(args.db, var_dir, pg_name)
        import django

        django.setup()
        from django.db import connection
        from django.test import Client

        from epicommand.core.models import User

        print(f"EpiCommand search benchmark: {args.people:,} people on {args.db}, seed {args.seed}, "
              f"{args.reps} repetitions, {os.cpu_count()} CPUs, Python {platform.python_version()}", flush=True)
        setup = prepare(args.people, args.seed, args.db, analyze)
        results["setup"] = setup
        with connection.cursor() as cursor:
            cursor.execute("SELECT version()" if args.db == "postgres" else "SELECT 'SQLite ' || sqlite_version()")
            results["server"] = cursor.fetchone()[0].split(" on ")[0]
        print(f"  {results['server']}; seeded {setup['written']:,} people in {setup['seed_s']} s; "
              f"{'ANALYZE ' + str(setup['analyze_s']) + ' s' if analyze else 'not analysed'}; commune user in "
              f"{setup['commune']} ({setup['commune_people']:,} people)", flush=True)

        users = [("province officer", User.objects.get(pk=setup["officer"])),
                 ("commune user", User.objects.get(pk=setup["commune_user"]))]
        kinds = query_kinds(setup["commune_id"])
        results["queries"] = []
        plans = []
        for user_label, user in users:
            client = Client()
            client.force_login(user)
            for kind, params in kinds:
                load = os.getloadavg()[0]
                orm = measure_orm(user, params, args.reps)
                view = measure_view(client, params, args.reps)
                entry = {"user": user_label, "kind": kind, "params": params, "orm": orm, "view": view,
                         "loadavg_1min": round(load, 2)}
                results["queries"].append(entry)
                print(f"  {user_label:16} {kind:26} matches {orm['matches']:>6,}{'+' if orm['capped'] else ' '} "
                      f"ORM p50 {orm['total']['p50']:7.1f} p95 {orm['total']['p95']:7.1f} max "
                      f"{orm['total']['max']:7.1f} ms | view p50 {view['p50']:7.1f} p95 {view['p95']:7.1f} ms",
                      flush=True)
                if args.explain_all or orm["total"]["p95"] >= TARGET_MS or view["p95"] >= TARGET_MS:
                    plans.append((f"{user_label} · {kind} · {params}", explain(user, params, args.db)))

        rows = [["user", "query kind", "search", "matches", "p50", "p95", "max", "page p95", "count p95",
                 "view p50", "view p95", "view max", "p95<100"]]
        for q in results["queries"]:
            o, v = q["orm"], q["view"]
            shown = q["params"].get("q") or (f"village={q['params']['village']}" if q["params"] else "—")
            ok = o["total"]["p95"] < TARGET_MS and v["p95"] < TARGET_MS
            rows.append([q["user"], q["kind"], shown, f"{o['matches']:,}{'+' if o['capped'] else ''}",
                         f"{o['total']['p50']:.1f}", f"{o['total']['p95']:.1f}", f"{o['total']['max']:.1f}",
                         f"{o['page']['p95']:.1f}", f"{o['count']['p95']:.1f}", f"{v['p50']:.1f}", f"{v['p95']:.1f}",
                         f"{v['max']:.1f}", "yes" if ok else "NO"])
        widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
        print(f"\nlatency in ms over {args.reps} warm repetitions; ORM = first page (51 rows) + capped count, as "
              "person_list runs them (a search counts in the page query: count 0);\n"
              "view = GET through the test Client, rendering included")
        for n, r in enumerate(rows):
            print("  ".join(c.ljust(w) if i < 3 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths,
                                                                                             strict=True))))
            if n == 0:
                print("  ".join("-" * w for w in widths))
        missed = [q for q in results["queries"] if q["orm"]["total"]["p95"] >= TARGET_MS
                  or q["view"]["p95"] >= TARGET_MS]
        worst = max(max(q["orm"]["total"]["p95"], q["view"]["p95"]) for q in results["queries"])
        print(f"\nworst p95: {worst:.1f} ms; target p95 < {TARGET_MS:.0f} ms → "
              + ("PASS" if not missed else f"FAIL ({len(missed)} of {len(results['queries'])} query kinds)"))
        results["worst_p95_ms"] = worst
        results["pass"] = not missed
        for title, text in plans:
            print(f"\n-- {title}\n{text}")
        results["plans"] = {title: text for title, text in plans}

        out_dir = ROOT / "bench" / "results"
        out_dir.mkdir(parents=True, exist_ok=True)
        out = out_dir / (f"search-{args.db}.json" if args.people == 500_000 else
                         f"search-{args.db}-{args.people}.json")
        results["finished"] = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())
        out.write_text(json.dumps(results, indent=1, ensure_ascii=False, default=str) + "\n")
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
                pg_admin(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')
        else:
            print(f"kept: {var_dir}" + (f", database {pg_name}" if pg_name else ""))


if __name__ == "__main__":
    main()
