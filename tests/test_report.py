"""The supervisor's figures against hand-built databases with known answers,
on both engines; the `callers report` command's JSON, CSV and text."""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import replace
from datetime import timedelta

import pytest

from callers import clock, report
from callers.cli import main
from callers.errors import CallersError
from models.tables import Customer, CustomerFeature, Feature
from tests.support import factories
from tests.support.report_world import NOW, answered, at, build_world


@pytest.fixture
def world(db, now):
    now(NOW)
    build_world()
    return report.build(report.period_for("30"))


def by_name(items):
    return {item.name: item for item in items}


def test_a_change_is_marked_only_when_it_means_something():
    """At least 3 forwards (or a day) and a quarter of the value before."""
    from callers.report import MEDIAN_CHANGE_DAYS, OPEN_CHANGE, change

    assert [change(2, 3, OPEN_CHANGE), change(2, 5, OPEN_CHANGE), change(20, 24, OPEN_CHANGE),
            change(20, 25, OPEN_CHANGE), change(9, 4, OPEN_CHANGE), change(None, 9, OPEN_CHANGE)] == [
        0, 1, 0, 1, -1, 0]
    assert [change(5.0, 8.0, MEDIAN_CHANGE_DAYS), change(2.0, 2.5, MEDIAN_CHANGE_DAYS),
            change(10.0, 7.0, MEDIAN_CHANGE_DAYS), change(10.0, 12.0, MEDIAN_CHANGE_DAYS)] == [1, 0, -1, 0]


def test_departments(world):
    deps = world.departments
    assert [d.name for d in deps] == ["Billing", "Support", "Account management"]
    billing, support, am = deps
    assert (billing.forwarded, billing.open, billing.returned, billing.done) == (3, 3, 0, 2)
    assert billing.oldest_open_days == 100.0
    assert billing.median_days_to_done == 18.0
    assert billing.per_100_calls == 60.0  # 3 forwards for 5 completed calls
    assert billing.open_at_start == 2  # f4 and f6
    assert (billing.growing, billing.direction) == (False, None)  # 2 open then, 3 now: noise, not a trend
    assert billing.trend == [0, 0, 0, 0, 0, 0, 1, 0, 0, 1, 1, 1]
    assert (support.forwarded, support.open, support.returned, support.done) == (2, 0, 1, 1)
    assert support.per_100_calls == 40.0
    assert support.oldest_open_days is None
    assert (support.median_days_to_done, support.previous_median_days_to_done) == (8.0, 5.0)
    assert (support.growing, support.direction) == (True, "growing")  # the median grew 5 -> 8 days
    assert (am.forwarded, am.open, am.per_100_calls, am.median_days_to_done, am.growing) == (0, 0, 0.0, None, False)


def test_calls_and_callers(world):
    calls = world.calls
    assert (calls.count, calls.completed, calls.not_reached, calls.answered) == (10, 5, 3, 6)
    assert calls.median_seconds == 145  # 60 100 120 | 170 200 400
    assert calls.over_target_share == 0.333
    assert calls.over_5_minutes_share == 0.167
    assert calls.outcomes == {"callback": 1, "completed": 5, "in_progress": 1, "no_answer": 1,
                              "voicemail": 1, "wrong_number": 1}
    alice, bob = world.callers
    assert (alice.name, alice.count, alice.completed, alice.not_reached) == ("alice", 5, 4, 1)
    assert (alice.median_seconds, alice.over_target_share, alice.over_5_minutes_share) == (160, 0.5, 0.25)
    assert (bob.name, bob.count, bob.completed, bob.not_reached) == ("bob", 5, 1, 2)
    assert (bob.median_seconds, bob.over_target_share) == (115, 0.0)


def test_coverage(world):
    c = world.coverage
    assert (c.customers, c.reached_in_cycle, c.overdue, c.never_reached) == (6, 2, 1, 2)
    assert (c.unreachable, c.needs_number, c.do_not_call, c.cycle_days) == (1, 1, 1, 90)
    assert c.customers == c.reached_in_cycle + c.overdue + c.never_reached + c.do_not_call
    assert c.completed_per_day == 0.2  # 5 completed in 30 days
    assert c.days_to_reach_everyone == 30.0  # 5 callable customers at 1/6 a day


