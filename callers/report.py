"""The supervisor's figures: forwards per department, coverage of the cycle,
call length, freshness, and what the calls found.

Plain values in, plain values out (dataclasses); no UI here. Every figure is an
aggregate computed in SQL that works the same on SQLite and PostgreSQL. The
big counts are read from the tallies the database keeps by triggers
(models/tallies.py): whole days from a tally, the part-days at either end of a
period from the rows themselves, so each figure is exact to the second while
a report reads a few thousand rows however large the database. Python only
walks the handful of grouped rows that come back.

Definitions (the README's supervisor section says the same):

- A period is ``[since, until)``: `since` included, `until` excluded.
- A call counts in a period when it *started* in it: an answered call by
  `started_at`, a call nobody answered (``started_at`` NULL) by `ended_at`
  (the moment the attempt was given an outcome). An unanswered call still on
  the desk (no `ended_at`) is not counted yet.
- A call's length is ``ended_at - started_at`` rounded to the nearest second,
  for answered calls that have ended.
- `forwarded`: forwards created in the period, except withdrawn ones.
  `returned` ("not ours") and the median days from forward to done count the
  forwards *resolved* in the period. `open` and `oldest_open_days` are now.
- Coverage and freshness are as of now; "the cycle" is the last `cycle_days`.
"""

from __future__ import annotations

import io
import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Callable

from peewee import SQL, fn

from callers import clock, csvout, cycle, settings, value
from callers.errors import CallersError
from models.db import connection, indexed_by, seconds_between
from models import tallies
from models.tallies import DAY_FACTS
from models.vocabulary import FORWARD_OPEN, FORWARD_RESOLVED
from models.tables import (
    IMPLEMENTATION_STATES,
    REFERENCE_KINDS,
    Call,
    CallAnswer,
    Customer,
    Department,
    Feature,
    FACT_INDEXES,
    Forward,
    TallyCall,
    TallyCallLength,
    TallyCount,
    TallyCustomer,
    TallyCustomerDay,
    TallyFeature,
    TallyForward,
    TallyForwardDone,
)

DAY = 86400
TREND_WEEKS = 12
# A department's change is marked (▲ growing, ▼ shrinking) only when it is
# large enough to mean something: its open forwards changed over the period
# by at least OPEN_CHANGE and by at least CHANGE_SHARE of what was open when
# it began, or its median days to done changed by at least MEDIAN_CHANGE_DAYS
# and by CHANGE_SHARE of the period before. One forward more (2 -> 3 open) is
# noise, not a trend. Growing wins when one measure grows and the other shrinks.
OPEN_CHANGE = 3
MEDIAN_CHANGE_DAYS = 1.0
CHANGE_SHARE = 0.25


def change(before: float | None, after: float | None, least: float) -> int:
    """+1 / -1 when `after` differs from `before` by at least `least` and by
    CHANGE_SHARE of `before`; else 0 (or when either is unknown)."""
    if before is None or after is None:
        return 0
    delta = after - before
    if abs(delta) < least or abs(delta) < CHANGE_SHARE * abs(before):
        return 0
    return 1 if delta > 0 else -1
LONG_CALL_SECONDS = 300  # "share over 5 minutes"
DECAY_RULE_OF_THUMB = 0.03  # a customer database decays about 3 % a month
MONTH_DAYS = 30
OPEN_STATUSES = FORWARD_OPEN
RESOLVED_STATUSES = FORWARD_RESOLVED
FACTS = ("contacts", "referenceability", "implementation", "features")
PERIOD_KEYS = ("today", "7", "30", "90")
PERIOD_LABELS = {"today": "today", "7": "last 7 days", "30": "last 30 days", "90": "last 90 days"}


class Cancelled(Exception):
    """Raised between queries when the caller of `build` no longer wants it."""


# ---- periods ---------------------------------------------------------------


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


# ---- the figures -----------------------------------------------------------


@dataclass
class DepartmentFigures:
    name: str
    forwarded: int = 0  # created in the period, not withdrawn
    per_100_calls: float | None = None  # forwarded per 100 completed calls in the period
    open: int = 0  # open or acknowledged now
    oldest_open_days: float | None = None
    median_days_to_done: float | None = None  # of forwards done in the period
    returned: int = 0  # returned as "not ours" in the period
    done: int = 0  # marked done in the period
    open_at_start: int = 0  # open at the start of the period
    previous_median_days_to_done: float | None = None  # the period of the same length before
    growing: bool = False  # open count or median grew enough to mean something (see `change`)
    direction: str | None = None  # "growing", "shrinking", or None (no change that means something)
    trend: list[int] = field(default_factory=list)  # forwarded per week, 12 weeks ending at `until`


