"""The engine seam: every difference between SQLite and PostgreSQL lives here.

Code outside `models/` asks this module (a `Dialect`, or a function named for
what it does) and never tests which engine it is talking to. Sections:

- SQL fragments (`Dialect`): dates, hours, seconds between two times.
- Queries that the engines write differently (the due queue, bulk inserts).
- Files and housekeeping (WAL/SHM side files, sequences after a bulk load).
"""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

import peewee

from models.db import database, is_postgres

# ---- SQL fragments ------------------------------------------------------------

class Dialect(NamedTuple):
    name: str
    false: str
    true: str

    def day(self, x: str) -> str:
        """The UTC day of a stored (naive UTC) time."""
        if self.name == "postgresql":
            return f"CAST({x} AS DATE)"
        return f"substr({x}, 1, 10)"  # stored as 'YYYY-MM-DD HH:MM:SS[.ffffff]'

    def hour(self, x: str) -> str:
        """A stored time with its minutes and seconds cut off."""
        if self.name == "postgresql":
            return f"date_trunc('hour', {x})"
        return f"substr({x}, 1, 13) || ':00:00'"

    def hour_of_day(self, x: str) -> str:
        """The UTC hour (0-23) of a stored time, as an integer."""
        if self.name == "postgresql":
            return f"CAST(EXTRACT(HOUR FROM {x}) AS INTEGER)"
        return f"CAST(substr({x}, 12, 2) AS INTEGER)"

    def seconds(self, start: str, end: str) -> str:
        """Whole seconds from start to end (the same SQL as models.db.seconds_between,
        with its constants written out, as an expression index needs)."""
        if self.name == "postgresql":
            return f"CAST(ROUND(date_part('epoch', {end} - {start})) AS INTEGER)"
        return f"CAST(ROUND((julianday({end}) - julianday({start})) * 86400) AS INTEGER)"

    def differs(self, a: str, b: str) -> str:
        return f"{a} IS DISTINCT FROM {b}" if self.name == "postgresql" else f"{a} IS NOT {b}"


SQLITE = Dialect("sqlite", "0", "1")
POSTGRES = Dialect("postgresql", "false", "true")


def dialect(db: peewee.Database | None = None) -> Dialect:
    return POSTGRES if is_postgres(db or database.obj) else SQLITE


def aggregate_datetime(value) -> datetime | None:
    """A MIN() or MAX() of a datetime column as a (naive) datetime: SQLite
    hands an aggregate back as text, having lost the column's type."""
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))


# What the engine offers (asked by callers/, which never names the engine).


def supports_logins(db: peewee.Database | None = None) -> bool:
    """Whether the database has logins of its own, each a person (PostgreSQL),
    rather than being a file whose permissions are the access control."""
    return is_postgres(db)


def is_file_database(db: peewee.Database | None = None) -> bool:
    """Whether the database is one file on this machine (SQLite): it has a
    path, a write-ahead log to checkpoint, and side files."""
    db = db or database.obj
    return isinstance(db, peewee.SqliteDatabase)


def storage(db: peewee.Database | None = None) -> str:
    """Where the data is written, for a message about a full disk: the file,
    or the database server's disk."""
    db = db or database.obj
    if db is None:
        return "the database"
    if is_file_database(db):
        return str(db.database)
    host = db.connect_params.get("host") or "localhost"
    return f"the disk of the database server ({db.database} on {host})"




# ---- queries the engines write differently ------------------------------------
# The due queue's statements (pick, claim, hold, new cycles) are in
# models/queue.py: PostgreSQL's one prepared LATERAL statement and SQLite's
# scalar subqueries under BEGIN IMMEDIATE are an idea of their own.


# ---- bulk writes (the importer, the demo) -------------------------------------
# Multi-row INSERTs written by hand: plain tuples in, as few statements as the
# engine's limit on bound variables allows (peewee's insert_many builds and
# converts every row, many times slower for a large load). Both engines take
# `INSERT ... RETURNING` (SQLite since 3.35).

import itertools  # noqa: E402  (this section's own imports)

from models.db import batch_size  # noqa: E402


def _values(width: int, count: int) -> str:
    """`(?, ?), (?, ?)`: `count` rows of `width` placeholders, in the engine's style."""
    one = "(" + ", ".join([database.obj.param] * width) + ")"
    return ", ".join([one] * count)


def insert_rows(table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
    """INSERT rows (tuples in `columns` order, ids included) into `table`."""
    if not rows:
        return
    db = database.obj
    size = batch_size(len(columns))
    head = f'INSERT INTO "{table}" ({", ".join(columns)}) VALUES '
    full = head + _values(len(columns), size)
    chain = itertools.chain.from_iterable
    for start in range(0, len(rows), size):
        batch = rows[start:start + size]
        sql = full if len(batch) == size else head + _values(len(columns), len(batch))
        db.execute_sql(sql, list(chain(batch)))


def insert_returning(model, columns: tuple, values: list, returning: tuple) -> list[tuple]:
    """INSERT rows (tuples in `columns` order, field names) into a model's
    table; returns the `returning` fields of every row written, e.g. their
    new ids. Fields left out get peewee's Python-side defaults."""
    db = database.obj
    fields = model._meta.fields
    # Python-side defaults peewee would have filled in (e.g. attempts=0).
    extra = [(name, f.default() if callable(f.default) else f.default) for name, f in fields.items()
             if name not in columns and f.default is not None and not f.primary_key]
    if extra:
        columns = tuple(columns) + tuple(name for name, _ in extra)
        tail = tuple(value for _, value in extra)
        values = [row + tail for row in values]
    table = f'"{model._meta.table_name}"'
    cols = ", ".join(f'"{fields[c].column_name}"' for c in columns)
    back = ", ".join(f'"{fields[c].column_name}"' for c in returning)
    size = batch_size(len(columns))
    out = []
    for start in range(0, len(values), size):
        chunk = values[start:start + size]
        sql = f"INSERT INTO {table} ({cols}) VALUES {_values(len(columns), len(chunk))} RETURNING {back}"
        out.extend(db.execute_sql(sql, list(itertools.chain.from_iterable(chunk))).fetchall())
    return out


# ---- files and housekeeping ---------------------------------------------------

from pathlib import Path  # noqa: E402  (this section's own import)


def reset_sequences(models) -> None:
    """After rows were written with explicit ids: make the ids the database
    hands out next come after them. PostgreSQL moves each table's id
    sequence; SQLite needs nothing (a new row takes the largest id + 1)."""
    if not is_postgres():
        return
    db = database.obj
    for model in models:
        table = model._meta.table_name
        db.execute_sql(
            f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "
            f"COALESCE((SELECT MAX(id) FROM \"{table}\"), 0) + 1, false)")


def database_files(path: Path) -> list[Path]:
    """The files a SQLite database at `path` is made of: the file itself and
    the write-ahead log and shared-memory files beside it (which exist only
    while, or after, it is open in WAL mode). Remove them all, or none."""
    return [path.with_name(path.name + suffix) for suffix in ("", "-wal", "-shm")]
