"""A call placed from the desk, as the desk needs to know it: one line for
the header, the moment talk time starts, and the outcome the network
suggests. No Textual and no database: the desk's session owns one
`DeskDial`, hands it the dialler, a `record` callable (what the network
said, for `callers.network.record`, run on the session's database thread)
and a listener, and renders the `Progress` it is given.

    desk_dial = DeskDial(dialer, on_progress=show, record=keep)
    await desk_dial.dial("+12125550284", extension="23")   # F2
    ...                                                       # events arrive
    await desk_dial.hangup()                                  # F9

A dialler that is down never blocks the desk: `dial()` reports
`Progress("down", ...)` with one line (what is wrong) and returns; the desk
says "dial by hand".
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from callers.dialer.base import Call, Dialer
    from callers.dialer.events import Ended

# The dialler's events, states and errors (callers.dialer.events, .url) are
# imported where a call is placed or ends: a desk that dials by hand starts
# without them.

DIALLING, RINGING, TALKING, ENDED, HANDED_OVER, DOWN = (
    "dialling", "ringing", "answered", "ended", "handed_over", "down")

# SIP answers that say the number itself is wrong (not found, incomplete,
# gone, does not exist anywhere): the outcome to suggest is "wrong number".
WRONG_NUMBER_CODES = frozenset({404, 410, 484, 604})


@dataclass(frozen=True)
class Progress:
    """What the header shows about the call now."""

    state: str  # one of DIALLING, RINGING, TALKING, ENDED, HANDED_OVER, DOWN
    text: str  # one line: "ringing…", "answered", "busy: 486 Busy Here", ...
    answered_at: datetime | None = None  # talk time counts from here
    outcome: str | None = None  # ENDED unanswered: the outcome the network suggests
    ended: Ended | None = None
    by_customer: bool = False  # ENDED: the customer (or their network) hung up


def suggested_outcome(ended: Ended) -> str | None:
    """The outcome to highlight when a call ends unanswered: busy, no answer,
    wrong number (the network says the number does not exist) or no answer
    (unreachable for any other reason). None once someone answered: what the
    call found is the caller's to say."""
    from callers.dialer.events import ANSWERED, BUSY

    if ended.answered is not None or ended.state == ANSWERED:
        return None
    if ended.state == BUSY:
        return "busy"
    if ended.code in WRONG_NUMBER_CODES:
        return "wrong_number"
    return "no_answer"


def ended_text(ended: Ended) -> str:
    from callers.dialer.events import BUSY, CANCELLED, FAR_END, NO_ANSWER

    cause = f": {ended.cause}" if ended.cause else ""
    if ended.answered is not None:
        who = "customer hung up" if ended.by == FAR_END else "hung up"
        return f"{who}{cause}"
    label = {BUSY: "busy", NO_ANSWER: "no answer", CANCELLED: "cancelled"}.get(ended.state, "unreachable")
    return f"{label}{cause}"


Record = Callable[..., object]


class DeskDial:
    """One call at a time, placed through `dialer`."""

    def __init__(self, dialer: Dialer, on_progress: Callable[[Progress], None], record: Record | None = None):
        self.dialer = dialer
        self.on_progress = on_progress
        self.record = record
        self.call: Call | None = None
        self.progress: Progress | None = None
        self._follow: asyncio.Task | None = None

    @property
    def live(self) -> bool:
        """A placed call that has not ended."""
        return self.call is not None and self.call.result is None and self.progress is not None \
            and self.progress.state in (DIALLING, RINGING, TALKING)

    def _show(self, progress: Progress) -> None:
        self.progress = progress
        self.on_progress(progress)

    async def _keep(self, **facts) -> None:
        if self.record is None:
            return
        try:
            result = self.record(**facts)
            if inspect.isawaitable(result):
                await result
        except Exception:  # noqa: BLE001 - the desk's journal keeps answers; a lost network fact never stops a call
            pass

    async def dial(self, number: str, extension: str | None = None) -> Progress:
        """Place the call. Returns the first progress (DIALLING, HANDED_OVER
        or DOWN); later progress goes to the listener as it happens."""
        from callers.dialer.url import DialerError

        if self.live:
            return self.progress  # one line at a time: F2 again does nothing
        self._show(Progress(DIALLING, "dialling…"))
        try:
            self.call = await self.dialer.dial(number, extension=extension)
        except DialerError as exc:
            self.call = None
            self._show(Progress(DOWN, f"dialler: {exc}"))
            return self.progress
        except OSError as exc:
            self.call = None
            self._show(Progress(DOWN, f"dialler unreachable ({exc.strerror or exc})"))
            return self.progress
        first = self.progress
        self._follow = asyncio.ensure_future(self._events(self.call))
        return first

    async def _events(self, call: Call) -> None:
        from callers.dialer.events import FAR_END, Answered, Dialled, Dtmf, Ended, HandedOver, Ringing

        answered_at = None
        async for event in call:
            if isinstance(event, Dialled):
                await self._keep(dialled_at=event.at.wall)
            elif isinstance(event, HandedOver):
                self._show(Progress(HANDED_OVER, f"handed to {event.handler}: {event.uri}"))
            elif isinstance(event, Ringing):
                self._show(Progress(RINGING, "ringing…"))
            elif isinstance(event, Answered):
                answered_at = event.at.wall
                self._show(Progress(TALKING, "answered", answered_at=answered_at))
                await self._keep(answered_at=answered_at)
            elif isinstance(event, Dtmf):
                text = f"answered; extension {event.digits} sent" if event.problem is None else \
                    f"answered; extension {event.digits} not sent: {event.problem}"
                self._show(Progress(TALKING, text, answered_at=answered_at))
            elif isinstance(event, Ended):
                self._show(Progress(ENDED, ended_text(event), answered_at=answered_at,
                                    outcome=suggested_outcome(event), ended=event,
                                    by_customer=event.by == FAR_END and event.answered is not None))
                await self._keep(hangup_cause=event.cause or event.state)

    async def hangup(self) -> Progress | None:
        """Hang up the live call (F9); returns the final progress once the
        dialler has confirmed (or given up waiting)."""
        if self.call is None:
            return self.progress
        if self.live:
            await self.call.hangup()
        if self._follow is not None:
            try:
                await asyncio.wait_for(asyncio.shield(self._follow), 5)
            except asyncio.TimeoutError:
                pass
        return self.progress

    async def close(self) -> None:
        await self.hangup()
        if self._follow is not None and not self._follow.done():
            self._follow.cancel()
        await self.dialer.close()
