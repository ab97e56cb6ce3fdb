"""Fixtures: every database test runs on a real SQLite file and, when
CALLERS_TEST_PG is set, on a real PostgreSQL too, in a schema of its own that
is dropped afterwards (so parallel runs never see each other's rows).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

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


@pytest.fixture
def db(db_url, engine, monkeypatch) -> TestDB:
    """A fresh database of each engine, opened, at the current schema, and
    named in CALLERS_DB so that commands run in the test use it."""
    from callers.database import open as open_database

    monkeypatch.setenv("CALLERS_DB", db_url)
    database = open_database(db_url)
    yield TestDB(engine, db_url, database)
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
