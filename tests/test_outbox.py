"""The outbox: writes kept on disk until the database has them, exactly once."""

from __future__ import annotations

import json

import pytest

from callers import clock
from callers.outbox import Offline, Outbox, backoff
from models.db import reconnect
from models.tables import Department, ForwardEvent


def test_entries_survive_a_new_process_and_are_applied_in_order(tmp_path):
    box = Outbox(tmp_path / "journal.jsonl")
    box.add("answer", step="contacts", key="confirm")
    box.add("answer", step="implementation", key="state", value="live")
    again = Outbox(tmp_path / "journal.jsonl")  # as after a restart
    seen = []
    assert again.flush(lambda e: seen.append(e.args["step"])) == 2
    assert seen == ["contacts", "implementation"]
    assert again.pending() == [] and not (tmp_path / "journal.jsonl").exists()


def test_a_line_cut_short_by_a_crash_is_ignored(tmp_path):
    path = tmp_path / "journal.jsonl"
    box = Outbox(path)
    box.add("answer", step="features", key="confirm")
    with open(path, "a") as fh:
        fh.write('{"id": "abc", "kind": "ans')  # the process died mid-write
    assert [e.args["step"] for e in Outbox(path).pending()] == ["features"]


def test_a_wrong_write_is_dropped_not_retried(tmp_path):
    box = Outbox(tmp_path / "j.jsonl")

    def bad(entry):
        raise ValueError("not a phone number")

    with pytest.raises(ValueError):
        box.submit("answer", bad, key="contact:1:phone", value="12")
    assert box.pending() == []


def test_backoff_grows_and_is_capped():
    assert [backoff(i) for i in range(4)] == [0.5, 1.0, 2.0, 4.0]
    assert backoff(20) == 30.0


def _write_event(entry):
    """An idempotent write: one ForwardEvent per outbox entry id."""
    if ForwardEvent.select().where(ForwardEvent.note == entry.id).exists():
        return
    from tests.support import factories
    from models.tables import Forward

    forward = Forward.get_or_none() or Forward.create(
        customer=factories.customer(), caller="cal", department=Department.get(), created_at=clock.db_now())
    ForwardEvent.create(forward=forward, status="open", at=clock.db_now(), by="cal", note=entry.id)


def test_killed_postgresql_connection_loses_nothing_and_writes_once(db, engine, tmp_path):
    if engine != "postgresql":
        pytest.skip("kills a PostgreSQL backend")
    from models.db import database

    box = Outbox(tmp_path / "j.jsonl")
    box.submit("event", _write_event)
    assert ForwardEvent.select().count() == 1

    pid = database.obj.execute_sql("SELECT pg_backend_pid()").fetchone()[0]
    from models.db import make_database

    admin = make_database(db.url)
    admin.connect()
    admin.execute_sql("SELECT pg_terminate_backend(%s)", (pid,))
    admin.close()

    with pytest.raises(Offline):
        box.submit("event", _write_event)
    assert len(box.pending()) == 1  # kept on disk
    entry_id = box.pending()[0].id

    reconnect()
    assert box.flush(_write_event) == 1
    assert box.flush(_write_event) == 0  # nothing left, nothing twice
    notes = [e.note for e in ForwardEvent.select().order_by(ForwardEvent.id)]
    assert len(notes) == 2 and notes[1] == entry_id


def test_journal_lines_are_json(tmp_path):
    box = Outbox(tmp_path / "j.jsonl")
    box.add("answer", note="[bold]literal[/]")
    row = json.loads((tmp_path / "j.jsonl").read_text().splitlines()[0])
    assert row["args"]["note"] == "[bold]literal[/]"
