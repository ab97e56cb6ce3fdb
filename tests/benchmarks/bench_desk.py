"""`python -m tests.benchmarks desk`: the cost of `callers next` must not grow
with the customer base.

Figures, on SQLite (and on PostgreSQL when CALLERS_TEST_PG is set):
* `next_due(claim=False)` p95 over 200 different "now"s (spread over a
  working week, worldwide zones; best of 3 at each "now") on 1,000, 200,000 and 1,000,000 customers,
  the sizes taking turns at each "now";
* the ratio 1M / 1k (goal <= 1.2): the baseline is the 1k run of the same size
  ladder, measured in the same run;
* the query itself (one statement: the index seeks for the open zone keys,
  the best of them, its row and contact) p95 at 1M (goal <= 2 ms).

CALLERS_BENCH_DESK_ENGINES=sqlite skips PostgreSQL (its 1M schema takes
minutes to build the first time). Databases come from `tests/benchmarks/data.py` (`database(customers)`,
`postgres(customers)`: demo data shared with the other benchmarks) when it
exists, else from the small builder below; both are kept and reused.
"""

from __future__ import annotations

import os
import random
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from tests.support import pgschema
from tests.benchmarks.harness import DATA, Bench, ms, p95

PG = os.environ.get("CALLERS_TEST_PG")
RUNS = 200
REPEAT = 3
# Numbers in many countries, so that the zone keys look like a worldwide base
# (including numbers phonenumbers maps to several zones).
NUMBERS = [
    "+442079460958", "+493012345678", "+33142685300", "+34912345678", "+390612345678",
    "+31201234567", "+46812345678", "+358912345678", "+41441234567", "+48221234567",
    "+12125550100", "+13125550100", "+13035550100", "+14155550100", "+16135550100",
    "+15149876543", "+525512345678", "+551133334444", "+541143334444", "+61291234567",
    "+61871234567", "+61412345678", "+81312345678", "+6561234567", "+85221234567",
    "+912223456789", "+27211234567", "+97142345678", "+6421234567", "+17025550100",
    "+18085550100", "+19075550100", "+12065550100", "+16045550100", "+14035550100",
]
BASE = datetime(2026, 11, 23, 0, 0, tzinfo=timezone.utc)  # a Monday


def _phones():
    from callers import phones

    found = []
    for number in NUMBERS:
        try:
            parsed = phones.parse(number)
        except phones.PhoneError:
            continue
        if len(parsed.timezone) <= 200:  # Customer.call_tz holds 200 characters
            found.append(parsed)
    return found


def _insert(model, rows: list[dict]) -> None:
    """Many rows in one executemany (peewee's insert_many compiles SQL per batch)."""
    from models.db import database as proxy

    if not rows:
        return
    db = proxy.obj
    given = set(rows[0])
    defaults = {f.name: f.default for f in model._meta.sorted_fields
                if f.name not in given and f.default is not None and not callable(f.default)}
    if defaults:
        rows = [{**defaults, **row} for row in rows]
    fields = [model._meta.fields[name] for name in rows[0]]
    columns = ", ".join(f'"{f.column_name}"' for f in fields)
    marks = ", ".join(db.param for _ in fields)
    sql = f'INSERT INTO "{model._meta.table_name}" ({columns}) VALUES ({marks})'
    values = [[f.db_value(row[f.name]) for f in fields] for row in rows]
    db.cursor().executemany(sql, values)


