"""What the cycle needs: when the current cycle finishes at this pace, and the
caller-hours a week that reaching every customer within the cycle takes.

    needs = cycle.needs(callable_customers=1200, to_reach=700, cycle_days=90)
    needs.cycle_ends_on                  # date(2027, 1, 19), or None
    needs.caller_hours_per_week_needed   # 31.5, or None

From the last four weeks (WINDOW_DAYS, up to the last whole hour):

- attempts: calls given an outcome (a skipped customer is no attempt);
  answered: those someone picked up; completed: the reaches.
  attempts per reach = attempts / completed; answer rate = answered / attempts.
  Exact, from the tally of calls by the hour (models/tallies.py).
- handled time per attempt: the mean of `ended_at - shown_at` (from the
  desk showing the customer to the outcome: dialling, ringing, talking,
  wrapping up), each capped at HANDLED_CAP_SECONDS (a desk left open over
  lunch is not work), over the most recent SAMPLE attempts of the window;
  an attempt with no `shown_at` counts its talk time when answered and is
  left out otherwise. The same sample gives the figures per time zone (the
  customer's zone key, `Customer.call_tz`) beside that zone's calling window
  (hours a week inside calling hours; for a key of several zones, the hours
  all of them are inside, in a January week).

Then:

- to reach: customers we call (not do-not-call) not reached within the
  cycle (overdue and never reached, as the report's coverage counts them).
- `cycle_ends_on` = today + to reach / (completed calls a day over the
  window): the day the last of them is reached if the pace holds.
- `caller_hours_per_week_needed` = customers we call x attempts per reach x
  handled time per attempt, spread over the cycle's weeks: within any cycle
  every customer we call must be reached once (those reached early in this
  cycle come due again within the next), so the steady need counts them all.
- `caller_hours_per_week_now`: the same time for the attempts the window
  actually holds, per week: what the function spends now.

With fewer than MIN_COMPLETED completed calls in the window there is no pace
to speak of: both answers are None and `note` says "not enough calls yet".

Reads a tally (a few hundred rows) and at most SAMPLE calls by the index on
`ended_at`: the same cost on a thousand customers or a million.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta, timezone
from functools import lru_cache

from peewee import fn

from callers import clock, hours, phones
from callers.errors import CallersError
from models.db import connection
from models.tables import Call, Customer, TallyCall

WINDOW_DAYS = 28
MIN_COMPLETED = 20
SAMPLE = 500
HANDLED_CAP_SECONDS = 900
NOT_ENOUGH = "not enough calls yet"
# The week a calling window is measured in (Monday 00:00 UTC): fixed, so a
# zone's window is worked out once per process.
WINDOW_WEEK = datetime(2026, 1, 5, tzinfo=timezone.utc)
WINDOW_STEP = timedelta(minutes=15)


@dataclass
class ZoneFigures:
    zone: str  # the zone key as stored ("" when the customer has none)
    label: str  # its first zone, "+N" when it has several
    window_hours_per_week: float | None  # inside calling hours; None: no known zone
    attempts: int = 0  # in the sample
    answered: int = 0
    completed: int = 0
    share_of_attempts: float | None = None
    answer_rate: float | None = None
    attempts_per_reach: float | None = None


@dataclass
class Pace:
    """What the last weeks' calls show (the part read from the database)."""

    since: datetime  # aware UTC, included
    until: datetime  # aware UTC, excluded
    attempts: int = 0
    answered: int = 0
    completed: int = 0
    handled_seconds: int = 0  # summed over the sample's attempts that have a handled time
    handled_attempts: int = 0
    sample: int = 0  # attempts read for the handled time and the zones
    zones: list[ZoneFigures] = field(default_factory=list)


@dataclass
class CycleNeeds:
    window_days: int
    since: datetime
    until: datetime
    cycle_days: int
    callable_customers: int  # customers we call
    to_reach: int  # not reached within the cycle
    attempts: int = 0
    answered: int = 0
    completed: int = 0
    enough_calls: bool = False
    note: str | None = None  # "not enough calls yet"
    attempts_per_reach: float | None = None
    answer_rate: float | None = None
    completed_per_day: float | None = None
    handled_seconds_per_attempt: float | None = None
    handled_sample: int = 0  # attempts the handled time is the mean of
    cycle_ends_on: date | None = None
    caller_hours_per_week_needed: float | None = None
    caller_hours_per_week_now: float | None = None
    zones: list[ZoneFigures] = field(default_factory=list)


def _ratio(part: float, whole: float, digits: int = 3) -> float | None:
    return round(part / whole, digits) if whole else None


# ---- calling windows ------------------------------------------------------------


