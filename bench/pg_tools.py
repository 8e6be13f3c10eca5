"""Small helpers shared by the PostgreSQL benchmarks: creating and dropping their databases, the
percentiles they print, and the machine's load while they ran."""

from __future__ import annotations

import os
import statistics


def pg_admin(server: str, sql: str) -> None:
    """Run one statement on the server's maintenance database (CREATE / DROP DATABASE)."""
    import psycopg

    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        conn.execute(sql)


def database_exists(server: str, name: str) -> bool:
    import psycopg

    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is not None


def stats(values: list[float]) -> dict:
    """Count, median, 95th percentile and maximum of timings (milliseconds), rounded for printing."""
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, max(0, round(0.95 * len(ordered)) - 1))]
    return {"n": len(ordered), "p50": round(statistics.median(ordered), 1), "p95": round(p95, 1),
            "max": round(ordered[-1], 1)}


def load() -> float:
    """The one-minute load average: figures on a shared machine move with the neighbours."""
    return round(os.getloadavg()[0], 2)
