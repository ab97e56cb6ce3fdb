"""Schema versions: the database records which migrations it has had.

A newer callers upgrades an older database on open (peewee's
`playhouse.migrations` runner); an older callers refuses a database that has
migrations it does not know, instead of writing into a schema it misreads.
"""

from __future__ import annotations

import contextlib
from typing import NamedTuple
from pathlib import Path

import peewee

from models.db import database, is_postgres

MIGRATIONS = Path(__file__).parent / "migrations"
HISTORY_TABLE = "schema_migration"
_ADVISORY_LOCK = 0x43414C4C  # "CALL"


class SchemaTooNew(RuntimeError):
    """The database was written by a newer callers."""


class SchemaStatus(NamedTuple):
    database_version: int  # 0: empty database
    code_version: int
    pending: tuple[str, ...]
    unknown: tuple[str, ...]  # applied migrations this code does not have

    @property
    def current(self) -> bool:
        return not self.pending and not self.unknown


def runner(db: peewee.Database | None = None):
    """peewee's migration runner (imported here: the desk's start-up does
    not need it when the schema is current)."""
    from playhouse.migrations import Runner

    return Runner(db or database.obj, str(MIGRATIONS), table_name=HISTORY_TABLE)


def _had_every_migration(db: peewee.Database) -> bool:
    """Whether the database has had exactly this code's migrations, read
    without the runner (the common case on every open)."""
    names = {path.stem for path in MIGRATIONS.glob("[0-9]*.py")}
    try:
        applied = {row[0] for row in db.execute_sql(f'SELECT name FROM "{HISTORY_TABLE}"')}
    except peewee.DatabaseError:  # no such table yet: an empty database
        return False
    return applied == names


def _version(name: str) -> int:
    digits = "".join(ch for ch in name.split("_", 1)[0] if ch.isdigit())
    return int(digits) if digits else 0


def code_version() -> int:
    return max((m.idx for m in runner().migrations()), default=0)


def status(db: peewee.Database | None = None) -> SchemaStatus:
    rows = runner(db).status()
    applied = [m for m in rows if m.applied]
    return SchemaStatus(
        database_version=max((_version(m.name) for m in applied), default=0),
        code_version=max((m.idx for m in rows if m.path), default=0),
        pending=tuple(m.name for m in rows if m.path and not m.applied),
        unknown=tuple(m.name for m in rows if m.applied and not m.path),
    )


@contextlib.contextmanager
def _exclusive(db: peewee.Database):
    """One process at a time upgrades a shared database."""
    if is_postgres(db):
        db.execute_sql("SELECT pg_advisory_lock(%s)", (_ADVISORY_LOCK,))
        try:
            yield
        finally:
            db.execute_sql("SELECT pg_advisory_unlock(%s)", (_ADVISORY_LOCK,))
    else:
        yield


def check_not_newer(state: SchemaStatus) -> None:
    if state.unknown:
        raise SchemaTooNew(
            f"this database has schema version {state.database_version}, newer than "
            f"this callers understands (version {state.code_version}); "
            "upgrade callers before opening it"
        )


def upgrade(db: peewee.Database | None = None, target: str | None = None) -> list[str]:
    """Apply pending migrations (all, or up to `target`). Returns their names."""
    db = db or database.obj
    with _exclusive(db):
        state = status(db)
        check_not_newer(state)
        if not state.pending:
            return []
        return runner(db).up(target)


def ensure_current(db: peewee.Database | None = None) -> list[str]:
    """What every command does on open: refuse newer, upgrade older."""
    db = db or database.obj
    if _had_every_migration(db):
        return []
    state = status(db)
    check_not_newer(state)
    if state.pending:
        return upgrade(db)
    return []


def drift(db: peewee.Database | None = None) -> list[str]:
    """Differences between the database and the models, as readable lines."""
    from playhouse.schema_diff import diff_models

    from models.tables import ALL_MODELS

    from models.tallies import DONE_SECONDS_INDEX

    db = db or database.obj
    result = diff_models(db, ALL_MODELS)
    # An expression index differs per engine, so the migration makes it and
    # `tallies.check` looks for it; the models do not declare it.
    return [line for line in str(result).splitlines()
            if line.strip() and DONE_SECONDS_INDEX not in line] if result else []
