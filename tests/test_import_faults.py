"""Nothing lost on the way in: a broken quote, a huge cell, a rejects file that
cannot be written, a full disk, a connection dropped half-way. Real files, a
real small file system (tmpfs) where this machine lets us mount one, and a
real PostgreSQL backend terminated mid-import; both engines where the
database is involved."""

from __future__ import annotations

import csv
import json
import os
import re
import subprocess
from pathlib import Path

import pytest

from callers.cli import main
from callers.importer import ImportStopped, import_file
from models.tables import Contact, Customer

NOW = "2026-11-23T09:00:00+00:00"
HEADER = "Account ID,Account Name,Contact Name,Phone,Country\n"


@pytest.fixture
def frozen(now):
    return now(NOW)


def _row(i: int, name: str | None = None) -> str:
    return f"A{i:05d},{name or f'Customer {i}'},Person {i},030 {1000000 + i:07d},DE\n"


def _export(path: Path, rows: int, broken: int | None = None) -> Path:
    """A 'rows'-row generic export; row `broken` has a quote that never closes."""
    with open(path, "w", encoding="utf-8", newline="") as out:
        out.write(HEADER)
        for i in range(1, rows + 1):
            out.write(_row(i, '"Customer with a stray quote' if i == broken else None))
    return path


def _mount(where: Path, size: str) -> Path:
    """A real file system of `size` (tmpfs) at `where`; skips the test where none can be mounted."""
    where.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a {size} tmpfs here ({done.stderr.strip() or done.returncode}): "
                    "the full-disk tests need one")
    return where


@pytest.fixture
def small_disk(tmp_path):
    """A real file system of 1 MB (tmpfs), unmounted afterwards."""
    mount = _mount(tmp_path / "small-disk", "1m")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], capture_output=True)


# ---- a broken quote ---------------------------------------------------------------------


def test_one_unterminated_quote_in_a_10000_row_export_loses_one_row_not_the_file(db, frozen, tmp_path, capsys):
    path = _export(tmp_path / "export.csv", 10_000, broken=4_811)  # data row 4,811 is on line 4,812
    rejects = tmp_path / "rejects.csv"
    assert main(["import", str(path), "--rejects", str(rejects)]) == 0
    out = capsys.readouterr().out
    assert "10,000 rows: 9,999 contacts created, 0 updated, 0 unchanged, 0 duplicates, 1 rejected" in out
    assert "rejected: line 4,812: quote never closed" in out
    assert Contact.select().count() == 9_999
    assert Customer.select().where(Customer.external_id == "A04812").exists()
    assert not Customer.select().where(Customer.external_id == "A04811").exists()
    rows = list(csv.reader(rejects.read_text(encoding="utf-8").splitlines()))
    assert rows[1][:5] == ["A04811", "Customer with a stray quote,Person 4811,030 1004811,DE", "", "", ""]
    assert rows[1][5].startswith("line 4,812: quote never closed")


def test_a_50_mb_cell_is_rejected_and_the_other_rows_imported(db, frozen, tmp_path):
    path = tmp_path / "big.csv"
    with open(path, "w", encoding="utf-8", newline="") as out:
        out.write(HEADER + _row(1) + "A00002,Big,")
        for _ in range(50):
            out.write("x" * (1 << 20))
        out.write(",030 1000002,DE\n" + _row(3))
    res = import_file(path)
    assert (res.contacts_created, res.rejected) == (2, 1)
    assert res.problems == [(3, "rejected", "line 3: a line longer than 4,194,304 characters (the row was not read)")]


# ---- the rejects file ----------------------------------------------------------------------


@pytest.mark.parametrize("where, message", [
    ("missing-folder/rejects.csv", "cannot be written (No such file or directory); nothing was imported"),
    (".", "is a directory"),
    ("/dev/full", "disk full: --rejects /dev/full cannot be written; nothing was imported"),
])
def test_a_rejects_path_that_cannot_be_written_stops_before_anything_is_imported(db, frozen, tmp_path, capsys,
                                                                                   where, message):
    rejects = where if where.startswith("/") else str(tmp_path / where)
    if where == "/dev/full" and not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full here")
    code = main(["import", str(_export(tmp_path / "export.csv", 10)), "--rejects", rejects])
    err = capsys.readouterr().err
    assert code == 1 and message in err and err.count("\n") == 1
    assert Customer.select().count() == 0


def test_a_rejects_file_that_fills_the_disk_says_what_was_imported(db, frozen, tmp_path, small_disk, capsys):
    path = tmp_path / "export.csv"
    with open(path, "w", encoding="utf-8", newline="") as out:
        out.write(HEADER)
        for i in range(1, 12_001):  # every other row rejected (no phone), with a long name: 1.4 MB of rejects
            out.write(_row(i) if i % 2 else f"A{i:05d},{'Long name ' * 20},Person {i},,DE\n")
    rejects = small_disk / "rejects.csv"
    assert main(["import", str(path), "--rejects", str(rejects)]) == 2
    err = capsys.readouterr().err
    found = re.fullmatch(rf"callers: error: disk full: {re.escape(str(rejects))}: ([\d,]+) of 12,000 rows of "
                         rf"{re.escape(str(path))} written before it filled up; importing the file again is safe "
                         r"\(rows already written come out unchanged\) once there is room\n", err)
    assert found, err
    written = int(found.group(1).replace(",", ""))
    assert written in (3_999, 7_999)  # a batch is 2,000 good rows: the 2,000th good one is row 3,999
    assert Contact.select().count() == (written + 1) // 2  # the batches said written are in, no more


