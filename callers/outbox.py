"""Writes that must reach the database exactly once, even across a dropped
connection or a killed terminal.

The desk puts every answer, outcome and forward into the outbox first (a JSON
Lines file in the data directory, fsynced), then tries the database. If the
database is unreachable the entry stays; `flush()` replays pending entries in
order once it is back, with backoff between attempts. Each entry carries an
id, and every replayed operation is idempotent (an answer is keyed by its
call, step, key and the time it was given), so a write that did reach the
database just before the connection dropped is not written twice.
"""

from __future__ import annotations

import json
import os
import threading
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import peewee

# Errors that mean "the database is not there right now", as opposed to
# "this write is wrong". Only these keep an entry for a retry.
CONNECTION_ERRORS: tuple[type[BaseException], ...] = (peewee.OperationalError, peewee.InterfaceError)


def is_connection_error(exc: BaseException) -> bool:
    """True for "the database is away or busy" (worth a retry), False for a
    write that is wrong in itself. SQLite's "database is locked" counts as
    away: it is contention that passes."""
    from models.db import DatabaseUnavailable

    return isinstance(exc, CONNECTION_ERRORS + (DatabaseUnavailable,))


class Offline(Exception):
    """The write is safe in the outbox; the database is not reachable now."""


@dataclass
class Entry:
    id: str
    kind: str
    args: dict[str, Any]


@dataclass
class Outbox:
    """A durable FIFO of pending writes for one caller."""

    path: Path
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @classmethod
    def for_caller(cls, caller: str, directory: Path | None = None) -> "Outbox":
        from models.db import default_data_dir

        safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in caller) or "caller"
        base = directory or default_data_dir()
        return cls(base / f"journal-{safe}.jsonl")

    def add(self, kind: str, **args: Any) -> Entry:
        """Keep a write: on disk (fsynced) before this returns."""
        return self._append(kind, args, sync=True)

    def write(self, kind: str, **args: Any) -> Entry:
        """Keep a write, for a caller's key press: handed to the operating
        system before this returns, so a killed or closed desk keeps it, but
        not waited for on the disk; `sync()` does that, off the UI thread
        (an fsync stalls for as long as the disk is busy)."""
        return self._append(kind, args, sync=False)

    def sync(self) -> None:
        """Wait until everything written so far is on the disk."""
        with self._lock:
            if self.path.exists():
                fd = os.open(self.path, os.O_RDONLY)
                try:
                    os.fsync(fd)
                finally:
                    os.close(fd)

    def _append(self, kind: str, args: dict[str, Any], sync: bool) -> Entry:
        entry = Entry(uuid.uuid4().hex, kind, args)
        line = json.dumps({"id": entry.id, "kind": kind, "args": args}, default=str)
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with open(self.path, "a", encoding="utf-8") as fh:
                fh.write(line + "\n")
                fh.flush()
                if sync:
                    os.fsync(fh.fileno())
        return entry

    def pending(self) -> list[Entry]:
        with self._lock:
            return self._read()

    def _read(self) -> list[Entry]:
        if not self.path.exists():
            return []
        entries, done = [], set()
        with open(self.path, encoding="utf-8") as fh:
            for line in fh:
                line = line.strip()
                if not line:
                    continue
                try:
                    row = json.loads(line)
                except json.JSONDecodeError:
                    continue  # a line cut short by a crash mid-write: it never counted
                if row.get("kind") == "done":
                    done.add(row["id"])
                else:
                    entries.append(Entry(row["id"], row["kind"], row.get("args", {})))
        return [e for e in entries if e.id not in done]

    def mark_done(self, entry: Entry) -> None:
        with self._lock:
            with open(self.path, "a", encoding="utf-8") as fh:
                fh.write(json.dumps({"id": entry.id, "kind": "done"}) + "\n")
                fh.flush()
                os.fsync(fh.fileno())
            self._compact_if_idle()

    def _compact_if_idle(self) -> None:
        if not self._read() and self.path.exists():
            self.path.unlink()

    def submit(self, kind: str, apply: Callable[[Entry], Any], **args: Any) -> Any:
        """Keep the write on disk, then try it. On a connection error the
        entry stays for `flush()` and `Offline` is raised; on any other error
        the write is wrong, so it is dropped and the error re-raised."""
        entry = self.add(kind, **args)
        try:
            result = apply(entry)
        except Exception as exc:
            if is_connection_error(exc):
                raise Offline(str(exc)) from exc
            self.mark_done(entry)
            raise
        self.mark_done(entry)
        return result

    def flush(self, apply: Callable[[Entry], Any]) -> int:
        """Apply pending entries in order. Stops at the first connection error
        (re-raised, the entry kept); returns how many were applied."""
        applied = 0
        for entry in self.pending():
            apply(entry)
            self.mark_done(entry)
            applied += 1
        return applied


def backoff(attempt: int, base: float = 0.5, cap: float = 30.0) -> float:
    """Seconds to wait before reconnect attempt `attempt` (0-based)."""
    return min(cap, base * (2 ** attempt))
