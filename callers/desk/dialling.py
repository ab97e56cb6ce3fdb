"""The desk's dialler: F2 places the call, the network's answer starts the
talk time, its end suggests the outcome, F9 hangs up.

The session owns one `Dialling` (`DeskSession.dialling`). It places calls
through a `callers.dialer.Dialer` (manual, tel, baresip, ami), follows each
one with a `callers.dialer.progress.DeskDial`, keeps what the network said on
the call row (`callers.network.record`, on the session's database thread)
and hands every `Progress` to the session's listener as `CallProgress`.

A dialler that is down, refuses, or has no number to dial gives one line
(`Progress` in state DOWN) and the caller dials by hand: nothing here ever
blocks the desk.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

# What placing a call needs (callers.network, the dialler's progress and the
# desk's CallProgress event) is imported when a call is placed: a desk that
# dials by hand, and every desk until its first F2, starts without it.

if TYPE_CHECKING:
    from callers.desk.session import DeskSession
    from callers.dialer import Dialer
    from callers.dialer.progress import DeskDial, Progress


class Dialling:
    def __init__(self, session: DeskSession, dialer: Dialer | None = None) -> None:
        self.session = session
        self.dialer = dialer
        self.current: DeskDial | None = None
        self._call_id: int | None = None

    @property
    def places_calls(self) -> bool:
        """A dialler that places calls is set up (not `manual`)."""
        return self.dialer is not None and self.dialer.places_calls

    @property
    def reports_progress(self) -> bool:
        """It says ringing / answered / ended (not `tel`, which hands over)."""
        return self.places_calls and self.dialer.reports_progress

    @property
    def live(self) -> bool:
        return self.current is not None and self.current.live

    @property
    def progress(self) -> Progress | None:
        return self.current.progress if self.current is not None else None

    def _emit(self, progress: Progress) -> None:
        from callers.desk.events import CallProgress

        self.session._emit(CallProgress(self._call_id, progress))

    async def dial(self) -> Progress:
        """Place the open call's number (F2). The first progress: DIALLING,
        HANDED_OVER (tel) or DOWN (one line why; dial by hand)."""
        from callers import network
        from callers.dialer.progress import TALKING, DeskDial

        state = self.session.call
        contact = state.profile.customer.contact if state is not None else None
        if self.live:
            return self.current.progress
        self._call_id = state.call_id if state is not None else None
        if not self.places_calls:
            return self._down("no dialler is set up")
        if state is None or contact is None or not contact.phone:
            return self._down("no number to dial")
        call_id = state.call_id

        def seen(progress: Progress) -> None:
            if progress.state == TALKING and progress.answered_at is not None:
                call = self.session.call
                if call is not None and call.call_id == call_id and call.started_at is None:
                    call.started_at = progress.answered_at  # talk time counts from the answer
            if self._call_id == call_id:
                self._emit(progress)

        async def keep(**facts) -> None:
            await self.session.run(lambda: network.record(call_id, **facts))

        self.current = DeskDial(self.dialer, seen, keep)
        return await self.current.dial(contact.phone, contact.extension)

    def _down(self, text: str) -> Progress:
        from callers.dialer.progress import DOWN, Progress

        progress = Progress(DOWN, text)
        self._emit(progress)
        return progress

    async def hangup(self) -> Progress | None:
        """Hang up the placed call (F9); the final progress, or None when no
        call was placed."""
        if self.current is None:
            return None
        return await self.current.hangup()

    def forget(self) -> None:
        """The call on the desk changed: its dialled call (ended) is history."""
        if self.current is not None and not self.current.live:
            self.current = None
            self._call_id = None

    async def close(self) -> None:
        if self.current is not None:
            await self.current.hangup()
        if self.dialer is not None:
            await self.dialer.close()
