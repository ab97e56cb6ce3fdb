"""`python -m tests.benchmarks startup`: how long until the desk shows the first
due customer, against a bare Textual app (Header, a one-row DataTable, Footer)
showing the same name, both measured in the same run.

Each measurement is a fresh process (`python -m tests.benchmarks.bench_startup
child ...`): the time runs from starting the process until the customer's name
is in the rendered screen (80x24, headless), so interpreter start, imports,
opening the database and the first query all count, for both apps alike.
Runs alternate desk / bare, after one warm-up run of each that also compiles
both to bytecode (kept in the run's temporary folder). The times are the
median of each; the ratio is the median of each desk run over the bare run
beside it: the machine's own speed drifts by a fifth from one second to the
next here (shared virtual cores), and a pair measured a moment apart sees
the same machine, where two medians of seven did not (1.38x to 1.52x over
three runs of the same code).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.benchmarks.harness import ROOT, Bench, ms
from tests.support.painted import update_text

GOAL_RATIO = 1.4
CUSTOMERS = 200_000  # shares bench-data/ with the desk benchmarks
TIMEOUT = 120


def _until_shown(app, expect: str):
    """Wait until a frame painted for the terminal shows `expect`.

    Textual calls `App._display` with every update it paints (headless, it
    writes nothing); each update's own text is searched as it is painted, at
    a cost that does not depend on the screen. (Reading the whole screen
    every 2 ms cost each app 0.3-2 ms of the main thread a time; reading it
    after each paint still cost the desk, whose screen is fuller, 5 ms to
    the bare app's 0.6: the observer slowed what it observed.)"""
    seen = [False]
    display = app._display

    def watched(screen, renderable) -> None:
        display(screen, renderable)
        if not seen[0] and renderable is not None and expect in update_text(renderable):
            seen[0] = True

    app._display = watched

    async def pilot(_pilot) -> None:
        while not seen[0]:
            await asyncio.sleep(0.002)
        print("READY", flush=True)
        app.exit()

    return pilot


def child(kind: str, url: str, expect: str) -> None:
    if kind == "desk":
        from callers import database
        from callers.app import CallersApp

        database.open(url)
        app = CallersApp(caller="bench")
    else:
        from textual.app import App
        from textual.widgets import DataTable, Footer, Header

        class Bare(App):
            def compose(self):
                yield Header()
                yield DataTable()
                yield Footer()

            def on_mount(self) -> None:
                table = self.query_one(DataTable)
                table.add_columns("Customer", "Phone")
                table.add_row(expect, "+44 20 7946 0958")

        app = Bare()
    app.run(headless=True, size=(80, 24), auto_pilot=_until_shown(app, expect))


def _once(kind: str, url: str, expect: str, env: dict) -> float:
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "tests.benchmarks.bench_startup", "child", kind, url, expect],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        elapsed = time.perf_counter() - start
        proc.wait(timeout=TIMEOUT)
    finally:
        if proc.poll() is None:
            proc.kill()
    if line.strip() != "READY":
        raise RuntimeError(f"{kind} never showed {expect!r}: {proc.stderr.read()[-2000:]}")
    return elapsed


def run(bench: Bench) -> None:
    from tests.benchmarks import data

    customers = bench.n(CUSTOMERS)
    source = data.database(customers)
    repeats = 15 if bench.scale >= 1 else 3
    with tempfile.TemporaryDirectory(prefix="callers-startup-") as tmp:
        # A copy: the desk claims the customer it shows; the shared file stays as built.
        from models.db import sqlite_path

        path = Path(tmp) / "desk.db"
        shutil.copy(sqlite_path(source), path)
        url = f"sqlite:///{path}"
        # Compiled once, then loaded as bytecode, as an installed callers is:
        # with PYTHONDONTWRITEBYTECODE set (as on some machines) every start
        # compiled callers' own modules again, 150 ms that no user pays.
        # The bytecode goes to the temporary folder, for both apps alike.
        env = dict(os.environ, CALLERS_NOW=data.BUILT_AT, CALLERS_HOME=str(Path(tmp) / "home"),
                   PYTHONPYCACHEPREFIX=str(Path(tmp) / "pycache"))
        env.pop("CALLERS_DB", None)
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        expect = _first_due(url, env)
        desk, bare = [], []
        _once("bare", url, expect, env)  # warm the OS file cache for both
        _once("desk", url, expect, env)
        for _ in range(repeats):
            desk.append(_once("desk", url, expect, env))
            bare.append(_once("bare", url, expect, env))
    desk_s, bare_s = statistics.median(desk), statistics.median(bare)
    ratio = statistics.median(d / b for d, b in zip(desk, bare))
    bench.note(f"{customers:,} customers; {repeats} runs each, desk {[ms(t) for t in desk]} ms, "
               f"bare {[ms(t) for t in bare]} ms")
    bench.figure("desk start-up to first due customer", ms(desk_s), "ms", f"<= {GOAL_RATIO}x bare",
                 baseline=f"bare Textual app {ms(bare_s)} ms")
    bench.figure("desk start-up ratio (median of desk/bare pairs)", round(ratio, 3), "x", f"<= {GOAL_RATIO}",
                 baseline=f"bare Textual app {ms(bare_s)} ms; ratio of the medians {desk_s / bare_s:.3f}",
                 ok=ratio <= GOAL_RATIO)


def _first_due(url: str, env: dict) -> str:
    """The name the desk will show (asked in a child, so this process stays clean)."""
    code = ("import sys\n"
            "from callers import database, due\n"
            "database.open(sys.argv[1])\n"
            "found = due.next_due('bench', claim=False)\n"
            "print(found.name if found else '')\n")
    out = subprocess.run([sys.executable, "-c", code, url], cwd=ROOT, env=env, capture_output=True,
                         text=True, timeout=TIMEOUT)
    name = out.stdout.strip()
    if not name:
        raise RuntimeError(f"nobody is due in {url}: {out.stderr[-2000:]}")
    return name


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "child":
        child(sys.argv[2], sys.argv[3], sys.argv[4])
    else:
        sys.exit("usage: python -m tests.benchmarks startup")
