"""The whole report: every section for a period, side by side on connections
of their own, stopping when the caller no longer wants it."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Callable

from callers import clock, cycle, nps, settings, steptime
from callers import value as earnings
from callers.report.answer_hours import answer_hours
from callers.report.calls import call_figures
from callers.report.customers import _pace, _per_month, customer_figures, decay, feature_figures
from callers.report.departments import department_figures, fixed_figures
from callers.report.figures import Report
from callers.report.periods import Period
from models import tallies
from models.db import connection


class Cancelled(Exception):
    """Raised between queries when the caller of `build` no longer wants it."""


def build(period: Period, now: datetime | None = None,
          cancelled: Callable[[], bool] | None = None, parallel: bool = True, keep: bool = False) -> Report:
    """Every figure for the period.

    The sections are independent queries; with `parallel` they run at once on
    three connections of their own (SQLite in WAL mode and PostgreSQL both let
    readers run side by side), which roughly halves the wall time on a big
    database. `cancelled` is asked before each section starts and when they
    are done; when it says True, `Cancelled` is raised (a dashboard that moved
    on to another period) and no further section starts. `keep`: leave this
    thread's connection open for its next report (a board's reader thread:
    a new SQLite connection starts with a cold page cache, ~30 ms more on a
    million customers).
    """
    now = now or clock.now()

    def check() -> None:
        if cancelled is not None and cancelled():
            raise Cancelled()

    with connection(keep=keep):  # this thread's connection, kept for every section run here
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
            run(lambda: answer_hours(period.since, period.until)),
            run(lambda: (fixed_figures(period.since, period.until),
                         steptime.figures(period.since, period.until, values["target_seconds"]),
                         nps.figures(period.since, period.until, bool(values["nps"])))),
            run(lambda: cycle.pace(now, cycle.calling_hours(values))),
            run(lambda: earnings.figures(now)),
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
        (features, live), by_local_hour, (answers, steps, score), pace, worth = results
    _loop_and_steps(departments, answers, calls, steps)
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
                  references, implementation, by_local_hour, score.to_dict(), needs, worth)


def _loop_and_steps(departments: list, answers: dict, calls, steps) -> None:
    """The "was it fixed?" answers onto their departments; the step times onto the calls."""
    for d in departments:
        fig = answers.get(d.name)
        if fig is not None:
            d.confirmed_fixed, d.partly_fixed, d.reopened = fig.confirmed_fixed, fig.partly_fixed, fig.reopened
            d.confirmed_fixed_rate = fig.confirmed_fixed_rate
    calls.steps = steps.to_dict()


def _compact() -> None:
    """Fold the tallies' appended rows now and then (counts never change). A
    database this login may only read is read as it is."""
    import peewee

    try:
        tallies.compact_if_needed()
    except peewee.DatabaseError:
        pass  # e.g. no DELETE on the tallies for this login: the sums are right without it
