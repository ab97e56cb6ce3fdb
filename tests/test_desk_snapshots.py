"""What the desk looks like at 80x24 (SQLite, CALLERS_NOW fixed): idle, in a
call at each script step, the outcome picker, and nobody due.

Regenerate after a deliberate change with
`python -m pytest tests/test_desk_snapshots.py --snapshot-update` and look at
the SVGs in tests/__snapshots__/test_desk_snapshots/.
"""

from __future__ import annotations

import pytest

from callers.app import CallersApp
from tests.support import factories
from tests.support.desk import NOW, Keys, desk_data

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


def test_in_call_was_it_fixed(sqlite_db, now, snap_compare):
    """A forward done since the last call and never asked about: the script
    opens on "Was it fixed?" (issue 20)."""
    now(NOW)
    desk_data(ask_fixed=True)
    assert snap_compare(CallersApp(caller="alice"), terminal_size=SIZE, run_before=keys("f2"))


def test_outcome_picker(desk, snap_compare):
    assert snap_compare(CallersApp(caller="alice"), terminal_size=SIZE, run_before=keys("f2", "f9"))


def test_nobody_due(sqlite_db, now, snap_compare):
    now("2026-11-28T12:00:00+00:00")  # a Saturday
    factories.customer("Acme Ltd")
    assert snap_compare(CallersApp(caller="alice"), terminal_size=SIZE, run_before=keys())


def _features(count: int) -> None:
    """A customer never asked about features, on a list of `count` features
    with names of many lengths."""
    from datetime import timedelta

    from callers import clock
    from models.tables import Feature

    names = ["Invoicing", "Reporting", "Time tracking", "Approvals workflow", "Data export", "Single sign-on",
             "Mobile app", "API access", "Scheduling", "Expenses", "Audit log", "Dashboards",
             "Multi-currency invoicing", "Custom report builder", "Salesforce integration (two-way sync)",
             "Resource planning", "Offline mode", "Role-based permissions", "Webhooks", "Budget alerts",
             "Project templates", "Client portal", "Purchase orders", "Gantt charts", "Data residency (EU)"]
    for i in range(count):
        Feature.create(name=names[i], position=i)
    factories.customer("Nova Never Ltd", external_id="N-1", country="GB", due=clock.now() - timedelta(days=5))


def test_features_12_at_80x24(sqlite_db, now, snap_compare):
    """All twelve on screen, in columns: nothing Enter confirms is out of sight."""
    now(NOW)
    _features(12)
    assert snap_compare(CallersApp(caller="alice"), terminal_size=SIZE, run_before=keys("f2", "tab", "tab", "tab"))


def test_features_25_at_80x24(sqlite_db, now, snap_compare):
    """More than fit: the rows scroll, and a mark says how many are below."""
    now(NOW)
    _features(25)
    assert snap_compare(CallersApp(caller="alice"), terminal_size=SIZE, run_before=keys("f2", "tab", "tab", "tab"))


def test_five_open_forwards_at_80x24(desk, snap_compare):
    """The header says how many forwards it has no room for, and ctrl+o."""
    from datetime import timedelta

    from callers import clock
    from models.tables import Department, Forward

    billing = Department.get(Department.name == "Billing")
    for n in range(4):
        Forward.create(customer=desk["acme"], caller="bob", department=billing, note=f"problem {n + 2}",
                       status="open", created_at=clock.to_db(clock.now() - timedelta(days=n + 1)))
    assert snap_compare(CallersApp(caller="alice"), terminal_size=SIZE, run_before=keys("f2"))


def test_never_asked_after_enter_at_80x24(sqlite_db, now, snap_compare):
    """Enter on steps nobody has answered: no state pre-selected, the step
    bar marks what was not asked."""
    now(NOW)
    _features(12)
    assert snap_compare(CallersApp(caller="alice"), terminal_size=SIZE,
                        run_before=keys("f2", "enter", "enter", "enter"))


def test_do_not_call_question_at_80x24(desk, snap_compare):
    assert snap_compare(CallersApp(caller="alice"), terminal_size=SIZE, run_before=keys("f2", "f9", "7"))
