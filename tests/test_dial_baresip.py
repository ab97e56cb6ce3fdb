"""The baresip dialler with real parts: baresip (the caller's softphone, driven
over ctrl_tcp) calls SIPp (the customer) on 127.0.0.1. SIPp's exit status
says whether the far side saw exactly the scenario's messages (a BYE, a
CANCEL...); DTMF is checked in the RTP stream itself."""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys

import pytest

from callers.dialer import Answered, DialerError, Dialled, Dtmf, Ended, Ringing, dialer_from
from tests.support import dial_parts

pytestmark = pytest.mark.skipif(dial_parts.missing() is not None, reason=str(dial_parts.missing()))

NUMBER = "+12125550284"
BOUND = 20  # seconds: a test that waits longer than this has hung, which is itself the failure


@pytest.fixture
def baresip(tmp_path):
    with dial_parts.Baresip(tmp_path / "baresip") as phone:
        yield phone


@pytest.fixture
def rtp():
    with dial_parts.RtpListener() as listener:
        yield listener


def far_end(tmp_path, scenario, rtp_port=None):
    return dial_parts.Sipp(tmp_path / "sipp", scenario, rtp_port)


async def follow(call) -> list:
    async def collect():
        return [event async for event in call]

    return await asyncio.wait_for(collect(), BOUND)


async def test_answered_then_the_customer_hangs_up(baresip, tmp_path):
    with far_end(tmp_path, "answer_then_hang_up.xml") as sipp:
        dialer = dialer_from(baresip.url(sipp.uri))
        try:
            call = await dialer.dial(NUMBER)
            events = await follow(call)
        finally:
            await dialer.close()
        assert sipp.wait() == 0
    assert [type(e) for e in events] == [Dialled, Ringing, Answered, Ended]
    assert events[0].target == f"sip:{NUMBER}@127.0.0.1:{sipp.port}"
    end = events[-1]
    assert (end.state, end.cause, end.code, end.by) == ("answered", "Connection reset by peer", None, "far_end")
    assert end.dialled.mono <= end.ringing.mono <= end.answered.mono <= end.at.mono
    assert end.dialled.wall <= end.at.wall
    assert end.talk_seconds >= 0.9  # the scenario talks for one second
    assert 0.25 <= end.ring_seconds < end.talk_seconds  # it rings 300 ms


def test_callers_dial_hangs_up_after_the_answer(baresip, tmp_path):
    """`callers dial --hangup-after` end to end: SIPp exits 0 only once it got our BYE."""
    with far_end(tmp_path, "answer_and_wait.xml") as sipp:
        result = run_cli("dial", NUMBER, "--hangup-after", "0.5", "--format", "json",
                         "--dialer", baresip.url(sipp.uri), home=tmp_path)
        assert sipp.wait() == 0
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["number"] == NUMBER and out["state"] == "answered" and out["code"] is None
    assert out["cause"] == "Connection reset by user"
    assert out["talk_seconds"] >= 0.5 and out["ring_seconds"] >= 0.25
    assert set(out) == {"number", "state", "cause", "code", "ring_seconds", "talk_seconds"}


def test_callers_dial_says_busy_in_one_line(baresip, tmp_path):
    with far_end(tmp_path, "busy.xml") as sipp:
        env = {"CALLERS_DIALER": baresip.url(sipp.uri)}
        result = run_cli("dial", "+1 (212) 555-0284", home=tmp_path, env=env)
        assert sipp.wait() == 0
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == f"dialling {NUMBER}: sip:{NUMBER}@127.0.0.1:{sipp.port} through {baresip.url(sipp.uri)}"
    assert lines[-1].startswith(f"{NUMBER}: busy after ") and lines[-1].endswith(" s (486 Busy Here)")


async def test_busy(baresip, tmp_path):
    with far_end(tmp_path, "busy.xml") as sipp:
        async with dialer_from(baresip.url(sipp.uri)) as dialer:
            end = await asyncio.wait_for((await dialer.dial(NUMBER)).wait(), BOUND)
        assert sipp.wait() == 0
    assert (end.state, end.cause, end.code, end.by) == ("busy", "486 Busy Here", 486, "far_end")
    assert end.ringing is None and end.answered is None and end.talk_seconds is None


async def test_no_answer_after_ringing(baresip, tmp_path):
    with far_end(tmp_path, "no_answer.xml") as sipp:
        async with dialer_from(baresip.url(sipp.uri)) as dialer:
            events = await follow(await dialer.dial(NUMBER))
        assert sipp.wait() == 0
    assert [type(e) for e in events] == [Dialled, Ringing, Ended]
    end = events[-1]
    assert (end.state, end.cause, end.code) == ("no_answer", "480 Temporarily Unavailable", 480)
    assert end.ringing is not None and end.ring_seconds >= 0.45  # 180, then 480 after 500 ms


async def test_unreachable_nobody_listening(baresip):
    port = dial_parts.free_port()
    url = baresip.url(f"sip:{{number}}@127.0.0.1:{port};transport=tcp")
    async with dialer_from(url) as dialer:
        end = await asyncio.wait_for((await dialer.dial(NUMBER)).wait(), BOUND)
    assert (end.state, end.cause, end.code, end.by) == ("failed", "Connection refused", None, "far_end")


