"""The report's periods: `[since, until)` in aware UTC, named (today, the
last 7/30/90 days) or given as --since/--until."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from callers import clock
from callers.errors import CallersError

DAY = 86400
PERIOD_KEYS = ("today", "7", "30", "90")
PERIOD_LABELS = {"today": "today", "7": "last 7 days", "30": "last 30 days", "90": "last 90 days"}


@dataclass(frozen=True)
class Period:
    since: datetime  # aware UTC, included
    until: datetime  # aware UTC, excluded
    label: str = ""

    @property
    def days(self) -> float:
        return (self.until - self.since).total_seconds() / DAY

    def describe(self) -> str:
        since, until = self.since.strftime("%Y-%m-%d %H:%M"), self.until.strftime("%Y-%m-%d %H:%M")
        text = f"{since} to {until} UTC"
        return f"{self.label} ({text})" if self.label else text


def period_for(key: str, now: datetime | None = None) -> Period:
    """A dashboard period: "today" (since 00:00 UTC) or the last 7, 30, 90 days."""
    now = now or clock.now()
    if key == "today":
        start = now.replace(hour=0, minute=0, second=0, microsecond=0)
        return Period(start, now, PERIOD_LABELS[key])
    if key not in PERIOD_LABELS:
        raise CallersError(f"unknown period {key!r}; periods are {', '.join(PERIOD_KEYS)}")
    return Period(now - timedelta(days=int(key)), now, PERIOD_LABELS[key])


def _parse_moment(text: str, *, end: bool, flag: str) -> datetime:
    text = text.strip()
    try:
        if len(text) == 10:  # a date: a whole day in UTC
            day = datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=timezone.utc)
            if end and day < clock.LATEST:
                day += timedelta(days=1)
            value = day
        else:
            value = datetime.fromisoformat(text)
    except ValueError:
        raise CallersError(
            f"{flag} {text!r} is not a date; use YYYY-MM-DD (or an ISO time such as 2026-11-01T09:00:00+00:00)"
        ) from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    try:
        value = value.astimezone(timezone.utc)
    except OverflowError:
        value = None
    if value is None or not (clock.EARLIEST <= value <= clock.LATEST):  # (--until's day ends at its midnight)
        raise CallersError(f"{flag} {text!r} is out of range; use a date {clock.RANGE}")
    return value


def parse_period(since: str | None, until: str | None, now: datetime | None = None,
                 default_days: int = 30) -> Period:
    """The CLI's --since/--until. A date is a whole UTC day and --until's day is
    included (the period ends at the next midnight); an ISO time is exact.
    Default: the last 30 days up to now."""
    now = now or clock.now()
    end = _parse_moment(until, end=True, flag="--until") if until else now
    start = _parse_moment(since, end=False, flag="--since") if since else end - timedelta(days=default_days)
    if start >= end:
        raise CallersError(f"--since ({start:%Y-%m-%d %H:%M}) must be before --until ({end:%Y-%m-%d %H:%M})")
    label = "" if (since or until) else PERIOD_LABELS["30"] if default_days == 30 else f"last {default_days} days"
    return Period(start, end, label)