def test_freshness_and_decay(world):
    f = world.freshness
    assert f.customers == 5
    assert (f.contacts.fresh, f.contacts.share) == (1, 0.2)
    assert (f.referenceability.fresh, f.implementation.fresh, f.features.fresh) == (1, 2, 1)
    assert f.implementation.share == 0.4
    d = f.decay
    assert (d.contacts, d.gone, d.wrong_number) == (6, 1, 1)
    assert d.per_month == round(2 / 6, 4)  # 2 found in 30 days among 6 contacts
    assert d.rule_of_thumb == 0.03


def test_what_the_calls_found(world):
    assert world.references == {"referenceable": 2, "prospect_call": 1, "case_study": 1, "press": 1,
                                "analyst": 0, "site_visit": 0}
    assert world.implementation == {"not_started": 0, "in_progress": 1, "live": 2, "stalled": 0, "unknown": 3}
    assert world.live_customers == 2
    assert [(f.name, f.customers, f.share) for f in world.features] == [
        ("Reports", 2, 1.0), ("Invoices", 1, 0.5), ("API", 0, 0.0)]


def test_a_shorter_period_moves_the_boundaries(world):
    week = report.build(report.period_for("7"))
    # In the last 7 days: alice 400 s and no answer (3 d), bob callback (7 d exactly: included),
    # running call, voicemail, wrong number; bob's 170 s (8 d) is out.
    assert (week.calls.count, week.calls.completed) == (6, 1)
    billing = by_name(week.departments)["Billing"]
    assert (billing.forwarded, billing.done, billing.open) == (1, 1, 3)  # f1; f4 done 6 d ago


def test_today(world):
    today = report.build(report.period_for("today"))
    assert today.period.since.isoformat() == "2026-11-23T00:00:00+00:00"
    assert (today.calls.count, today.calls.completed) == (1, 0)  # the running call only
    assert today.calls.median_seconds is None
    assert today.coverage.days_to_reach_everyone is None  # no pace today


def test_thin_data(db, now):
    now(NOW)
    empty = report.build(report.period_for("30"))
    assert empty.calls.count == 0 and empty.calls.median_seconds is None
    assert empty.calls.over_target_share is None
    assert empty.coverage.customers == 0 and empty.coverage.days_to_reach_everyone is None
    assert empty.freshness.contacts.share is None and empty.freshness.decay.per_month is None
    assert all(d.per_100_calls is None and d.median_days_to_done is None for d in empty.departments)
    assert "—" in report.to_text(empty)
    json.loads(report.to_json(empty))
    report.to_csv(empty)

    one = factories.customer("Only")
    answered(one, "carol", at(1), 190)
    thin = report.build(report.period_for("30"))
    assert (thin.calls.count, thin.calls.completed, thin.calls.median_seconds) == (1, 1, 190)
    assert (thin.calls.over_target_share, thin.calls.over_5_minutes_share) == (1.0, 0.0)
    assert thin.coverage.days_to_reach_everyone == 30.0  # 1 customer at 1/30 a day
    assert [d.per_100_calls for d in thin.departments] == [0.0, 0.0, 0.0]
    assert "3:10" in report.to_text(thin)


def test_cancelled_between_queries(db, now):
    now(NOW)
    with pytest.raises(report.Cancelled):
        report.build(report.period_for("30"), cancelled=lambda: True)


def test_parse_period(now):
    now(NOW)
    p = report.parse_period("2026-11-01", "2026-11-30")
    assert (p.since.isoformat(), p.until.isoformat()) == ("2026-11-01T00:00:00+00:00", "2026-12-01T00:00:00+00:00")
    d = report.parse_period(None, None)
    assert (d.since.isoformat(), d.until.isoformat()) == ("2026-10-24T12:00:00+00:00", NOW)
    s = report.parse_period("2026-11-20", None)
    assert s.until.isoformat() == NOW
    u = report.parse_period(None, "2026-11-10")
    assert u.since.isoformat() == "2026-10-12T00:00:00+00:00"
    exact = report.parse_period("2026-11-01T09:30:00+01:00", "2026-11-02T00:00:00+00:00")
    assert exact.since.isoformat() == "2026-11-01T08:30:00+00:00"
    with pytest.raises(CallersError, match="must be before"):
        report.parse_period("2026-11-30", "2026-11-01")
    with pytest.raises(CallersError, match="is not a date"):
        report.parse_period("last week", None)