def build(url: str, customers: int, seed: int = 5) -> None:
    """Customers spread over zones, ranks and due times like a live base:
    ~1% callbacks, ~25% never reached, the rest overdue or due later this cycle."""
    from callers import clock, database
    from models.db import database as proxy, write_transaction
    from models.tables import DUE_CALLBACK, DUE_NEVER_REACHED, DUE_OVERDUE, Contact, Customer

    database.open(url)
    rng = random.Random(seed)
    numbers = _phones()
    at = clock.to_db(BASE)
    done = 0
    chunk = 20000
    while done < customers:
        rows, contacts = [], []
        for i in range(done + 1, min(customers, done + chunk) + 1):
            p = numbers[rng.randrange(len(numbers))]
            roll = rng.random()
            if roll < 0.01:
                rank, due = DUE_CALLBACK, at + timedelta(minutes=rng.randrange(-600, 7 * 1440))
            elif roll < 0.26:
                rank, due = DUE_NEVER_REACHED, at + timedelta(minutes=rng.randrange(-30 * 1440, 7 * 1440))
            else:
                rank, due = DUE_OVERDUE, at + timedelta(minutes=rng.randrange(-60 * 1440, 90 * 1440))
            rows.append(dict(id=i, name=f"Bench {i}", name_key=f"bench {i}", created_at=at, updated_at=at,
                             next_due_at=due, due_rank=rank, call_contact=i, call_tz=p.timezone,
                             attempts=rng.randrange(0, 4)))
            contacts.append(dict(id=i, customer=i, name=f"Person {i}", role="buyer", phone=p.e164,
                                 timezone=p.timezone, created_at=at, updated_at=at))
        with write_transaction():
            _insert(Customer, rows)
            _insert(Contact, contacts)
        done += len(rows)
    db = proxy.obj
    if "postgresql" in url:
        for table in ("customer", "contact"):
            db.execute_sql(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), {customers})")
        db.execute_sql("ANALYZE")
    else:
        db.execute_sql("ANALYZE")
    db.close()


def _pg_url(schema: str) -> str:
    return pgschema.schema_url(PG, schema)


def sqlite_db(customers: int) -> str:
    """A benchmark database of so many customers (built once, reused)."""
    try:
        from tests.benchmarks import data  # the demo engineer's shared generator
    except ImportError:
        data = None
    if data is not None and hasattr(data, "database"):
        found = data.database(customers)
        return str(getattr(found, "url", found))
    path = DATA / f"desk-{customers}.db"
    if not path.exists():
        DATA.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp.db")
        for leftover in (tmp, Path(f"{tmp}-wal"), Path(f"{tmp}-shm")):
            leftover.unlink(missing_ok=True)
        build(str(tmp), customers)
        tmp.rename(path)
    return str(path)


def pg_db(customers: int) -> str:
    """A PostgreSQL schema of so many customers (built once, reused)."""
    try:
        from tests.benchmarks import data  # the demo engineer's shared generator
    except ImportError:
        data = None
    if data is not None and hasattr(data, "postgres"):
        found = data.postgres(customers)
        if found:
            return str(found)
    from models.db import make_database

    schema = f"bench_desk_{customers}"
    admin = make_database(PG)
    admin.connect()
    try:
        exists = admin.execute_sql(
            "SELECT 1 FROM information_schema.tables WHERE table_schema = %s AND table_name = 'customer'",
            (schema,)).fetchone()
        if exists:
            count = admin.execute_sql(f'SELECT COUNT(*) FROM "{schema}".customer').fetchone()[0]
            if count == customers:
                return _pg_url(schema)
        admin.execute_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        admin.execute_sql(f'CREATE SCHEMA "{schema}"')
    finally:
        admin.close()
    build(_pg_url(schema), customers)
    return _pg_url(schema)


def _nows(count: int, seed: int = 11) -> list[datetime]:
    rng = random.Random(seed)
    return [BASE + timedelta(minutes=rng.randrange(0, 5 * 1440)) for _ in range(count)]


