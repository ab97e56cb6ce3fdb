"""The supervisor's figures: forwards per department, coverage of the cycle,
call length, freshness, and what the calls found.

Plain values in, plain values out (dataclasses); no UI here. Every figure is an
aggregate computed in SQL (COUNT / SUM(CASE ...) / GROUP BY / window
functions) that works the same on SQLite and PostgreSQL; Python only walks the
handful of grouped rows that come back.

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

import csv
import io
import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Callable

from peewee import JOIN, SQL, Case, fn

from callers import clock, settings
from callers.errors import CallersError
from models.db import connection, seconds_between
from models.tables import (
    IMPLEMENTATION_STATES,
    REFERENCE_KINDS,
    Call,
    CallAnswer,
    Contact,
    Customer,
    CustomerFeature,
    Department,
    Feature,
    Forward,
)

DAY = 86400
TREND_WEEKS = 12
LONG_CALL_SECONDS = 300  # "share over 5 minutes"
DECAY_RULE_OF_THUMB = 0.03  # a customer database decays about 3 % a month
MONTH_DAYS = 30
OPEN_STATUSES = ("open", "acknowledged")
RESOLVED_STATUSES = ("done", "returned", "withdrawn")
FACTS = ("contacts", "referenceability", "implementation", "features")
FEATURES_BY_FILTER = 40  # up to this many active features: one count each, no GROUP BY
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
            return day + timedelta(days=1) if end else day
        value = datetime.fromisoformat(text)
    except ValueError:
        raise CallersError(
            f"{flag} {text!r} is not a date; use YYYY-MM-DD (or an ISO time such as 2026-11-01T09:00:00+00:00)"
        ) from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)


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
    growing: bool = False  # open count or median grew over the period
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


# ---- departments -----------------------------------------------------------


def department_figures(period: Period, completed_calls: int, now: datetime | None = None) -> list[DepartmentFigures]:
    """Every department, worst first (most forwarded, then most open)."""
    now_db = clock.to_db(now or clock.now())
    since, until = clock.to_db(period.since), clock.to_db(period.until)
    length = period.until - period.since
    prev_since = clock.to_db(period.since - length)
    weeks = [clock.to_db(period.until - timedelta(weeks=TREND_WEEKS - i)) for i in range(TREND_WEEKS + 1)]
    with connection():
        figures = {d.id: DepartmentFigures(d.name, trend=[0] * TREND_WEEKS)
                   for d in Department.select().order_by(Department.position, Department.name)}
        if not figures:
            return []

        # Created: in the period, per trend week, and since the period's start up to now.
        kept = Forward.status != "withdrawn"
        columns = [Forward.department,
                   _sum_if(kept & (Forward.created_at >= since) & (Forward.created_at < until)),
                   _sum_if((Forward.created_at >= since) & (Forward.created_at < now_db))]
        columns += [_sum_if(kept & (Forward.created_at >= weeks[i]) & (Forward.created_at < weeks[i + 1]))
                    for i in range(TREND_WEEKS)]
        first = min(since, weeks[0])
        created_since_start = {}
        for row in (Forward.select(*columns).where(Forward.created_at >= first)
                    .group_by(Forward.department).tuples()):
            fig = figures.get(row[0])
            if fig is None:
                continue
            fig.forwarded = _int(row[1])
            created_since_start[row[0]] = _int(row[2])
            fig.trend = [_int(v) for v in row[3:]]

        # Open now.
        for dep, count, oldest in (Forward.select(Forward.department, fn.COUNT(Forward.id), fn.MIN(Forward.created_at))
                                   .where(Forward.status.in_(OPEN_STATUSES))
                                   .group_by(Forward.department).tuples()):
            if dep in figures:
                figures[dep].open = _int(count)
                oldest = clock.from_db(_as_datetime(oldest))
                figures[dep].oldest_open_days = round(((now or clock.now()) - oldest).total_seconds() / DAY, 1)

        # Resolved: returned and done in the period; everything resolved since the start (for open_at_start).
        resolved_since_start = {}
        for dep, returned, done, resolved in (
                Forward.select(Forward.department,
                               _sum_if((Forward.status == "returned") & (Forward.resolved_at < until)),
                               _sum_if((Forward.status == "done") & (Forward.resolved_at < until)),
                               _sum_if(Forward.resolved_at < now_db))
                # The upper bound changes no count (every figure is below one of
                # the two) but keeps the planner on the covering index
                # (status, resolved_at, department, created_at).
                .where(Forward.status.in_(RESOLVED_STATUSES), Forward.resolved_at >= since,
                       Forward.resolved_at < max(until, now_db))
                .group_by(Forward.department).tuples()):
            if dep in figures:
                figures[dep].returned, figures[dep].done = _int(returned), _int(done)
                resolved_since_start[dep] = _int(resolved)

        # Median days from forward to done: this period and the one before, by window functions.
        medians = _done_medians(prev_since, since, until)

    for dep, fig in figures.items():
        fig.per_100_calls = round(100 * fig.forwarded / completed_calls, 1) if completed_calls else None
        fig.open_at_start = fig.open - created_since_start.get(dep, 0) + resolved_since_start.get(dep, 0)
        current, previous = medians.get((dep, 1)), medians.get((dep, 0))
        fig.median_days_to_done = round(current / DAY, 1) if current is not None else None
        fig.previous_median_days_to_done = round(previous / DAY, 1) if previous is not None else None
        fig.growing = fig.open > fig.open_at_start or (
            current is not None and previous is not None and current > previous)
    # Worst first; ties keep the departments' own order (position, name).
    return sorted(figures.values(), key=lambda f: (-f.forwarded, -f.open, -(f.oldest_open_days or 0)))


def _as_datetime(value):
    """SQLite hands MIN(datetime) back as text."""
    if isinstance(value, str):
        return datetime.fromisoformat(value)
    return value


def _done_medians(prev_since, since, until) -> dict[tuple[int, int], float]:
    """{(department id, 1 this period / 0 the one before): median seconds to done}.

    How many were done per department and part first (a range of the index
    status, resolved_at, department, created_at), then for each part only its
    middle one or two values (ORDER BY ... LIMIT/OFFSET: a bounded sort of one
    department's part, instead of window functions sorting them all twice)."""
    secs = seconds_between(Forward.created_at, Forward.resolved_at)
    part = Case(None, [(Forward.resolved_at >= since, 1)], 0)
    done = (Forward.status == "done")
    counts = (Forward.select(Forward.department, part, fn.COUNT(SQL("*")))
              .where(done, Forward.resolved_at >= prev_since, Forward.resolved_at < until)
              .group_by(Forward.department, part).tuples())
    medians: dict[tuple[int, int], float] = {}
    for dep, part_value, n in list(counts):
        part_value, n = int(part_value), int(n)
        lo, hi = (since, until) if part_value else (prev_since, since)
        middle = [int(v) for (v,) in (Forward.select(secs)
                                      .where(done, Forward.department == dep,
                                             Forward.resolved_at >= lo, Forward.resolved_at < hi)
                                      .order_by(secs).limit(1 if n % 2 else 2).offset((n - 1) // 2)
                                      .tuples())]
        if middle:
            medians[(dep, part_value)] = sum(middle) / len(middle)
    return medians


# ---- calls -----------------------------------------------------------------


def _in_period(since, until):
    answered = (Call.started_at >= since) & (Call.started_at < until)
    unanswered = Call.started_at.is_null() & (Call.ended_at >= since) & (Call.ended_at < until)
    return answered | unanswered


def call_figures(period: Period, target_seconds: int | None = None) -> tuple[CallFigures, list[CallerFigures]]:
    target = int(target_seconds if target_seconds is not None else settings.get("target_seconds"))
    since, until = clock.to_db(period.since), clock.to_db(period.until)
    total = CallFigures(target_seconds=target)
    callers: dict[str, CallerFigures] = {}
    secs = seconds_between(Call.started_at, Call.ended_at)
    histograms: dict[str, dict[int, int]] = {}
    with connection():
        # Answered calls, by the time they started: counts per caller and
        # outcome, and their lengths as a histogram of whole seconds (the
        # medians and shares come from these few hundred grouped rows).
        answered = (Call.select(Call.caller, Call.outcome, secs, fn.COUNT(Call.id))
                    .where(Call.started_at >= since, Call.started_at < until)
                    .group_by(Call.caller, Call.outcome, secs).tuples())
        # Calls nobody answered, by the time they ended: `started_at IS NULL`
        # on the covering index (started_at, caller, outcome, ended_at), whose
        # order is already the GROUP BY's (no sort of a month of attempts).
        unanswered = (Call.select(Call.caller, Call.outcome, SQL("NULL"), fn.COUNT(Call.id))
                      .where(Call.started_at.is_null(), Call.ended_at >= since, Call.ended_at < until)
                      .group_by(Call.caller, Call.outcome).tuples())
        for rows, reached in ((list(answered), True), (list(unanswered), False)):
            for caller, outcome, length, count in rows:
                fig = callers.setdefault(caller, CallerFigures(caller))
                count = _int(count)
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
                if length is not None:
                    bucket = histograms.setdefault(caller, {})
                    bucket[int(length)] = bucket.get(int(length), 0) + count

    overall: dict[int, int] = {}
    for caller, buckets in histograms.items():
        fig = callers.setdefault(caller, CallerFigures(caller))
        _lengths(fig, buckets, target)
        for value, count in buckets.items():
            overall[value] = overall.get(value, 0) + count
    _lengths(total, overall, target)
    total.outcomes = dict(sorted(total.outcomes.items()))
    return total, sorted(callers.values(), key=lambda c: (-c.count, c.name))


def _lengths(fig, buckets: dict[int, int], target: int) -> None:
    answered = sum(buckets.values())
    fig.answered = answered
    median = _median_from_histogram(buckets)
    fig.median_seconds = None if median is None else int(round(median))
    fig.over_target_share = _share(sum(n for s, n in buckets.items() if s > target), answered)
    fig.over_5_minutes_share = _share(sum(n for s, n in buckets.items() if s > LONG_CALL_SECONDS), answered)


# ---- customers: coverage, freshness, references, implementation ------------


def customer_figures(period: Period, completed_calls: int, now: datetime | None = None,
                     cycle_days: int | None = None) -> tuple[Coverage, Freshness, dict[str, int], dict[str, int]]:
    """Coverage, freshness, references and implementation.

    Coverage is counted as ranges of the covering index that starts
    (do_not_call, last_reached_at); the other figures are one pass over that
    index (never over the wide customer rows), grouped by do_not_call so the
    index order does the grouping; implementation states are ranges of their
    own index."""
    now = now or clock.now()
    cycle = int(cycle_days if cycle_days is not None else settings.get("cycle_days"))
    cut = clock.to_db(now - timedelta(days=cycle))
    C = Customer
    count = fn.COUNT(SQL("*"))
    callable_ = C.do_not_call == False  # noqa: E712
    ref_fields = [getattr(C, f"ref_{kind}") for kind in REFERENCE_KINDS]
    any_yes = ref_fields[0] == "yes"
    for f in ref_fields[1:]:
        any_yes = any_yes | (f == "yes")
    columns = [C.do_not_call, count,
               _sum_if(C.unreachable == True), _sum_if(C.needs_number == True),  # noqa: E712
               _sum_if(C.contacts_confirmed_at >= cut), _sum_if(C.referenceability_confirmed_at >= cut),
               _sum_if(C.implementation_confirmed_at >= cut), _sum_if(C.features_confirmed_at >= cut)]
    columns += [_sum_if(f == "yes") for f in ref_fields]
    columns.append(_sum_if(any_yes))
    with connection():
        reached = C.select(count).where(callable_, C.last_reached_at >= cut).scalar() or 0
        never = C.select(count).where(callable_, C.last_reached_at.is_null()).scalar() or 0
        groups = {bool(row[0]): [_int(v) for v in row[1:]]
                  for row in C.select(*columns).group_by(C.do_not_call).order_by(C.do_not_call).tuples()}
        by_state = dict(C.select(C.implementation_state, count)
                        .where(C.implementation_state.in_(IMPLEMENTATION_STATES))
                        .group_by(C.implementation_state).tuples())
    width = 8 + len(REFERENCE_KINDS)
    mine, dnc_row = groups.get(False, [0] * width), groups.get(True, [0] * width)
    callable_customers, dnc = mine[0], dnc_row[0]
    customers = callable_customers + dnc
    unreachable, needs = mine[1], mine[2]
    fresh = mine[3:7]
    refs = [a + b for a, b in zip(mine[7:], dnc_row[7:])]
    any_ref, refs = refs[-1], refs[:-1]
    states = [_int(by_state.get(state)) for state in IMPLEMENTATION_STATES]
    overdue = callable_customers - _int(reached) - _int(never)  # reached before, not within the cycle

    coverage = Coverage(customers, _int(reached), overdue, _int(never), unreachable, needs, dnc, cycle)
    _pace(coverage, completed_calls, period)
    freshness = Freshness(callable_customers,
                          *[Fact(n, _share(n, callable_customers)) for n in fresh])
    references = {"referenceable": any_ref, **dict(zip(REFERENCE_KINDS, refs))}
    implementation = dict(zip(IMPLEMENTATION_STATES, states))
    implementation["unknown"] = customers - sum(states)
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
        contacts = Contact.select().count()
        gone = (CallAnswer.select(fn.COUNT(CallAnswer.key.distinct()))
                .where(CallAnswer.step == "contacts", CallAnswer.answered_at >= since,
                       CallAnswer.answered_at < until, CallAnswer.key ** "contact:%:gone")
                .scalar()) or 0
    return _per_month(int(gone), wrong_number_calls, contacts, period)


# ---- features --------------------------------------------------------------


def feature_figures() -> tuple[list[FeatureFigures], int]:
    """Features in production among live customers, most used first; and how many live customers."""
    live = Customer.implementation_state == "live"
    CF = CustomerFeature
    with connection():
        live_customers = Customer.select().where(live).count()
        features = list(Feature.select().where(Feature.active == True)  # noqa: E712
                        .order_by(Feature.position, Feature.name))
        # Live customers first (their index), then their features (the
        # covering index customer, in_production, feature): never a walk over
        # every customer's features, never a row read. CROSS JOIN keeps
        # SQLite in that order (to PostgreSQL it is a plain join). A count per
        # feature (FILTER) instead of GROUP BY: SQLite would sort every joined
        # row for the GROUP BY, which took most of this section's time.
        joined = (Customer.select().join(CF, JOIN.CROSS)
                  .where(live, CF.customer == Customer.id, CF.in_production == True))  # noqa: E712
        if not features:
            used = {}
        elif len(features) <= FEATURES_BY_FILTER:
            counts = joined.select(*[_sum_if(CF.feature == f.id) for f in features]).tuples().get()
            used = {f.id: n for f, n in zip(features, counts)}
        else:
            used = dict(joined.select(CF.feature, fn.COUNT(SQL("*"))).group_by(CF.feature).tuples())
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
        (features, live) = results
    # The figures that depend on how many calls were completed, or found wrong numbers.
    for d in departments:
        d.per_100_calls = round(100 * d.forwarded / calls.completed, 1) if calls.completed else None
    _pace(coverage, calls.completed, period)
    freshness.decay = _per_month(found.gone, calls.outcomes.get("wrong_number", 0), found.contacts, period)
    return Report(period, now, departments, coverage, calls, callers, freshness, features, live,
                  references, implementation)


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
    }


def to_json(report: Report) -> str:
    return json.dumps(to_dict(report), indent=2)


def _csv_value(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return " ".join(str(v) for v in value)
    return str(value)


def to_csv(report: Report) -> str:
    """One long table: section, item, figure, value (easy to pivot)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["section", "item", "figure", "value"])
    data = to_dict(report)
    for key, value in data["period"].items():
        writer.writerow(["period", "", key, _csv_value(value)])
    for d in data["departments"]:
        for key, value in d.items():
            if key != "name":
                writer.writerow(["departments", d["name"], key, _csv_value(value)])
    for key, value in data["coverage"].items():
        writer.writerow(["coverage", "", key, _csv_value(value)])
    for key, value in data["calls"].items():
        if key == "outcomes":
            for outcome, n in value.items():
                writer.writerow(["calls", outcome, "count", n])
        else:
            writer.writerow(["calls", "", key, _csv_value(value)])
    for c in data["callers"]:
        for key, value in c.items():
            if key != "name":
                writer.writerow(["callers", c["name"], key, _csv_value(value)])
    fresh = data["freshness"]
    writer.writerow(["freshness", "", "customers", fresh["customers"]])
    for fact in FACTS:
        for key, value in fresh[fact].items():
            writer.writerow(["freshness", fact, key, _csv_value(value)])
    for key, value in fresh["decay"].items():
        writer.writerow(["freshness", "decay", key, _csv_value(value)])
    writer.writerow(["features", "", "live_customers", data["live_customers"]])
    for f in data["features"]:
        writer.writerow(["features", f["name"], "customers", f["customers"]])
        writer.writerow(["features", f["name"], "share", _csv_value(f["share"])])
    for key, value in data["references"].items():
        writer.writerow(["references", "", key, value])
    for key, value in data["implementation"].items():
        writer.writerow(["implementation", "", key, value])
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
    lines.append(f"  {'department':<22}{'forwarded':>10}{'per 100':>9}{'open':>6}{'oldest':>9}"
                 f"{'median':>9}{'returned':>10}")
    if not r.departments:
        lines.append("  no departments")
    for d in r.departments:
        mark = "  ▲ growing" if d.growing else ""
        lines.append(f"  {d.name[:21]:<22}{d.forwarded:>10,}{num(d.per_100_calls):>9}{d.open:>6,}"
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
    k = r.calls
    lines += ["", "Calls",
              f"  calls                {k.count:>10,}",
              f"  completed            {k.completed:>10,}",
              f"  not reached          {k.not_reached:>10,}",
              f"  median length        {mmss(k.median_seconds):>10}  (target {mmss(k.target_seconds)})",
              f"  over target          {pct(k.over_target_share):>10}",
              f"  over 5 minutes       {pct(k.over_5_minutes_share):>10}"]
    if r.callers:
        lines.append(f"  {'caller':<22}{'calls':>8}{'completed':>11}{'not reached':>13}{'median':>8}{'over':>6}")
        for p in r.callers:
            lines.append(f"  {p.name[:21]:<22}{p.count:>8,}{p.completed:>11,}{p.not_reached:>13,}"
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
    return "\n".join(lines) + "\n"


def features_text(rows: list[FeatureFigures], live: int) -> str:
    lines = [f"Features in production, among {live:,} live customers", ""]
    if not rows:
        lines.append("no features")
    for feat in rows:
        lines.append(f"{feat.name[:40]:<42}{feat.customers:>8,}  {pct(feat.share):>5}")
    return "\n".join(lines) + "\n"
