"""The supervisor's dashboard through Textual's pilot: figures shown, period
keys, refresh that never piles up, keys that never wait for the database, and
the drill into a department's open forwards."""

from __future__ import annotations

import threading

import pytest

from callers import report
from callers.app import CallersApp
from models.tables import Customer, Department, Forward
from screens.supervisor import DepartmentItem, SupervisorScreen
from tests.support.painted import key_bar_fits, screen_text, toast_painted
from tests.support.report_world import NOW, at, build_world


def app_for(refresh_seconds: float = 3600) -> CallersApp:
    return CallersApp(caller="sam", first=lambda user: SupervisorScreen(user=user, refresh_seconds=refresh_seconds))


async def until(pilot, condition, tries: int = 400) -> None:
    """Wait for a condition, letting the app (and its workers) run."""
    for _ in range(tries):
        if condition():
            return
        await pilot.pause(0.01)
    raise AssertionError("the screen never got there")


@pytest.fixture
def world(db, now):
    now(NOW)
    build_world()


def panel_text(screen, selector: str) -> str:
    return str(screen.query_one(selector).render())


async def test_opens_with_the_figures(world):
    app = app_for()
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        screen = app.screen
        assert isinstance(screen, SupervisorScreen)
        await until(pilot, lambda: screen.refreshes >= 1)
        await pilot.pause()
        items = list(screen.query(DepartmentItem))
        assert [i.figures.name for i in items] == ["Billing", "Support", "Account management"]
        # Billing (2 open then, 3 now) is noise; Support's median 5 -> 8 days is a change.
        assert [i.has_class("-growing") for i in items] == [False, True, False]
        assert "▲ Support" in panel_text(items[1], ".department-line")
        assert panel_text(items[0], ".department-line").startswith("  Billing")
        assert "Last 30 days" in panel_text(screen, "#supervisor-period")
        assert "10 calls · median 2:25" in panel_text(screen, "#supervisor-summary")
        await pilot.press("c")
        assert screen.query_one("TabbedContent").active == "coverage"
        assert "everyone is reached in 30 days" in panel_text(screen, "#coverage-text")
        await pilot.press("l")
        table = screen.query_one("#callers-table")
        assert table.row_count == 2 and str(table.get_row_at(0)[0]) == "alice"


async def test_period_keys(world):
    app = app_for()
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        screen = app.screen
        await until(pilot, lambda: screen.refreshes >= 1)
        for key, period, calls in (("7", "7", 6), ("t", "today", 1), ("9", "90", 12), ("3", "30", 10)):
            await pilot.press(key)
            assert screen.period_key == period
            await until(pilot, lambda: screen.shown_period == period)
            assert screen.report.calls.count == calls
            assert report.PERIOD_LABELS[period].capitalize() in panel_text(screen, "#supervisor-period")


async def test_refresh_shows_new_data_and_never_piles_up(world, monkeypatch):
    running, peak, calls = [0], [0], [0]
    lock = threading.Lock()
    build = report.build

    def counted(*args, **kwargs):
        with lock:
            running[0] += 1
            calls[0] += 1
            peak[0] = max(peak[0], running[0])
        try:
            return build(*args, **kwargs)
        finally:
            with lock:
                running[0] -= 1

    monkeypatch.setattr(report, "build", counted)
    app = app_for(refresh_seconds=0.02)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        screen = app.screen
        await until(pilot, lambda: screen.refreshes >= 2)
        Forward.create(customer=Customer.get(Customer.name == "One"), caller="alice",
                       department=Department.get(Department.name == "Billing"), created_at=at(1))
        await until(pilot, lambda: screen.report.departments[0].forwarded == 4)
        # A burst of period keys (their actions, without the pilot's idle waits) while refreshes run.
        for key in ["7", "today", "90", "30"] * 3:
            screen.action_period(key)
            await pilot.pause(0.005)
        await until(pilot, lambda: screen.shown_period == "30" and screen.refreshes >= 6)
    assert calls[0] >= 4
    # Never more than the current period's refresh and one for a period left
    # (which stops at its next query), whatever the keys and timers did.
    assert peak[0] <= 2


async def test_a_period_key_during_a_slow_refresh_does_not_wait(world, monkeypatch):
    gate, started = threading.Event(), threading.Event()
    build = report.build
    seen = []

    def slow(period, now=None, cancelled=None, **kwargs):
        seen.append(period.label)
        if len(seen) == 2:  # the first timed refresh after the initial load hangs
            started.set()
            gate.wait(10)
        return build(period, now, cancelled, **kwargs)

    monkeypatch.setattr(report, "build", slow)
    app = app_for(refresh_seconds=0.01)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        screen = app.screen
        await until(pilot, lambda: started.is_set())
        assert screen.loading
        await pilot.press("9")  # returns at once although the refresh is stuck
        assert screen.period_key == "90"
        # 90 days are fetched beside the stuck refresh: they show while it still hangs
        await until(pilot, lambda: screen.shown_period == "90")
        assert started.is_set() and not gate.is_set()
        assert screen.report.period.label == "last 90 days"
        gate.set()  # the stuck refresh gives up at its next query: its 30 days never show
        await until(pilot, lambda: not screen.loading or screen.refreshes > 2)
        await pilot.pause()
        assert screen.shown_period == "90" and screen.report.period.label == "last 90 days"
    assert seen[:3] == ["last 30 days", "last 30 days", "last 90 days"]