def zone_label(key: str | None) -> str:
    names = phones.zones_of(key) if key else []
    if not names:
        return "no zone"
    return names[0] + (f" +{len(names) - 1}" if len(names) > 1 else "")


@lru_cache(maxsize=1024)
def window_hours(key: str | None, rules: hours.Hours | None) -> float | None:
    """Hours a week the key is inside calling hours (None: no known zone, or no usable calling hours)."""
    zones = hours.zones(key)
    if not zones or rules is None:
        return None
    if len(zones) == 1:
        span = datetime.combine(date.min, rules.end) - datetime.combine(date.min, rules.start)
        return round(len(rules.days) * span.total_seconds() / 3600, 2)
    steps, at = 0, WINDOW_WEEK
    while at < WINDOW_WEEK + timedelta(days=7):
        steps += hours.inside(key, at, rules)
        at += WINDOW_STEP
    return round(steps * WINDOW_STEP.total_seconds() / 3600, 2)


# ---- reading the last weeks -------------------------------------------------------


def window(now: datetime, days: int = WINDOW_DAYS) -> tuple[datetime, datetime]:
    """[since, until): the `days` up to the last whole hour."""
    until = now.astimezone(timezone.utc).replace(minute=0, second=0, microsecond=0)
    return until - timedelta(days=days), until


def calling_hours(values: dict | None = None) -> hours.Hours | None:
    """The calling hours of the settings (`settings.get_all()`; read when
    None), or None when they are not usable (the windows are then unknown;
    the desk says why)."""
    try:
        return hours.Hours.from_settings(values) if values is not None else hours.Hours.load()
    except CallersError:
        return None


def pace(now: datetime | None = None, rules: hours.Hours | None = None, days: int = WINDOW_DAYS,
         sample: int = SAMPLE) -> Pace:
    """Attempts, answers and reaches in the window (the tally of calls by the
    hour), and the handled time and zones of its most recent attempts
    (`rules`: the calling hours; default the settings')."""
    now = now or clock.now()
    rules = rules or calling_hours()
    since, until = window(now, days)
    since_db, until_db = clock.to_db(since), clock.to_db(until)
    out = Pace(since, until)
    T = TallyCall
    with connection():
        for outcome, answered, n in (T.select(T.outcome, T.answered, fn.SUM(T.n))
                                     .where(T.hour >= since_db, T.hour < until_db, T.outcome != "")
                                     .group_by(T.outcome, T.answered).tuples()):
            n = int(n or 0)
            out.attempts += n
            out.answered += n if answered else 0
            out.completed += n if outcome == "completed" else 0
        rows = list(Call.select(Call.shown_at, Call.started_at, Call.ended_at, Call.outcome, Customer.call_tz)
                    .join(Customer, on=(Call.customer == Customer.id))
                    .where(Call.ended_at >= since_db, Call.ended_at < until_db, Call.outcome.is_null(False))
                    .order_by(Call.ended_at.desc()).limit(sample).tuples())
    by_zone: dict[str, ZoneFigures] = {}
    for shown_at, started_at, ended_at, outcome, key in rows:
        seconds = None
        if shown_at is not None and ended_at >= shown_at:
            seconds = (ended_at - shown_at).total_seconds()
        elif started_at is not None and ended_at >= started_at:
            seconds = (ended_at - started_at).total_seconds()
        if seconds is not None:
            out.handled_seconds += int(min(seconds, HANDLED_CAP_SECONDS))
            out.handled_attempts += 1
        key = key or ""
        zone = by_zone.get(key)
        if zone is None:
            zone = by_zone[key] = ZoneFigures(key, zone_label(key), window_hours(key or None, rules))
        zone.attempts += 1
        zone.answered += started_at is not None
        zone.completed += outcome == "completed"
    out.sample = len(rows)
    for zone in by_zone.values():
        zone.share_of_attempts = _ratio(zone.attempts, out.sample)
        zone.answer_rate = _ratio(zone.answered, zone.attempts)
        zone.attempts_per_reach = _ratio(zone.attempts, zone.completed, 2)
    out.zones = sorted(by_zone.values(), key=lambda z: (-z.attempts, z.label))
    return out


# ---- what it means for the cycle ---------------------------------------------------


