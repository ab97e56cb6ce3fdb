"""What the cycle needs (callers/cycle.py), against hand-built calls with
known answers, on both engines; and its place in `callers report`."""

from __future__ import annotations

import json
from datetime import date, timedelta

from callers import cycle, hours, report
from callers.cli import main
from tests.support import factories
from tests.support.cycle_world import build_calls, reached

NOW = "2026-11-23T12:00:00+00:00"
RULES = hours.Hours()  # Monday to Friday, 09:00 to 17:00


def test_too_few_calls_say_so(db, now):
    now(NOW)
    factories.customer("Alone")
    reached(factories.customer("Once", phone="+493012345678"), 2)
    needs = cycle.needs(callable_customers=2, to_reach=1, cycle_days=90, rules=RULES)
    assert needs.enough_calls is False and needs.note == "not enough calls yet"
    assert needs.cycle_ends_on is None and needs.caller_hours_per_week_needed is None
    assert needs.attempts == 1 and needs.completed == 1
    assert any("not enough calls yet" in line for line in cycle.text_lines(needs))
    assert "not enough calls yet" in cycle.summary(needs)


def test_the_cycle_from_the_last_four_weeks(db, now):
    now(NOW)
    build_calls()
    needs = cycle.needs(callable_customers=100, to_reach=40, cycle_days=90, rules=RULES)
    # 55 attempts (40 London, 15 New York), 25 answered and completed.
    assert (needs.attempts, needs.answered, needs.completed) == (55, 25, 25)
    assert needs.window_days == 28 and needs.enough_calls and needs.note is None
    assert needs.attempts_per_reach == 2.2
    assert needs.answer_rate == round(25 / 55, 3)
    # handled: 25 x 180 s + 30 x 60 s over 55 attempts
    assert needs.handled_seconds_per_attempt == round(6300 / 55, 1) and needs.handled_sample == 55
    assert needs.completed_per_day == round(25 / 28, 1)
    # 40 to reach at 25/28 a day: ceil(44.8) = 45 days from 2026-11-23
    assert needs.cycle_ends_on == date(2026, 11, 23) + timedelta(days=45) == date(2027, 1, 7)
    # 100 customers x 2.2 attempts x 6300/55 s = 7 hours per cycle of 90/7 weeks
    assert needs.caller_hours_per_week_needed == round(7 / (90 / 7), 1) == 0.5
    # now: 55 attempts x 6300/55 s = 1.75 hours in 4 weeks
    assert needs.caller_hours_per_week_now == round(1.75 / 4, 1)
    zones = {z.zone: z for z in needs.zones}
    assert list(zones) == ["Europe/London", "America/New_York"]  # most attempts first
    london, new_york = zones["Europe/London"], zones["America/New_York"]
    assert (london.attempts, london.answered, london.completed) == (40, 20, 20)
    assert london.answer_rate == 0.5 and london.attempts_per_reach == 2.0 and london.share_of_attempts == 0.727
    assert (new_york.attempts, new_york.answered, new_york.completed) == (15, 5, 5)
    assert new_york.attempts_per_reach == 3.0 and new_york.window_hours_per_week == 40
    data = cycle.to_dict(needs)
    assert data["cycle_ends_on"] == "2027-01-07" and data["zones"][0]["label"] == "Europe/London"
    json.dumps(data)


def test_everyone_reached_ends_the_cycle_today(db, now):
    now(NOW)
    build_calls()
    needs = cycle.needs(callable_customers=100, to_reach=0, cycle_days=90, rules=RULES)
    assert needs.cycle_ends_on == date(2026, 11, 23)


def test_a_smaller_sample_reads_the_latest_attempts(db, now):
    now(NOW)
    build_calls()
    pace = cycle.pace(rules=RULES, sample=10)
    assert pace.sample == 10 and pace.attempts == 55  # the counts stay exact
    assert sum(z.attempts for z in pace.zones) == 10


def test_calling_windows():
    assert cycle.window_hours("Europe/London", RULES) == 40
    # New York and Los Angeles both inside 09:00-17:00: 12:00 to 17:00 New York time, 5 days
    assert cycle.window_hours("America/New_York|America/Los_Angeles", RULES) == 25
    assert cycle.window_hours("Nowhere/Special", RULES) is None
    assert cycle.window_hours(None, RULES) is None
    assert cycle.zone_label("America/New_York|America/Chicago|America/Denver") == "America/New_York +2"
    assert cycle.zone_label(None) == "no zone"


def test_report_json_and_text_carry_the_cycle(db, now, capsys):
    now(NOW)
    build_calls()
    built = report.build(report.period_for("30"), parallel=False)
    assert built.cycle is not None and built.cycle.to_reach == built.coverage.overdue + built.coverage.never_reached
    assert main(["report", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    coverage = data["coverage"]
    # 2 customers, neither reached within the cycle (the calls are raw rows): 45 days... at 25/28 a day
    assert coverage["cycle_ends_on"] == (date(2026, 11, 23) + timedelta(days=3)).isoformat()
    assert coverage["caller_hours_per_week_needed"] == round(2 * 2.2 * (6300 / 55) / 3600 / (90 / 7), 1)
    assert coverage["cycle_needs"]["attempts"] == 55
    assert main(["report"]) == 0
    text = capsys.readouterr().out
    assert "what the cycle needs (last 28 days, 55 attempts, 25 completed)" in text
    assert "cycle ends on          2026-11-26" in text
    assert main(["report", "--format", "csv"]) == 0
    assert "coverage,,cycle_ends_on,2026-11-26" in capsys.readouterr().out


def test_report_json_says_null_without_enough_calls(db, now, capsys):
    now(NOW)
    factories.customer("Alone")
    assert main(["report", "--format", "json"]) == 0
    coverage = json.loads(capsys.readouterr().out)["coverage"]
    assert coverage["cycle_ends_on"] is None and coverage["caller_hours_per_week_needed"] is None
    assert coverage["cycle_needs"]["note"] == "not enough calls yet"


def test_unusable_calling_hours_leave_the_windows_unknown(db, now):
    from callers import settings

    now(NOW)
    build_calls()
    settings.put("calling_end", "08:00")  # before the start
    assert cycle.calling_hours() is None
    needs = cycle.needs(callable_customers=100, to_reach=40, cycle_days=90)
    assert needs.enough_calls and all(z.window_hours_per_week is None for z in needs.zones)
    assert report.build(report.period_for("30"), parallel=False).cycle.attempts == 55
