"""The foundation: clock, database URLs, schema versions, CLI errors."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from datetime import timezone
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

from callers import clock
from callers.cli import main
from callers.errors import CallersError
from models import schema
from models.db import DatabaseURLError, make_database, sqlite_path

DATA = Path(__file__).parent / "data"


# ---- the clock ---------------------------------------------------------------


def test_callers_now_overrides_the_clock(monkeypatch):
    monkeypatch.setenv("CALLERS_NOW", "2026-11-24T15:30:00+01:00")
    value = clock.now()
    assert value.tzinfo == timezone.utc
    assert value.isoformat() == "2026-11-24T14:30:00+00:00"


@pytest.mark.parametrize("bad", ["yesterday", "2026-11-24T15:30:00"])
def test_callers_now_must_be_iso_with_offset(monkeypatch, bad):
    monkeypatch.setenv("CALLERS_NOW", bad)
    with pytest.raises(CallersError, match="CALLERS_NOW"):
        clock.now()


def test_database_times_round_trip_as_utc(monkeypatch):
    monkeypatch.setenv("CALLERS_NOW", "2026-11-24T15:30:00-05:00")
    stored = clock.db_now()
    assert stored.tzinfo is None and stored.hour == 20
    assert clock.from_db(stored) == clock.now()


# ---- database URLs -----------------------------------------------------------


@pytest.mark.parametrize(
    "url, path",
    [
        ("sqlite:///tmp/x.db", "/tmp/x.db"),
        ("sqlite:////tmp/x.db", "/tmp/x.db"),
        ("sqlite://x.db", "x.db"),
        ("/var/lib/callers.db", "/var/lib/callers.db"),
        ("calls.db", "calls.db"),
    ],
)
def test_sqlite_urls_and_plain_paths(url, path):
    assert sqlite_path(url) == Path(path)


def test_postgresql_url_is_parsed():
    db = make_database("postgresql://alice:s3cret@db.example:6543/callers?sslmode=require")
    assert db.database == "callers"
    assert db.connect_params["host"] == "db.example"
    assert db.connect_params["port"] == 6543
    assert db.connect_params["user"] == "alice"
    assert db.connect_params["sslmode"] == "require"


@pytest.mark.parametrize("url", ["mysql://x/y", "", "postgresql://host/"])
def test_bad_urls_are_refused(url):
    with pytest.raises(DatabaseURLError):
        make_database(url)


def test_sqlite_opens_with_wal_foreign_keys_and_busy_timeout(tmp_path):
    from models import open_database

    db = open_database(str(tmp_path / "c.db"))
    assert db.execute_sql("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute_sql("PRAGMA foreign_keys").fetchone()[0] == 1
    assert db.execute_sql("PRAGMA busy_timeout").fetchone()[0] >= 5000
    db.close()


def test_the_checkpointer_copies_the_log_back_so_commits_do_not(tmp_path):
    """With the checkpointer running, this process's new connections leave
    checkpoints to it (wal_autocheckpoint 0): a commit past the usual 1,000
    pages of log leaves the database file as it was, and the checkpointer
    then copies the log into it on its own connection. Stopped, connections
    checkpoint again."""
    import threading
    import time

    from models import open_database
    from models.db import Checkpointer

    path = tmp_path / "c.db"
    db = open_database(str(path))
    db.execute_sql("CREATE TABLE t (a TEXT)")
    db.close()
    holder = sqlite3.connect(str(path))  # keeps the log from being copied back when the writer closes
    holder.execute("SELECT 1 FROM t").fetchall()
    asleep = Checkpointer(db, every=3600).start()
    found = {}

    def writer() -> None:  # as the desk's database thread: a connection of its own
        db.connect()
        found["autocheckpoint"] = db.execute_sql("PRAGMA wal_autocheckpoint").fetchone()[0]
        with db.atomic():
            for _ in range(3000):  # about 1,500 pages of log
                db.execute_sql("INSERT INTO t VALUES (?)", ("x" * 2000,))
        db.close()

    try:
        before = path.stat().st_size
        thread = threading.Thread(target=writer)
        thread.start()
        thread.join()
        assert found["autocheckpoint"] == 0
        assert path.stat().st_size == before  # the commit copied nothing back
        assert Path(f"{path}-wal").stat().st_size > 1000 * 4096
    finally:
        asleep.stop()
    awake = Checkpointer(db, every=0.05).start()
    try:
        deadline = time.monotonic() + 10
        while awake.checkpoints == 0 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert awake.checkpoints >= 1
        assert path.stat().st_size > before + 1000 * 4096  # copied back, by the checkpointer
    finally:
        awake.stop()
        holder.close()
    db.connect()
    assert db.execute_sql("PRAGMA wal_autocheckpoint").fetchone()[0] == 1000
    db.close()


# ---- schema versions ---------------------------------------------------------


def test_fresh_database_is_at_the_code_version(db):
    state = schema.status()
    assert state.current
    assert state.database_version == state.code_version >= 2
    assert schema.drift() == []


def test_first_version_database_is_upgraded_and_keeps_its_rows(tmp_path):
    from models import open_database
    from models.tables import Customer, Forward

    path = tmp_path / "old.db"
    shutil.copy(DATA / "callers-schema1.db", path)
    db = open_database(str(path))
    try:
        state = schema.status()
        assert state.current and state.database_version == state.code_version
        assert schema.drift() == []
        customer = Customer.get(Customer.external_id == "A-1")
        assert customer.name == "Schema One GmbH"
        assert customer.gift_restriction is None  # column added by 0002
        assert Forward.get().note == "[ERR-7] invoice twice"
    finally:
        db.close()


def test_newer_database_is_refused_with_a_clear_message(db, capsys):
    from models.schema import HISTORY_TABLE

    db.db.execute_sql(
        f"INSERT INTO {HISTORY_TABLE} (name, applied) VALUES ('0099_from_the_future', '2030-01-01')"
    )
    code = main(["--db", db.url, "db", "check"])
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert err.startswith("callers: error: this database has schema version 99")
    assert "upgrade callers" in err
    assert "\n" not in err


def test_db_check_and_upgrade(db, capsys):
    assert main(["--db", db.url, "db", "upgrade"]) == 0
    assert "up to date" in capsys.readouterr().out
    assert main(["db", "check"]) == 0  # CALLERS_DB set by the fixture
    assert "as expected" in capsys.readouterr().out


# ---- the CLI -----------------------------------------------------------------


def run_cli(*args, env=None):
    return subprocess.run([sys.executable, "-m", "callers", *args], capture_output=True,
                          text=True, env=env, timeout=60)


def test_version_and_help():
    result = run_cli("--version")
    assert result.returncode == 0 and result.stdout.startswith("callers ")
    result = run_cli("--help")
    assert result.returncode == 0
    assert "--db URL" in result.stdout and "CALLERS_DB" in result.stdout


@pytest.mark.parametrize(
    "args, message",
    [
        (["--db", "mysql://nope/x", "db", "check"], "cannot use database URL"),
        (["--db", "postgresql://postgres@127.0.0.1:1/test", "db", "check"], "cannot open postgresql://"),
    ],
)
def test_errors_are_one_line_on_stderr(args, message):
    result = run_cli(*args)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0]


def test_unreadable_file_is_one_clear_line(tmp_path):
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"\x00\x01 not sqlite at all" * 100)
    result = run_cli("--db", str(junk), "db", "check")
    assert result.returncode == 2
    assert result.stderr.strip() == f"callers: error: {junk} is not a SQLite database"


def test_where_prints_the_database(tmp_path, monkeypatch):
    monkeypatch.setenv("CALLERS_DB", str(tmp_path / "team.db"))
    result = run_cli("where")
    assert result.stdout.splitlines()[0] == str(tmp_path / "team.db")


def test_collector_holds_are_counted():
    """Start-up and the desk's outcome key both hold the collector: it runs
    again when the last hold is given back, and only if it ran before."""
    import gc

    from callers import collector

    collector.end_start()  # the hold this test process's imports took
    was = gc.isenabled()
    try:
        gc.enable()
        collector.hold()
        collector.hold()
        collector.release()
        assert not gc.isenabled()  # one hold is still out
        collector.release()
        assert gc.isenabled()
        collector.release()  # one too many: nothing changes
        assert gc.isenabled()
        gc.disable()
        collector.hold()
        collector.release()
        assert not gc.isenabled()  # it was off before: it stays off
    finally:
        (gc.enable if was else gc.disable)()


def test_the_start_hold_ends_once_whoever_ends_it_and_at_the_latest_on_its_timer():
    """callers' imports hold the collector (`hold_start`); the first screen,
    a command beginning its work, or the timer ends it, once."""
    import gc
    import time

    from callers import collector

    collector.end_start()  # the hold this test process's imports took
    was = gc.isenabled()
    try:
        gc.enable()
        collector.hold_start(seconds=60)
        collector.hold_start(seconds=60)  # held already: not a second hold
        assert not gc.isenabled()
        collector.hold()  # the desk's own hold outlives the start hold
        collector.end_start()
        assert not gc.isenabled()
        collector.release()
        assert gc.isenabled()
        collector.end_start()  # ended already: nothing changes
        assert gc.isenabled()

        collector.hold_start(seconds=0.05)  # nobody ends it: the timer does
        assert not gc.isenabled()
        deadline = time.monotonic() + 5
        while not gc.isenabled() and time.monotonic() < deadline:
            time.sleep(0.01)
        assert gc.isenabled()
        collector.end_start()  # after the timer: nothing to give back
        assert gc.isenabled()
    finally:
        collector.end_start()
        (gc.enable if was else gc.disable)()


def test_a_command_runs_with_the_collector_on(tmp_path):
    """`callers` ends the start hold before a command's own work (an import of
    a large file must not run without its collector for two seconds)."""
    env = {**os.environ, "CALLERS_HOME": str(tmp_path / "home")}
    code = ("import gc\n"
            "import callers\n"
            "assert not gc.isenabled()  # callers' imports hold it\n"
            "from callers import cli\n"
            "seen = []\n"
            "real = cli.build_parser\n"
            "def build():\n"
            "    parser = real()\n"
            "    sub = next(a for a in parser._actions if a.dest == 'command')\n"
            "    for p in sub.choices.values():\n"
            "        h = p.get_default('handler')\n"
            "        if h is not None:\n"
            "            p.set_defaults(handler=lambda args, h=h: seen.append(gc.isenabled()) or h(args))\n"
            "    return parser\n"
            "cli.build_parser = build\n"
            f"code = cli.main(['--db', {str(tmp_path / 'c.db')!r}, 'db', 'init'])\n"
            "print(code, seen)\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "0 [True]"
