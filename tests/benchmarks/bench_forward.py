"""`python -m tests.benchmarks forward`: forward key to confirmation.

On `bench.n(100_000)` customers (each with a contact and some older forwards),
on SQLite and, when CALLERS_TEST_PG is set (or the local default answers), on
PostgreSQL:
- `forwards.create()` p95 (the domain: department lookup, customer, insert of
  the forward and its event, commit). Goal p95 <= 50 ms.
- the full desk path through the pilot (SQLite): F5 pressed during a call,
  Enter in the note, until the "Forwarded to Billing" notification shows.
  Goal p95 <= 50 ms.
Baseline: a bare single-row INSERT (one committed transaction) in the same run.
"""

from __future__ import annotations

import asyncio
import os
import random
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

from tests.benchmarks.harness import Bench, ms, p95

NOW = "2026-11-24T15:30:00+00:00"  # a Tuesday: London and New York inside calling hours
PG = os.environ.get("CALLERS_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
SAMPLES = 200
UI_SAMPLES = 40


def _fill(customers: int) -> None:
    from callers import clock, phones
    from models.db import batch_size, database as proxy, is_postgres, write_transaction
    from models.tables import DUE_OVERDUE, Contact, Customer, Forward

    at = clock.db_now()
    numbers = [phones.parse("+442079460958"), phones.parse("+12127365000")]
    managers = ["Lee Park", "Kim Roe", "Ana Silva", None]
    rows, contacts, older = [], [], []
    for i in range(1, customers + 1):
        p = numbers[i % 2]
        rows.append(dict(id=i, name=f"Bench {i}", name_key=f"bench {i}", created_at=at, updated_at=at,
                         next_due_at=at - timedelta(minutes=i), due_rank=DUE_OVERDUE, call_contact=i,
                         call_tz=p.timezone, account_manager=managers[i % 4]))
        contacts.append(dict(id=i, customer=i, name=f"Person {i}", role="buyer", phone=p.e164,
                             timezone=p.timezone, created_at=at, updated_at=at))
        if i % 10 == 0:  # a forward history: one customer in ten has one
            older.append(dict(customer=i, contact=i, caller="old", department=1 + i % 3, note=f"old {i}",
                              status="done" if i % 20 else "open", created_at=at - timedelta(days=i % 300)))
    with write_transaction():
        for start in range(0, len(rows), batch_size(13)):
            Customer.insert_many(rows[start:start + batch_size(13)]).execute()
        for start in range(0, len(contacts), batch_size(8)):
            Contact.insert_many(contacts[start:start + batch_size(8)]).execute()
        for start in range(0, len(older), batch_size(8)):
            Forward.insert_many(older[start:start + batch_size(8)]).execute()
    if is_postgres():
        for table in ("customer", "contact"):
            proxy.obj.execute_sql(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), {customers})")
        proxy.obj.execute_sql("ANALYZE")


def _domain(bench: Bench, engine: str, customers: int) -> None:
    from callers import clock, forwards
    from models.db import write_transaction
    from models.tables import Forward

    rng = random.Random(7)
    names = ["Billing", "Support", "Account management", "billing", "account manager"]

    def bare() -> None:
        with write_transaction():
            Forward.insert(customer=rng.randint(1, customers), caller="bench", department=1,
                           status="open", created_at=clock.db_now()).execute()

    def filed() -> None:
        forwards.create(rng.randint(1, customers), rng.choice(names), "bench", note="[ERR-7] bench")

    for fn in (bare, filed):  # warm both paths up
        for _ in range(5):
            fn()
    base = []
    for _ in range(SAMPLES):
        start = time.perf_counter()
        bare()
        base.append(time.perf_counter() - start)
    times = []
    for _ in range(SAMPLES):
        start = time.perf_counter()
        filed()
        times.append(time.perf_counter() - start)
    value = ms(p95(times))
    bench.figure(f"forward create() p95 ({engine}, {customers:,} customers)", value, "ms", "<= 50 ms",
                 baseline=f"bare INSERT p95 {ms(p95(base))} ms", ok=value <= 50)


