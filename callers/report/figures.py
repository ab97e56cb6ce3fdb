"""What a report holds: plain dataclasses, one per section, and when a
department's change is large enough to be marked as a trend."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from callers.report.periods import Period

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


DECAY_RULE_OF_THUMB = 0.03  # a customer database decays about 3 % a month


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
    # "Was it fixed?" answered in the period (callers/loop.py)
    confirmed_fixed: int = 0  # the customer said yes
    partly_fixed: int = 0
    reopened: int = 0  # the customer said no: opened again
    confirmed_fixed_rate: float | None = None  # confirmed fixed / every answer


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
    steps: dict = field(default_factory=dict)  # where the time goes (callers/steptime.py)


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
    answer_hours: list = field(default_factory=list)  # answer_hours.CountryHours, most attempts first
    nps: dict | None = None  # callers/nps.py: enabled, responses, score, low, high, note...
    cycle: object | None = None  # callers.cycle.CycleNeeds: what the cycle needs
    value: object | None = None  # callers.value.Value: what the function earns


@dataclass
class LoopFigures:
    """One department's answers to "Was it fixed?" in a period."""

    confirmed_fixed: int = 0
    partly_fixed: int = 0
    reopened: int = 0

    @property
    def asked(self) -> int:
        return self.confirmed_fixed + self.partly_fixed + self.reopened

    @property
    def confirmed_fixed_rate(self) -> float | None:
        """Confirmed fixed, of every answer (None: nobody was asked)."""
        return round(self.confirmed_fixed / self.asked, 3) if self.asked else None
