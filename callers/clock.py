"""The one clock. Every "now" in callers comes from `now()`.

`CALLERS_NOW` (ISO 8601 with an offset, e.g. ``2026-11-24T15:30:00+00:00``)
freezes it, for demos and tests.

Times are stored in the database as naive UTC (`to_db`) and read back as
aware UTC (`from_db`): both engines then agree byte for byte.
"""

from __future__ import annotations

import os
from pathlib import Path
from datetime import datetime, timedelta, timezone

from callers.errors import CallersError

ENV = "CALLERS_NOW"

# The times callers works with: the clock, a report's period. Far enough from
# datetime's own ends (years 1 and 9999) that a cycle, a callback a year ahead
# or a period of the same length before never runs off them.
EARLIEST = datetime(1900, 1, 1, tzinfo=timezone.utc)
LATEST = datetime(9000, 1, 1, tzinfo=timezone.utc)  # excluded
RANGE = "between 1900-01-01 and 8999-12-31"


def in_range(value: datetime) -> bool:
    """Is this aware time one callers can work with (EARLIEST <= value < LATEST)?"""
    return EARLIEST <= value < LATEST


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
    try:
        value = value.astimezone(timezone.utc)
    except OverflowError:
        value = None
    if value is None or not in_range(value):
        raise CallersError(f"{ENV}={text!r} is out of range: give a time {RANGE}, "
                           "e.g. 2026-11-24T15:30:00+00:00")
    return value


def shift(value: datetime, delta: timedelta) -> datetime:
    """`value + delta`, kept within EARLIEST and LATEST (a period's start
    moved back by its own length must not run off the calendar)."""
    try:
        moved = value + delta
    except OverflowError:
        return EARLIEST if delta < timedelta(0) else LATEST
    return min(max(moved, EARLIEST), LATEST)


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


def local_zone() -> str:
    """The IANA name of this machine's zone (the caller's own), 'UTC' if unknown
    (`TZ` first, then /etc/localtime, then /etc/timezone)."""
    name = os.environ.get("TZ", "").lstrip(":")
    if name and "/" in name:
        return name
    try:
        link = Path("/etc/localtime").resolve()
        parts = link.parts
        if "zoneinfo" in parts:
            return "/".join(parts[parts.index("zoneinfo") + 1:])
    except OSError:
        pass
    try:
        text = Path("/etc/timezone").read_text().strip()
        if text:
            return text
    except OSError:
        pass
    return "UTC"