def _desk(bench: Bench, customers: int) -> None:
    """F5, Enter, until the confirmation shows: through the real desk."""
    try:
        from screens.desk import DeskScreen
    except ImportError:
        bench.note("desk screen not available: key-to-confirmation path not measured")
        return
    from textual import events

    from callers.app import CallersApp
    from screens.forward_note import ForwardNote

    app = CallersApp(caller="bench", first=lambda caller: DeskScreen(caller=caller))
    result: dict = {}

    def send(key: str) -> None:
        event = events.Key(key, None)
        event.set_sender(app)
        app._driver.send_message(event)

    async def until(condition, limit: float = 2.0) -> bool:
        """Poll a condition every millisecond (not a fixed wait)."""
        deadline = time.perf_counter() + limit
        while not condition():
            if time.perf_counter() > deadline:
                return False
            await asyncio.sleep(0.001)
        return True

    async def drive() -> None:
        async with app.run_test(size=(80, 24)) as pilot:
            screen = app.screen
            await until(lambda: getattr(screen, "call", None) is not None
                        or getattr(screen, "mode", "") in ("nobody", "error"), limit=30)
            if getattr(screen, "call", None) is None:
                result["error"] = f"the desk showed no customer ({getattr(screen, 'mode', '?')})"
                return
            await pilot.press("f2")  # start the call: forward keys work during a call
            await app.workers.wait_for_complete()
            await pilot.pause()
            times, opened, confirmed = [], [], []
            for _ in range(UI_SAMPLES):
                seen = len(list(app._notifications))
                start = time.perf_counter()
                # Keys go in as the terminal driver sends them (Pilot.press
                # adds its own idle waits of 20 ms and more per key).
                send("f5")
                if not await until(lambda: isinstance(app.screen, ForwardNote)):
                    result["error"] = "F5 did not open the note"
                    return
                shown = time.perf_counter()
                send("enter")
                if not await until(lambda: any(n.message.startswith("Forwarded to")
                                               for n in list(app._notifications)[seen:])):
                    result["error"] = "no confirmation within 2 s"
                    return
                end = time.perf_counter()
                times.append(end - start)
                opened.append(shown - start)
                confirmed.append(end - shown)
                await app.workers.wait_for_complete()
                await pilot.pause()
                app.clear_notifications()
            result["times"], result["opened"], result["confirmed"] = times, opened, confirmed

    asyncio.run(drive())
    if "error" in result:
        bench.note(f"desk path not measured: {result['error']}")
        return
    value = ms(p95(result["times"]))
    bench.figure(f"desk F5+Enter to confirmation p95 (sqlite, {customers:,} customers)", value, "ms",
                 "<= 50 ms", baseline=f"F5 to note shown p95 {ms(p95(result['opened']))} ms, Enter to "
                 f"confirmation p95 {ms(p95(result['confirmed']))} ms", ok=value <= 50)


def _pg_url() -> tuple[str, str] | None:
    from models.db import make_database

    try:
        admin = make_database(PG)
        admin.connect()
    except Exception:
        return None
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin.execute_sql(f'CREATE SCHEMA "{schema}"')
    admin.close()
    sep = "&" if "?" in PG else "?"
    return f"{PG}{sep}options={quote(f'-c search_path={schema}')}", schema


def _drop(schema: str) -> None:
    from models.db import make_database

    admin = make_database(PG)
    admin.connect()
    admin.execute_sql(f'DROP SCHEMA "{schema}" CASCADE')
    admin.close()


def run(bench: Bench) -> None:
    from callers import database
    from models.db import database as proxy

    os.environ["CALLERS_NOW"] = NOW
    customers = bench.n(100_000)
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["CALLERS_HOME"] = str(Path(tmp) / "home")
        url = str(Path(tmp) / "bench.db")
        database.open(url)
        start = time.perf_counter()
        _fill(customers)
        bench.note(f"sqlite: {customers:,} customers filled in {time.perf_counter() - start:.1f} s")
        _domain(bench, "sqlite", customers)
        proxy.obj.close()
        os.environ["CALLERS_DB"] = url
        database.open(url)
        _desk(bench, customers)
        proxy.obj.close()
    pg = _pg_url()
    if pg is None:
        bench.note("PostgreSQL not reachable: domain figure on SQLite only")
        return
    url, schema = pg
    try:
        database.open(url)
        _fill(customers)
        _domain(bench, "postgresql", customers)
        proxy.obj.close()
    finally:
        _drop(schema)
