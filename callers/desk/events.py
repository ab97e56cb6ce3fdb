"""What a desk session tells whoever shows it, as it happens: small frozen
dataclasses handed to the session's `listener`, on the event loop's thread.

Answers to what was asked (`load`, `finish_and_next`, ...) are the return
values of those calls; these events are what nobody asked for at that moment:
the database went away or came back, an answer was refused, the customer's
profile changed under the call, a dialler reported progress.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Connection:
    """The database is reachable (`online`) or not; `pending`: answers kept
    (in memory and in the journal) and not yet saved; `retry_in`: seconds
    until the session tries again by itself (offline only)."""

    online: bool
    pending: int = 0
    retry_in: float | None = None


@dataclass(frozen=True)
class Notice:
    """One line (or two) for the person at the keyboard."""

    message: str
    title: str = ""
    severity: str = "information"  # information | warning | error


@dataclass(frozen=True)
class SaveFailed:
    """Queued answers could not be saved for a reason other than a lost
    connection; they stay queued. `retry()` tries again."""

    message: str


@dataclass(frozen=True)
class ProfileStale:
    """Saved answers changed what the call's profile shows (a contact added,
    an answer refused): read it again (`DeskSession.reload_profile`)."""

    call_id: int


@dataclass(frozen=True)
class CallProgress:
    """A dialler's event for the open call (`callers.dialer.events`:
    Dialled, Ringing, Answered, Ended ...), as the session received it."""

    call_id: int | None
    event: Any
