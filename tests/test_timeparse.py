"""Callback times typed by the caller, read in the customer's local time."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from callers.errors import CallersError
from callers.timeparse import describe_both, parse_callback

# Monday 23 November 2026, 15:00 UTC: 10:00 in New York, 15:00 in London.
NOW = datetime(2026, 11, 23, 15, 0, tzinfo=timezone.utc)


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc)


@pytest.mark.parametrize("text, zone, expected", [
    ("tomorrow 10:00", "America/New_York", "2026-11-24T15:00:00"),
    ("Tomorrow 10:00", "Europe/London", "2026-11-24T10:00:00"),
    ("fri 14:30", "America/New_York", "2026-11-27T19:30:00"),
    ("Friday 2:30pm", "Europe/Berlin", "2026-11-27T13:30:00"),
    ("mon 09:00", "Europe/London", "2026-11-30T09:00:00"),  # today's 09:00 has passed: next Monday
    ("mon 16:00", "Europe/London", "2026-11-23T16:00:00"),  # later today
    ("2026-12-01 09:00", "America/New_York", "2026-12-01T14:00:00"),
    ("2026-12-01T09:00", "Europe/London", "2026-12-01T09:00:00"),
    ("1 dec 9:00", "Europe/London", "2026-12-01T09:00:00"),
    ("Dec 1 9am", "Europe/London", "2026-12-01T09:00:00"),
    ("in 2 hours", "Australia/Sydney", "2026-11-23T17:00:00"),
    ("in 30 min", "Europe/London", "2026-11-23T15:30:00"),
    ("14:30", "America/New_York", "2026-11-23T19:30:00"),  # today
    ("14:30", "Europe/London", "2026-11-24T14:30:00"),  # past today: tomorrow
    ("today 16:45", "Europe/London", "2026-11-23T16:45:00"),
    ("fri 14:30", "Australia/Adelaide|Australia/Perth", "2026-11-27T04:00:00"),  # first zone of several
    # Summer time in the customer's zone: 1 June 09:00 London is 08:00 UTC.
    ("2027-06-01 09:00", "Europe/London", "2027-06-01T08:00:00"),
])
def test_callback_times(text, zone, expected):
    at = parse_callback(text, zone, NOW)
    assert at.tzinfo == timezone.utc
    assert at == utc(expected)


@pytest.mark.parametrize("text, message", [
    ("garbage", "unknown day 'garbage'"),
    ("", "type a callback time"),
    ("fri", "give a time too"),
    ("25:00", "not a time of day"),
    ("13pm", "is not a time"),
    ("2026-13-01 09:00", "is not a date"),
    ("2026-12-01", "give a time too"),
    ("today 09:00", "already passed"),
    ("2025-01-01 09:00", "already passed"),
    ("in 3 fortnights", "unknown unit"),
    ("31 feb 10:00", "no such date"),
    ("2029-01-01 09:00", "more than a year away"),
])
def test_what_cannot_be_read_says_why(text, message):
    with pytest.raises(CallersError) as info:
        parse_callback(text, "Europe/London", NOW)
    assert message in str(info.value)
    assert "tomorrow 10:00" in str(info.value) or "type a callback time" in str(info.value)
    assert "\n" not in str(info.value)


def test_describe_both_zones(monkeypatch):
    monkeypatch.setenv("CALLERS_NOW", NOW.isoformat())
    at = utc("2026-11-27T13:30:00")
    assert describe_both(at, "Europe/Berlin", "Europe/London") == "Fri 14:30 their time (13:30 yours)"
    assert describe_both(at, "Europe/Berlin", None) == "Fri 14:30 their time"
    assert describe_both(at, "Europe/Berlin", "Europe/Paris") == "Fri 14:30 their time"
    late = utc("2026-11-27T23:30:00")
    assert describe_both(late, "America/Los_Angeles", "Europe/Berlin") == "Fri 15:30 their time (Sat 00:30 yours)"
    far = utc("2026-12-15T09:00:00")
    assert describe_both(far, "Europe/London", None) == "Tue 15 Dec 09:00 their time"
