"""What the network said about a call, kept on the call row (schema 11).

A dialler (callers/dialer/) reports when the number was dialled, when the far
end answered and why the call ended (the SIP or PBX cause). The desk hands
each to `record()` as it happens; `callers export calls` and the report read
them back. Only what the network reported is written: a value not given
leaves the stored one alone, so a late event never erases an earlier fact.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from callers import clock
from models.db import connection, write_transaction
from models.tables import Call

CAUSE_LENGTH = 200


@dataclass(frozen=True)
class Network:
    dialled_at: datetime | None
    answered_at: datetime | None
    hangup_cause: str | None

    @property
    def ring_seconds(self) -> float | None:
        """Seconds from dialling to the answer (None until both are known)."""
        if self.dialled_at is None or self.answered_at is None:
            return None
        return max(0.0, (self.answered_at - self.dialled_at).total_seconds())


def record(call_id: int, *, dialled_at: datetime | None = None, answered_at: datetime | None = None,
           hangup_cause: str | None = None) -> bool:
    """Keep what the network said about one call. The answer also starts the
    call's talk time (`started_at`) when the desk has not started it yet, so
    the call's length is the talk time and the ring time stays apart.
    Returns False when there is no such call (or it is not this login's)."""
    values: dict = {}
    if dialled_at is not None:
        values[Call.dialled_at] = clock.to_db(dialled_at)
    if answered_at is not None:
        values[Call.answered_at] = clock.to_db(answered_at)
    if hangup_cause:
        values[Call.hangup_cause] = " ".join(str(hangup_cause).split())[:CAUSE_LENGTH]
    if not values:
        return True
    with connection(), write_transaction():
        changed = Call.update(values).where(Call.id == call_id).execute()
        if answered_at is not None:
            (Call.update(started_at=clock.to_db(answered_at))
             .where(Call.id == call_id, Call.started_at.is_null()).execute())
    return bool(changed)


def network(call_id: int) -> Network | None:
    """What is stored for one call (aware UTC times), or None."""
    with connection():
        row = (Call.select(Call.dialled_at, Call.answered_at, Call.hangup_cause)
               .where(Call.id == call_id).tuples().first())
    if row is None:
        return None
    return Network(clock.from_db(row[0]), clock.from_db(row[1]), row[2])
