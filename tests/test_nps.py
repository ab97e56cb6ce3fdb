"""NPS, honestly: off by default, one 0-10 question when on, and a score only
with its sample size and a 90% interval. SQLite and PostgreSQL."""

from __future__ import annotations

import json
import math

import pytest

from callers import calls, nps, report, settings
from callers.cli import main
from callers.errors import CallersError
from models.tables import Call
from tests.support import factories

DAY = "2026-11-10"


def _answered_calls(now, scores: list[int | None]) -> list[int]:
    ids = []
    for i, score in enumerate(scores):
        now(f"{DAY}T10:{i // 60:02d}:{i % 60:02d}+00:00")
        customer = factories.customer(f"Customer {i}", phone=f"+4420794{60000 + i:05d}")
        state = calls.open_call("cal", customer.id)
        calls.start_call(state.call_id)
        if score is not None:
            assert nps.record(state.call_id, str(score)) == score
        calls.end_call(state.call_id, "completed")
        ids.append(state.call_id)
    return ids


def test_off_by_default_and_refused_while_off(db, now):
    now(f"{DAY}T10:00:00+00:00")
    assert nps.enabled() is False
    acme = factories.customer("Acme Ltd")
    state = calls.open_call("cal", acme.id)
    with pytest.raises(CallersError, match="off"):
        nps.record(state.call_id, 9)
    assert Call.get_by_id(state.call_id).nps is None
    figures = report.build(report.parse_period(DAY, DAY), parallel=False)
    assert figures.nps["enabled"] is False and figures.nps["responses"] == 0
    assert "NPS" not in report.to_text(figures)


def test_settings_nps_on_and_off(db, capsys):
    assert main(["settings", "nps", "on"]) == 0
    assert settings.get("nps") is True and nps.enabled()
    assert main(["settings", "nps"]) == 0 and capsys.readouterr().out.endswith("nps on\n")
    assert main(["settings", "nps", "off"]) == 0
    assert settings.get("nps") is False
    capsys.readouterr()
    assert main(["settings", "nps", "sometimes"]) == 1
    assert capsys.readouterr().err == "callers: error: nps is on or off, not 'sometimes'\n"
    assert main(["settings", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["nps"] is False


def test_only_0_to_10_is_stored_and_enter_stores_nothing(db, now):
    nps.set_enabled(True)
    now(f"{DAY}T10:00:00+00:00")
    acme = factories.customer("Acme Ltd")
    state = calls.open_call("cal", acme.id)
    for bad in ("11", "-1", "7.5", "ten", True):
        with pytest.raises(CallersError, match="0 to 10"):
            nps.record(state.call_id, bad)
    assert nps.record(state.call_id, "") is None and nps.record(state.call_id, None) is None
    assert Call.get_by_id(state.call_id).nps is None
    assert nps.record(state.call_id, 0) == 0
    assert nps.record(state.call_id, " 10 ") == 10  # again: the last answer stands
    assert Call.get_by_id(state.call_id).nps == 10 and nps.given(state.call_id) == 10
    calls.end_call(state.call_id, "completed")
    with pytest.raises(CallersError, match="already ended"):
        nps.record(state.call_id, 5)


def test_the_score_and_its_90_percent_interval():
    counts = {10: 20, 9: 10, 8: 10, 7: 5, 5: 10, 0: 5}  # 30 promoters, 15 passives, 15 detractors of 60
    got = nps.compute(counts)
    pp, pd, n = 30 / 60, 15 / 60, 60
    half = 1.6448536269514722 * 100 * math.sqrt((pp + pd - (pp - pd) ** 2) / n)
    assert (got.responses, got.promoters, got.passives, got.detractors) == (60, 30, 15, 15)
    assert got.score == 25.0
    assert got.low == pytest.approx(25 - half, abs=0.05) and got.high == pytest.approx(25 + half, abs=0.05)
    assert got.note is None
    # everyone a promoter: no spread, and never above 100
    top = nps.compute({10: 40})
    assert (top.score, top.low, top.high) == (100.0, 100.0, 100.0)
    # a wide interval is clipped to [-100, 100]
    split = nps.compute({10: 15, 0: 15})
    assert split.low >= -100 and split.high <= 100


def test_under_30_answers_says_too_few_and_gives_no_score():
    got = nps.compute({10: 29})
    assert (got.responses, got.score, got.low, got.high, got.note) == (29, None, None, None, "too few answers")
    assert got.text() == "NPS: too few answers (29 of 30 needed)"


def test_the_report_gives_nps_with_its_sample_size(db, now, capsys):
    nps.set_enabled(True)
    _answered_calls(now, [10] * 18 + [8] * 6 + [3] * 6 + [None] * 2)
    now("2026-11-12T09:00:00+00:00")
    assert main(["report", "--since", DAY, "--until", DAY, "--format", "json"]) == 0
    got = json.loads(capsys.readouterr().out)["nps"]
    assert got["enabled"] is True and got["responses"] == 30
    assert got["score"] == 40.0 and got["low"] < 40 < got["high"] and got["note"] is None
    assert main(["report", "--since", DAY, "--until", DAY]) == 0
    assert f"NPS +40 (90% interval {got['low']:+.0f} to {got['high']:+.0f}; 30 answers)" in capsys.readouterr().out
    assert main(["report", "--since", "2026-11-11", "--until", "2026-11-11", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["nps"]["note"] == "too few answers"
