"""The common part of every dialler: the `Dialer` interface and the `Call`
handle it returns, with the rules that do not depend on the protocol (the
final state, the ring timeout, the extension sent as DTMF after the answer).

A protocol module subclasses `Dialer` and implements `_place`, `_hangup`,
`_send_dtmf`, `test` and `close`; it reports what the network says through
`Call._ringing()`, `Call._answered()` and `Call._ended(state, cause, code)`.
"""

from __future__ import annotations

import asyncio
import os
import re
from typing import AsyncIterator, Callable, ClassVar

from callers.dialer.events import (
    ANSWERED,
    CALLER,
    CANCELLED,
    FAILED,
    FAR_END,
    NO_ANSWER,
    Answered,
    CallEvent,
    Dialled,
    Dtmf,
    Ended,
    HandedOver,
    Ringing,
    Stamp,
    stamp,
)
from callers.dialer.url import DialerError, Spec

E164 = re.compile(r"^\+[1-9]\d{6,14}$")
DTMF_DIGITS = re.compile(r"^[0-9*#A-D]{1,32}$")
HANGUP_GRACE = 3.0  # seconds to wait for the dialler to confirm a hang-up
COMMAND_TIMEOUT = 3.0  # seconds to wait for the dialler to answer a command

Clock = Callable[[], Stamp]


def reason(exc: OSError) -> str:
    """'Connection refused', not "[Errno 111] Connect call failed ('127.0.0.1', 1)"."""
    return os.strerror(exc.errno) if exc.errno else str(exc)


class Call:
    """One call. Read it with `async for event in call` (any number of
    readers, each sees every event from the first); act on it with
    `hangup()` and `send_dtmf(digits)`. `result` is the `Ended` event once
    the call is over (None before, and for a `tel` call)."""

    def __init__(self, dialer: Dialer, number: str, extension: str | None, target: str, dialled: Stamp,
                 *, announce: bool = True):
        self.number = number
        self.extension = extension
        self.target = target
        self.dialled = dialled
        self.ringing: Stamp | None = None
        self.answered: Stamp | None = None
        self.result: Ended | None = None
        self.done = False
        self.ref: str | None = None  # the dialler's own id for it (SIP Call-ID, Asterisk Uniqueid)
        self._dialer = dialer
        self._history: list[CallEvent] = []
        self._changed = asyncio.Event()
        self._intent: str | None = None  # "cancel", "hangup" or "timeout" once this side acts
        self._tasks: set[asyncio.Task] = set()
        if announce:  # every call but a handed-over one starts with Dialled
            self._push(Dialled(number, target, dialled))

    # -- reading ---------------------------------------------------------

    def __aiter__(self) -> AsyncIterator[CallEvent]:
        return self.events()

    async def events(self) -> AsyncIterator[CallEvent]:
        seen = 0
        while True:
            while seen < len(self._history):
                seen += 1
                yield self._history[seen - 1]
            if self.done:
                return
            await self._changed.wait()

    async def wait(self) -> Ended | None:
        """Until the call is over: its `Ended` (None for `tel`)."""
        while not self.done:
            await self._changed.wait()
        return self.result

    # -- acting ----------------------------------------------------------

    async def hangup(self) -> Ended | None:
        """Hang up (before the answer: cancel). Returns once the dialler
        confirms, or after HANGUP_GRACE seconds without word from it."""
        if not self.done:
            await self._finish("hangup" if self.answered else "cancel")
        return self.result

    async def send_dtmf(self, digits: str) -> None:
        """Send digits (0-9, *, #, A-D) into the answered call."""
        digits = digits.strip().upper()
        if not DTMF_DIGITS.match(digits):
            raise DialerError(f"{digits!r} cannot be sent as DTMF: use 0-9, *, # and A-D")
        if self.done or self.answered is None:
            raise DialerError("DTMF needs an answered call")
        await self._dialer._send_dtmf(self, digits)
        self._push(Dtmf(digits, self._dialer.clock()))

    # -- what the dialler reports ------------------------------------------

    def _ringing(self) -> None:
        if self.done or self.ringing or self.answered:
            return
        self.ringing = self._dialer.clock()
        self._push(Ringing(self.ringing))

    def _answered(self) -> None:
        if self.done or self.answered:
            return
        self.answered = self._dialer.clock()
        self._push(Answered(self.answered))
        if self.extension and self._dialer.dtmf_pause is not None:
            self._spawn(self._dial_extension())

    def _ended(self, state: str, cause: str | None, code: int | None) -> None:
        """The network ended the call; `state` is the protocol's reading of
        it, which an answer, the ring timeout or this side's hang-up overrule."""
        if self.done:
            return
        if self.answered:
            state = ANSWERED
        elif self._intent == "timeout":
            waited = f"{self._dialer.ring_timeout:g} s"
            state, code = (NO_ANSWER, None) if self.ringing else (FAILED, None)
            cause = f"no answer in {waited}" if self.ringing else f"no word from the network in {waited}"
        elif self._intent == "cancel":
            state = CANCELLED
        by = CALLER if self._intent else FAR_END
        self.result = Ended(state, cause or None, code, by, self.dialled, self.ringing, self.answered,
                            self._dialer.clock())
        self.done = True
        self._push(self.result)
        for task in list(self._tasks):
            if task is not asyncio.current_task():
                task.cancel()

    def _handed_over(self, uri: str, handler: str) -> None:
        self.done = True
        self._push(HandedOver(uri, handler, self._dialer.clock()))

    # -- inside --------------------------------------------------------------

    def _push(self, event: CallEvent) -> None:
        self._history.append(event)
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()

    def _spawn(self, coro) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _finish(self, intent: str) -> None:
        self._intent = self._intent or intent
        try:
            await self._dialer._hangup(self)
        except DialerError as exc:
            self._ended(FAILED, str(exc), None)
            return
        try:
            await asyncio.wait_for(self.wait(), HANGUP_GRACE)
        except TimeoutError:
            self._ended(FAILED, f"hung up, but the dialler did not confirm it in {HANGUP_GRACE:g} s", None)

    def _arm_ring_timeout(self) -> None:
        async def expire():
            await asyncio.sleep(self._dialer.ring_timeout)
            if not self.done and not self.answered:
                await self._finish("timeout")

        self._spawn(expire())

    async def _dial_extension(self) -> None:
        await asyncio.sleep(self._dialer.dtmf_pause)
        if self.done:
            return
        try:
            await self.send_dtmf(self.extension)
        except DialerError as exc:
            if not self.done:
                self._push(Dtmf(self.extension, self._dialer.clock(), str(exc)))