def measure(urls: dict[int, str]) -> dict[int, tuple[float, float, int]]:
    """For each size: (p95 of next_due(claim=False) in s, p95 of the query
    itself in s, how many "now"s found somebody).

    Interleaved: each "now" is timed on every size in turn (the proxy
    pointed at each open database), so a burst of noise on a shared machine
    falls on all sizes alike instead of on whichever was being measured."""
    from callers import database, due, hours, settings
    from models.db import database as proxy

    nows = _nows(RUNS)
    caller = "bench"
    dbs = {}
    for size, url in urls.items():
        dbs[size] = database.open(url)
        for now in nows[:10]:  # warm the caches (zone keys, pages)
            due.next_due(caller, now=now, claim=False)
    values = settings.get_all()
    rules = hours.Hours.from_settings(values)
    whole: dict[int, list[float]] = {size: [] for size in dbs}
    query: dict[int, list[float]] = {size: [] for size in dbs}
    found = dict.fromkeys(dbs, 0)
    for now in nows:
        now_db = now.replace(tzinfo=None)
        for size, db in dbs.items():
            proxy.initialize(db)
            # Best of REPEAT for each "now": the cost of the look-up, not the
            # scheduler's noise on a shared machine.
            times = []
            for _ in range(REPEAT):
                start = time.perf_counter()
                got = due.next_due(caller, now=now, claim=False)
                times.append(time.perf_counter() - start)
            whole[size].append(min(times))
            found[size] += got is not None
            keys = due.open_keys(now, rules)
            times = []
            for _ in range(REPEAT):
                start = time.perf_counter()
                due._pick(keys, now_db, caller, int(values["max_attempts"]))
                times.append(time.perf_counter() - start)
            query[size].append(min(times))
    for db in dbs.values():
        db.close()
    return {size: (p95(whole[size]), p95(query[size]), found[size]) for size in dbs}


def explain(url: str) -> list[str]:
    """The plan of the candidate query, for the record."""
    from callers import database, due, hours, settings
    from models.db import database as proxy, is_postgres

    db = database.open(url)
    now = BASE + timedelta(hours=15)
    keys = due.open_keys(now, hours.Hours.from_settings(settings.get_all()))[:2]
    captured = []
    real = db.execute_sql

    def capture(sql, params=None, *a, **k):
        if ("VALUES" in sql or "EXECUTE callers_due_pick" in sql) and not captured:
            captured.append((sql, params))
        return real(sql, params, *a, **k)

    db.execute_sql = capture
    try:
        due._pick(keys, now.replace(tzinfo=None), "bench", 6)
    finally:
        del db.execute_sql
    sql, params = captured[0]
    prefix = "EXPLAIN " if is_postgres() else "EXPLAIN QUERY PLAN "
    rows = real(prefix + sql, params).fetchall()
    proxy.obj.close()
    return [" | ".join(str(c) for c in row) for row in rows]


def run(bench: Bench) -> None:
    sizes = [bench.n(1000, minimum=1000), bench.n(200_000, minimum=2000), bench.n(1_000_000, minimum=10_000)]
    wanted = os.environ.get("CALLERS_BENCH_DESK_ENGINES", "sqlite,postgresql").split(",")
    engines = [("sqlite", sqlite_db)] if "sqlite" in wanted else []
    if PG and "postgresql" in wanted:
        engines.append(("postgresql", pg_db))
    for engine, make in engines:
        urls = {}
        for size in sizes:
            start = time.perf_counter()
            urls[size] = make(size)
            bench.note(f"{engine}: {size:,} customers ready in {time.perf_counter() - start:.1f} s")
        results = measure(urls)
        for size in sizes:
            whole, query, found = results[size]
            bench.figure(f"desk next {engine} {size:,} customers p95", ms(whole), "ms", "flat",
                         baseline=f"{ms(results[sizes[0]][0])} ms at {sizes[0]:,}")
            bench.note(f"{found} of {RUNS} 'now's had somebody due")
        small, large = results[sizes[0]][0], results[sizes[-1]][0]
        ratio = large / small if small else 0.0
        bench.figure(f"desk next {engine} ratio {sizes[-1]:,}/{sizes[0]:,}", round(ratio, 3), "x", "<= 1.2",
                     baseline=f"{ms(small)} ms at {sizes[0]:,}", ok=ratio <= 1.2)
        query = results[sizes[-1]][1]
        bench.figure(f"desk next {engine} query p95 at {sizes[-1]:,}", ms(query), "ms", "<= 2",
                     baseline=f"{ms(results[sizes[0]][1])} ms at {sizes[0]:,}", ok=query <= 0.002)
        for line in explain(make(sizes[-1])):
            bench.note(f"plan ({engine}): {line}")
