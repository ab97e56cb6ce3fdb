"""`python -m tests.benchmarks desk` (with bench_desk): the desk through the
real Textual app on SQLite.

Figures:
* key press to screen updated after an outcome: "1" pressed in the outcome
  picker until the next due customer is on the desk, p95 over ~50 routine
  calls on `bench.n(100_000)` customers (goal <= 50 ms). Baseline, measured in
  the same run on a copy of the same database: the domain calls alone
  (end_call + next_due + open_call) p95.
* keystrokes per routine completed call with nothing changed, counted from
  "customer shown" to "next customer shown" (goal <= 12).

The database is tests/benchmarks/data.py's (the demo generator, built once in
bench-data/; bench_desk's builder if data.py is missing), copied so the calls made here never change it.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
import time
from pathlib import Path

from tests.benchmarks.harness import Bench, ms, p95

CALLS = 50
# Tuesday afternoon in Europe, morning in the Americas: many zones are open.
NOW = "2026-11-24T15:00:00+00:00"
ROUTINE = ("f2", "enter", "enter", "enter", "enter", "f9")  # then "1", timed


def _source(customers: int) -> str:
    """The shared benchmark database (tests/benchmarks/data.py), else bench_desk's."""
    try:
        from tests.benchmarks import data
    except ImportError:
        from tests.benchmarks.bench_desk import sqlite_db

        return sqlite_db(customers)
    return data.database(customers)


def _copy(url: str, into: Path) -> str:
    from models.db import sqlite_path

    source = str(sqlite_path(url))
    target = into / "desk-ui.db"
    shutil.copyfile(source, target)
    for suffix in ("-wal", "-shm"):
        if Path(source + suffix).exists():
            shutil.copyfile(source + suffix, str(target) + suffix)
    return str(target)


def _domain_baseline(calls_made: int) -> list[float]:
    """end_call + next_due + open_call, without the UI, same database."""
    from callers import calls, due

    times = []
    state = calls.restore("bench-domain")
    for _ in range(calls_made):
        if state is None:
            customer = due.next_due("bench-domain", claim=True)
            if customer is None:
                break
            state = calls.open_call("bench-domain", customer.id)
        start = time.perf_counter()
        calls.end_call(state.call_id, "completed")
        customer = due.next_due("bench-domain", claim=True)
        state = calls.open_call("bench-domain", customer.id) if customer else None
        times.append(time.perf_counter() - start)
    return times


def _desk(calls_made: int) -> dict:
    from textual import events

    from callers.app import CallersApp
    from screens.desk import DeskScreen
    from screens.widgets.outcome import OutcomePicker

    app = CallersApp(caller="bench-desk")
    result: dict = {}

    def send(key: str) -> None:
        # As the terminal driver sends keys (Pilot.press adds idle waits).
        event = events.Key(key, None)
        event.set_sender(app)
        app._driver.send_message(event)

    async def until(condition, limit: float = 5.0) -> bool:
        deadline = time.perf_counter() + limit
        while not condition():
            if time.perf_counter() > deadline:
                return False
            await asyncio.sleep(0.0005)
        return True

    async def drive() -> None:
        async with app.run_test(size=(80, 24)) as pilot:
            desk = app.screen
            assert isinstance(desk, DeskScreen)
            if not await until(lambda: desk.call is not None or desk.mode in ("nobody", "error"), 60):
                result["error"] = "the desk showed nothing within 60 s"
                return
            # "Screen updated": the desk has rendered the next customer and the
            # screen has been refreshed after it (call_after_refresh), recorded
            # by a wrapper rather than by polling (polling steals the GIL from
            # the worker thread and slows what it measures).
            shown = asyncio.Event()
            stamp: dict = {}
            original = desk._show

            def painted() -> None:
                stamp["at"] = time.perf_counter()
                shown.set()

            def show(kind, value) -> None:
                original(kind, value)
                desk.call_after_refresh(painted)

            desk._show = show
            times, keys = [], []
            for _ in range(calls_made):
                if desk.call is None:
                    result["error"] = f"nobody due after {len(times)} calls ({desk.mode})"
                    break
                old = desk.call.call_id
                pressed = 0
                for key in ROUTINE:
                    send(key)
                    pressed += 1
                    await pilot.pause()
                    await app.workers.wait_for_complete()
                if not await until(lambda: isinstance(app.screen, OutcomePicker)):
                    result["error"] = "F9 did not open the outcome picker"
                    return
                await app.workers.wait_for_complete()  # answers saved: time the outcome alone
                await pilot.pause()
                shown.clear()
                start = time.perf_counter()
                send("1")
                pressed += 1
                try:
                    await asyncio.wait_for(shown.wait(), 5)
                except asyncio.TimeoutError:
                    result["error"] = "no next customer within 5 s"
                    return
                if desk.call is None or desk.call.call_id == old:
                    result["error"] = "the same call is still shown"
                    return
                times.append(stamp["at"] - start)
                keys.append(pressed)
                await pilot.pause()
                app.clear_notifications()
            result["times"], result["keys"] = times, keys

    asyncio.run(drive())
    return result


def run(bench: Bench) -> None:
    from callers import database
    customers = bench.n(100_000)
    source = _source(customers)
    old_now = os.environ.get("CALLERS_NOW")
    os.environ["CALLERS_NOW"] = NOW
    try:
        with tempfile.TemporaryDirectory() as tmp:
            db = database.open(_copy(source, Path(tmp)))
            baseline = _domain_baseline(CALLS)
            result = _desk(CALLS)
            db.close()
    finally:
        if old_now is None:
            os.environ.pop("CALLERS_NOW", None)
        else:
            os.environ["CALLERS_NOW"] = old_now
    if "error" in result:
        bench.note(f"desk: {result['error']}")
    times = result.get("times") or []
    if len(times) >= 2:
        value = ms(p95(times))
        base = f"domain calls alone p95 {ms(p95(baseline))} ms" if len(baseline) >= 2 else "no baseline"
        bench.figure(f"desk outcome key to next customer shown p95 (sqlite, {customers:,} customers, "
                     f"{len(times)} calls)", value, "ms", "<= 50 ms", baseline=base, ok=value <= 50)
    keys = result.get("keys") or []
    if keys:
        bench.figure("desk keystrokes per routine completed call", max(keys), "keys", "<= 12",
                     baseline=f"{' '.join(ROUTINE)} 1", ok=max(keys) <= 12)
