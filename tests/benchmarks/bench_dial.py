"""`python -m tests.benchmarks dial`: the dialler's own latency, with real parts.

baresip (the caller's softphone, ctrl_tcp on 127.0.0.1) calls SIPp (the
customer, scenario answer_and_wait.xml: rings 300 ms, answers, waits for our
BYE), `bench.n(30)` calls per phase:

- `dial()` called -> SIPp receives the INVITE (SIPp logs its wall clock on
  receipt). Goal p95 <= 100 ms.
- SIPp sends the 200 OK (logged just before) -> the `Answered` event reaches a
  consumer reading the call's events. Goal p95 <= 50 ms.

Baseline, same run, same baresip and SIPp: a bare blocking socket speaking
ctrl_tcp (netstring JSON) itself: the dial command sent -> INVITE, and 200 OK
-> the CALL_ESTABLISHED event read. The difference is what callers' dialler
adds. The desk's F2 -> INVITE figure will be measured on top of this once the
desk dials.
"""

from __future__ import annotations

import asyncio
import json
import socket
import tempfile
import time
from pathlib import Path

from tests.support import dial_parts
from tests.benchmarks.harness import Bench, ms, p95

NUMBER = "+12125550284"


def _raw(port: int, to: str, calls: int) -> list[tuple[float, float]]:
    """Per call: when the dial command was sent and when CALL_ESTABLISHED was
    read (time.time()), by a bare socket."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    buffer = b""

    def send(command: str, params: str | None = None) -> None:
        body = json.dumps({"command": command, **({"params": params} if params else {})}).encode()
        sock.sendall(b"%d:%s," % (len(body), body))

    def until(kind: str) -> float:
        nonlocal buffer
        while True:
            while b":" in buffer:
                size, _, rest = buffer.partition(b":")
                if len(rest) < int(size) + 1:
                    break
                message, buffer = json.loads(rest[:int(size)]), rest[int(size) + 1:]
                if message.get("type") == kind:
                    return time.time()
            buffer += sock.recv(65536)

    stamps = []
    try:
        for _ in range(calls):
            sent = time.time()
            send("dial", to.replace("{number}", NUMBER))
            answered = until("CALL_ESTABLISHED")
            send("hangup")
            until("CALL_CLOSED")
            stamps.append((sent, answered))
    finally:
        sock.close()
    return stamps


async def _dialler(url: str, calls: int) -> list[tuple[float, float]]:
    """Per call: when dial() was called and when Answered reached the reader."""
    from callers.dialer import Answered, dialer_from

    stamps = []
    async with dialer_from(url) as dialer:
        for _ in range(calls):
            called = time.time()
            call = await dialer.dial(NUMBER)
            async for event in call:
                if isinstance(event, Answered):
                    stamps.append((called, time.time()))
                    break
            await call.hangup()
    return stamps


def run(bench: Bench) -> None:
    missing = dial_parts.missing()
    if missing:
        bench.note(f"not measured: {missing}")
        return
    calls = bench.n(30, minimum=10)
    with tempfile.TemporaryDirectory(prefix="callers-bench-dial-") as folder:
        folder = Path(folder)
        with dial_parts.Baresip(folder / "baresip") as phone, \
                dial_parts.Sipp(folder / "sipp", "answer_and_wait.xml", calls=2 * calls) as far:
            raw = _raw(phone.ctrl_port, far.uri, calls)
            ours = asyncio.run(_dialler(phone.url(far.uri), calls))
            status = far.wait(30)
            invites, answers = far.logged("INVITE"), far.logged("ANSWER")
    if status != 0 or len(invites) != 2 * calls or len(answers) != 2 * calls:
        bench.note(f"not measured: SIPp exited {status} with {len(invites)} INVITEs and {len(answers)} answers "
                   f"for {2 * calls} calls")
        return
    raw_invite = [invite - sent for (sent, _), invite in zip(raw, invites[:calls])]
    raw_answer = [read - answer for (_, read), answer in zip(raw, answers[:calls])]
    our_invite = [invite - called for (called, _), invite in zip(ours, invites[calls:])]
    our_answer = [read - answer for (_, read), answer in zip(ours, answers[calls:])]
    value = ms(p95(our_invite))
    bench.figure(f"dial() to INVITE at the far end p95 ({calls} calls)", value, "ms", "<= 100 ms",
                 baseline=f"bare ctrl_tcp dial to INVITE p95 {ms(p95(raw_invite))} ms", ok=value <= 100)
    value = ms(p95(our_answer))
    bench.figure(f"200 OK sent to Answered read p95 ({calls} calls)", value, "ms", "<= 50 ms",
                 baseline=f"bare ctrl_tcp 200 OK to CALL_ESTABLISHED p95 {ms(p95(raw_answer))} ms", ok=value <= 50)
