"""Calls in the period: counts by outcome, per caller, and call length."""

from __future__ import annotations

from datetime import datetime

from peewee import SQL, fn

from callers import clock, settings
from callers.report.figures import CallFigures, CallerFigures
from callers.report.periods import Period
from callers.report.sums import HOUR, ONE_DAY, _int, _median_from_histogram, _share, _split, _within
from models.db import connection, indexed_by, seconds_between
from models.tables import Call, TallyCall, TallyCallLength

LONG_CALL_SECONDS = 300  # "share over 5 minutes"


def call_figures(period: Period, target_seconds: int | None = None) -> tuple[CallFigures, list[CallerFigures]]:
    """Calls in the period, and per caller: counts by outcome (tally_call by
    the hour), and call lengths as a histogram of whole seconds (tally_call_length
    by the day; the medians and shares come from it). The part-hours and
    part-days at either end come from the call rows."""
    target = int(target_seconds if target_seconds is not None else settings.get("target_seconds"))
    since, until = clock.to_db(period.since), clock.to_db(period.until)
    total = CallFigures(target_seconds=target)
    callers: dict[str, CallerFigures] = {}
    histograms: dict[str, dict[int, int]] = {}
    counts: list[tuple[str, str | None, bool, int]] = []  # caller, outcome, answered, calls
    lengths: list[tuple[str, int, int]] = []  # caller, seconds, calls
    hours, hour_pieces = _split(since, until, HOUR)
    days, day_pieces = _split(since, until, ONE_DAY)
    with connection():
        if hours is not None:
            T = TallyCall
            counts += [(caller, outcome or None, bool(answered), _int(n)) for caller, outcome, answered, n in
                       (T.select(T.caller, T.outcome, T.answered, fn.SUM(T.n)).where(_within(T.hour, hours))
                        .group_by(T.caller, T.outcome, T.answered).tuples())]
        for piece in hour_pieces:
            counts += _call_counts_exactly(*piece)
        if days is not None:
            L = TallyCallLength
            lengths += [(caller, seconds, _int(n)) for caller, seconds, n in
                        (L.select(L.caller, L.seconds, fn.SUM(L.n)).where(_within(L.day, days, days=True))
                         .group_by(L.caller, L.seconds).tuples())]
        for piece in day_pieces:
            lengths += _call_lengths_exactly(*piece)
    for caller, outcome, reached, count in counts:
        if not count:
            continue
        fig = callers.setdefault(caller, CallerFigures(caller))
        fig.count += count
        total.count += count
        if outcome == "completed":
            fig.completed += count
            total.completed += count
        elif not reached and outcome is not None:
            fig.not_reached += count
            total.not_reached += count
        key = outcome or "in_progress"
        total.outcomes[key] = total.outcomes.get(key, 0) + count
    for caller, seconds, count in lengths:
        if count:
            bucket = histograms.setdefault(caller, {})
            bucket[int(seconds)] = bucket.get(int(seconds), 0) + count

    overall: dict[int, int] = {}
    for caller, buckets in histograms.items():
        fig = callers.setdefault(caller, CallerFigures(caller))
        _lengths(fig, buckets, target)
        for value, count in buckets.items():
            overall[value] = overall.get(value, 0) + count
    _lengths(total, overall, target)
    total.outcomes = dict(sorted((k, v) for k, v in total.outcomes.items() if v))
    return total, sorted(callers.values(), key=lambda c: (-c.count, c.name))


def _call_counts_exactly(a: datetime, b: datetime) -> list[tuple[str, str | None, bool, int]]:
    """Calls in [a, b) from the rows: answered ones by the time they started,
    unanswered ones by the time they were given an outcome."""
    answered = (Call.select(Call.caller, Call.outcome, fn.COUNT(SQL("*")))
                .from_(indexed_by(Call, "call_started_at_caller_outcome_ended_at"))
                .where(Call.started_at >= a, Call.started_at < b)
                .group_by(Call.caller, Call.outcome).tuples())
    unanswered = (Call.select(Call.caller, Call.outcome, fn.COUNT(SQL("*")))
                  .from_(indexed_by(Call, "call_unanswered_ended_at"))
                  .where(Call.ended_at >= a, Call.ended_at < b, Call.started_at.is_null())
                  .group_by(Call.caller, Call.outcome).tuples())
    return ([(caller, outcome, True, _int(n)) for caller, outcome, n in answered]
            + [(caller, outcome, False, _int(n)) for caller, outcome, n in unanswered])


def _call_lengths_exactly(a: datetime, b: datetime) -> list[tuple[str, int, int]]:
    """Lengths of the answered calls that started in [a, b) and have ended."""
    secs = seconds_between(Call.started_at, Call.ended_at)
    return [(caller, length, _int(n)) for caller, length, n in
            (Call.select(Call.caller, secs, fn.COUNT(SQL("*")))
             .from_(indexed_by(Call, "call_started_at_caller_outcome_ended_at"))
             .where(Call.started_at >= a, Call.started_at < b, Call.ended_at.is_null(False))
             .group_by(Call.caller, secs).tuples())]


def _lengths(fig, buckets: dict[int, int], target: int) -> None:
    buckets = {s: n for s, n in buckets.items() if n}
    answered = sum(buckets.values())
    fig.answered = answered
    median = _median_from_histogram(buckets)
    fig.median_seconds = None if median is None else int(round(median))
    fig.over_target_share = _share(sum(n for s, n in buckets.items() if s > target), answered)
    fig.over_5_minutes_share = _share(sum(n for s, n in buckets.items() if s > LONG_CALL_SECONDS), answered)
