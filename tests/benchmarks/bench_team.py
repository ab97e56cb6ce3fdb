"""`python -m tests.benchmarks team`: concurrent callers claiming customers.

8 processes on PostgreSQL and 4 on one SQLite file each claim the next due
customer and complete the call, until nobody is due. Figures: claims per
second over all processes (goal >= 500/s) and customers claimed twice (must be
0). Baseline: the same loop in ONE process on the same engine, so the
concurrency cost is visible.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import tempfile
import time
from datetime import timedelta
from collections import Counter
from pathlib import Path

from tests import pgschema
from tests.benchmarks.harness import Bench
from tests.team_worker import claim_only, claim_until_empty

NOW = "2026-11-24T15:30:00+00:00"
PG = os.environ.get("CALLERS_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")


def _fill(url: str, customers: int) -> None:
    """Due customers in London and New York (both inside hours at NOW)."""
    os.environ["CALLERS_NOW"] = NOW
    from callers import clock, database, phones
    from models.db import batch_size, database as proxy, write_transaction
    from models.tables import DUE_OVERDUE, Contact, Customer

    database.open(url)
    at = clock.db_now()
    numbers = [phones.parse("+442079460958"), phones.parse("+12127365000")]
    rows, contacts = [], []
    for i in range(1, customers + 1):
        p = numbers[i % 2]
        rows.append(dict(id=i, name=f"Bench {i}", name_key=f"bench {i}", created_at=at, updated_at=at,
                         next_due_at=at - timedelta(minutes=i),
                         due_rank=DUE_OVERDUE, call_contact=i, call_tz=p.timezone))
        contacts.append(dict(id=i, customer=i, name=f"Person {i}", role="buyer", phone=p.e164,
                             timezone=p.timezone, created_at=at, updated_at=at))
    with write_transaction():
        for start in range(0, customers, batch_size(12)):
            Customer.insert_many(rows[start:start + batch_size(12)]).execute()
        for start in range(0, customers, batch_size(8)):
            Contact.insert_many(contacts[start:start + batch_size(8)]).execute()
    if "postgresql" in url:
        for table in ("customer", "contact"):
            proxy.obj.execute_sql(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), {customers})")
    proxy.obj.close()


def _run(url: str, processes: int, per_process: int | None = None) -> tuple[float, int, int]:
    """Claims per second, duplicates, total. per_process: claims only (each
    process makes that many); None: full calls (claim, open, complete)."""
    ctx = multiprocessing.get_context("spawn")
    start_at = time.time() + 6
    with ctx.Pool(processes) as pool:
        if per_process:
            results = pool.starmap(claim_only, [(url, f"c{i}", NOW, start_at, per_process)
                                                for i in range(processes)])
        else:
            results = pool.starmap(claim_until_empty, [(url, f"c{i}", NOW, start_at)
                                                       for i in range(processes)])
    elapsed = time.time() - start_at
    claimed = [cid for got in results for cid in got]
    dupes = sum(1 for n in Counter(claimed).values() if n > 1)
    return len(claimed) / elapsed, dupes, len(claimed)


def _engine(bench: Bench, engine: str, processes: int, customers: int) -> None:
    def fresh():
        if engine == "sqlite":
            return contextlib.nullcontext(str(Path(tempfile.mkdtemp()) / "team.db"))
        return pgschema.scratch(PG, "bench")

    per = customers // processes
    results = {}
    for label, procs, mode in (("base", 1, per), ("claims", processes, per), ("calls", processes, None)):
        with fresh() as url:
            _fill(url, customers)
            results[label] = _run(url, procs, mode)
    base_rate = results["base"][0]
    rate, dupes, total = results["claims"]
    bench.figure(f"team {engine} {processes} processes claims", round(rate), "claims/s", ">= 500/s",
                 baseline=f"1 process {base_rate:.0f}/s", ok=rate >= 500)
    bench.figure(f"team {engine} {processes} processes duplicates", dupes, "customers", "0",
                 baseline=f"{total} claimed", ok=dupes == 0)
    call_rate, call_dupes, call_total = results["calls"]
    bench.figure(f"team {engine} {processes} processes whole calls (claim, open, complete)",
                 round(call_rate), "calls/s", "information", baseline=f"{call_total} calls")
    bench.figure(f"team {engine} {processes} processes whole calls duplicates", call_dupes, "customers",
                 "0", ok=call_dupes == 0)


def run(bench: Bench) -> None:
    customers = bench.n(4000, minimum=400)
    _engine(bench, "postgresql", 8, customers)
    _engine(bench, "sqlite", 4, customers)
