"""Where the call time goes: each answer keeps its step's seconds on screen;
the report gives medians per step, overall and per caller, and the step that
most often pushes calls past the target. SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from callers import calls, forwards, loop, report, steptime
from callers.cli import main
from models import tallies
from models.tables import CallAnswer, Customer, TallyStepLongest, TallyStepTime
from tests.support import factories

DAY = "2026-11-10"


def _call(now, customer, caller: str, start: str, answers: list[tuple], length: int, forward: int | None = None):
    """A call started at `start` (HH:MM:SS on DAY) with answers (step, key,
    value, seconds) and a forward filed taking `forward` seconds, ended after
    `length` seconds."""
    at = now(f"{DAY}T{start}+00:00")
    state = calls.open_call(caller, customer.id)
    calls.start_call(state.call_id)
    for i, (step, key, value, seconds) in enumerate(answers, start=1):
        now((at + timedelta(seconds=i)).isoformat())
        assert calls.record_answer(state.call_id, step, key, value, seconds=seconds) is not None
    if forward is not None:
        forwards.create(customer.id, "Support", caller, note="slow", call_id=state.call_id, seconds=forward)
    now((at + timedelta(seconds=length)).isoformat())
    calls.end_call(state.call_id, "completed")
    return state.call_id


@pytest.fixture
def three_calls(db, now):
    now(f"{DAY}T09:00:00+00:00")
    a = factories.customer("Acme Ltd")
    b = factories.customer("Beta GmbH", phone="+442079460959")
    c = factories.customer("Gamma Inc", phone="+442079460957")
    # cal: a short call; features 20 s
    _call(now, a, "cal", "10:00:00", [("contacts", "confirm", None, 10),
                                      ("implementation", "state", "live", 5),
                                      ("features", "none", None, 20)], length=60)
    # cal: a long call (over 3:00) where features took most of the time
    _call(now, b, "cal", "11:00:00", [("contacts", "confirm", None, 30),
                                      ("features", "none", None, 100),
                                      ("comment", "note", "happy", 15)], length=240)
    # cat: a long call where filing a forward took most of it
    _call(now, c, "cat", "12:00:00", [("contacts", "confirm", None, 20),
                                      ("implementation", "state", "stalled", 40)],
          length=300, forward=120)
    return a, b, c


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc)


def test_each_answer_keeps_its_seconds_and_old_callers_keep_working(three_calls, now):
    assert sorted(CallAnswer.select(CallAnswer.seconds).tuples()) == sorted(
        [(10,), (5,), (20,), (30,), (100,), (15,), (20,), (40,)])
    d = factories.customer("Delta Ltd", phone="+442079460911")
    now(f"{DAY}T13:00:00+00:00")
    state = calls.open_call("cal", d.id)
    answer = calls.record_answer(state.call_id, "implementation", "state", "live")  # no seconds: as before
    assert answer is not None and CallAnswer.get(CallAnswer.call == state.call_id).seconds is None


def test_the_tallies_count_each_step_per_call_when_it_ends(three_calls):
    assert tallies.check() == []
    steps = {(caller, step): seconds for caller, step, seconds, n in
             TallyStepTime.select(TallyStepTime.caller, TallyStepTime.step, TallyStepTime.seconds,
                                  TallyStepTime.n).tuples()}
    assert steps[("cal", "features")] in (20, 100) and steps[("cat", "forwards")] == 120
    longest = sorted((r.step, r.call_seconds) for r in TallyStepLongest.select())
    assert longest == [("features", 60), ("features", 240), ("forwards", 300)]


@pytest.mark.parametrize("since, until", [("2026-11-10", "2026-11-10"),  # a whole day: the tallies
                                          ("2026-11-10T09:30:00", "2026-11-10T18:00:00"),  # part of a day: the rows
                                          ("2026-11-09T12:00:00", "2026-11-11T06:00:00"),  # both
                                          ("2026-11-09T12:00:00", "2026-11-10T13:00:00")])  # two part-days
def test_medians_per_step_overall_and_per_caller_and_what_makes_calls_long(three_calls, since, until):
    period = report.parse_period(since, until)
    s = steptime.figures(period.since, period.until, 180)
    assert s.median_seconds == {"contacts": 20, "references": None, "implementation": 22.5, "features": 60,
                                "words": 15, "forwards": 120}
    assert s.calls == {"contacts": 3, "references": 0, "implementation": 2, "features": 2, "words": 1,
                       "forwards": 1}
    assert s.by_caller["cal"]["contacts"] == 20 and s.by_caller["cat"]["implementation"] == 40
    assert s.by_caller["cat"]["features"] is None
    assert s.over_target_calls == 2
    assert s.longest_over_target == {"contacts": 0, "references": 0, "implementation": 0, "features": 1,
                                     "words": 0, "forwards": 1}
    assert s.most_often == "features"  # a tie: the earlier step in the script


@pytest.mark.parametrize("since, until", [("2026-11-10T06:00:00", "2026-11-11"),  # the day less 00:00-06:00
                                          ("2026-11-10T10:30:00", "2026-11-10T23:00:00")])  # less the 10:00 call
def test_a_part_day_counted_as_its_day_less_the_rest_is_exact(three_calls, now, since, until):
    now("2026-11-12T09:00:00+00:00")
    period = report.parse_period(since, until)
    s = steptime.figures(period.since, period.until, 180)
    if since.endswith("06:00:00"):
        assert steptime._plan((datetime(2026, 11, 10, 6), datetime(2026, 11, 11)), datetime(2026, 11, 12))[0] == 0
        assert s.median_seconds["contacts"] == 20 and s.calls["contacts"] == 3
    else:
        assert s.calls == {"contacts": 2, "references": 0, "implementation": 1, "features": 1, "words": 1,
                           "forwards": 1}
        assert s.median_seconds["contacts"] == 25 and s.by_caller["cal"]["features"] == 100
        assert s.by_caller["cal"]["implementation"] is None
    assert s.most_often == "features" and s.over_target_calls == 2


def test_a_period_ending_now_reads_todays_tally_not_its_calls(three_calls, now):
    now(f"{DAY}T15:00:00+00:00")
    period = report.parse_period(None, None)  # the last 30 days up to now
    assert steptime._plan((datetime(2026, 11, 10), datetime(2026, 11, 10, 15)), datetime(2026, 11, 10, 15)) == \
        (0, [])
    assert steptime.figures(period.since, period.until).calls["contacts"] == 3


def test_a_period_without_the_calls_counts_nothing(three_calls):
    period = report.parse_period("2026-11-11", "2026-11-20")
    s = steptime.figures(period.since, period.until)
    assert set(s.median_seconds.values()) == {None} and s.most_often is None
    assert steptime.text_lines(s) == ["  time per step: no timed answers in the period"]


def test_report_json_calls_steps_and_text(three_calls, now, capsys):
    now("2026-11-12T09:00:00+00:00")
    assert main(["report", "--since", DAY, "--until", DAY, "--format", "json"]) == 0
    steps = json.loads(capsys.readouterr().out)["calls"]["steps"]
    assert steps["median_seconds"]["features"] == 60
    assert steps["over_target"] == {"calls": 2, "most_often": "features",
                                    "longest_step": {"contacts": 0, "references": 0, "implementation": 0,
                                                     "features": 1, "words": 0, "forwards": 1}}
    assert steps["by_caller"]["cat"]["forwards"] == 120
    assert main(["report", "--since", DAY, "--until", DAY]) == 0
    text = capsys.readouterr().out
    assert "median seconds per step: contacts 20s" in text
    assert "most often the longest step of calls over 3:00: features (1 of 2 calls)" in text
    assert main(["report", "--since", DAY, "--until", DAY, "--format", "csv"]) == 0
    assert "steps,features,median_seconds,60" in capsys.readouterr().out


def test_loop_answers_count_as_the_forwards_step(db, now):
    now(f"{DAY}T08:00:00+00:00")
    acme = factories.customer("Acme Ltd")
    fid = forwards.create(acme.id, "Billing", "cal", note="x").id
    forwards.done(fid, "bill", "fixed")
    now(f"{DAY}T10:00:00+00:00")
    state = calls.open_call("cat", acme.id)
    calls.start_call(state.call_id)
    loop.answer(state.call_id, fid, "y", seconds=7)
    now(f"{DAY}T10:04:00+00:00")
    calls.end_call(state.call_id, "completed")
    period = report.parse_period(DAY, DAY)
    s = steptime.figures(period.since, period.until)
    assert s.median_seconds["forwards"] == 7 and s.most_often == "forwards"
    assert tallies.check() == []


def test_deleting_customers_takes_their_calls_out_of_the_tallies(three_calls):
    a, b, c = three_calls
    Customer.delete().where(Customer.id.in_([b.id, c.id])).execute()
    assert tallies.check() == []
    tallies.compact_if_needed(threshold=1)
    assert [r.call_seconds for r in TallyStepLongest.select()] == [60]


def test_median_of_a_histogram():
    assert steptime.median({}) is None
    assert steptime.median({5: 1}) == 5
    assert steptime.median({5: 1, 7: 1}) == 6
    assert steptime.median({1: 3, 100: 1}) == 1
    assert steptime.longest({"words": 5, "contacts": 5}) == "contacts"