def test_until_is_exclusive_and_a_date_includes_its_day(world):
    c1 = Customer.get(Customer.name == "One")
    day = clock.db_now().replace(hour=0, minute=0, second=0, microsecond=0)
    answered(c1, "dave", day + timedelta(days=1), 10)  # 2026-11-24 00:00: the next day
    answered(c1, "dave", day + timedelta(hours=23, minutes=59), 10)  # 2026-11-23 23:59
    p = report.parse_period("2026-11-23", "2026-11-23")
    figures, callers = report.call_figures(p)
    dave = by_name(callers)["dave"]
    assert dave.count == 1


# ---- the command ----------------------------------------------------------


def run(capsys, *argv) -> tuple[int, str, str]:
    code = main(["report", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_report_json_shape(world, capsys):
    code, out, err = run(capsys, "--format", "json")
    assert code == 0, err
    data = json.loads(out)
    assert {"period", "departments", "coverage", "calls", "callers", "freshness", "features",
            "references"} <= set(data)
    assert set(data["period"]) >= {"since", "until"}
    assert data["period"]["since"] == "2026-10-24T12:00:00+00:00"
    first = data["departments"][0]
    assert {"name", "forwarded", "per_100_calls", "open", "oldest_open_days", "median_days_to_done",
            "returned"} <= set(first)
    assert (first["name"], first["forwarded"], first["per_100_calls"], first["median_days_to_done"]) == \
        ("Billing", 3, 60.0, 18.0)
    assert set(data["coverage"]) >= {"customers", "reached_in_cycle", "overdue", "never_reached", "unreachable",
                                     "needs_number", "do_not_call"}
    assert data["calls"]["count"] == 10 and data["calls"]["median_seconds"] == 145
    assert set(data["calls"]) >= {"count", "completed", "median_seconds", "over_target_share"}
    assert [c["name"] for c in data["callers"]] == ["alice", "bob"]
    assert data["freshness"]["contacts"] == {"fresh": 1, "share": 0.2}
    assert data["features"][0] == {"name": "Reports", "customers": 2, "share": 1.0}
    assert data["references"]["referenceable"] == 2


def test_report_since_until(world, capsys):
    code, out, _ = run(capsys, "--since", "2026-11-20", "--until", "2026-11-21", "--format", "json")
    data = json.loads(out)
    assert code == 0
    assert data["period"] == {"since": "2026-11-20T00:00:00+00:00", "until": "2026-11-22T00:00:00+00:00",
                              "days": 2.0}
    # alice's 400 s call and no answer (3 d ago = 11-20 12:00), bob's wrong number (11-21 12:00).
    assert data["calls"]["count"] == 3


def test_report_csv(world, capsys):
    code, out, _ = run(capsys, "--format", "csv")
    assert code == 0
    rows = list(csv.reader(io.StringIO(out)))
    assert rows[0] == ["section", "item", "figure", "value"]
    assert ["departments", "Billing", "forwarded", "3"] in rows
    assert ["departments", "Support", "returned", "1"] in rows
    assert ["coverage", "", "never_reached", "2"] in rows
    assert ["calls", "", "median_seconds", "145"] in rows
    assert ["callers", "alice", "median_seconds", "160"] in rows
    assert ["features", "Reports", "customers", "2"] in rows
    assert all(len(r) == 4 for r in rows)


def test_report_text(world, capsys):
    code, out, _ = run(capsys)
    assert code == 0
    assert "Billing" in out and "▲ growing" in out
    assert "2:25" in out  # the median call, 145 s
    assert "days to reach everyone at the current pace: 30" in out


def test_report_text_keeps_big_figures_apart(world):
    """A million-customer database's figures stay in their own columns."""
    big = report.DepartmentFigures("Support", forwarded=25_652, per_100_calls=20.1, open=126_894,
                                   oldest_open_days=119.6, median_days_to_done=3.5, returned=2_521)
    caller = report.CallerFigures("ana", count=1_415_439, completed=142_849, not_reached=1_322_277,
                                  median_seconds=88, over_target_share=0.24)
    text = report.to_text(replace(world, departments=[big], callers=[caller]))
    line = next(line for line in text.splitlines() if line.strip().startswith("Support"))
    assert line.split()[1:7] == ["25,652", "20.1", "126,894", "119.6", "d", "3.5"]
    line = next(line for line in text.splitlines() if line.strip().startswith("ana"))
    assert line.split()[1:5] == ["1,415,439", "142,849", "1,322,277", "1:28"]


def test_report_features(world, capsys):
    code, out, _ = run(capsys, "features")
    assert code == 0
    lines = out.splitlines()
    assert "2 live customers" in lines[0]
    assert lines[2].split() == ["Reports", "2", "100%"]
    code, out, _ = run(capsys, "features", "--format", "json")
    assert json.loads(out) == {"live_customers": 2, "features": [
        {"name": "Reports", "customers": 2, "share": 1.0}, {"name": "Invoices", "customers": 1, "share": 0.5},
        {"name": "API", "customers": 0, "share": 0.0}]}
    code, out, _ = run(capsys, "features", "--format", "csv")
    assert out.splitlines()[:2] == ["feature,customers,share", "Reports,2,1.0"]


def test_report_errors_are_one_line(db, capsys):
    code, out, err = run(capsys, "--since", "yesterday")
    assert code != 0 and err.count("\n") == 1 and "is not a date" in err


def test_serial_and_parallel_agree(world):
    period = report.period_for("30")
    assert report.to_dict(report.build(period, parallel=False)) == report.to_dict(world)


def test_only_supervisors_see_the_figures(db, capsys, engine):
    from callers import access

    if engine != "sqlite":
        pytest.skip("on PostgreSQL the login decides who acts: tests/test_team_security.py")

    access.add_user("sam", "supervisor")
    access.add_user("carl", "caller")
    code, out, err = run(capsys, "--as", "carl", "--format", "json")
    assert code != 0 and out == "" and err.count("\n") == 1 and "needs a supervisor" in err
    assert main(["supervisor", "--as", "carl"]) != 0  # refused before any screen opens
    assert "needs a supervisor" in capsys.readouterr().err
    code, out, _ = run(capsys, "--as", "sam", "--format", "json")
    assert code == 0 and json.loads(out)["coverage"]["customers"] == 0
    assert main(["--as", "carl", "report"]) != 0  # --as before the command counts too
    assert "needs a supervisor" in capsys.readouterr().err


BIG_TABLES = ("call", "call_answer", "contact", "customer", "customer_feature", "forward", "tally_call",
              "tally_call_length", "tally_customer_day", "forward_event", "tally_step_time", "tally_step_longest")
# What a plan may scan: the report's own subqueries (callers/steptime.py's part-days), never a table.
SUBQUERIES = re.compile(r"SCAN (per|ranked|\(subquery-\d+\))$")


def test_no_report_query_scans_a_big_table(db, now):
    """On SQLite every query of the report seeks an index on the tables that
    grow with the database (the tallies by their time, the part-hours and
    part-days of the rows by theirs); none reads a whole table. This fails
    when a query or an index drifts from the other."""
    if db.engine != "sqlite":
        pytest.skip("query plans are SQLite's")
    from models.db import database

    now("2026-11-23T12:34:56+00:00")  # odd minutes: every part-hour and part-day query runs
    build_world()
    plans = []
    original = database.obj.execute_sql

    def explain(sql, params=None, *args, **kwargs):
        if sql.lstrip().upper().startswith("SELECT"):
            plan = original("EXPLAIN QUERY PLAN " + sql, params).fetchall()
            plans.append((sql, " / ".join(row[-1] for row in plan)))
        return original(sql, params, *args, **kwargs)

    database.obj.execute_sql = explain
    try:
        report.build(report.period_for("30"), parallel=False)
    finally:
        database.obj.execute_sql = original
    tables = set()
    for sql, plan in plans:
        table = re.search(r'FROM "(\w+)"', sql).group(1)
        tables.add(table)
        if table in BIG_TABLES:
            assert all("SCAN" not in step or SUBQUERIES.match(step) for step in plan.split(" / ")), (sql, plan)
    assert {"call", "customer", "forward", "tally_call", "tally_call_length", "tally_customer_day"} <= tables


def test_many_features_are_each_counted(world):
    """Features in production among live customers, whatever their number."""
    from tests.support import factories as f

    live = [f.customer(f"Live {i}", implementation_state="live") for i in range(3)]
    many = [Feature.create(name=f"Feature {i:02d}", position=10 + i) for i in range(60)]
    for i, feature in enumerate(many):
        for customer in live[: i % 4]:
            CustomerFeature.create(customer=customer, feature=feature)
    rows, live_count = report.feature_figures()
    counts = {r.name: r.customers for r in rows}
    assert live_count == 5  # One and Six from the world, and these three
    assert [counts[f"Feature {i:02d}"] for i in range(8)] == [0, 1, 2, 3, 0, 1, 2, 3]
    assert (counts["Reports"], counts["Invoices"], counts["API"]) == (2, 1, 0)
