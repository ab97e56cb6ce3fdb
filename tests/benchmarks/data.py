"""Benchmark databases, made once by the demo generator and reused.

    from tests.benchmarks import data
    url = data.database(1_000_000)                       # SQLite URL, cached in bench-data/
    url = data.database(1_000_000, calls_per_customer=2, forwards=300_000)
    url = data.postgres(200_000)                         # or None without CALLERS_TEST_PG

A SQLite database is complete when its sidecar file (`<name>.db.complete`, JSON
of what was asked for and what was made) exists and matches; anything else
under that name is a half-built leftover and is built again. A PostgreSQL
schema is complete when it holds the same JSON in its `setting` table.
Databases are built with a fixed clock (`BUILT_AT`, a Tuesday afternoon) so a
cached file means the same thing whenever it was made.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from tests.support import pgschema
from tests.benchmarks.harness import DATA

BUILT_AT = "2026-11-24T15:00:00+00:00"
MARK = "bench_data_complete"  # the setting row that marks a complete PostgreSQL schema
PG_ENV = "CALLERS_TEST_PG"


def _wanted(customers: int, calls_per_customer: float, forwards: int | None, seed: int) -> dict:
    from callers import demo

    return {"customers": int(customers), "calls_per_customer": float(calls_per_customer),
            "forwards": forwards, "seed": int(seed), "built_at": BUILT_AT, "generator": demo.VERSION}


def _name(wanted: dict) -> str:
    calls = f"{wanted['calls_per_customer']:g}".replace(".", "_")
    forwards = "d" if wanted["forwards"] is None else str(wanted["forwards"])
    return f"demo-{wanted['customers']}-c{calls}-f{forwards}-s{wanted['seed']}-g{wanted['generator']}"


def _build(url: str, wanted: dict) -> dict:
    """Fill the (empty) database at url; returns what was made."""
    from callers import database as opener, demo
    from models.db import database

    previous = os.environ.get("CALLERS_NOW")
    os.environ["CALLERS_NOW"] = BUILT_AT
    try:
        db = opener.open(url)
        try:
            started = time.perf_counter()
            result = demo.generate(wanted["customers"], seed=wanted["seed"],
                                   calls_per_customer=wanted["calls_per_customer"],
                                   forwards=wanted["forwards"])
            db.execute_sql("ANALYZE")
            made = {"contacts": result.contacts, "calls": result.calls, "forwards": result.forwards,
                    "seconds": round(time.perf_counter() - started, 1)}
        finally:
            if database.obj is not None and not database.obj.is_closed():
                database.obj.close()
    finally:
        if previous is None:
            os.environ.pop("CALLERS_NOW", None)
        else:
            os.environ["CALLERS_NOW"] = previous
    return made


def database(customers: int, calls_per_customer: float = 3, forwards: int | None = None,
             seed: int = 1) -> str:
    """A SQLite URL of a demo database of that size (built the first time)."""
    wanted = _wanted(customers, calls_per_customer, forwards, seed)
    DATA.mkdir(parents=True, exist_ok=True)
    path = DATA / f"{_name(wanted)}.db"
    sidecar = Path(f"{path}.complete")
    if path.exists() and sidecar.exists():
        try:
            if json.loads(sidecar.read_text())["wanted"] == wanted:
                return f"sqlite:///{path}"
        except (ValueError, KeyError):
            pass
    sidecar.unlink(missing_ok=True)
    for leftover in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        leftover.unlink(missing_ok=True)
    # The same database made by an older generator is of no more use (and large).
    stem = _name(wanted).rsplit("-g", 1)[0]
    for old in DATA.glob(f"{stem}-g*.db*"):
        if not old.name.startswith(path.name):
            old.unlink(missing_ok=True)
    url = f"sqlite:///{path}"
    made = _build(url, wanted)
    sidecar.write_text(json.dumps({"wanted": wanted, "made": made}, indent=2) + "\n")
    return url


def made(url: str) -> dict | None:
    """What a cached SQLite database holds (contacts, calls, forwards, build seconds)."""
    from models.db import sqlite_path

    path = sqlite_path(url)
    sidecar = Path(f"{path}.complete") if path else None
    if sidecar is None or not sidecar.exists():
        return None
    return json.loads(sidecar.read_text())["made"]


def postgres(customers: int, calls_per_customer: float = 3, forwards: int | None = None,
             seed: int = 1, base: str | None = None) -> str | None:
    """A PostgreSQL URL (a schema of its own) of a demo database of that size,
    built the first time; None when no PostgreSQL is configured ($CALLERS_TEST_PG)."""
    from models.db import make_database

    base = base or os.environ.get(PG_ENV)
    if not base:
        return None
    wanted = _wanted(customers, calls_per_customer, forwards, seed)
    schema = "bench_" + _name(wanted).replace("-", "_").lower()
    url = pgschema.schema_url(base, schema)
    admin = make_database(base)
    admin.connect()
    try:
        row = admin.execute_sql(
            "SELECT 1 FROM information_schema.tables WHERE table_schema = %s AND table_name = 'setting'",
            (schema,)).fetchone()
        if row:
            mark = admin.execute_sql(f'SELECT value FROM "{schema}".setting WHERE key = %s', (MARK,)).fetchone()
            if mark and json.loads(mark[0]).get("wanted") == wanted:
                return url
        admin.execute_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        admin.execute_sql(f'CREATE SCHEMA "{schema}"')
    finally:
        admin.close()
    made_rows = _build(url, wanted)
    admin = make_database(base)
    admin.connect()
    try:
        admin.execute_sql(f'INSERT INTO "{schema}".setting (key, value) VALUES (%s, %s)',
                          (MARK, json.dumps({"wanted": wanted, "made": made_rows})))
    finally:
        admin.close()
    return url