@dataclass
class Coverage:
    customers: int = 0
    reached_in_cycle: int = 0  # not do-not-call, last completed call within the cycle
    overdue: int = 0  # not do-not-call, reached before but not within the cycle
    never_reached: int = 0  # not do-not-call, never reached
    unreachable: int = 0  # not do-not-call, too many attempts this cycle
    needs_number: int = 0  # not do-not-call, no number to dial
    do_not_call: int = 0
    cycle_days: int = 90
    completed_per_day: float | None = None  # completed calls per day in the period
    days_to_reach_everyone: float | None = None  # callable customers / completed per day
    cycle_ends_on: str | None = None  # ISO date, at the last 4 weeks' pace (callers/cycle.py)
    caller_hours_per_week_needed: float | None = None  # to reach everyone every cycle (callers/cycle.py)


@dataclass
class CallerFigures:
    name: str
    count: int = 0
    completed: int = 0
    not_reached: int = 0
    answered: int = 0  # answered and ended: the calls with a length
    median_seconds: int | None = None
    over_target_share: float | None = None
    over_5_minutes_share: float | None = None


@dataclass
class CallFigures:
    count: int = 0  # started (answered) or attempted (unanswered, ended) in the period
    completed: int = 0
    not_reached: int = 0  # nobody answered
    answered: int = 0  # answered and ended: the calls with a length
    median_seconds: int | None = None
    over_target_share: float | None = None  # share of answered calls longer than the target
    over_5_minutes_share: float | None = None
    target_seconds: int = 180
    outcomes: dict[str, int] = field(default_factory=dict)  # "in_progress" for no outcome yet


@dataclass
class Fact:
    fresh: int = 0
    share: float | None = None


@dataclass
class Decay:
    contacts: int = 0  # contacts in the database
    gone: int = 0  # contacts marked gone on calls in the period
    wrong_number: int = 0  # calls ended "wrong number" in the period
    per_month: float | None = None  # (gone + wrong) per 30 days, as a share of contacts
    rule_of_thumb: float = DECAY_RULE_OF_THUMB


@dataclass
class Freshness:
    customers: int = 0  # customers we call (not do-not-call): the denominator
    contacts: Fact = field(default_factory=Fact)
    referenceability: Fact = field(default_factory=Fact)
    implementation: Fact = field(default_factory=Fact)
    features: Fact = field(default_factory=Fact)
    decay: Decay = field(default_factory=Decay)


@dataclass
class FeatureFigures:
    name: str
    customers: int = 0  # live customers using it in production
    share: float | None = None  # of live customers


@dataclass
class Report:
    period: Period
    generated_at: datetime
    departments: list[DepartmentFigures]
    coverage: Coverage
    calls: CallFigures
    callers: list[CallerFigures]
    freshness: Freshness
    features: list[FeatureFigures]
    live_customers: int
    references: dict[str, int]  # "referenceable" (any yes), then yes per kind
    implementation: dict[str, int]  # per state, plus "unknown"
    cycle: cycle.CycleNeeds | None = None  # what the cycle needs (callers/cycle.py)
    value: value.Value | None = None  # what the function earns (callers/value.py)


def _share(part: int, whole: int, digits: int = 3) -> float | None:
    return round(part / whole, digits) if whole else None


def _median_from_histogram(buckets: dict[int, int]) -> float | None:
    """The median of values given as {value: how many}."""
    total = sum(buckets.values())
    if not total:
        return None
    lo, hi = (total - 1) // 2, total // 2  # 0-based ranks of the middle value(s)
    seen, low_value = 0, None
    for value in sorted(buckets):
        seen += buckets[value]
        if low_value is None and seen > lo:
            low_value = value
        if seen > hi:
            return (low_value + value) / 2
    return None  # pragma: no cover - unreachable


def _sum_if(condition) -> fn:
    """How many rows meet the condition: COUNT(*) FILTER (WHERE ...), which
    both engines know and which SQLite runs far faster than SUM(CASE ...)."""
    return fn.COUNT(SQL("*")).filter(condition)


def _int(value) -> int:
    return int(value or 0)


# ---- reading the tallies ---------------------------------------------------
#
# Counts over a range [a, b) of stored times come from two places: the whole
# hours (or days) inside it from a tally (models/tallies.py), the part-hours
# (part-days) at either end counted exactly from the rows themselves, an
# index range each. A range shorter than that is counted from the rows alone.

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


# ---- departments -----------------------------------------------------------


