"""Forwards per department: forwarded, returned, open, the oldest open, the
median days to done, and their trend over the period; and the customers'
answers to "Was it fixed?" (callers/loop.py) per department."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Callable

from peewee import JOIN, SQL, fn

from callers import clock, loop
from callers.report.figures import DepartmentFigures, LoopFigures, MEDIAN_CHANGE_DAYS, OPEN_CHANGE, change
from callers.report.periods import DAY, Period
from callers.report.sums import HOUR, ONE_DAY, _int, _split, _sum_if, _within
from models import engine, tallies
from models.db import connection, indexed_by
from models.tables import Department, Forward, ForwardEvent, TallyForward, TallyForwardAnswer, TallyForwardDone
from models.vocabulary import FORWARD_OPEN, FORWARD_RESOLVED

TREND_WEEKS = 12
OPEN_STATUSES = FORWARD_OPEN
RESOLVED_STATUSES = FORWARD_RESOLVED


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
            value = engine.aggregate_datetime(value)
            if value is not None and (oldest.get(dep) is None or value < oldest[dep]):
                oldest[dep] = value
    return oldest


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
    bucket = SQL(tallies.days_to_done('"t1"', engine.dialect()))
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
    seconds = SQL(engine.dialect().seconds('"t1"."created_at"', '"t1"."resolved_at"'))
    within = (seconds < 0) if day < 0 else ((seconds >= day * DAY) & (seconds < (day + 1) * DAY))
    row = (Forward.select(seconds)
           .from_(indexed_by(Forward, tallies.DONE_SECONDS_INDEX))
           # status as a literal: a partial index serves only a query that says so
           .where(SQL("\"t1\".\"status\" = 'done'"), Forward.department == dep, within,
                  Forward.resolved_at >= lo, Forward.resolved_at < hi)
           .order_by(seconds).limit(1).offset(rank - seen).tuples().first())
    return None if row is None else int(row[0])


def fixed_figures(since: datetime, until: datetime) -> dict[str, LoopFigures]:
    """{department name: LoopFigures} for the answers given in [since, until)
    (aware UTC), by the department the forward is in now: the whole hours
    from the tally `tally_forward_answer`, the part-hours at either end
    counted from the events (one index range on forward_event(status, at,
    forward_id))."""
    span, pieces = _split(clock.to_db(since), clock.to_db(until), HOUR)
    counts: dict[tuple[int, str], int] = {}

    def add(department: int, status: str, n) -> None:
        counts[(department, status)] = counts.get((department, status), 0) + int(n or 0)

    with connection():
        if span is not None:
            T = TallyForwardAnswer
            for row in (T.select(T.department_id, T.status, fn.SUM(T.n)).where(_within(T.hour, span))
                        .group_by(T.department_id, T.status).tuples()):
                add(*row)
        for a, b in pieces:
            for row in (ForwardEvent.select(Forward.department, ForwardEvent.status, fn.COUNT(SQL("*")))
                        .join(Forward, JOIN.INNER, on=(ForwardEvent.forward == Forward.id))
                        .where(ForwardEvent.status.in_(loop.ANSWER_STATUSES), ForwardEvent.at >= a, ForwardEvent.at < b)
                        .group_by(Forward.department, ForwardEvent.status).tuples()):
                add(*row)
        names = dict(Department.select(Department.id, Department.name).tuples()) if counts else {}
    out: dict[str, LoopFigures] = {}
    for (department, status), n in counts.items():
        if not n or department not in names:
            continue
        fig = out.setdefault(names[department], LoopFigures())
        if status == loop.FIXED:
            fig.confirmed_fixed += n
        elif status == loop.PARTLY:
            fig.partly_fixed += n
        else:
            fig.reopened += n
    return out
