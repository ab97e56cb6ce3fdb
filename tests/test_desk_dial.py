"""The desk's side of a placed call (callers/dialer/progress.py), with real
parts: baresip calls SIPp on 127.0.0.1. What the header is told, the outcome
the network suggests, and what is handed on to be kept on the call."""

from __future__ import annotations

import asyncio

import pytest

from callers.dialer import Ended, dialer_from
from callers.dialer.events import Stamp, stamp
from callers.dialer.progress import (
    DIALLING,
    DOWN,
    ENDED,
    RINGING,
    TALKING,
    DeskDial,
    suggested_outcome,
)
from tests.support import dial_parts

NUMBER = "+12125550284"
BOUND = 20
real_parts = pytest.mark.skipif(dial_parts.missing() is not None, reason=str(dial_parts.missing()))


class Seen:
    def __init__(self):
        self.progress = []
        self.kept = []

    def show(self, progress):
        self.progress.append(progress)

    async def keep(self, **facts):
        await asyncio.sleep(0)  # as the session's database thread would: later
        self.kept.append(facts)

    @property
    def states(self):
        return [p.state for p in self.progress]


async def _until_ended(seen: Seen) -> None:
    await dial_parts.until(lambda: seen.progress and seen.progress[-1].state == ENDED, BOUND, "the call's end")


@pytest.fixture
def baresip(tmp_path):
    with dial_parts.Baresip(tmp_path / "baresip") as phone:
        yield phone


@real_parts
async def test_answered_then_the_customer_hangs_up(baresip, tmp_path):
    seen = Seen()
    with dial_parts.Sipp(tmp_path / "sipp", "answer_then_hang_up.xml") as sipp:
        desk = DeskDial(dialer_from(baresip.url(sipp.uri)), seen.show, seen.keep)
        try:
            first = await desk.dial(NUMBER)
            assert first.state == DIALLING
            await _until_ended(seen)
        finally:
            await desk.close()
        assert sipp.wait() == 0
    assert seen.states[0] == DIALLING and RINGING in seen.states and TALKING in seen.states
    talking = next(p for p in seen.progress if p.state == TALKING)
    end = seen.progress[-1]
    assert end.answered_at == talking.answered_at is not None
    assert end.by_customer and end.outcome is None and end.text.startswith("customer hung up")
    keys = [sorted(k) for k in seen.kept]
    assert keys == [["dialled_at"], ["answered_at"], ["hangup_cause"]]
    assert seen.kept[1]["answered_at"] == talking.answered_at


@real_parts
async def test_busy_suggests_busy(baresip, tmp_path):
    seen = Seen()
    with dial_parts.Sipp(tmp_path / "sipp", "busy.xml") as sipp:
        desk = DeskDial(dialer_from(baresip.url(sipp.uri)), seen.show, seen.keep)
        try:
            await desk.dial(NUMBER)
            await _until_ended(seen)
        finally:
            await desk.close()
        assert sipp.wait() == 0
    end = seen.progress[-1]
    assert (end.outcome, end.answered_at, end.by_customer) == ("busy", None, False)
    assert end.text.startswith("busy") and "486" in end.text
    assert TALKING not in seen.states
    assert "486" in seen.kept[-1]["hangup_cause"]


@real_parts
async def test_the_caller_hangs_up_a_ringing_call(baresip, tmp_path):
    seen = Seen()
    with dial_parts.Sipp(tmp_path / "sipp", "no_answer.xml") as sipp:
        desk = DeskDial(dialer_from(baresip.url(sipp.uri)), seen.show, seen.keep)
        try:
            await desk.dial(NUMBER)
            await dial_parts.until(lambda: RINGING in seen.states, BOUND, "ringing")
            assert desk.live
            # F2 again while it rings places no second call.
            assert (await desk.dial(NUMBER)).state == RINGING
            final = await desk.hangup()
        finally:
            await desk.close()
    assert final.state == ENDED and not desk.live
    assert final.outcome == "no_answer" and final.answered_at is None


async def test_a_dialler_that_is_down_never_blocks_the_desk():
    seen = Seen()
    port = dial_parts.free_port()
    desk = DeskDial(dialer_from(f"baresip://127.0.0.1:{port}?connect_timeout=0.5"), seen.show, seen.keep)
    try:
        first = await asyncio.wait_for(desk.dial(NUMBER), 5)
    finally:
        await desk.close()
    assert first.state == DOWN and first.text.startswith("dialler: baresip at 127.0.0.1")
    assert "\n" not in first.text and not desk.live and seen.kept == []


def _ended(state, code=None, answered=False):
    at = stamp()
    return Ended(state, None, code, "far_end", at, None, at if answered else None, at)


@pytest.mark.parametrize(("state", "code", "answered", "outcome"), [
    ("busy", 486, False, "busy"),
    ("no_answer", 480, False, "no_answer"),
    ("failed", 404, False, "wrong_number"),
    ("failed", 604, False, "wrong_number"),
    ("failed", 503, False, "no_answer"),
    ("failed", None, False, "no_answer"),
    ("cancelled", None, False, "no_answer"),
    ("answered", 200, True, None),
])
def test_the_outcome_the_network_suggests(state, code, answered, outcome):
    assert suggested_outcome(_ended(state, code, answered)) == outcome
