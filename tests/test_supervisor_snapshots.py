"""What the supervisor's dashboard looks like, at 80x24 and 120x40 (SQLite,
the clock frozen at NOW, the hand-built database of tests/support/report_world.py)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from callers.app import CallersApp
from screens.supervisor import SupervisorScreen
from tests.support.report_world import NOW, build_world


@pytest.fixture
def engine() -> str:
    return "sqlite"  # one engine is enough for pictures


@pytest.fixture
def world(db, now):
    now(NOW)
    build_world()


def app() -> CallersApp:
    return CallersApp(caller="sam", first=lambda user: SupervisorScreen(user=user, refresh_seconds=3600))


async def loaded(pilot) -> None:
    screen = pilot.app.screen
    for _ in range(500):
        if screen.refreshes >= 1:
            break
        await pilot.pause(0.01)
    await pilot.pause()


def test_departments_80x24(world, snap_compare):
    assert snap_compare(app(), terminal_size=(80, 24), run_before=loaded)


def test_departments_120x40(world, snap_compare):
    assert snap_compare(app(), terminal_size=(120, 40), run_before=loaded)


def test_coverage_80x24(world, snap_compare):
    assert snap_compare(app(), press=["c"], terminal_size=(80, 24), run_before=loaded)


def test_calls_80x24(world, snap_compare):
    assert snap_compare(app(), press=["l"], terminal_size=(80, 24), run_before=loaded)


def test_freshness_80x24(world, snap_compare):
    assert snap_compare(app(), press=["f"], terminal_size=(80, 24), run_before=loaded)


def test_found_120x40(world, snap_compare):
    assert snap_compare(app(), press=["w"], terminal_size=(120, 40), run_before=loaded)


def test_thin_data_80x24(db, now, snap_compare):
    now(NOW)
    assert snap_compare(app(), terminal_size=(80, 24), run_before=loaded)


@pytest.fixture
def busy_world(world):
    """The world, four weeks of calls (tests/support/cycle_world.py) and a reconciliation kept."""
    from tests.support.cycle_world import build_calls

    build_calls()


def test_cycle_needs_80x24(busy_world, snap_compare):
    assert snap_compare(app(), press=["c"], terminal_size=(80, 24), run_before=loaded)


def test_value_80x24(busy_world, tmp_path, snap_compare):
    from callers import reconcile, value
    from tests.support import factories

    factories.customer("Cyberdyne Systems", external_id="A-2")  # its account was cancelled
    billing = tmp_path / "billing.csv"
    shutil.copyfile(Path(__file__).parent / "data" / "billing" / "value.csv", billing)
    value.record_reconciliation(reconcile.reconcile(billing), "billing.csv", "sam")
    assert snap_compare(app(), press=["v"], terminal_size=(80, 24), run_before=loaded)


def test_value_never_reconciled_80x24(world, snap_compare):
    assert snap_compare(app(), press=["v"], terminal_size=(80, 24), run_before=loaded)
