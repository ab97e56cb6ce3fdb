"""The engine seam: every difference between SQLite and PostgreSQL lives here.

Code outside `models/` asks this module (a `Dialect`, or a function named for
what it does) and never tests which engine it is talking to. Sections:

- SQL fragments (`Dialect`): dates, hours, seconds between two times.
- Queries that the engines write differently (the due queue, bulk inserts).
- Files and housekeeping (WAL/SHM side files, sequences after a bulk load).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import peewee

from models.db import database, is_postgres

# ---- SQL fragments ------------------------------------------------------------

@dataclass(frozen=True)
class Dialect:
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


# ---- files and housekeeping ---------------------------------------------------
