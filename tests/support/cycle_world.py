"""Four weeks of calls with known answers, as of the cycle tests' NOW
(2026-11-23 12:00 UTC): London reached 20 times and unanswered 20 times, New
York unanswered 10 times and reached 5 times, and calls that are not attempts
(40 days ago, skipped, still running). Shared by the cycle's tests and the
supervisor board's snapshots."""

from __future__ import annotations

from datetime import timedelta

from callers import clock
from models.tables import Call
from tests.support import factories


def ago(days: float, seconds: float = 0):
    return clock.db_now() - timedelta(days=days) + timedelta(seconds=seconds)


def reached(customer, days: float) -> None:
    """Shown 30 s before the answer, 150 s talk: 180 s handled."""
    start = ago(days)
    Call.create(customer=customer, caller="ana", shown_at=start - timedelta(seconds=30), started_at=start,
                ended_at=start + timedelta(seconds=150), outcome="completed")


def no_answer(customer, days: float) -> None:
    """Shown 60 s before the outcome: 60 s handled."""
    end = ago(days)
    Call.create(customer=customer, caller="ana", shown_at=end - timedelta(seconds=60), ended_at=end,
                outcome="no_answer")


def build_calls() -> None:
    london = factories.customer("London Ltd", phone="+442079460958")
    new_york = factories.customer("New York Inc", phone="+12124567890")
    for i in range(20):
        reached(london, 1 + i)
        no_answer(london, 1 + i, )
    for i in range(10):
        no_answer(new_york, 2 + i)
    for i in range(5):
        reached(new_york, 3 + i)
    # Not in the window: 40 days ago; not attempts: a skipped customer and a call still running.
    reached(london, 40)
    Call.create(customer=london, caller="ana", shown_at=ago(2), ended_at=ago(2, 10), skip_reason="lunch")
    Call.create(customer=london, caller="ana", shown_at=ago(0.01), started_at=ago(0.01, 5))