def plan(p: Pace, callable_customers: int, to_reach: int, cycle_days: int,
         now: datetime | None = None) -> CycleNeeds:
    """The cycle's end at this pace and the caller-hours it needs (pure)."""
    now = now or clock.now()
    days = (p.until - p.since).total_seconds() / 86400
    out = CycleNeeds(window_days=round(days), since=p.since, until=p.until, cycle_days=cycle_days,
                     callable_customers=callable_customers, to_reach=to_reach, attempts=p.attempts,
                     answered=p.answered, completed=p.completed, zones=p.zones,
                     handled_sample=p.handled_attempts)
    out.attempts_per_reach = _ratio(p.attempts, p.completed, 2)
    out.answer_rate = _ratio(p.answered, p.attempts)
    out.completed_per_day = round(p.completed / days, 1) if days > 0 else None
    if p.handled_attempts:
        out.handled_seconds_per_attempt = round(p.handled_seconds / p.handled_attempts, 1)
    out.enough_calls = p.completed >= MIN_COMPLETED and p.handled_attempts > 0
    if not out.enough_calls:
        out.note = NOT_ENOUGH
        return out
    per_day = p.completed / days
    today = now.astimezone(timezone.utc).date()
    out.cycle_ends_on = today + timedelta(days=math.ceil(to_reach / per_day)) if to_reach > 0 else today
    seconds = p.handled_seconds / p.handled_attempts
    weeks = cycle_days / 7
    needed = callable_customers * (p.attempts / p.completed) * seconds / 3600 / weeks
    out.caller_hours_per_week_needed = round(needed, 1)
    out.caller_hours_per_week_now = round(p.attempts * seconds / 3600 / (days / 7), 1)
    return out


def needs(callable_customers: int, to_reach: int, cycle_days: int, now: datetime | None = None,
          rules: hours.Hours | None = None) -> CycleNeeds:
    """`plan(pace(now))`: read the last weeks, then work out the cycle."""
    now = now or clock.now()
    return plan(pace(now, rules), callable_customers, to_reach, cycle_days, now)


def to_dict(n: CycleNeeds) -> dict:
    """JSON-ready (ISO dates and times)."""
    data = asdict(n)
    data["since"] = n.since.isoformat(timespec="seconds")
    data["until"] = n.until.isoformat(timespec="seconds")
    data["cycle_ends_on"] = n.cycle_ends_on.isoformat() if n.cycle_ends_on else None
    return data


def hhmm(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    seconds = int(round(seconds))
    return f"{seconds // 60}:{seconds % 60:02d}"


def summary(n: CycleNeeds) -> str:
    """One line: when the cycle ends and what it needs."""
    if not n.enough_calls:
        return f"Cycle: {NOT_ENOUGH} (fewer than {MIN_COMPLETED} completed in {n.window_days} days)"
    return (f"Cycle ends {n.cycle_ends_on:%Y-%m-%d} at this pace · needs "
            f"{n.caller_hours_per_week_needed:,.1f} caller-hours a week (now {n.caller_hours_per_week_now:,.1f})")


def text_lines(n: CycleNeeds, zones: int = 5) -> list[str]:
    """The text report's lines about the cycle (indented two spaces)."""
    lines = [f"  what the cycle needs (last {n.window_days} days, {n.attempts:,} attempts,"
             f" {n.completed:,} completed):"]
    if not n.enough_calls:
        lines.append(f"    {NOT_ENOUGH} (fewer than {MIN_COMPLETED} completed calls)")
        return lines
    lines += [
        f"    to reach in this cycle {n.to_reach:>10,} of {n.callable_customers:,} we call",
        f"    cycle ends on          {n.cycle_ends_on:%Y-%m-%d}  at {n.completed_per_day:,.1f} completed a day",
        f"    caller-hours a week    {n.caller_hours_per_week_needed:>10,.1f}  to reach everyone every"
        f" {n.cycle_days} days (now {n.caller_hours_per_week_now:,.1f})",
        f"    assumptions: {n.attempts_per_reach:,.2f} attempts per reach, answer rate"
        f" {round((n.answer_rate or 0) * 100)}%, {hhmm(n.handled_seconds_per_attempt)} handled per attempt"
        f" (mean of the last {n.handled_sample:,})",
    ]
    if n.zones:
        lines.append(f"    {'zone':<28}{'window':>8}{'attempts':>10}{'answered':>10}{'per reach':>11}")
        for z in n.zones[:zones]:
            window_text = "—" if z.window_hours_per_week is None else f"{z.window_hours_per_week:g} h"
            lines.append(f"    {z.label[:27]:<28}{window_text:>8}{z.attempts:>10,}"
                         f"{'—' if z.answer_rate is None else f'{round(z.answer_rate * 100)}%':>10}"
                         f"{'—' if z.attempts_per_reach is None else f'{z.attempts_per_reach:g}':>11}")
        if len(n.zones) > zones:
            lines.append(f"    … {len(n.zones) - zones} more zones")
    return lines