def department_figures(period: Period, completed_calls: int, now: datetime | None = None) -> list[DepartmentFigures]:
    """Every department, worst first (most forwarded, then most open)."""
    now = now or clock.now()
    now_db = clock.to_db(now)
    since, until = clock.to_db(period.since), clock.to_db(period.until)
    length = period.until - period.since
    prev_since = clock.to_db(clock.shift(period.since, -length))
    weeks = [clock.to_db(period.until - timedelta(weeks=TREND_WEEKS - i)) for i in range(TREND_WEEKS + 1)]
    # name -> [a, b): the ranges counted, by the time forwards were created or resolved.
    created_ranges = {"period": (since, until), "since_start": (since, now_db),
                      **{f"week{i}": (weeks[i], weeks[i + 1]) for i in range(TREND_WEEKS)}}
    resolved_ranges = {"period": (since, until), "since_start": (since, now_db)}
    with connection():
        figures = {d.id: DepartmentFigures(d.name, trend=[0] * TREND_WEEKS)
                   for d in Department.select().order_by(Department.position, Department.name)}
        if not figures:
            return []
        created = _forward_counts(created_ranges, _created_exactly, ("created", "kept"))
        resolved = _forward_counts(resolved_ranges, _resolved_exactly, RESOLVED_STATUSES)
        TF = TallyForward
        open_now = dict(TF.select(TF.department_id, fn.SUM(TF.n)).where(TF.kind == "open")
                        .group_by(TF.department_id).tuples())
        oldest = _oldest_open(list(figures))
        medians = _done_medians(prev_since, since, until)

    for dep, fig in figures.items():
        fig.forwarded = created.get(("period", dep, "kept"), 0)
        fig.trend = [created.get((f"week{i}", dep, "kept"), 0) for i in range(TREND_WEEKS)]
        fig.open = _int(open_now.get(dep))
        if oldest.get(dep) is not None:
            fig.oldest_open_days = round((now - clock.from_db(oldest[dep])).total_seconds() / DAY, 1)
        fig.returned = resolved.get(("period", dep, "returned"), 0)
        fig.done = resolved.get(("period", dep, "done"), 0)
        resolved_since_start = sum(resolved.get(("since_start", dep, s), 0) for s in RESOLVED_STATUSES)
        fig.open_at_start = fig.open - created.get(("since_start", dep, "created"), 0) + resolved_since_start
        fig.per_100_calls = round(100 * fig.forwarded / completed_calls, 1) if completed_calls else None
        current, previous = medians.get((dep, 1)), medians.get((dep, 0))
        fig.median_days_to_done = round(current / DAY, 1) if current is not None else None
        fig.previous_median_days_to_done = round(previous / DAY, 1) if previous is not None else None
        moves = {change(fig.open_at_start, fig.open, OPEN_CHANGE),
                 change(fig.previous_median_days_to_done, fig.median_days_to_done, MEDIAN_CHANGE_DAYS)}
        fig.direction = "growing" if 1 in moves else "shrinking" if -1 in moves else None
        fig.growing = fig.direction == "growing"
    # Worst first; ties keep the departments' own order (position, name).
    return sorted(figures.values(), key=lambda f: (-f.forwarded, -f.open, -(f.oldest_open_days or 0)))


def _forward_counts(ranges: dict[str, tuple[datetime, datetime]],
                    exactly: Callable[[datetime, datetime], dict[tuple[int, str], int]],
                    kinds: tuple[str, ...]) -> dict[tuple[str, int, str], int]:
    """{(range name, department id, kind): forwards} for each range: whole
    hours from tally_forward (one pass, a sum per range), the part-hours at
    either end from `exactly(a, b)`."""
    TF = TallyForward
    out: dict[tuple[str, int, str], int] = {}
    splits = {name: _split(a, b, HOUR) for name, (a, b) in ranges.items()}
    spans = {name: span for name, (span, _pieces) in splits.items() if span is not None}
    if spans:
        first, end = min(s[0] for s in spans.values()), max(s[1] for s in spans.values())
        sums = [fn.SUM(TF.n).filter(_within(TF.hour, span)) for span in spans.values()]
        for dep, kind, *values in (TF.select(TF.department_id, TF.kind, *sums)
                                   .where(TF.hour >= first, TF.hour < end, TF.kind.in_(kinds))
                                   .group_by(TF.department_id, TF.kind).tuples()):
            for name, value in zip(spans, values):
                out[(name, dep, kind)] = _int(value)
    for name, (_span, pieces) in splits.items():
        for piece in pieces:
            for (dep, kind), n in exactly(*piece).items():
                if kind in kinds:
                    out[(name, dep, kind)] = out.get((name, dep, kind), 0) + n
    return out