async def test_silence_from_the_network_fails_at_the_ring_timeout(baresip):
    """UDP to a port nobody listens on: no reply at all, so the ring timeout
    gives up, and says the network never answered (not "no answer")."""
    port = dial_parts.free_port()
    async with dialer_from(baresip.url(f"sip:{{number}}@127.0.0.1:{port}", ring_timeout=1)) as dialer:
        end = await asyncio.wait_for((await dialer.dial(NUMBER)).wait(), BOUND)
    assert (end.state, end.cause, end.by) == ("failed", "no word from the network in 1 s", "caller")


async def test_ringing_too_long_is_no_answer_and_cancels(baresip, tmp_path):
    with far_end(tmp_path, "ring_forever.xml") as sipp:
        async with dialer_from(baresip.url(sipp.uri, ring_timeout=1)) as dialer:
            end = await asyncio.wait_for((await dialer.dial(NUMBER)).wait(), BOUND)
        assert sipp.wait() == 0  # it got the CANCEL and answered 487
    assert (end.state, end.cause, end.by) == ("no_answer", "no answer in 1 s", "caller")
    assert end.ringing is not None


async def test_hanging_up_while_it_rings_is_cancelled(baresip, tmp_path):
    with far_end(tmp_path, "ring_forever.xml") as sipp:
        async with dialer_from(baresip.url(sipp.uri)) as dialer:
            call = await dialer.dial(NUMBER)
            async for event in call:
                if isinstance(event, Ringing):
                    break
            end = await asyncio.wait_for(call.hangup(), BOUND)
        assert sipp.wait() == 0
    assert (end.state, end.by) == ("cancelled", "caller")


async def test_the_extension_goes_as_dtmf_after_the_answer(baresip, rtp, tmp_path):
    with far_end(tmp_path, "answer_and_wait.xml", rtp.port) as sipp:
        async with dialer_from(baresip.url(sipp.uri, dtmf_pause=0.2)) as dialer:
            call = await dialer.dial(NUMBER, extension="23")
            async for event in call:
                if isinstance(event, Dtmf):
                    assert event.problem is None and event.digits == "23"
                    assert event.at.mono - call.answered.mono >= 0.2
                    break
            await dial_parts.until(lambda: rtp.digits() == "23", 5, "the digits on the wire")
            await call.send_dtmf("#")
            await dial_parts.until(lambda: rtp.digits() == "23#", 5, "the # on the wire")
            end = await asyncio.wait_for(call.hangup(), BOUND)
        assert sipp.wait() == 0
    assert end.state == "answered" and end.by == "caller"
    assert rtp.packets > 10  # audio flowed as well


async def test_a_softphone_that_dies_mid_call_ends_the_call_with_the_reason(baresip, tmp_path):
    with far_end(tmp_path, "answer_and_wait.xml") as sipp:
        async with dialer_from(baresip.url(sipp.uri)) as dialer:
            call = await dialer.dial(NUMBER)
            async for event in call:
                if isinstance(event, Answered):
                    break
            baresip.stop()
            end = await asyncio.wait_for(call.wait(), BOUND)
    assert end.state == "answered"
    assert end.cause == f"lost baresip at 127.0.0.1:{baresip.ctrl_port}: it closed the connection"


async def test_test_checks_the_softphone_without_calling(baresip):
    async with dialer_from(baresip.url("{number}")) as dialer:
        line = await asyncio.wait_for(dialer.test(), BOUND)
    assert re.fullmatch(rf"baresip \d+\.\d+\.\d+ at 127\.0\.0\.1:{baresip.ctrl_port} answers; "
                        r"it calls from sip:caller@127\.0\.0\.1", line), line


def test_callers_dial_test_with_the_softphone_up_and_down(baresip, tmp_path):
    url = baresip.url("{number}")
    result = run_cli("dial", "--test", "--dialer", url, home=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "answers; it calls from sip:caller@127.0.0.1 (dialler from --dialer)" in result.stdout
    baresip.stop()
    result = run_cli("dial", "--test", "--dialer", url, home=tmp_path)
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f"callers: error: baresip at 127.0.0.1:{baresip.ctrl_port} does not answer (Connection refused): "
        f"is baresip running with module ctrl_tcp and ctrl_tcp_listen 127.0.0.1:{baresip.ctrl_port}?"]


async def test_a_dialler_that_is_down_fails_at_once(tmp_path):
    port = dial_parts.free_port()
    dialer = dialer_from(f"baresip://127.0.0.1:{port}")
    with pytest.raises(DialerError, match="does not answer"):
        await asyncio.wait_for(dialer.dial(NUMBER), BOUND)


def run_cli(*args, home, env=None):
    full = {k: v for k, v in os.environ.items() if k != "CALLERS_DIALER"}
    full.update(CALLERS_HOME=str(home / "home"), **(env or {}))
    return subprocess.run([sys.executable, "-m", "callers", *args], capture_output=True, text=True,
                          env=full, timeout=60)
