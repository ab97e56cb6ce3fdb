"""Where the call time goes: seconds per script step, and which step makes
calls long.

The desk gives each answer the seconds its step was on screen
(`calls.record_answer(..., seconds=)`, and `seconds=` on a forward filed or a
"was it fixed?" answered during the call). A step's time in a call is the
sum of its answers' seconds; the steps are contacts, references,
implementation, features, words (the "in their words" line and the NPS
question) and forwards (filing forwards, "was it fixed?"). A step nobody
timed in a call is not counted for that call.

For the answered calls that ended and started in a period (the report's
definition of a call's period):

- the median seconds of each step, overall and per caller;
- of the calls longer than the target (3 minutes by default), how many had
  each step as the one that took most of their time (the earlier step in
  the script on a tie): `most_often` is the step that most often pushes
  calls past the target.

Whole UTC days come from the tallies the database keeps when a call ends
(`tally_step_time`, `tally_step_longest`, models/tallies.py); a part-day at
either end of the period from the calls themselves (same definitions,
grouped in SQL), or, when the rest of that day holds fewer hours of calls
(none start after now), as the day's tally less the rest of the day: exact
either way, and a period ending now reads no calls at all.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from peewee import fn

from callers import clock
from models.db import connection, database
from models.engine import dialect
from models.tables import TallyStepLongest, TallyStepTime
from models.tallies import STEP_NAMES, STEP_SOURCES

# call_answer.step -> the report's step name
_STEP_OF = {source: step for step, source in STEP_SOURCES if source}
SHORT = {"contacts": "cont", "references": "refs", "implementation": "impl", "features": "feat",
         "words": "words", "forwards": "fwd"}
STEP_LABELS = {"contacts": "contacts", "references": "references", "implementation": "implementation",
               "features": "features", "words": "words", "forwards": "forwards"}


@dataclass
class StepTimes:
    target_seconds: int = 180
    median_seconds: dict[str, float | None] = field(default_factory=dict)  # step -> median (None: no data)
    calls: dict[str, int] = field(default_factory=dict)  # step -> calls in which it was timed
    by_caller: dict[str, dict[str, float | None]] = field(default_factory=dict)  # caller -> step -> median
    over_target_calls: int = 0  # calls over the target with timed steps
    longest_over_target: dict[str, int] = field(default_factory=dict)  # step -> over-target calls it took most of
    most_often: str | None = None  # the step that most often pushes calls past the target

    def to_dict(self) -> dict:
        return {
            "median_seconds": dict(self.median_seconds),
            "calls": dict(self.calls),
            "by_caller": {name: dict(steps) for name, steps in self.by_caller.items()},
            "target_seconds": self.target_seconds,
            "over_target": {"calls": self.over_target_calls, "longest_step": dict(self.longest_over_target),
                            "most_often": self.most_often},
        }


def from_dict(steps: dict) -> StepTimes:
    """StepTimes back from its JSON shape (`calls.steps`)."""
    over = steps.get("over_target", {})
    return StepTimes(steps.get("target_seconds", 180), dict(steps.get("median_seconds", {})),
                     dict(steps.get("calls", {})), dict(steps.get("by_caller", {})), over.get("calls", 0),
                     dict(over.get("longest_step", {})), over.get("most_often"))


def median(buckets: dict[int, int]) -> float | None:
    """The median of values given as {value: how many} (none below 0)."""
    buckets = {k: v for k, v in buckets.items() if v > 0}
    total = sum(buckets.values())
    if not total:
        return None
    lo, hi = (total - 1) // 2, total // 2
    seen, low_value = 0, None
    for value in sorted(buckets):
        seen += buckets[value]
        if low_value is None and seen > lo:
            low_value = value
        if seen > hi:
            return (low_value + value) / 2
    return None  # pragma: no cover


def _whole_days(since: datetime, until: datetime) -> tuple[tuple[datetime, datetime] | None, list[tuple]]:
    """(first, end) of the whole UTC days inside [since, until) (naive UTC),
    or None; and the part-days at either end (each within one day)."""
    def floor(m: datetime) -> datetime:
        return datetime(m.year, m.month, m.day)

    first = since if since == floor(since) else floor(since) + timedelta(days=1)
    end = floor(until)
    if first > end:  # within one day
        return None, [(since, until)]
    pieces = []
    if since < first:
        pieces.append((since, first))
    if end < until:
        pieces.append((end, until))
    return ((first, end) if first < end else None), pieces


def longest(steps: dict[str, int]) -> str | None:
    """The step with the most seconds (the earlier in the script on a tie)."""
    best = None
    for step in STEP_NAMES:
        if step in steps and (best is None or steps[step] > steps[best]):
            best = step
    return best


def _part_days(a: datetime, b: datetime, target_seconds: int) -> list[tuple[str, str, int, bool, bool, int]]:
    """(caller, step, seconds, over target, longest step, calls) for the
    answered, ended calls started in [a, b) (naive UTC), grouped in SQL: the
    same definitions as the tallies' (the longest step: the earlier in the
    script on a tie)."""
    d = dialect()
    p = database.obj.param
    length = d.seconds("r.started_at", "r.ended_at")
    place = "CASE a.step " + " ".join(f"WHEN '{src}' THEN {i}" for i, (_s, src) in enumerate(STEP_SOURCES) if src) + " END"
    forwards_place = STEP_NAMES.index("forwards")
    calls = f"r.started_at >= {p} AND r.started_at < {p} AND r.ended_at IS NOT NULL"
    sql = (
        f"SELECT caller, step, s, over, rn = 1, COUNT(*) FROM ("
        f"SELECT caller, step, s, over, ROW_NUMBER() OVER (PARTITION BY call_id ORDER BY s DESC, place) AS rn FROM ("
        f"SELECT r.id AS call_id, r.caller AS caller, a.step AS step, {place} AS place, SUM(a.seconds) AS s, "
        f'{length} > {p} AS over FROM "call" r JOIN "call_answer" a ON a.call_id = r.id AND a.seconds IS NOT NULL '

        f"WHERE {calls} GROUP BY r.id, r.caller, a.step, r.started_at, r.ended_at "
        f"UNION ALL "
        f"SELECT r.id, r.caller, 'forwards', {forwards_place}, SUM(e.seconds), {length} > {p} "
        f'FROM "call" r JOIN "forward_event" e ON e.call_id = r.id AND e.seconds IS NOT NULL '
        f"WHERE {calls} GROUP BY r.id, r.caller, r.started_at, r.ended_at) AS per) AS ranked "
        f"GROUP BY caller, step, s, over, rn = 1")
    rows = database.obj.execute_sql(sql, (target_seconds, a, b, target_seconds, a, b)).fetchall()
    out = []
    for caller, step, seconds, over, top, n in rows:
        name = "forwards" if step == "forwards" else _STEP_OF.get(step)
        if name is not None and seconds is not None:
            out.append((caller, name, int(seconds), bool(over), bool(top), int(n)))
    return out


def _plan(piece: tuple[datetime, datetime], now: datetime) -> tuple[int, list[tuple[datetime, datetime]]]:
    """How to count a part-day exactly and cheaply: (1, [piece]) from its
    calls, or (day's tally, the rest of its day to take away) when the rest
    holds fewer hours of calls (none start after `now`)."""
    p0, p1 = piece
    day = datetime(p0.year, p0.month, p0.day)
    rest = [r for r in ((day, p0), (p1, day + timedelta(days=1))) if r[0] < r[1]]

    def hours(r):
        return max(timedelta(0), min(r[1], now) - r[0])

    if sum((hours(r) for r in rest), timedelta(0)) < hours(piece):
        return 0, [r for r in rest if r[0] < now]
    return 1, [piece]


def figures(since: datetime, until: datetime, target_seconds: int = 180, now: datetime | None = None) -> StepTimes:
    """Step times of the answered calls that ended and started in
    [since, until) (aware UTC). `now`: no call starts after it (default the
    clock's)."""
    a, b = clock.to_db(since), clock.to_db(until)
    now_db = clock.to_db(now or clock.now())
    days, pieces = _whole_days(a, b)
    overall: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    per_caller: dict[str, dict[str, dict[int, int]]] = defaultdict(lambda: defaultdict(lambda: defaultdict(int)))
    longest_over: dict[str, int] = defaultdict(int)
    T, L = TallyStepTime, TallyStepLongest

    def tally(first, end) -> None:
        for caller, step, seconds, n in (T.select(T.caller, T.step, T.seconds, fn.SUM(T.n))
                                         .where(T.day >= first, T.day < end)
                                         .group_by(T.caller, T.step, T.seconds).tuples()):
            if n:
                overall[step][seconds] += int(n)
                per_caller[caller][step][seconds] += int(n)
        for step, n in (L.select(L.step, fn.SUM(L.n))
                        .where(L.day >= first, L.day < end, L.call_seconds > target_seconds)
                        .group_by(L.step).tuples()):
            longest_over[step] += int(n or 0)

    # The days read from the tallies (whole days, and part-days counted as
    # their day less the rest of it): one range, as they are side by side.
    lo, hi = days if days is not None else (None, None)
    rows: list[tuple[int, tuple[datetime, datetime]]] = []
    for piece in pieces:
        sign, ranges = _plan(piece, now_db)
        if sign == 0:
            day = datetime(piece[0].year, piece[0].month, piece[0].day)
            lo, hi = min(lo or day, day), max(hi or day + timedelta(days=1), day + timedelta(days=1))
            sign = -1
        rows += [(sign, r) for r in ranges]
    with connection():
        if lo is not None:
            tally(lo.date(), hi.date())
        for sign, r in rows:
            for caller, step, seconds, over, top, n in _part_days(*r, int(target_seconds)):
                overall[step][seconds] += sign * n
                per_caller[caller][step][seconds] += sign * n
                if over and top:
                    longest_over[step] += sign * n
    out = StepTimes(target_seconds=int(target_seconds))
    for step in STEP_NAMES:
        out.median_seconds[step] = median(overall.get(step, {}))
        out.calls[step] = sum(v for v in overall.get(step, {}).values() if v > 0)
    for caller in sorted((c for c in per_caller if any(v > 0 for h in per_caller[c].values() for v in h.values())),
                         key=str.casefold):
        out.by_caller[caller] = {step: median(per_caller[caller].get(step, {})) for step in STEP_NAMES}
    out.longest_over_target = {step: longest_over.get(step, 0) for step in STEP_NAMES}
    out.over_target_calls = sum(out.longest_over_target.values())
    if out.over_target_calls:
        out.most_often = max(STEP_NAMES, key=lambda s: (out.longest_over_target[s], -STEP_NAMES.index(s)))
    return out


def text_lines(s: StepTimes) -> list[str]:
    """The report's lines: median seconds per step, and the step that most
    often pushes calls past the target."""
    def sec(v):
        return "—" if v is None else f"{v:.0f}s"

    if not any(s.calls.values()):
        return ["  time per step: no timed answers in the period"]
    lines = ["  median seconds per step: " + ", ".join(f"{STEP_LABELS[k]} {sec(s.median_seconds[k])}"
                                                     for k in STEP_NAMES)]
    if s.by_caller:
        lines.append(f"    {'caller':<22}" + " ".join(f"{SHORT[k]:>6}" for k in STEP_NAMES))
    for caller, steps in s.by_caller.items():
        lines.append(f"    {caller[:21]:<22}" + " ".join(f"{sec(steps[k]):>6}" for k in STEP_NAMES))
    target = f"{s.target_seconds // 60}:{s.target_seconds % 60:02d}"
    if s.most_often:
        n = s.longest_over_target[s.most_often]
        lines.append(f"  most often the longest step of calls over {target}: {STEP_LABELS[s.most_often]} "
                     f"({n:,} of {s.over_target_calls:,} calls)")
    else:
        lines.append(f"  no timed call over {target}")
    return lines
