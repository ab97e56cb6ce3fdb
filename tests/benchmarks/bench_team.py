"""`python -m tests.benchmarks team`: concurrent callers claiming customers.

8 processes on PostgreSQL and 4 on one SQLite file each claim the next due
customer, until nobody is due. Figures: claims per second over all processes
(goal >= 500/s) and customers claimed twice (must be 0); then whole calls
(claim, open, complete). Baseline: the same loop in ONE process on the same
engine, so the concurrency cost is visible.

PostgreSQL runs as a team does (`callers db roles`: row-level security on,
every caller a login of its own, claiming through the claim function):

- claims: every claim by a different caller's login (4,000 logins, made for
  the run and dropped after it), so each takes a fresh customer and keeps
  its lease; a process's connection becomes each login in turn (SET SESSION
  AUTHORIZATION, sent in the claim's own round trip: one round trip per
  claim, as a login's own connection spends);
- the same claims by the administrator's connection (not held by row-level
  security: the claim statement itself, as before `callers db roles`), for
  comparison;
- whole calls: each process connected as its own caller's login.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import tempfile
import time
import uuid
from collections import Counter
from datetime import timedelta
from pathlib import Path

from tests.support import pglogins, pgschema
from tests.benchmarks.harness import Bench
from tests.support.team_worker import claim_as_logins, claim_only, claim_until_empty

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


@contextlib.contextmanager
def _caller_logins(url: str, count: int):
    """`callers db roles` on the schema, and `count` callers, each a login
    (NOLOGIN would do for SET SESSION AUTHORIZATION; these can log in, as a
    team's do). Yields their names; drops the logins afterwards."""
    from callers import database

    db = database.open(url)
    pglogins.apply_roles()
    names = [f"bench_{uuid.uuid4().hex[:6]}_{i}" for i in range(count)]
    with db.atomic():
        db.execute_sql("DO $$ DECLARE r text; BEGIN FOREACH r IN ARRAY %s LOOP "
                       "EXECUTE format('CREATE ROLE %%I LOGIN IN ROLE callers_caller', r); END LOOP; END $$",
                       (names,))
        db.execute_sql("INSERT INTO app_user (name, role, login, created_at) "
                       "SELECT n, 'caller', n, now() FROM unnest(%s::text[]) AS n", (names,))
    db.execute_sql("ANALYZE app_user")
    db.close()
    try:
        yield names
    finally:
        db.connect(reuse_if_open=True)
        for start in range(0, count, 500):
            db.execute_sql("DROP ROLE " + ", ".join(f'"{n}"' for n in names[start:start + 500]))
        db.close()


def _pool(worker, arguments: list[tuple]) -> tuple[float, int, int]:
    """Claims per second, duplicates, total, of `worker` run in one process
    per argument tuple (each ends with the common start time)."""
    ctx = multiprocessing.get_context("spawn")
    start_at = time.time() + 6
    with ctx.Pool(len(arguments)) as pool:
        results = pool.starmap(worker, [(*args, start_at) for args in arguments])
    elapsed = time.time() - start_at
    claimed = [cid for got in results for cid in got]
    dupes = sum(1 for n in Counter(claimed).values() if n > 1)
    return len(claimed) / elapsed, dupes, len(claimed)


def _figures(bench: Bench, engine: str, processes: int, base: float, claims, calls, how: str = "") -> None:
    rate, dupes, total = claims
    bench.figure(f"team {engine} {processes} processes claims{how}", round(rate), "claims/s", ">= 500/s",
                 baseline=f"1 process {base:.0f}/s", ok=rate >= 500)
    bench.figure(f"team {engine} {processes} processes duplicates", dupes, "customers", "0",
                 baseline=f"{total} claimed", ok=dupes == 0)
    if calls is None:
        return
    call_rate, call_dupes, call_total = calls
    bench.figure(f"team {engine} {processes} processes whole calls (claim, open, complete){how}",
                 round(call_rate), "calls/s", "information", baseline=f"{call_total} calls")
    bench.figure(f"team {engine} {processes} processes whole calls duplicates", call_dupes, "customers",
                 "0", ok=call_dupes == 0)


def _postgresql(bench: Bench, processes: int, customers: int) -> None:
    per = customers // processes
    how = " (row-level security on, a login per caller)"
    with pgschema.scratch(PG, "bench") as url:
        _fill(url, customers)
        with _caller_logins(url, per) as names:
            base = _pool(claim_as_logins, [(url, names, NOW)])
    with pgschema.scratch(PG, "bench") as url:
        _fill(url, customers)
        with _caller_logins(url, customers) as names:
            claims = _pool(claim_as_logins, [(url, names[i * per:(i + 1) * per], NOW) for i in range(processes)])
    with pgschema.scratch(PG, "bench") as url:
        _fill(url, customers)
        from callers import database

        admin = database.open(url)
        with pglogins.team(url, {f"c{i}": ("caller", None) for i in range(processes)}) as people:
            admin.close()
            calls = _pool(claim_until_empty, [(m.url, m.name, NOW) for m in people.values()])
    _figures(bench, "postgresql", processes, base[0], claims, calls, how)
    # For comparison: the administrator's connection, which row-level
    # security does not hold (the claim statement itself, as before `callers db roles`).
    with pgschema.scratch(PG, "bench") as url:
        _fill(url, customers)
        admin_claims = _pool(claim_only, [(url, f"c{i}", NOW, per) for i in range(processes)])
    with pgschema.scratch(PG, "bench") as url:
        _fill(url, customers)
        admin_calls = _pool(claim_until_empty, [(url, f"c{i}", NOW) for i in range(processes)])
    bench.figure(f"team postgresql {processes} processes claims by the administrator's connection "
                 "(row-level security not applied)", round(admin_claims[0]), "claims/s", "information",
                 baseline=f"{admin_claims[2]} claimed, {admin_claims[1]} twice")
    bench.figure(f"team postgresql {processes} processes whole calls by the administrator's connection",
                 round(admin_calls[0]), "calls/s", "information",
                 baseline=f"{admin_calls[2]} calls, {admin_calls[1]} customers twice")


def _sqlite(bench: Bench, processes: int, customers: int) -> None:
    per = customers // processes
    results = {}
    for label, procs, mode in (("base", 1, per), ("claims", processes, per), ("calls", processes, None)):
        with contextlib.nullcontext(str(Path(tempfile.mkdtemp()) / "team.db")) as url:
            _fill(url, customers)
            if mode:
                results[label] = _pool(claim_only, [(url, f"c{i}", NOW, mode) for i in range(procs)])
            else:
                results[label] = _pool(claim_until_empty, [(url, f"c{i}", NOW) for i in range(procs)])
    _figures(bench, "sqlite", processes, results["base"][0], results["claims"], results["calls"])


def run(bench: Bench) -> None:
    customers = bench.n(4000, minimum=400)
    _postgresql(bench, 8, customers)
    _sqlite(bench, 4, customers)
