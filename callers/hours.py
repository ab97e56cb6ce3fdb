"""Calling hours: is it a decent hour to ring this number, and when will it be?

A zone *key* is what `Customer.call_tz` / `Contact.timezone` store: one IANA
zone, or several joined by "|" when phonenumbers cannot tell which one a
number is in (US toll-free, some mobile ranges). A key is inside calling hours
only when EVERY one of its zones is.

Everything here is pure Python over aware datetimes; `Hours.load()` is the one
place that reads the settings.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from functools import lru_cache
from typing import NamedTuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from callers import phones
from callers.errors import CallersError

# How far ahead next_open() looks before deciding a key has no common window
# (e.g. a number spanning UTC+2 to UTC+12 with an 8-hour window).
HORIZON = timedelta(days=15)


def _hhmm(value: str, name: str) -> time:
    try:
        hours, minutes = str(value).strip().split(":")
        return time(int(hours), int(minutes))
    except (ValueError, TypeError):
        raise CallersError(f"setting {name}={value!r} is not a time like 09:00") from None


class Hours(NamedTuple):
    """The calling window: these weekdays (0 = Monday), from start to end local time."""

    days: frozenset[int] = frozenset({0, 1, 2, 3, 4})
    start: time = time(9, 0)
    end: time = time(17, 0)

    @classmethod
    def from_settings(cls, values: dict) -> "Hours":
        days = frozenset(int(d) for d in values.get("calling_days", [0, 1, 2, 3, 4]))
        start = _hhmm(values.get("calling_start", "09:00"), "calling_start")
        end = _hhmm(values.get("calling_end", "17:00"), "calling_end")
        if end <= start:
            raise CallersError(f"calling hours end ({end:%H:%M}) must be after they start ({start:%H:%M})")
        return cls(days, start, end)

    @classmethod
    def load(cls) -> "Hours":
        from callers import settings

        return cls.from_settings(settings.get_all())


@lru_cache(maxsize=4096)
def zone(name: str) -> ZoneInfo | None:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


@lru_cache(maxsize=8192)
def zones(key: str | None) -> tuple[ZoneInfo, ...]:
    """The zones of a key; an empty tuple when none is known (never inside hours)."""
    found = [zone(name) for name in phones.zones_of(key)]
    if not found or any(z is None for z in found):
        return ()
    return tuple(found)


def first_zone(key: str | None) -> ZoneInfo:
    """The zone to show a key's local time in (UTC when unknown)."""
    found = zones(key)
    return found[0] if found else ZoneInfo("UTC")


def _zone_inside(z: ZoneInfo, at: datetime, hours: Hours) -> bool:
    local = at.astimezone(z)
    return local.weekday() in hours.days and hours.start <= local.time().replace(tzinfo=None) < hours.end


def inside(key: str | None, at: datetime, hours: Hours) -> bool:
    """Is every zone of the key inside calling hours at `at`?"""
    found = zones(key)
    return bool(found) and all(_zone_inside(z, at, hours) for z in found)


def _zone_next(z: ZoneInfo, at: datetime, hours: Hours) -> datetime | None:
    """The earliest time >= at when zone z is inside hours."""
    if not hours.days:
        return None
    local = at.astimezone(z)
    for offset in range(0, 9):
        day: date = local.date() + timedelta(days=offset)
        if day.weekday() not in hours.days:
            continue
        start = datetime.combine(day, hours.start, tzinfo=z)
        end = datetime.combine(day, hours.end, tzinfo=z)
        if start <= at < end:
            return at
        if start > at:
            return start.astimezone(timezone.utc)
    return None


def next_open(key: str | None, after: datetime, hours: Hours) -> datetime | None:
    """The earliest time >= after when every zone of the key is inside hours."""
    found = zones(key)
    if not found:
        return None
    at = after.astimezone(timezone.utc)
    limit = at + HORIZON
    while at <= limit:
        later = at
        for z in found:
            t = _zone_next(z, at, hours)
            if t is None:
                return None
            later = max(later, t)
        if later == at:
            return at
        at = later
    return None


def roll_into_window(key: str | None, at: datetime, hours: Hours) -> datetime:
    """`at` if it is inside hours, else the next time it is (or `at` when never)."""
    return next_open(key, at, hours) or at


def next_working_day(key: str | None, at: datetime, hours: Hours) -> datetime:
    """The start of the calling window on the next working day after `at`'s
    local date (in the key's first zone)."""
    z = first_zone(key)
    local = at.astimezone(z)
    tomorrow = datetime.combine(local.date() + timedelta(days=1), time(0, 0), tzinfo=z)
    return roll_into_window(key, tomorrow.astimezone(timezone.utc), hours)


def local_time(key: str | None, at: datetime) -> datetime:
    """`at` in the key's (first) zone."""
    return at.astimezone(first_zone(key))
