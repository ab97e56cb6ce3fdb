"""The one clock. Every "now" in callers comes from `now()`.

`CALLERS_NOW` (ISO 8601 with an offset, e.g. ``2026-11-24T15:30:00+00:00``)
freezes it, for demos and tests.

Times are stored in the database as naive UTC (`to_db`) and read back as
aware UTC (`from_db`): both engines then agree byte for byte.
"""

from __future__ import annotations

import os
from datetime import datetime, timezone

from callers.errors import CallersError

ENV = "CALLERS_NOW"


def parse_now(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise CallersError(
            f"{ENV}={text!r} is not an ISO 8601 time; use e.g. 2026-11-24T15:30:00+00:00"
        ) from None
    if value.tzinfo is None:
        raise CallersError(
            f"{ENV}={text!r} has no UTC offset; use e.g. 2026-11-24T15:30:00+00:00"
        )
    return value.astimezone(timezone.utc)


def now() -> datetime:
    """The current time, aware, in UTC (or CALLERS_NOW when set)."""
    fixed = os.environ.get(ENV)
    if fixed:
        return parse_now(fixed)
    return datetime.now(timezone.utc)


def to_db(value: datetime | None) -> datetime | None:
    """An aware time as the naive UTC the database stores."""
    if value is None:
        return None
    if value.tzinfo is None:
        return value
    return value.astimezone(timezone.utc).replace(tzinfo=None)


def from_db(value: datetime | None) -> datetime | None:
    """A stored naive UTC time as an aware one."""
    if value is None:
        return None
    if value.tzinfo is not None:
        return value.astimezone(timezone.utc)
    return value.replace(tzinfo=timezone.utc)


def db_now() -> datetime:
    """`now()` as the database stores it."""
    return to_db(now())
