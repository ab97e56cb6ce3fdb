"""Fixtures: every database test runs on a real SQLite file and, when
CALLERS_TEST_PG is set, on a real PostgreSQL too, in a database (or schema)
of its own that is dropped afterwards (so parallel runs never see each
other's rows).

`db` is a copy of a template migrated once per test session (SQLite: a file
copied; PostgreSQL: `CREATE DATABASE … TEMPLATE`), so no test pays for every
migration again. `db_url` is an empty database, for the tests of migrations
and of `callers db upgrade` themselves.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
from dataclasses import dataclass
from pathlib import Path

import peewee
import pytest

from tests.support import pgschema

PG_ENV = "CALLERS_TEST_PG"
ENGINES = ["sqlite", "postgresql"]


@dataclass
class TestDB:
    engine: str
    url: str  # pass to --db, CALLERS_DB or models.open_database
    db: peewee.Database


def _pg_base() -> str | None:
    return os.environ.get(PG_ENV) or None


@pytest.fixture(params=ENGINES)
def engine(request) -> str:
    if request.param == "postgresql" and not _pg_base():
        pytest.skip(f"PostgreSQL tests need {PG_ENV}=postgresql://user@host:port/db")
    return request.param


@pytest.fixture
def db_url(engine, tmp_path) -> str:
    """A fresh, empty database of each engine, as a URL (not yet opened)."""
    if engine == "sqlite":
        yield str(tmp_path / "callers.db")
        return
    with pgschema.scratch(_pg_base(), "t") as url:
        yield url


def _migrate(url: str) -> None:
    """Bring a new database to the current schema with its seeded rows, as
    the first open does, then close every connection to it."""
    from callers.database import open as open_database
    from models.db import database

    made = open_database(url)
    made.close_all() if hasattr(made, "close_all") else made.close()
    database.initialize(None)  # nothing may write to the template by mistake


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    """A SQLite file migrated once per session, read-only (copies are not)."""
    path = tmp_path_factory.mktemp("template") / "callers.db"
    _migrate(str(path))
    conn = sqlite3.connect(path)  # everything in the file itself: no write-ahead log left beside it
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    assert not Path(f"{path}-wal").exists()
    path.chmod(0o444)
    return path


@pytest.fixture(scope="session")
def pg_template() -> tuple[str, str] | None:
    """A PostgreSQL schema migrated once per session, as SQL to replay
    (None without pg_dump: then every test migrates its own)."""
    return pgschema.dump(_pg_base(), _migrate)


def _migrate_with_roles(url: str) -> None:
    """As `_migrate`, then `callers db roles` (grants, row-level security,
    the claim functions): what a team's database has. Applying them takes
    seconds, so team tests copy this template instead."""
    from callers.database import open as open_database
    from models.db import database
    from tests.support import pglogins

    made = open_database(url)
    pglogins.apply_roles()
    made.close_all() if hasattr(made, "close_all") else made.close()
    database.initialize(None)


@pytest.fixture(scope="session")
def pg_team_template() -> tuple[str, str] | None:
    """A PostgreSQL schema migrated and with the team roles applied, once
    per session (None without pg_dump)."""
    return pgschema.dump(_pg_base(), _migrate_with_roles, prefix="callers_team_tpl")


@pytest.fixture
def team_db(engine, monkeypatch, request) -> TestDB:
    """As `db`, on PostgreSQL only, with `callers db roles` applied (for the
    tests of logins and row-level security). `roles_applied` says whether
    the copy has them already (a template was made) or the test must apply
    them itself."""
    from callers.database import open as open_database

    if engine != "postgresql":
        pytest.skip("database logins and row-level security are PostgreSQL's")
    template = request.getfixturevalue("pg_team_template")
    with pgschema.replayed(_pg_base(), template) if template else pgschema.scratch(_pg_base(), "t") as url:
        monkeypatch.setenv("CALLERS_DB", url)
        database = open_database(url)
        made = TestDB(engine, url, database)
        made.roles_applied = template is not None
        yield made
        if not database.is_closed():
            database.close()


@pytest.fixture
def migrated_url(engine, tmp_path, request) -> str:
    """A database of each engine at the current schema (a copy of the
    session's template), as a URL (not yet opened)."""
    if engine == "sqlite":
        path = tmp_path / "callers.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        yield str(path)
        return
    template = request.getfixturevalue("pg_template")
    with pgschema.replayed(_pg_base(), template) if template else pgschema.scratch(_pg_base(), "t") as url:
        yield url


@pytest.fixture
def db(migrated_url, engine, monkeypatch) -> TestDB:
    """A fresh database of each engine, opened, at the current schema, and
    named in CALLERS_DB so that commands run in the test use it."""
    from callers.database import open as open_database

    monkeypatch.setenv("CALLERS_DB", migrated_url)
    database = open_database(migrated_url)
    yield TestDB(engine, migrated_url, database)
    if not database.is_closed():
        database.close()


@pytest.fixture
def now(monkeypatch):
    """Freeze the clock: `now("2026-11-24T15:30:00+00:00")`."""

    def freeze(iso: str):
        from callers import clock

        monkeypatch.setenv("CALLERS_NOW", iso)
        return clock.now()

    return freeze


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path, monkeypatch):
    """Never touch the developer's own database or demo file."""
    monkeypatch.setenv("CALLERS_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("CALLERS_DB", raising=False)
    monkeypatch.delenv("CALLERS_NOW", raising=False)


@pytest.fixture
def desk(db, now):
    """The desk's two due customers (tests/support/desk.py `desk_data`) at its
    clock (a Tuesday afternoon, inside calling hours)."""
    from tests.support.desk import NOW, desk_data

    now(NOW)
    return desk_data()
