"""What the desk looks like at 80x24 (SQLite, CALLERS_NOW fixed): idle, in a
call at each script step, the outcome picker, and nobody due.

Regenerate after a deliberate change with
`python -m pytest tests/test_desk_snapshots.py --snapshot-update` and look at
the SVGs in tests/__snapshots__/test_desk_snapshots/.
"""

from __future__ import annotations

import pytest

from callers.app import CallersApp
from tests import factories
from tests.test_desk_ui import NOW, Keys, desk_data

SIZE = (80, 24)


@pytest.fixture
def sqlite_db(tmp_path, monkeypatch):
    from callers.database import open as open_database

    url = str(tmp_path / "callers.db")
    monkeypatch.setenv("CALLERS_DB", url)
    monkeypatch.setenv("TZ", "Europe/London")
    database = open_database(url)
    yield database
    database.close()


@pytest.fixture
def desk(sqlite_db, now):
    now(NOW)
    return desk_data()


def keys(*pressed: str):
    """A run_before that presses keys and waits for the desk's workers each time."""

    async def run(pilot) -> None:
        driver = Keys(pilot.app, pilot)
        await driver.settle()
        await driver.press(*pressed)

    return run


def test_idle_desk(desk, snap_compare):
    assert snap_compare(CallersApp(caller="alice"), terminal_size=SIZE, run_before=keys())


def test_in_call_contacts(desk, snap_compare):
    assert snap_compare(CallersApp(caller="alice"), terminal_size=SIZE, run_before=keys("f2"))


def test_in_call_referenceability(desk, snap_compare):
    assert snap_compare(CallersApp(caller="alice"), terminal_size=SIZE, run_before=keys("f2", "enter"))


def test_in_call_implementation(desk, snap_compare):
    assert snap_compare(CallersApp(caller="alice"), terminal_size=SIZE,
                        run_before=keys("f2", "enter", "enter"))


def test_in_call_features(desk, snap_compare):
    assert snap_compare(CallersApp(caller="alice"), terminal_size=SIZE,
                        run_before=keys("f2", "enter", "enter", "enter"))


def test_in_call_their_words(desk, snap_compare):
    assert snap_compare(CallersApp(caller="alice"), terminal_size=SIZE,
                        run_before=keys("f2", "enter", "enter", "enter", "enter"))


def test_outcome_picker(desk, snap_compare):
    assert snap_compare(CallersApp(caller="alice"), terminal_size=SIZE, run_before=keys("f2", "f9"))


def test_nobody_due(sqlite_db, now, snap_compare):
    now("2026-11-28T12:00:00+00:00")  # a Saturday
    factories.customer("Acme Ltd")
    assert snap_compare(CallersApp(caller="alice"), terminal_size=SIZE, run_before=keys())