def _created_exactly(a: datetime, b: datetime) -> dict[tuple[int, str], int]:
    """Forwards created in [a, b), counted from the rows: all, and not withdrawn."""
    out = {}
    for dep, created, kept in (Forward.select(Forward.department, fn.COUNT(SQL("*")),
                                              _sum_if(Forward.status != "withdrawn"))
                               .from_(indexed_by(Forward, "forward_created_at"))
                               .where(Forward.created_at >= a, Forward.created_at < b)
                               .group_by(Forward.department).tuples()):
        out[(dep, "created")], out[(dep, "kept")] = _int(created), _int(kept)
    return out


def _resolved_exactly(a: datetime, b: datetime) -> dict[tuple[int, str], int]:
    """Forwards resolved in [a, b), by how, counted from the rows."""
    return {(dep, status): _int(n) for status, dep, n in
            (Forward.select(Forward.status, Forward.department, fn.COUNT(SQL("*")))
             .from_(indexed_by(Forward, "forward_status_resolved_at_department_id_created_at"))
             .where(Forward.status.in_(RESOLVED_STATUSES), Forward.resolved_at >= a, Forward.resolved_at < b)
             .group_by(Forward.status, Forward.department).tuples())}


def _oldest_open(departments: list[int]) -> dict[int, datetime | None]:
    """Each department's oldest open forward: one seek of the index
    (department, status, created_at) per department and open status."""
    oldest: dict[int, datetime | None] = {}
    for dep in departments:
        for status in OPEN_STATUSES:
            value = (Forward.select(fn.MIN(Forward.created_at))
                     .from_(indexed_by(Forward, "forward_department_id_status_created_at"))
                     .where(Forward.department == dep, Forward.status == status).scalar())
            value = _as_datetime(value)
            if value is not None and (oldest.get(dep) is None or value < oldest[dep]):
                oldest[dep] = value
    return oldest


def _as_datetime(value):
    """SQLite hands MIN(datetime) back as text."""
    if isinstance(value, str):
        return datetime.fromisoformat(value)
    return value