class Dialer:
    """What the desk and `callers dial` use. `places_calls` is False for
    `manual`; `reports_progress` is False for `tel` (its calls yield only
    `HandedOver`)."""

    kind: ClassVar[str]
    places_calls: ClassVar[bool] = True
    reports_progress: ClassVar[bool] = True

    def __init__(self, spec: Spec, clock: Clock | None = None):
        self.url = spec.shown
        self.clock: Clock = clock or stamp
        self.ring_timeout = 60.0
        self.dtmf_pause: float | None = None

    def _common_options(self, spec: Spec) -> None:
        """connect_timeout, ring_timeout and dtmf_pause, for diallers that talk to a server."""
        self.connect_timeout = spec.seconds("connect_timeout", 2.0, low=0.1, high=30)
        self.ring_timeout = spec.seconds("ring_timeout", 60.0, low=0.5, high=600)
        self.dtmf_pause = spec.seconds("dtmf_pause", 2.0, low=0, high=30)

    async def dial(self, number: str, extension: str | None = None) -> Call:
        """Place a call to `number` (E.164); once answered, `extension` is
        sent as DTMF after `dtmf_pause` seconds. Raises DialerError (one line)
        when the dialler is down or refuses; it never waits longer than the
        connect timeout for a dialler that does not answer."""
        if not E164.match(number or ""):
            raise DialerError(f"{number!r} is not an E.164 number (like +12125550284)")
        if extension is not None and not DTMF_DIGITS.match(extension):
            raise DialerError(f"the extension {extension!r} cannot be dialled: use digits, * and #")
        at = self.clock()
        call = await self._place(number, extension or None, at)
        if self.reports_progress and not call.done:
            call._arm_ring_timeout()
        return call

    async def test(self) -> str:
        """Check the connection without calling anyone: one line saying what answered."""
        raise NotImplementedError

    async def close(self) -> None:
        """Let go of the connection (a call in progress goes on in the phone)."""

    async def __aenter__(self) -> Dialer:
        return self

    async def __aexit__(self, *exc) -> None:
        await self.close()

    async def _place(self, number: str, extension: str | None, at: Stamp) -> Call:
        raise NotImplementedError

    async def _hangup(self, call: Call) -> None:
        raise NotImplementedError

    async def _send_dtmf(self, call: Call, digits: str) -> None:
        raise NotImplementedError


class ManualDialer(Dialer):
    """Nothing dials: the caller dials by hand (the default)."""

    kind = "manual"
    places_calls = False
    reports_progress = False

    def __init__(self, spec: Spec, clock: Clock | None = None):
        super().__init__(spec, clock)
        spec.finish()

    async def _place(self, number: str, extension: str | None, at: Stamp) -> Call:
        raise DialerError(f"no dialler is set up (manual): dial {number} by hand, or set one with "
                          "--dialer URL, CALLERS_DIALER or `callers dialer set URL`")

    async def test(self) -> str:
        return "manual: nothing dials, the caller dials by hand"
