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
adds.

The desk (the real app through the pilot, SQLite, one due customer per
call): F2 pressed -> INVITE at SIPp, goal p95 <= 100 ms; 200 OK sent -> the
desk's timer started from the answer, goal p95 <= 50 ms.
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
        with dial_parts.Baresip(folder / "baresip-desk") as phone:
            run_desk(bench, folder, phone, calls)
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


DESK_NOW = "2026-11-24T15:30:00+00:00"  # a Tuesday afternoon: London is inside calling hours


async def _desk(url: str, calls: int, db_path: Path) -> tuple[list[float], list[float]]:
    """The desk through the pilot (SQLite, 100x30): per call, when F2 was
    pressed and when the timer started from the network's answer (the
    screen's handler of the answer ran). F9 and 1 end each call."""
    import os
    from datetime import timedelta

    os.environ["CALLERS_NOW"] = DESK_NOW
    from callers import clock, database
    from callers.app import CallersApp, desk_screen
    from callers.dialer import dialer_from
    from screens.widgets.outcome import OutcomePicker
    from tests.support import factories

    database.open(str(db_path))
    now = clock.now()
    for i in range(calls + 1):
        factories.customer(f"Bench {i:03d} Ltd", external_id=f"B{i}", phone=f"+44 20 7946 {i:04d}", country="GB",
                           due=now - timedelta(days=10 + i))
    pressed, timed = [], []
    app = CallersApp(caller="bench", first=lambda who: desk_screen(who, dialer_from(url)))

    async def until(condition, what: str, timeout: float = 10) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                raise RuntimeError(f"gave up waiting for {what}")
            await asyncio.sleep(0.002)

    async with app.run_test(size=(100, 30)) as pilot:
        await until(lambda: getattr(app.screen, "call", None) is not None, "the first customer")
        desk = app.screen
        show = desk._show_progress

        def seen(progress) -> None:
            before = desk.timer.started_at
            show(progress)
            if before is None and desk.timer.started_at is not None:
                timed.append(time.time())

        desk._show_progress = seen
        for _ in range(calls):
            call_id = desk.call.call_id
            pressed.append(time.time())
            await pilot.press("f2")
            await until(lambda: desk.timer.started_at is not None, "the answer on the desk")
            await pilot.press("f9")
            await until(lambda: isinstance(app.screen, OutcomePicker), "the outcome picker")
            await pilot.press("1")
            await until(lambda: desk.call is not None and desk.call.call_id != call_id, "the next customer")
    return pressed, timed


def run_desk(bench: Bench, folder: Path, phone, calls: int) -> None:
    with dial_parts.Sipp(folder / "sipp-desk", "answer_and_wait.xml", calls=calls) as far:
        pressed, timed = asyncio.run(_desk(phone.url(far.uri), calls, folder / "desk.db"))
        status = far.wait(30)
        invites, answers = far.logged("INVITE"), far.logged("ANSWER")
    if status != 0 or len(invites) != calls or len(timed) != calls:
        bench.note(f"desk not measured: SIPp exited {status} with {len(invites)} INVITEs, "
                   f"{len(timed)} timers started for {calls} calls")
        return
    value = ms(p95([invite - at for at, invite in zip(pressed, invites)]))
    bench.figure(f"desk: F2 to INVITE at the far end p95 ({calls} calls)", value, "ms", "<= 100 ms",
                 baseline="dial() to INVITE above", ok=value <= 100)
    value = ms(p95([at - answer for answer, at in zip(answers, timed)]))
    bench.figure(f"desk: 200 OK sent to the timer started p95 ({calls} calls)", value, "ms", "<= 50 ms",
                 baseline="200 OK to Answered above", ok=value <= 50)
