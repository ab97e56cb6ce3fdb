"""Reading counts exactly and cheaply.

Counts over a range [a, b) of stored times come from two places: the whole
hours (or days) inside it from a tally (models/tallies.py), the part-hours
(part-days) at either end counted exactly from the rows themselves, an
index range each. A range shorter than that is counted from the rows alone.
Also the small arithmetic every section shares (shares, medians)."""

from __future__ import annotations

from datetime import datetime, timedelta

from peewee import SQL, fn

from callers.steptime import median


def _share(part: int, whole: int, digits: int = 3) -> float | None:
    return round(part / whole, digits) if whole else None


# The median of a histogram {value: how many}: the step times' own (callers/steptime.py).
_median_from_histogram = median


def _sum_if(condition) -> fn:
    """How many rows meet the condition: COUNT(*) FILTER (WHERE ...), which
    both engines know and which SQLite runs far faster than SUM(CASE ...)."""
    return fn.COUNT(SQL("*")).filter(condition)


def _int(value) -> int:
    return int(value or 0)


HOUR, ONE_DAY = timedelta(hours=1), timedelta(days=1)


def _floor(moment: datetime, step: timedelta) -> datetime:
    if step == HOUR:
        return moment.replace(minute=0, second=0, microsecond=0)
    return datetime(moment.year, moment.month, moment.day)


def _split(a: datetime, b: datetime | None, step: timedelta
           ) -> tuple[tuple[datetime, datetime | None] | None, list[tuple[datetime, datetime]]]:
    """([first, end) of the whole hours/days in [a, b), or None; the pieces
    at either end to count exactly). `b` None: open-ended."""
    first = a if a == _floor(a, step) else _floor(a, step) + step
    end = _floor(b, step) if b is not None else None
    if end is not None and first >= end:
        return None, [(a, b)]
    pieces = []
    if a < first:
        pieces.append((a, first))
    if end is not None and end < b:
        pieces.append((end, b))
    return (first, end), pieces


def _within(column, span: tuple[datetime, datetime | None], days: bool = False):
    """The tally rows of the whole hours (days: of the whole days) of a span."""
    first, end = span
    if days:
        first, end = first.date(), (end.date() if end is not None else None)
    return (column >= first) if end is None else ((column >= first) & (column < end))
