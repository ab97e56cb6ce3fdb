"""Callback times as a caller types them, in the CUSTOMER's local time.

    tomorrow 10:00 · today 15:30 · fri 14:30 · friday 2pm · 2026-12-01 09:00
    1 dec 09:00 · dec 1 9:00 · in 2 hours · in 30 min · 14:30 (today, or tomorrow if past)

`parse_callback` returns aware UTC; `describe_both` shows a time for both ends
of the line: "Fri 14:30 their time (13:30 yours)".
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta, timezone

from callers import clock, hours
from callers.errors import CallersError

WEEKDAYS = {
    "mon": 0, "monday": 0, "tue": 1, "tues": 1, "tuesday": 1, "wed": 2, "wednesday": 2,
    "thu": 3, "thur": 3, "thurs": 3, "thursday": 3, "fri": 4, "friday": 4,
    "sat": 5, "saturday": 5, "sun": 6, "sunday": 6,
}
MONTHS = {
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6, "jul": 7, "aug": 8,
    "sep": 9, "sept": 9, "oct": 10, "nov": 11, "dec": 12,
}
UNITS = {
    "m": 60, "min": 60, "mins": 60, "minute": 60, "minutes": 60,
    "h": 3600, "hr": 3600, "hrs": 3600, "hour": 3600, "hours": 3600,
    "d": 86400, "day": 86400, "days": 86400,
}
EXAMPLES = "e.g. 'tomorrow 10:00', 'fri 14:30', '2026-12-01 09:00', 'in 2 hours' or '14:30'"

_TIME = r"(?P<h>\d{1,2})(?:[:.](?P<m>\d{2}))?\s*(?P<ampm>am|pm)?"
_IN = re.compile(r"^in\s+(?P<n>\d+(?:\.\d+)?)\s*(?P<unit>[a-z]+)$")
_ISO = re.compile(r"^(?P<d>\d{4}-\d{1,2}-\d{1,2})(?:[ t]+" + _TIME + r")?$")
_DAY_MONTH = re.compile(r"^(?P<day>\d{1,2})\s+(?P<mon>[a-z]+)\.?(?:\s+(?P<year>\d{4}))?(?:\s+(?:at\s+)?" + _TIME + r")?$")
_MONTH_DAY = re.compile(r"^(?P<mon>[a-z]+)\.?\s+(?P<day>\d{1,2})(?:,?\s+(?P<year>\d{4}))?(?:\s+(?:at\s+)?" + _TIME + r")?$")
_WORD = re.compile(r"^(?P<word>[a-z]+)\.?(?:\s+(?:at\s+)?" + _TIME + r")?$")
_ONLY_TIME = re.compile(r"^(?:at\s+)?" + _TIME + r"$")


def _bad(text: str, why: str = "") -> CallersError:
    reason = f": {why}" if why else ""
    return CallersError(f"cannot read {text!r} as a callback time{reason}; {EXAMPLES}")


def _clock_time(text: str, match: re.Match) -> time | None:
    if match.group("h") is None:
        return None
    h = int(match.group("h"))
    m = int(match.group("m") or 0)
    ampm = match.group("ampm")
    if ampm:
        if not 1 <= h <= 12:
            raise _bad(text, f"{h}{ampm} is not a time")
        h = h % 12 + (12 if ampm == "pm" else 0)
    if h > 23 or m > 59:
        raise _bad(text, f"{match.group('h')}:{match.group('m') or '00'} is not a time of day")
    return time(h, m)


def _month(word: str) -> int | None:
    word = word.rstrip(".")
    if word in MONTHS:
        return MONTHS[word]
    full = ("january", "february", "march", "april", "may", "june", "july", "august",
            "september", "october", "november", "december")
    return full.index(word) + 1 if word in full else None


def _at(day: date, when: time, tz) -> datetime:
    return datetime.combine(day, when, tzinfo=tz).astimezone(timezone.utc)


def parse_callback(text: str, zone: str | None, now: datetime | None = None) -> datetime:
    """A callback time typed by the caller, read in the customer's zone `zone`
    (a zone key: the first zone of several is used), as aware UTC. A time
    beyond the calendar ('9999-12-31 23:00' west of UTC, 'in 99999999999
    days') is refused like any other that is too far away."""
    try:
        return _parse_callback(text, zone, now)
    except OverflowError:
        raise _bad(text or "", "that date is out of range") from None


def _parse_callback(text: str, zone: str | None, now: datetime | None) -> datetime:
    now = (now or clock.now()).astimezone(timezone.utc)
    raw = text or ""
    cleaned = " ".join(raw.strip().lower().replace(",", " ").split())
    if not cleaned:
        raise CallersError(f"type a callback time, {EXAMPLES}")
    tz = hours.first_zone(zone)
    local_now = now.astimezone(tz)
    today = local_now.date()
    result: datetime | None = None

    if match := _IN.match(cleaned):
        unit = UNITS.get(match.group("unit"))
        if unit is None:
            raise _bad(raw, f"unknown unit {match.group('unit')!r}")
        amount = float(match.group("n"))
        if amount <= 0:
            raise _bad(raw, "give a time in the future")
        result = now + timedelta(seconds=amount * unit)
    elif match := _ISO.match(cleaned):
        try:
            year, month, mday = (int(p) for p in match.group("d").split("-"))
            day = date.fromisoformat(f"{year:04d}-{month:02d}-{mday:02d}")
        except ValueError:
            raise _bad(raw, f"{match.group('d')} is not a date") from None
        when = _clock_time(raw, match)
        if when is None:
            raise _bad(raw, "give a time too, e.g. '2026-12-01 09:00'")
        result = _at(day, when, tz)
    elif ((match := _DAY_MONTH.match(cleaned)) or (match := _MONTH_DAY.match(cleaned))) and _month(match.group("mon")):
        month = _month(match.group("mon"))
        when = _clock_time(raw, match)
        if when is None:
            raise _bad(raw, "give a time too, e.g. '1 dec 09:00'")
        year = int(match.group("year")) if match.group("year") else today.year
        try:
            day = date(year, month, int(match.group("day")))
        except ValueError:
            raise _bad(raw, "no such date") from None
        result = _at(day, when, tz)
        if not match.group("year") and result <= now:
            try:
                result = _at(date(year + 1, month, day.day), when, tz)
            except ValueError:
                raise _bad(raw, "no such date") from None
    elif match := _ONLY_TIME.match(cleaned):
        when = _clock_time(raw, match)
        result = _at(today, when, tz)
        if result <= now:
            result = _at(today + timedelta(days=1), when, tz)
    elif match := _WORD.match(cleaned):
        word = match.group("word")
        if word not in WEEKDAYS and word not in ("today", "tomorrow", "tmrw", "tmr"):
            raise _bad(raw, f"unknown day {word!r}")
        when = _clock_time(raw, match)
        if when is None:
            raise _bad(raw, f"give a time too, e.g. '{word} 10:00'")
        if word == "today":
            result = _at(today, when, tz)
        elif word in ("tomorrow", "tmrw", "tmr"):
            result = _at(today + timedelta(days=1), when, tz)
        elif word in WEEKDAYS:
            ahead = (WEEKDAYS[word] - today.weekday()) % 7
            result = _at(today + timedelta(days=ahead), when, tz)
            if result <= now:
                result = _at(today + timedelta(days=ahead or 7), when, tz)
                if result <= now:
                    result = _at(today + timedelta(days=ahead + 7), when, tz)
    else:
        raise _bad(raw)

    if result <= now:
        raise _bad(raw, "that time has already passed")
    if result > now + timedelta(days=400):
        raise _bad(raw, "that is more than a year away")
    return result


def _when(local: datetime, reference: datetime) -> str:
    """'Fri 14:30' within the coming week, else 'Tue 1 Dec 09:00'."""
    days = (local.date() - reference.date()).days
    if -1 <= days <= 6:
        return f"{local:%a %H:%M}"
    return f"{local:%a} {local.day} {local:%b %H:%M}"


def describe_both(at: datetime, customer_zone: str | None, caller_zone: str | None) -> str:
    """'Fri 14:30 their time (13:30 yours)'; the caller's day is named when it differs."""
    theirs = at.astimezone(hours.first_zone(customer_zone))
    text = f"{_when(theirs, clock.now().astimezone(theirs.tzinfo))} their time"
    if caller_zone:
        mine = at.astimezone(hours.first_zone(caller_zone))
        if mine.utcoffset() != theirs.utcoffset():
            same_day = mine.date() == theirs.date()
            text += f" ({mine:%H:%M} yours)" if same_day else f" ({mine:%a %H:%M} yours)"
    return text