# ---- a full disk, a dropped connection ---------------------------------------------------------


def test_a_full_disk_under_the_database_says_disk_full_and_what_was_written(tmp_path, monkeypatch, capsys):
    """SQLite on a 3 MB file system: the database fills up after a batch or two."""
    monkeypatch.setenv("CALLERS_NOW", NOW)
    disk = _mount(tmp_path / "disk", "3m")
    try:
        _database_fills_up(disk, tmp_path, capsys)
    finally:
        from models.db import database

        if database.obj is not None:
            database.obj.close()
        subprocess.run(["umount", "-l", str(disk)], capture_output=True)


def _database_fills_up(disk: Path, tmp_path: Path, capsys) -> None:
    target = disk / "callers.db"
    assert main(["--db", str(target), "db", "init"]) == 0
    path = _export(tmp_path / "export.csv", 20_000)
    capsys.readouterr()
    assert main(["--db", str(target), "import", str(path)]) == 2
    err = capsys.readouterr().err
    assert "cannot rollback" not in err and err.count("\n") == 1
    found = re.fullmatch(rf"callers: error: disk full: {re.escape(str(target))}: ([\d,]+) of 20,000 rows of "
                         rf"{re.escape(str(path))} written before it filled up; importing the file again is safe "
                         r"\(rows already written come out unchanged\) once there is room\n", err)
    assert found, err
    written = int(found.group(1).replace(",", ""))
    assert 0 < written < 20_000
    from callers import database

    database.open(str(target)).close()
    assert Contact.select().count() == written
    # Room again: importing the file again finishes it, creating nothing twice.
    subprocess.run(["mount", "-o", "remount,size=32m", str(disk)], check=True)
    assert main(["--db", str(target), "import", str(path), "--json"]) == 0
    counts = json.loads(capsys.readouterr().out)
    assert (counts["contacts_created"], counts["unchanged"]) == (20_000 - written, written)


def test_export_to_a_full_disk_says_so_and_leaves_nothing(db, frozen, tmp_path, capsys):
    import_file(_export(tmp_path / "export.csv", 3_000))  # an export of ~300 KB
    disk = _mount(tmp_path / "tiny-disk", "128k")
    try:
        target = disk / "contacts.csv"
        assert main(["export", "contacts", "-o", str(target)]) == 1
        err = capsys.readouterr().err
        assert err == f"callers: error: disk full: {target} not written (nothing of it is left behind)\n"
        assert list(disk.iterdir()) == []
    finally:
        subprocess.run(["umount", "-l", str(disk)], capture_output=True)


def test_a_postgresql_import_cut_off_half_way_says_how_much_was_written(db, frozen, tmp_path):
    if db.engine != "postgresql":
        pytest.skip("a backend to terminate: PostgreSQL only")
    from models.db import database, make_database, reconnect

    path = _export(tmp_path / "export.csv", 6_000)
    admin = make_database(os.environ["CALLERS_TEST_PG"])
    admin.connect()

    def progress(table):
        def after_a_batch(rows: int) -> None:
            if rows == 2_000:  # the first batch is committed: cut the import's connection
                pid = database.obj.execute_sql("SELECT pg_backend_pid()").fetchone()[0]
                admin.execute_sql("SELECT pg_terminate_backend(%s)", (pid,))
        return after_a_batch

    try:
        with pytest.raises(ImportStopped) as stopped:
            import_file(path, progress=progress)
    finally:
        admin.close()
    assert stopped.value.exit_code == 2
    message = str(stopped.value)
    assert message.startswith(f"2,000 of 6,000 rows of {path} written before the database connection dropped (")
    assert message.endswith("importing the file again is safe (rows already written come out unchanged)")
    reconnect()
    assert Contact.select().count() == 2_000
    again = import_file(path)
    assert (again.unchanged, again.contacts_created) == (2_000, 4_000)


def test_a_demo_that_fills_the_disk_says_how_far_it_got_and_how_to_start_again(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("CALLERS_NOW", NOW)
    disk = _mount(tmp_path / "disk", "3m")
    try:
        target = disk / "demo.db"
        assert main(["--db", str(target), "demo", "--customers", "3000", "--no-ui"]) == 2
        err = capsys.readouterr().err
        found = re.fullmatch(rf"callers: error: disk full: {re.escape(str(target))}: ([\d,]+) of 3,000 demo "
                             rf"customers written before it filled up; `callers --db {re.escape(str(target))} "
                             r"demo --replace` fills it again\n", err)
        assert found, err
    finally:
        from models.db import database

        if database.obj is not None:
            database.obj.close()
        subprocess.run(["umount", "-l", str(disk)], capture_output=True)


def test_an_import_interrupted_with_ctrl_c_says_what_was_written(db, frozen, tmp_path, capsys):
    path = _export(tmp_path / "export.csv", 6_000)

    def progress(table):
        def after_a_batch(rows: int) -> None:
            if rows == 2_000:
                raise KeyboardInterrupt
        return after_a_batch

    with pytest.raises(ImportStopped) as stopped:
        import_file(path, progress=progress)
    assert stopped.value.exit_code == 130
    assert str(stopped.value) == (f"interrupted: 2,000 rows of {path} written, the rest not; importing the file "
                                  "again is safe (rows already written come out unchanged)")
    assert Contact.select().count() == 2_000
