"""What a call says while it happens: small frozen dataclasses, in order.

A call that a dialler places yields

    Dialled -> [Ringing] -> [Answered -> [Dtmf]] -> Ended

and a `tel` call, which the desktop's handler takes over, yields only
`HandedOver`. Every event carries a `Stamp`: the monotonic clock (for
durations, immune to clock changes) and the wall clock (`callers.clock.now()`,
for what is shown and stored).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime

from callers import clock

ANSWERED = "answered"
BUSY = "busy"
NO_ANSWER = "no_answer"
FAILED = "failed"
CANCELLED = "cancelled"
STATES = (ANSWERED, BUSY, NO_ANSWER, FAILED, CANCELLED)

CALLER = "caller"  # this side ended the call: hangup(), or the ring timeout
FAR_END = "far_end"  # the customer, the network or the PBX ended it


@dataclass(frozen=True)
class Stamp:
    mono: float  # time.monotonic()
    wall: datetime  # aware UTC


def stamp() -> Stamp:
    return Stamp(time.monotonic(), clock.now())


@dataclass(frozen=True)
class Dialled:
    """The dialler took the call (`at` is when `dial()` was called)."""

    number: str  # E.164
    target: str  # what was dialled: a SIP URI, or the PBX channel and extension
    at: Stamp


@dataclass(frozen=True)
class HandedOver:
    """`tel`: the desktop's handler has the URI; nothing more will be known."""

    uri: str
    handler: str
    at: Stamp


@dataclass(frozen=True)
class Ringing:
    at: Stamp


@dataclass(frozen=True)
class Answered:
    at: Stamp


@dataclass(frozen=True)
class Dtmf:
    """Digits sent into the answered call (an extension). `problem` says why
    they could not be sent, else None."""

    digits: str
    at: Stamp
    problem: str | None = None


@dataclass(frozen=True)
class Ended:
    """The last event of a placed call.

    `state` is one of STATES; `cause` is the network's own words ("486 Busy
    Here", "Normal Clearing"), or callers' when the network gave none or the
    ring timeout ended the call; `code` is the SIP status or Q.850 cause, None
    when there was none; `by` is CALLER or FAR_END.
    """

    state: str
    cause: str | None
    code: int | None
    by: str
    dialled: Stamp
    ringing: Stamp | None
    answered: Stamp | None
    at: Stamp

    @property
    def ring_seconds(self) -> float:
        """From dialling to the answer, or to the end when nobody answered."""
        return round((self.answered or self.at).mono - self.dialled.mono, 3)

    @property
    def talk_seconds(self) -> float | None:
        """From the answer to the end; None when nobody answered."""
        return None if self.answered is None else round(self.at.mono - self.answered.mono, 3)


CallEvent = Dialled | HandedOver | Ringing | Answered | Dtmf | Ended
