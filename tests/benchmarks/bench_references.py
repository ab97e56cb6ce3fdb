"""`python -m tests.benchmarks references`: references, leads, reconciliation.

On `bench.n(100_000)` customers (40% referenceable, features in production,
some uses, stalled implementations with call notes), on SQLite and, when
PostgreSQL answers (CALLERS_TEST_PG or the local default), on PostgreSQL:
- `references.find()` (type + region + feature filters, ranked, page of 50)
  p95. Goal <= 100 ms. Baseline: SELECT COUNT(*) of the customers.
- `leads.professional_services()` (every lead, buyer and last note) and
  `leads.beta_candidates(limit=50)`. Goals <= 1 s and <= 300 ms.
- `reconcile()` of a billing file with one row per customer (90% by id,
  5% by name, 5% unknown). Goal <= 5 s. Baseline: reading the file alone.
"""

from __future__ import annotations

import csv
import os
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from tests.support import pgschema
from tests.benchmarks.harness import Bench, ms, p95, timed

NOW = "2026-11-24T15:30:00+00:00"
PG = os.environ.get("CALLERS_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
COUNTRIES = ["DE", "AT", "CH", "FR", "GB", "US", "JP", "AU", "SE", "BR"]
STATES = ["live", "live", "live", "in_progress", "stalled", "not_started"]
INDUSTRIES = ["Banking", "Retail", "Health", "Public sector", "Manufacturing"]


def _fill(customers: int) -> None:
    from callers import clock
    from models.db import batch_size, database as proxy, is_postgres, write_transaction
    from models.tables import Call, Contact, Customer, CustomerFeature, Feature, ReferenceUse

    at = clock.db_now()
    features = [dict(id=i, name=f"Feature {i}", position=i) for i in range(1, 11)]
    rows, contacts, cfs, uses, calls = [], [], [], [], []
    for i in range(1, customers + 1):
        state = STATES[i % len(STATES)]
        yes = "yes" if i % 5 < 2 else ("no" if i % 5 == 2 else None)
        rows.append(dict(
            id=i, external_id=f"CRM-{i}", name=f"Bench {i} Ltd", name_key=f"bench {i}", created_at=at,
            updated_at=at, industry=INDUSTRIES[i % 5], employees=(i * 37) % 5000, country=COUNTRIES[i % 10],
            implementation_state=state, implementation_changed_at=at - timedelta(days=i % 200),
            purchased_at=at - timedelta(days=i % 900), ref_prospect_call=yes, ref_case_study=yes,
            referenceability_confirmed_at=at - timedelta(days=i % 150),
            features_confirmed_at=at - timedelta(days=i % 150)))
        contacts.append(dict(customer=i, name=f"Buyer {i}", role="buyer", phone="+442079460958",
                             created_at=at, updated_at=at))
        for f in range(1 + i % 4):
            cfs.append(dict(customer=i, feature=1 + (i + f) % 10, in_production=True, confirmed_at=at))
        if i % 20 == 0:
            uses.append(dict(customer=i, ref_type="prospect-call", requested_by="sales",
                             used_at=at - timedelta(days=i % 120)))
        if state in ("stalled", "not_started"):
            calls.append(dict(customer=i, caller="bench", ended_at=at - timedelta(days=i % 60),
                              outcome="completed", note=f"note {i}"))
            calls.append(dict(customer=i, caller="bench", ended_at=at - timedelta(days=i % 30),
                              outcome="no_answer"))
    with write_transaction():
        Feature.insert_many(features).execute()
        for model, items in ((Customer, rows), (Contact, contacts), (CustomerFeature, cfs),
                             (ReferenceUse, uses), (Call, calls)):
            size = batch_size(max(len(item) for item in items[:50]))
            for start in range(0, len(items), size):
                model.insert_many(items[start:start + size]).execute()
    if is_postgres():
        proxy.obj.execute_sql(f"SELECT setval(pg_get_serial_sequence('customer', 'id'), {customers})")
        proxy.obj.execute_sql("ANALYZE")


def _billing(path: Path, customers: int) -> None:
    with open(path, "w", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(["Account ID", "Account Name", "Plan", "MRR", "Status"])
        for i in range(1, customers + 1):
            if i % 20 == 1:
                out.writerow([f"B-{i}", f"BENCH {i}, LIMITED", "Team", "100", "Active"])  # by name
            elif i % 20 == 2:
                out.writerow([f"B-{i}", f"Stranger {i} GmbH", "Team", "100", "Active"])  # unknown
            else:
                out.writerow([f"CRM-{i}", f"Bench {i}", "Team", "100", "Active"])  # by id


def _measure(bench: Bench, engine: str, customers: int, billing: Path) -> None:
    from callers import leads, reconcile, references
    from models.tables import Customer

    crit = references.criteria("prospect-call", country="DACH", features=["Feature 3"])
    references.find(crit)
    base = timed(lambda: Customer.select().count(), repeat=20)
    times = timed(lambda: references.find(crit), repeat=20)
    value = ms(p95(times))
    found = references.find(crit)
    bench.figure(f"references find p95 ({engine}, {customers:,} customers, {found.total:,} fit)", value, "ms",
                 "<= 100 ms", baseline=f"COUNT(*) customers p95 {ms(p95(base))} ms", ok=value <= 100)

    times = timed(leads.professional_services, repeat=3)
    n = len(leads.professional_services())
    value = ms(min(times))
    bench.figure(f"leads professional-services ({engine}, {n:,} leads)", value, "ms", "<= 1000 ms",
                 baseline=f"COUNT(*) customers {ms(min(base))} ms", ok=value <= 1000)
    times = timed(lambda: leads.beta_candidates(limit=50), repeat=5)
    value = ms(p95(times))
    bench.figure(f"leads beta top 50 ({engine})", value, "ms", "<= 300 ms",
                 baseline=f"COUNT(*) customers {ms(min(base))} ms", ok=value <= 300)

    read = timed(lambda: reconcile.read_billing(billing), repeat=1)[0]
    start = time.perf_counter()
    result = reconcile.reconcile(billing)
    value = round(time.perf_counter() - start, 3)
    bench.note(f"reconcile: {len(result.matched):,} matched, {len(result.unknown):,} unknown, "
               f"{len(result.unbilled):,} unbilled, {len(result.ambiguous):,} ambiguous")
    from callers import value as worth

    kept = timed(lambda: worth.record_reconciliation(result, "billing.csv", "bench"), repeat=1)[0]
    bench.note(f"reconcile: keeping what it found for the report (`callers reconcile` does) {kept:.3f} s")
    bench.figure(f"reconcile ({engine}, {customers:,} billing rows x {customers:,} customers)", value, "s",
                 "<= 5 s", baseline=f"reading the file alone {read:.3f} s", ok=value <= 5)


def run(bench: Bench) -> None:
    from callers import database
    from models.db import database as proxy

    os.environ["CALLERS_NOW"] = NOW
    customers = bench.n(100_000)
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["CALLERS_HOME"] = str(Path(tmp) / "home")
        billing = Path(tmp) / "billing.csv"
        _billing(billing, customers)
        url = str(Path(tmp) / "bench.db")
        database.open(url)
        start = time.perf_counter()
        _fill(customers)
        bench.note(f"sqlite: {customers:,} customers filled in {time.perf_counter() - start:.1f} s")
        _measure(bench, "sqlite", customers, billing)
        proxy.obj.close()
        if not pgschema.reachable(PG):
            bench.note("PostgreSQL not reachable: figures on SQLite only")
            return
        with pgschema.scratch(PG, "bench") as url:
            database.open(url)
            _fill(customers)
            _measure(bench, "postgresql", customers, billing)
