"""`python -m tests.benchmarks demo`: how fast the demo generator fills a database.

* demo rate on SQLite: customers per second for `bench.n(100_000)` customers
  (each with ~2.3 contacts, ~3 calls, ~2 features, 0.4 forwards), into a new file;
* the time 1,000,000 customers would take at that rate (goal < 180 s);
* at --scale 1 (or more), a real 1,000,000-customer build, timed;
* the baseline, in the same run: a bare multi-row INSERT of as many rows as the
  demo wrote, constant values, into the same schema (SQLite's floor here);
* PostgreSQL too when CALLERS_TEST_PG is set (rate only; no goal).
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

from tests.support import pgschema
from tests.benchmarks.harness import Bench

GOAL_SECONDS = 180
FULL = 1_000_000


def _fresh_sqlite(tmp: str, name: str) -> str:
    return f"sqlite:///{Path(tmp) / name}"


def _generate(url: str, customers: int) -> tuple[float, object]:
    from callers import database, demo
    from models.db import database as proxy

    database.open(url)
    try:
        start = time.perf_counter()
        # Indexes built after the load, as every large build does (a 1M build
        # does it anyway; a small --scale run should measure the same path).
        result = demo.generate(customers, seed=1, defer_indexes=True)
        return time.perf_counter() - start, result
    finally:
        proxy.obj.close()


def _setup(customers: int) -> float:
    """Seconds the generator spends before the first customer (phone-number
    pools, which grow with the size up to a cap): a fixed cost, not a rate."""
    from callers import clock, demo

    start = time.perf_counter()
    demo.Generator(customers, 1, 3.0, 0, clock.now())
    return time.perf_counter() - start


def _floor(url: str, rows: int) -> float:
    """Seconds to INSERT `rows` constant call rows (11 columns), the way the demo does."""
    from callers import database, demo
    from models.db import database as proxy, write_transaction
    from models.engine import insert_rows

    database.open(url)
    try:
        from models.tables import Customer

        stamp = "2026-01-01 00:00:00"
        customer_id = Customer.create(name="Floor Ltd", name_key="floor", created_at=stamp, updated_at=stamp).id
        start = time.perf_counter()
        chunk = 50_000
        done = 0
        base = 10_000_000
        while done < rows:
            size = min(chunk, rows - done)
            batch = [(base + done + i, customer_id, None, "ana", "2026-10-01 10:00:00", "2026-10-01 10:00:05",
                      "2026-10-01 10:03:05", "completed", None, None, None) for i in range(size)]
            with write_transaction():
                insert_rows("call", demo.CALL_COLUMNS, batch)
            done += size
        return time.perf_counter() - start
    finally:
        proxy.obj.close()


def run(bench: Bench) -> None:
    customers = bench.n(100_000)
    os.environ.setdefault("CALLERS_NOW", "2026-11-24T15:00:00+00:00")
    with tempfile.TemporaryDirectory(prefix="callers-bench-demo-") as tmp:
        # Warm up once (time-zone and phone metadata load lazily, once per process),
        # so that a small --scale measures the rate, not the first-use costs.
        _generate(_fresh_sqlite(tmp, "warm.db"), 200)
        seconds, result = _generate(_fresh_sqlite(tmp, "demo.db"), customers)
        rows = result.customers + result.contacts + result.calls + result.forwards
        floor = _floor(_fresh_sqlite(tmp, "floor.db"), rows)
        setup_small, setup_full = result.setup_seconds, _setup(FULL)
        per_customer = max(1e-9, seconds - setup_small) / customers
        rate = 1 / per_customer
        projected = setup_full + per_customer * FULL
        bench.note(f"{customers:,} customers: {result.contacts:,} contacts, {result.calls:,} calls, "
                   f"{result.forwards:,} forwards in {seconds:.1f} s (of which setup {setup_small:.1f} s; "
                   f"setup at 1M {setup_full:.1f} s)")
        floor_rate = rows / floor
        bench.figure("demo rate (sqlite)", round(rate), "customers/s", f">= {FULL // GOAL_SECONDS:,}",
                     baseline=f"bare INSERT {floor_rate:,.0f} rows/s; demo {rows / seconds:,.0f} rows/s",
                     ok=projected < GOAL_SECONDS)
        bench.figure("demo 1M customers, extrapolated (sqlite)", round(projected, 1), "s", f"< {GOAL_SECONDS}",
                     baseline=f"bare INSERT of the same rows {FULL / customers * floor:.1f} s",
                     ok=projected < GOAL_SECONDS)
        if bench.scale >= 1:
            big, made = _generate(_fresh_sqlite(tmp, "million.db"), FULL)
            bench.note(f"1M build: {made.contacts:,} contacts, {made.calls:,} calls, {made.forwards:,} forwards")
            bench.figure("demo 1M customers (sqlite)", round(big, 1), "s", f"< {GOAL_SECONDS}",
                         baseline=f"extrapolated {projected:.1f} s", ok=big < GOAL_SECONDS)
    base = os.environ.get("CALLERS_TEST_PG")
    if base:
        with pgschema.scratch(base, "bench_demo_rate") as url:
            pg_customers = max(100, customers // 4)
            seconds, _ = _generate(url, pg_customers)
            bench.figure("demo rate (postgresql)", round(pg_customers / seconds), "customers/s", "(none)",
                         baseline=f"sqlite {rate:,.0f} customers/s")