def _done_medians(prev_since, since, until) -> dict[tuple[int, int], float]:
    """{(department id, 1 this period / 0 the one before): median seconds to done}.

    Exact, in two steps: how many forwards each department marked done in the
    period, by whole days from forward to done (tally_forward_done for the
    period's whole days, the forwards themselves for its part-days), tells in
    which day the middle one or two lie; then they are read among that day's
    forwards alone, in order of their time to done (the expression index
    forward_done_seconds). A few hundred rows, however many were done."""
    medians: dict[tuple[int, int], float] = {}
    for part, (lo, hi) in ((1, (since, until)), (0, (prev_since, since))):
        for dep, buckets in _done_buckets(lo, hi).items():
            n = sum(buckets.values())
            if n <= 0:
                continue
            middle = [_done_at_rank(dep, lo, hi, buckets, rank) for rank in sorted({(n - 1) // 2, n // 2})]
            middle = [v for v in middle if v is not None]
            if middle:
                medians[(dep, part)] = sum(middle) / len(middle)
    return medians


def _done_buckets(lo: datetime, hi: datetime) -> dict[int, dict[int, int]]:
    """{department id: {whole days to done (-1: negative): forwards done in [lo, hi)}}."""
    TD = TallyForwardDone
    out: dict[int, dict[int, int]] = {}
    days, pieces = _split(lo, hi, ONE_DAY)
    rows = []
    if days is not None:
        rows += list(TD.select(TD.department_id, TD.days_to_done, fn.SUM(TD.n))
                     .where(_within(TD.day, days, days=True))
                     .group_by(TD.department_id, TD.days_to_done).tuples())
    bucket = SQL(tallies.days_to_done('"t1"', tallies.dialect()))
    for a, b in pieces:
        rows += list(Forward.select(Forward.department, bucket, fn.COUNT(SQL("*")))
                     .from_(indexed_by(Forward, "forward_status_resolved_at_department_id_created_at"))
                     .where(Forward.status == "done", Forward.resolved_at >= a, Forward.resolved_at < b)
                     .group_by(Forward.department, bucket).tuples())
    for dep, days_to_done, n in rows:
        counts = out.setdefault(dep, {})
        counts[int(days_to_done)] = counts.get(int(days_to_done), 0) + _int(n)
    return out


def _done_at_rank(dep: int, lo: datetime, hi: datetime, buckets: dict[int, int], rank: int) -> int | None:
    """The `rank`-th (0-based) shortest time to done, in seconds, of the
    department's forwards done in [lo, hi), given their counts by whole days."""
    seen = 0
    for day in sorted(buckets):
        if seen + buckets[day] > rank:
            break
        seen += buckets[day]
    else:
        return None
    seconds = SQL(tallies.dialect().seconds('"t1"."created_at"', '"t1"."resolved_at"'))
    within = (seconds < 0) if day < 0 else ((seconds >= day * DAY) & (seconds < (day + 1) * DAY))
    row = (Forward.select(seconds)
           .from_(indexed_by(Forward, tallies.DONE_SECONDS_INDEX))
           # status as a literal: a partial index serves only a query that says so
           .where(SQL("\"t1\".\"status\" = 'done'"), Forward.department == dep, within,
                  Forward.resolved_at >= lo, Forward.resolved_at < hi)
           .order_by(seconds).limit(1).offset(rank - seen).tuples().first())
    return None if row is None else int(row[0])


# ---- calls -----------------------------------------------------------------


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


# ---- customers: coverage, freshness, references, implementation ------------


def customer_figures(period: Period, completed_calls: int, now: datetime | None = None,
                     cycle_days: int | None = None) -> tuple[Coverage, Freshness, dict[str, int], dict[str, int]]:
    """Coverage, freshness, references and implementation, from the tallies:
    customers by their flags (tally_customer) and customers we call by the day
    of each dated fact (tally_customer_day; the cycle's first, part day
    counted exactly from the customer rows)."""
    now = now or clock.now()
    cycle = int(cycle_days if cycle_days is not None else settings.get("cycle_days"))
    cut = clock.to_db(now - timedelta(days=cycle))
    TC, TD = TallyCustomer, TallyCustomerDay
    days, pieces = _split(cut, None, ONE_DAY)
    with connection():
        groups = list(TC.select(TC.do_not_call, TC.unreachable, TC.needs_number, TC.never_reached,
                                TC.implementation_state, TC.ref_yes, fn.SUM(TC.n))
                      .group_by(TC.do_not_call, TC.unreachable, TC.needs_number, TC.never_reached,
                                TC.implementation_state, TC.ref_yes).tuples())
        fresh = {fact: _int(n) for fact, n in (TD.select(TD.fact, fn.SUM(TD.n))
                                               .where(TD.fact.in_(list(DAY_FACTS)), _within(TD.day, days, days=True))
                                               .group_by(TD.fact).tuples())}
        for a, b in pieces:  # the part day at the start of the cycle
            for fact, column in DAY_FACTS.items():
                field_ = getattr(Customer, column)
                fresh[fact] = fresh.get(fact, 0) + (
                    Customer.select(fn.COUNT(SQL("*")))
                    .from_(indexed_by(Customer, FACT_INDEXES[column]))
                    .where(field_ >= a, field_ < b, Customer.do_not_call == False).scalar() or 0)  # noqa: E712

    customers = dnc = unreachable = needs = never = any_ref = 0
    refs = dict.fromkeys(REFERENCE_KINDS, 0)
    by_state = dict.fromkeys(IMPLEMENTATION_STATES, 0)
    for do_not_call, is_unreachable, needs_number, never_reached, state, ref_yes, n in groups:
        n = _int(n)
        customers += n
        if do_not_call:
            dnc += n
        else:
            unreachable += n if is_unreachable else 0
            needs += n if needs_number else 0
            never += n if never_reached else 0
        if state in by_state:
            by_state[state] += n
        for i, kind in enumerate(REFERENCE_KINDS):
            if ref_yes & (1 << i):
                refs[kind] += n
        any_ref += n if ref_yes else 0
    callable_customers = customers - dnc
    reached = fresh.get("reached", 0)
    overdue = callable_customers - reached - never  # reached before, not within the cycle

    coverage = Coverage(customers, reached, overdue, never, unreachable, needs, dnc, cycle)
    _pace(coverage, completed_calls, period)
    freshness = Freshness(callable_customers,
                          *[Fact(fresh.get(fact, 0), _share(fresh.get(fact, 0), callable_customers))
                            for fact in ("contacts", "referenceability", "implementation", "features")])
    references = {"referenceable": any_ref, **refs}
    implementation = dict(by_state)
    implementation["unknown"] = customers - sum(by_state.values())
    return coverage, freshness, references, implementation


def _pace(coverage: Coverage, completed_calls: int, period: Period) -> None:
    """Completed calls a day in the period (at least a day long), and the days
    that pace needs to reach every customer we call."""
    callable_customers = coverage.customers - coverage.do_not_call
    per_day = completed_calls / max(period.days, 1.0)
    coverage.completed_per_day = round(per_day, 1) if completed_calls else None
    coverage.days_to_reach_everyone = (round(callable_customers / per_day, 0)
                                       if completed_calls and callable_customers else None)


def _per_month(gone: int, wrong: int, contacts: int, period: Period) -> Decay:
    months = max(period.days, 1.0) / MONTH_DAYS
    per_month = round((gone + wrong) / months / contacts, 4) if contacts else None
    return Decay(contacts, gone, wrong, per_month)


def decay(period: Period, wrong_number_calls: int) -> Decay:
    """Contacts found gone (answers "contact:<id>:gone") or wrong (calls ended
    "wrong number") in the period, per 30 days, as a share of all contacts."""
    since, until = clock.to_db(period.since), clock.to_db(period.until)
    with connection():
        contacts = TallyCount.select(fn.SUM(TallyCount.n)).where(TallyCount.name == "contacts").scalar() or 0
        gone = (CallAnswer.select(fn.COUNT(CallAnswer.key.distinct()))
                .where(CallAnswer.step == "contacts", CallAnswer.answered_at >= since,
                       CallAnswer.answered_at < until, CallAnswer.key ** "contact:%:gone")
                .scalar()) or 0
    return _per_month(int(gone), wrong_number_calls, int(contacts), period)


# ---- features --------------------------------------------------------------


def feature_figures() -> tuple[list[FeatureFigures], int]:
    """Features in production among live customers, most used first; and how many live customers."""
    TF, TC = TallyFeature, TallyCustomer
    with connection():
        live_customers = _int(TC.select(fn.SUM(TC.n)).where(TC.implementation_state == "live").scalar())
        features = list(Feature.select().where(Feature.active == True)  # noqa: E712
                        .order_by(Feature.position, Feature.name))
        used = dict(TF.select(TF.feature_id, fn.SUM(TF.n)).where(TF.implementation_state == "live")
                    .group_by(TF.feature_id).tuples())
    rows = [FeatureFigures(f.name, _int(used.get(f.id)), _share(_int(used.get(f.id)), live_customers))
            for f in features]
    rows.sort(key=lambda f: -f.customers)
    return rows, live_customers


# ---- the whole report ------------------------------------------------------


def build(period: Period, now: datetime | None = None,
          cancelled: Callable[[], bool] | None = None, parallel: bool = True) -> Report:
    """Every figure for the period.

    The sections are independent queries; with `parallel` they run at once on
    three connections of their own (SQLite in WAL mode and PostgreSQL both let
    readers run side by side), which roughly halves the wall time on a big
    database. `cancelled` is asked before each section starts and when they
    are done; when it says True, `Cancelled` is raised (a dashboard that moved
    on to another period) and no further section starts.
    """
    now = now or clock.now()

    def check() -> None:
        if cancelled is not None and cancelled():
            raise Cancelled()

    with connection():  # this thread's connection, kept for every section run here
        values = settings.get_all()
        _compact()

        def run(section: Callable[[], object]) -> Callable[[], object]:
            def task():
                check()
                with connection():  # a pool thread opens its own
                    return section()
            return task

        sections = [
            run(lambda: call_figures(period, values["target_seconds"])),
            run(lambda: customer_figures(period, 0, now, values["cycle_days"])),
            run(lambda: department_figures(period, 0, now)),
            run(lambda: decay(period, 0)),
            run(feature_figures),
            run(lambda: cycle.pace(now, cycle.calling_hours(values))),
            run(lambda: value.figures(now)),
        ]
        check()
        if parallel:
            with ThreadPoolExecutor(max_workers=3, thread_name_prefix="report") as pool:
                futures = [pool.submit(task) for task in sections]
                try:
                    results = [f.result() for f in futures]
                except BaseException:
                    for f in futures:
                        f.cancel()
                    raise
        else:
            results = [task() for task in sections]
    check()
    (calls, callers), (coverage, freshness, references, implementation), departments, found, \
        (features, live), pace, worth = results
    # The figures that depend on how many calls were completed, or found wrong numbers.
    for d in departments:
        d.per_100_calls = round(100 * d.forwarded / calls.completed, 1) if calls.completed else None
    _pace(coverage, calls.completed, period)
    freshness.decay = _per_month(found.gone, calls.outcomes.get("wrong_number", 0), found.contacts, period)
    needs = cycle.plan(pace, coverage.customers - coverage.do_not_call,
                       coverage.overdue + coverage.never_reached, coverage.cycle_days, now)
    coverage.cycle_ends_on = needs.cycle_ends_on.isoformat() if needs.cycle_ends_on else None
    coverage.caller_hours_per_week_needed = needs.caller_hours_per_week_needed
    return Report(period, now, departments, coverage, calls, callers, freshness, features, live,
                  references, implementation, needs, worth)


def _compact() -> None:
    """Fold the tallies' appended rows now and then (counts never change). A
    database this login may only read is read as it is."""
    import peewee

    try:
        tallies.compact_if_needed()
    except peewee.DatabaseError:
        pass  # e.g. no DELETE on the tallies for this login: the sums are right without it


# ---- output ----------------------------------------------------------------


def _iso(value: datetime) -> str:
    return value.astimezone(timezone.utc).isoformat(timespec="seconds")


def to_dict(report: Report) -> dict:
    """The JSON shape documented in the README."""
    departments = []
    for d in report.departments:
        item = asdict(d)
        departments.append(item)
    coverage = asdict(report.coverage)
    coverage["cycle_needs"] = cycle.to_dict(report.cycle) if report.cycle else None
    calls = asdict(report.calls)
    return {
        "period": {"since": _iso(report.period.since), "until": _iso(report.period.until),
                   "days": round(report.period.days, 2)},
        "generated_at": _iso(report.generated_at),
        "departments": departments,
        "coverage": coverage,
        "calls": calls,
        "callers": [asdict(c) for c in report.callers],
        "freshness": asdict(report.freshness),
        "features": [asdict(f) for f in report.features],
        "live_customers": report.live_customers,
        "references": dict(report.references),
        "implementation": dict(report.implementation),
        "value": value.to_dict(report.value) if report.value else None,
    }


def to_json(report: Report) -> str:
    return json.dumps(to_dict(report), indent=2)


def _csv_value(value):
    """A figure as the CSV cell: numbers stay numbers (`callers.csvout`)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return " ".join(str(v) for v in value)
    return value


def to_csv(report: Report) -> str:
    """One long table: section, item, figure, value (easy to pivot)."""
    out = io.StringIO()
    writer = csvout.CsvWriter(out, ["section", "item", "figure", "value"])
    row = writer.row
    data = to_dict(report)
    for key, value in data["period"].items():
        row(["period", "", key, _csv_value(value)])
    for d in data["departments"]:
        for key, value in d.items():
            if key != "name":
                row(["departments", d["name"], key, _csv_value(value)])
    for key, value in data["coverage"].items():
        if key != "cycle_needs":
            row(["coverage", "", key, _csv_value(value)])
    for key, value in (data["coverage"]["cycle_needs"] or {}).items():
        if key != "zones":
            row(["coverage", "cycle_needs", key, _csv_value(value)])
    for key, value in (data["value"] or {}).items():
        for item, figure in (value.items() if isinstance(value, dict) else [("", value)]):
            row(["value", key if item else "", item or key, _csv_value(figure)])
    for key, value in data["calls"].items():
        if key == "outcomes":
            for outcome, n in value.items():
                row(["calls", outcome, "count", n])
        else:
            row(["calls", "", key, _csv_value(value)])
    for c in data["callers"]:
        for key, value in c.items():
            if key != "name":
                row(["callers", c["name"], key, _csv_value(value)])
    fresh = data["freshness"]
    row(["freshness", "", "customers", fresh["customers"]])
    for fact in FACTS:
        for key, value in fresh[fact].items():
            row(["freshness", fact, key, _csv_value(value)])
    for key, value in fresh["decay"].items():
        row(["freshness", "decay", key, _csv_value(value)])
    row(["features", "", "live_customers", data["live_customers"]])
    for f in data["features"]:
        row(["features", f["name"], "customers", f["customers"]])
        row(["features", f["name"], "share", _csv_value(f["share"])])
    for key, value in data["references"].items():
        row(["references", "", key, value])
    for key, value in data["implementation"].items():
        row(["implementation", "", key, value])
    return out.getvalue()


def features_csv(rows) -> str:
    """`callers report features --format csv`: feature, customers, share."""
    out = io.StringIO()
    csvout.write(out, ["feature", "customers", "share"], ([f.name, f.customers, f.share] for f in rows))
    return out.getvalue()


# Plain text, for e-mail: fixed-width columns, "—" for a figure that has no value.

DASH = "—"


def num(value, suffix: str = "") -> str:
    if value is None:
        return DASH
    if isinstance(value, float):
        text = f"{value:,.1f}".rstrip("0").rstrip(".") if value != int(value) else f"{int(value):,}"
        return text + suffix
    return f"{value:,}{suffix}"


def pct(share: float | None) -> str:
    return DASH if share is None else f"{share * 100:.0f}%"


def mmss(seconds: int | float | None) -> str:
    if seconds is None:
        return DASH
    seconds = int(round(seconds))
    return f"{seconds // 60}:{seconds % 60:02d}"


def days(value: float | None) -> str:
    return DASH if value is None else f"{value:.1f} d"


def to_text(report: Report) -> str:
    r = report
    lines = [f"callers report, {r.period.describe()}", ""]
    lines.append("Departments (worst first)")
    lines.append(f"  {'department':<22}{'forwarded':>10}{'per 100':>9}{'open':>9}{'oldest':>9}"
                 f"{'median':>9}{'returned':>10}")
    if not r.departments:
        lines.append("  no departments")
    for d in r.departments:
        mark = {"growing": "  ▲ growing", "shrinking": "  ▼ shrinking"}.get(d.direction or "", "")
        lines.append(f"  {d.name[:21]:<22}{d.forwarded:>10,}{num(d.per_100_calls):>9}{d.open:>9,}"
                     f"{days(d.oldest_open_days):>9}{days(d.median_days_to_done):>9}{d.returned:>10,}{mark}")
    c = r.coverage
    lines += ["", f"Coverage (cycle of {c.cycle_days} days, now)",
              f"  customers            {c.customers:>10,}",
              f"  reached in cycle     {c.reached_in_cycle:>10,}  {pct(_share(c.reached_in_cycle, c.customers - c.do_not_call))}",
              f"  overdue              {c.overdue:>10,}",
              f"  never reached        {c.never_reached:>10,}",
              f"  unreachable          {c.unreachable:>10,}",
              f"  needs a number       {c.needs_number:>10,}",
              f"  do not call          {c.do_not_call:>10,}",
              f"  days to reach everyone at the current pace: {num(c.days_to_reach_everyone)}"
              f" (promise: {c.cycle_days}; {num(c.completed_per_day)} completed a day)"]
    lines += cycle.text_lines(r.cycle) if r.cycle else []
    k = r.calls
    lines += ["", "Calls",
              f"  calls                {k.count:>10,}",
              f"  completed            {k.completed:>10,}",
              f"  not reached          {k.not_reached:>10,}",
              f"  median length        {mmss(k.median_seconds):>10}  (target {mmss(k.target_seconds)})",
              f"  over target          {pct(k.over_target_share):>10}",
              f"  over 5 minutes       {pct(k.over_5_minutes_share):>10}"]
    if r.callers:
        lines.append(f"  {'caller':<22}{'calls':>10}{'completed':>11}{'not reached':>13}{'median':>8}{'over':>6}")
        for p in r.callers:
            lines.append(f"  {p.name[:21]:<22}{p.count:>10,}{p.completed:>11,}{p.not_reached:>13,}"
                         f"{mmss(p.median_seconds):>8}{pct(p.over_target_share):>6}")
    f = r.freshness
    lines += ["", f"Freshness (confirmed within the cycle, of {f.customers:,} customers we call)"]
    for fact in FACTS:
        item = getattr(f, fact)
        lines.append(f"  {fact:<20} {pct(item.share):>10}  ({item.fresh:,})")
    d = f.decay
    lines.append(f"  decay: {pct(d.per_month) if d.per_month is None else f'{d.per_month * 100:.1f}%'} a month measured"
                 f" ({d.gone:,} gone, {d.wrong_number:,} wrong numbers of {d.contacts:,} contacts);"
                 f" rule of thumb {d.rule_of_thumb * 100:.0f}%")
    lines += ["", "What the calls found", "  implementation: " + ", ".join(
        f"{state.replace('_', ' ')} {n:,}" for state, n in r.implementation.items())]
    lines.append("  referenceable: " + f"{r.references['referenceable']:,} customers; " + ", ".join(
        f"{kind.replace('_', ' ')} {r.references[kind]:,}" for kind in REFERENCE_KINDS))
    lines.append(f"  features in production (of {r.live_customers:,} live customers):")
    if not r.features:
        lines.append("    no features")
    for feat in r.features:
        lines.append(f"    {feat.name[:30]:<32}{feat.customers:>8,}  {pct(feat.share):>5}")
    if r.value:
        lines += ["", f"What the function earns (this quarter: since {r.value.quarter_since:%Y-%m-%d})",
                  *value.text_lines(r.value)]
    return "\n".join(lines) + "\n"


def features_text(rows: list[FeatureFigures], live: int) -> str:
    lines = [f"Features in production, among {live:,} live customers", ""]
    if not rows:
        lines.append("no features")
    for feat in rows:
        lines.append(f"{feat.name[:40]:<42}{feat.customers:>8,}  {pct(feat.share):>5}")
    return "\n".join(lines) + "\n"