async def test_drill_into_a_department_and_back(world):
    pytest.importorskip("screens.queue")
    app = app_for()
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        screen = app.screen
        await until(pilot, lambda: screen.refreshes >= 1)
        await pilot.pause()
        await pilot.press("enter")  # Billing: worst first, highlighted
        await until(pilot, lambda: app.screen is not screen)
        assert app.screen.department == "Billing"
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is screen)
        await pilot.press("down", "o")
        await until(pilot, lambda: app.screen is not screen)
        assert app.screen.department == "Support"


async def test_thin_data_and_a_database_error(db, now):
    now(NOW)
    app = app_for()
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        screen = app.screen
        await until(pilot, lambda: screen.refreshes >= 1)
        assert "median —" in panel_text(screen, "#supervisor-summary")
        await pilot.press("c")
        assert "no pace yet" in panel_text(screen, "#coverage-text")
        db.db.execute_sql("DROP TABLE forward_event")
        db.db.execute_sql("DROP TABLE forward")
        await pilot.press("7")
        await until(pilot, lambda: screen.error is not None)
        assert "cannot load" in panel_text(screen, "#supervisor-period")
        assert app.screen is screen  # no crash, no traceback


def test_department_columns_hold_a_big_database_s_figures():
    """Five characters a count (26.9k, 127k, 1.2M) and a space before every
    column: figures never run into each other at 80 columns."""
    from screens.supervisor import count, department_heading, department_line

    assert [count(n) for n in (0, 999, 9_999, 10_000, 26_894, 126_894, 1_234_567)] == [
        "0", "999", "9,999", "10.0k", "26.9k", "127k", "1.2M"]
    big = report.DepartmentFigures("Support", forwarded=25_652, per_100_calls=20.1, open=126_894,
                                   oldest_open_days=119.6, median_days_to_done=3.5, returned=12_521)
    line = department_line(big, wide=False).plain
    assert line.split()[1:8] == ["25.7k", "20.1", "127k", "119.6", "d", "3.5", "d"]
    assert len(line) == len(department_heading(False)) - len("  12 weeks")


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_every_week_of_the_trend_shows_and_the_selected_one_stands_out(world, size):
    from textual.widgets import Sparkline

    app = app_for()
    async with app.run_test(size=size, notifications=True) as pilot:
        screen = app.screen
        await until(pilot, lambda: screen.refreshes >= 1)
        await pilot.pause()
        items = list(screen.query(DepartmentItem))
        for item in items:
            spark = item.query_one(Sparkline)
            assert spark.region.width == 12 == len(item.figures.trend)  # a cell a week
            assert spark.region.right <= size[0]  # not cut off
        assert items[0].has_class("-highlight")
        selected = items[0].query_one(Sparkline)
        bar = selected.get_component_rich_style("sparkline--max-color").color
        background = items[0].styles.background.rich_color
        assert bar.triplet != background.triplet  # not drawn in the highlight's own colour
        assert "12 weeks" in screen_text(app)


async def test_confirmations_are_painted(world, monkeypatch):
    """Every notification of the dashboard, read on the screen once painted."""
    import screens.supervisor as supervisor

    app = app_for()
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        screen = app.screen
        await until(pilot, lambda: screen.refreshes >= 1)
        await pilot.pause()

        def missing():
            raise ImportError("no queue")

        monkeypatch.setattr(supervisor, "drill_screen", missing)
        await pilot.press("o")
        await toast_painted(app, pilot, "The department queue is not available in this version")
        screen.query_one("#departments-list").clear()
        await pilot.pause()
        await pilot.press("o")
        text = await toast_painted(app, pilot, "No department selected")
        assert "Traceback" not in text


async def test_keys_fit_80_columns_and_the_palette_lists_them(world):
    from screens.commands import screen_commands

    app = app_for()
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        screen = app.screen
        await until(pilot, lambda: screen.refreshes >= 1)
        await pilot.pause()
        for tab in ("d", "c", "l", "f", "w"):
            await pilot.press(tab)
            await pilot.pause()
            key_bar_fits(app)
        titles = [title for title, _run in screen_commands(screen)]
        for expected in ("Today  (t)", "30 days  (3)", "Coverage  (c)", "What calls found  (w)", "Quit  (^q)"):
            assert expected in titles, titles
