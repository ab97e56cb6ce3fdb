"""NPS, honestly: one optional 0-10 "would you recommend us?" question.

Off by default (the setting `nps`, `callers settings nps on|off`): the
customer's own words say more. When it is on, the desk asks it at the end of
the words step and saves the score on the call (`record`); Enter saves
nothing. The report gives the score only with its sample size and a 90%
interval, and says "too few answers" under `MIN_RESPONSES`.

The score: 100 × (promoters − detractors) / responses, promoters scoring
9-10 and detractors 0-6. Its variance (a standard result for the difference
of two proportions of one multinomial sample):
var = (p_p + p_d − (p_p − p_d)²) / n; the interval is the normal
approximation score ± 1.645 × 100 × √var, clipped to [−100, 100].

Use::

    if nps.enabled():
        nps.record(call_id, 9)
    nps.figures(since, until).to_dict()
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from datetime import datetime

from peewee import fn

from callers import clock, settings
from callers.errors import CallersError
from models.db import connection, write_transaction
from models.tables import Call

SETTING = "nps"
QUESTION = "How likely are you to recommend us to a colleague, from 0 to 10?"
MIN_RESPONSES = 30
Z_90 = 1.6448536269514722  # the normal quantile of 0.95: a two-sided 90% interval
TOO_FEW = "too few answers"


def enabled() -> bool:
    """Whether the company asks the NPS question (off unless turned on)."""
    return bool(settings.get(SETTING))


def set_enabled(on: bool) -> None:
    settings.put(SETTING, bool(on))


def parse(text: str | int | None) -> int | None:
    """A score from what was typed: 0..10, or None for nothing (Enter).
    Anything else is a CallersError."""
    if text is None:
        return None
    if isinstance(text, bool):
        raise CallersError("a recommendation score is a whole number from 0 to 10")
    if isinstance(text, int):
        value = text
    else:
        stripped = str(text).strip()
        if not stripped:
            return None
        if not stripped.isdigit():
            raise CallersError(f"a recommendation score is a whole number from 0 to 10, not {stripped[:20]!r}")
        value = int(stripped)
    if not 0 <= value <= 10:
        raise CallersError(f"a recommendation score is from 0 to 10, not {value}")
    return value


def record(call_id: int, score: str | int | None) -> int | None:
    """Save the customer's 0-10 answer on the running call (again: the last
    answer stands). Enter (None, '') saves nothing and returns None. Refused
    when the company does not ask the question."""
    value = parse(score)
    if value is None:
        return None
    if not enabled():
        raise CallersError("the recommendation question is off (`callers settings nps on` turns it on)")
    with connection(), write_transaction():
        call = Call.select(Call.id, Call.ended_at).where(Call.id == call_id).first()
        if call is None:
            raise CallersError(f"there is no call with id {call_id}")
        if call.ended_at is not None:
            raise CallersError("this call has already ended")
        Call.update(nps=value).where(Call.id == call_id).execute()
    return value


def given(call_id: int) -> int | None:
    """The score saved on a call (None: none), e.g. for a call restored after a crash."""
    with connection():
        return Call.select(Call.nps).where(Call.id == call_id).scalar()


@dataclass(frozen=True)
class Nps:
    enabled: bool
    responses: int
    promoters: int
    passives: int
    detractors: int
    score: float | None  # None under MIN_RESPONSES
    low: float | None  # the 90% interval
    high: float | None
    note: str | None  # "too few answers" under MIN_RESPONSES

    def to_dict(self) -> dict:
        return asdict(self)

    def text(self) -> str:
        """One line for the report: 'NPS 32 (90% interval 18 to 46; 120 answers)'."""
        state = "" if self.enabled else " (the question is off)"
        if self.score is None:
            return f"NPS: {TOO_FEW} ({self.responses:,} of {MIN_RESPONSES} needed){state}"
        return (f"NPS {self.score:+.0f} (90% interval {self.low:+.0f} to {self.high:+.0f}; "
                f"{self.responses:,} answers){state}")


def compute(counts: dict[int, int], on: bool = True) -> Nps:
    """The score and its interval from {score 0-10: how many answers}."""
    n = sum(counts.values())
    promoters = sum(v for k, v in counts.items() if k >= 9)
    detractors = sum(v for k, v in counts.items() if k <= 6)
    passives = n - promoters - detractors
    if n < MIN_RESPONSES:
        return Nps(on, n, promoters, passives, detractors, None, None, None, TOO_FEW)
    pp, pd = promoters / n, detractors / n
    variance = max(0.0, (pp + pd - (pp - pd) ** 2) / n)
    score = 100 * (pp - pd)
    half = Z_90 * 100 * math.sqrt(variance)
    return Nps(on, n, promoters, passives, detractors, round(score, 1), round(max(-100.0, score - half), 1),
               round(min(100.0, score + half), 1), None)


def figures(since: datetime, until: datetime, on: bool | None = None) -> Nps:
    """NPS of the answers given on calls started in [since, until) (aware
    UTC): one range of the partial index call_nps."""
    a, b = clock.to_db(since), clock.to_db(until)
    with connection():
        if on is None:
            on = enabled()
        rows = (Call.select(Call.nps, fn.COUNT(Call.id))
                .where(Call.nps.is_null(False), Call.started_at >= a, Call.started_at < b)
                .group_by(Call.nps).tuples())
        counts = {int(score): int(n) for score, n in rows}
    return compute(counts, on)
