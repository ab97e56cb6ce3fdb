"""Dialling from the desk through the pilot, with real parts: baresip (the
caller's softphone) calls SIPp (the customer) on 127.0.0.1.

F2 → INVITE on the wire → answered → the timer runs from the answer (and the
extension goes as DTMF) → F9 → BYE; busy opens the outcome picker on "busy"
and Enter takes it; a dialler that is down says so in one line and the
caller dials by hand."""

from __future__ import annotations

import pytest

from callers.app import CallersApp, desk_screen
from callers.dialer import dialer_from
from models.tables import Call
from screens.widgets.outcome import OutcomePicker
from tests.support import dial_parts
from tests.support.painted import screen_text, toast_painted
from tests.support.desk import SIZE, Keys

real_parts = pytest.mark.skipif(dial_parts.missing() is not None, reason=str(dial_parts.missing()))
BOUND = 20


@pytest.fixture
def baresip(tmp_path):
    with dial_parts.Baresip(tmp_path / "baresip") as phone:
        yield phone


def _app(url: str) -> CallersApp:
    dialer = dialer_from(url)
    return CallersApp(caller="alice", first=lambda who: desk_screen(who, dialer))


async def _until(pilot, condition, what: str) -> None:
    await dial_parts.until(condition, BOUND, what)
    await pilot.pause()


@real_parts
async def test_f2_dials_the_answer_starts_the_timer_f9_hangs_up(desk, baresip, tmp_path, engine):
    with dial_parts.RtpListener() as rtp, \
            dial_parts.Sipp(tmp_path / "sipp", "answer_and_wait.xml", rtp.port) as sipp:
        app = _app(baresip.url(sipp.uri, dtmf_pause=0.2))
        async with app.run_test(size=SIZE) as pilot:
            keys = Keys(app, pilot)
            await keys.settle()
            screen = keys.desk
            call_id = screen.call.call_id
            await keys.press("f2")
            await _until(pilot, lambda: sipp.logged("INVITE"), "the INVITE on the wire")
            assert screen.timer.started_at is None  # ringing: no talk time yet
            await _until(pilot, lambda: screen.timer.started_at is not None, "the answer")
            await pilot.pause()
            assert screen.timer.state == "running"
            assert "answered" in screen_text(app)
            # Acme's number has "ext. 23": keyed in for the caller after the answer.
            await dial_parts.until(lambda: rtp.digits() == "23", 5, "the extension's digits on the wire")
            await keys.press("f9")
            await _until(pilot, lambda: isinstance(app.screen, OutcomePicker), "the outcome picker")
            assert "◀ Enter" not in screen_text(app)  # answered: what the call found is the caller's to say
            await keys.press("1")
            await _until(pilot, lambda: screen.call is not None and screen.call.call_id != call_id, "the next call")
        assert sipp.wait() == 0  # SIPp saw the BYE
    row = Call.get_by_id(call_id)
    assert row.outcome == "completed"
    assert row.dialled_at is not None and row.answered_at is not None and row.started_at == row.answered_at
    assert row.hangup_cause


@real_parts
async def test_busy_opens_the_picker_on_busy_and_enter_takes_it(desk, baresip, tmp_path):
    with dial_parts.Sipp(tmp_path / "sipp", "busy.xml") as sipp:
        app = _app(baresip.url(sipp.uri))
        async with app.run_test(size=SIZE) as pilot:
            keys = Keys(app, pilot)
            await keys.settle()
            screen = keys.desk
            call_id = screen.call.call_id
            await keys.press("f2")
            await _until(pilot, lambda: isinstance(app.screen, OutcomePicker), "the outcome picker")
            await pilot.pause()
            text = screen_text(app)
            assert "Busy  ◀ Enter" in text and "Enter: Busy, as the network said" in text
            await keys.press("enter")
            await _until(pilot, lambda: screen.call is not None and screen.call.call_id != call_id, "the next call")
        assert sipp.wait() == 0
    row = Call.get_by_id(call_id)
    assert (row.outcome, row.started_at, row.answered_at) == ("busy", None, None)
    assert "486" in row.hangup_cause


async def test_a_dialler_that_is_down_says_so_and_the_caller_dials_by_hand(desk):
    port = dial_parts.free_port()
    app = _app(f"baresip://127.0.0.1:{port}?connect_timeout=0.5")
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        keys = Keys(app, pilot)
        await keys.settle()
        await keys.press("f2")
        text = await toast_painted(app, pilot, "Dial by hand: the timer runs from now.")
        assert "Traceback" not in text and text.count("by hand") == 1
        assert keys.desk.timer.started_at is not None  # dialled by hand: the timer runs from F2
