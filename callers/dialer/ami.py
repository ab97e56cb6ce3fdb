"""`ami://USER:SECRET@HOST:5038?channel=PJSIP/201&context=from-internal`: the
company's Asterisk, through its Manager interface (AMI).

A small asyncio client of the Manager protocol: after the banner
(`Asterisk Call Manager/5.0.x`) every message is `Key: Value` lines ended by
an empty line; actions carry an `ActionID` that their `Response` repeats.
`Login` (with `Events: call`, so only call events come), then per call an
`Originate` with `Async: true`: Asterisk rings the caller's own phone
(`channel=`), and once it is picked up runs the dialplan at `context=`,
`exten=` (default `{number}`), `priority=` (default 1), which dials the
customer. The call's first leg gets the `ChannelId` callers chooses, and
every channel Asterisk makes for it carries that id as its `Linkedid`, which is
how events are told apart from other calls.

Events used:

- `OriginateResponse` `Response: Failure`: the caller's phone did not take
  the call (`Reason` 0 unreachable, 1 hung up, 3 not answered, 5 busy,
  8 congested): the call ends `failed`, the customer was never dialled.
- `Hangup` of the first leg before any `DialBegin`: the caller's phone did
  not take the call either: `failed`.
- `DialBegin` from the first leg: the customer's channel (`DestUniqueid`).
- `Newstate` `ChannelState: 5` (Ringing) on a linked channel: ringing;
  `DialEnd` `DialStatus: ANSWER` (or `Newstate` Up on the customer's
  channel): answered.
- `Hangup` of the customer's channel (or of the first leg, whichever comes
  first): ended, with `Cause` (Q.850) and `Cause-txt` as code and cause.

How an unanswered call reads (`ami_state`), `DialStatus` first:

    BUSY; cause 17 User busy, 21 Call rejected             busy
    NOANSWER; cause 18, 19 No answer, 20 Subscriber absent  no_answer
    CANCEL; cause 16 Normal Clearing before any answer     cancelled
    CONGESTION, CHANUNAVAIL; any other cause                failed

Hang-up is the `Hangup` action on the first leg (the bridge then ends the
customer's leg); DTMF is `PlayDTMF` on the customer's channel, one digit per
action.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass

from callers.dialer.base import Call, Clock
from callers.dialer.events import BUSY, CANCELLED, FAILED, NO_ANSWER, Stamp
from callers.dialer.link import Linked
from callers.dialer.url import DialerError, Spec, fill

BANNER = "Asterisk Call Manager/"
DIAL_STATUS = {"BUSY": BUSY, "NOANSWER": NO_ANSWER, "CANCEL": CANCELLED}
BUSY_CAUSES = {17, 21}
NO_ANSWER_CAUSES = {18, 19, 20}
NORMAL_CAUSES = {16, 31}
ORIGINATE_REASONS = {
    "0": "could not be reached",
    "1": "hung up",
    "3": "rang but was not picked up",
    "5": "is busy",
    "8": "is congested",
}


def ami_state(dial_status: str | None, cause: int | None) -> str:
    """The state of an unanswered call from Dial's status and the Q.850 cause."""
    if dial_status in DIAL_STATUS:
        return DIAL_STATUS[dial_status]
    if dial_status:
        return FAILED
    if cause in BUSY_CAUSES:
        return BUSY
    if cause in NO_ANSWER_CAUSES:
        return NO_ANSWER
    if cause in NORMAL_CAUSES:
        return CANCELLED
    return FAILED


def encode(fields: dict[str, str]) -> bytes:
    lines = []
    for key, value in fields.items():
        value = str(value)
        if "\r" in value or "\n" in value:
            raise DialerError(f"the AMI field {key} holds a line break")
        lines.append(f"{key}: {value}\r\n")
    return ("".join(lines) + "\r\n").encode()


def decode(block: bytes) -> dict[str, str]:
    """A Manager message as a dict with lower-case keys."""
    message: dict[str, str] = {}
    for line in block.decode("utf-8", errors="replace").split("\r\n"):
        key, colon, value = line.partition(":")
        if colon and key.strip():
            message.setdefault(key.strip().lower(), value.strip())
    return message


@dataclass
class _Legs:
    """What is known of one call's channels."""

    call: Call
    first_channel: str | None = None  # the caller's phone
    customer_id: str | None = None  # the customer's channel (DestUniqueid)
    customer_channel: str | None = None
    dial_status: str | None = None


class AmiDialer(Linked):
    kind = "ami"
    server = "Asterisk"
    hint = "is the Manager interface enabled (manager.conf) on that port?"

    def __init__(self, spec: Spec, clock: Clock | None = None):
        super().__init__(spec, clock)
        if not spec.user or spec.secret is None:
            raise spec.fail("needs the manager user and secret: ami://USER:SECRET@HOST:5038?…")
        self.user, self.secret = spec.user, spec.secret
        self.channel = spec.text("channel", required=True, example="PJSIP/201")
        if "{" in self.channel or "/" not in self.channel:
            raise spec.fail(f"channel={self.channel} must name the caller's own phone, e.g. channel=PJSIP/201")
        self.context = spec.text("context", required=True, example="from-internal")
        self.exten = spec.template("exten", "{number}")
        self.priority = spec.integer("priority", 1, low=1, high=99999)
        self.callerid = spec.text("callerid")
        self._common_options(spec)
        spec.finish()
        self.version: str | None = None
        self._legs: dict[str, _Legs] = {}  # our ChannelId -> the call's channels
        self._originates: dict[str, str] = {}  # Originate's ActionID -> our ChannelId

    # -- the connection ------------------------------------------------------

    async def _greet(self, reader: asyncio.StreamReader) -> None:
        said = (await reader.readline()).decode("utf-8", errors="replace").strip()
        if not said.startswith(BANNER):
            raise DialerError(f"{self.host}:{self.port} is not an Asterisk Manager interface (it said {said[:60]!r})")
        self.version = said[len(BANNER):]

    async def _login(self) -> None:
        try:
            await self._action("Login", {"Username": self.user, "Secret": self.secret, "Events": "call"})
        except DialerError as exc:
            if not hasattr(exc, "said"):  # no answer, or the connection went
                raise
            raise DialerError(f"{self.where} refused the login of {self.user}: {exc.said}") from None

    async def _goodbye(self) -> None:
        try:
            await self._action("Logoff")
        except DialerError:
            pass

    async def _action(self, action: str, fields: dict[str, str] | None = None,
                      action_id: str | None = None) -> dict[str, str]:
        """Send an action, return its response; `action_id` when chosen
        beforehand (Originate: its OriginateResponse carries the same id)."""
        action_id = action_id or self._next_id()
        payload = encode({"Action": action, "ActionID": action_id, **(fields or {})})
        answer = await self._request(action_id, payload, action)
        if answer.get("response", "").lower() not in ("success", "goodbye"):
            said = answer.get("message") or "no reason given"
            error = DialerError(f"{self.where} refused {action}: {said}")
            error.said = said
            raise error
        return answer

    async def _read(self, reader: asyncio.StreamReader) -> dict | None:
        try:
            return decode(await reader.readuntil(b"\r\n\r\n"))
        except asyncio.LimitOverrunError:
            raise ValueError("a message too long to be AMI") from None

    def _receive(self, message: dict) -> None:
        if "event" in message:
            self._event(message)
        elif "response" in message:
            self._answer(message.get("actionid", ""), message)

    def _end_calls(self, why: str) -> None:
        legs = list(self._legs.values())
        self._legs.clear()
        self._originates.clear()
        for leg in legs:
            leg.call._ended(FAILED, why, None)

    # -- events ----------------------------------------------------------------

    def _find(self, event: dict[str, str]) -> _Legs | None:
        for key in (event.get("uniqueid"), event.get("linkedid"),
                    self._originates.get(event.get("actionid", ""))):
            if key and key in self._legs:
                return self._legs[key]
        return None

    def _event(self, event: dict[str, str]) -> None:
        legs = self._find(event)
        if legs is None:
            return
        call, name = legs.call, event["event"].lower()
        first = event.get("uniqueid") == call.ref
        if first and event.get("channel"):
            legs.first_channel = event["channel"]
        if name == "originateresponse":
            if event.get("response", "").lower() == "failure":
                what = ORIGINATE_REASONS.get(event.get("reason", ""), "did not take the call")
                self._end(legs, FAILED, f"the caller's phone {self.channel} {what} "
                          f"(Originate reason {event.get('reason', '?')})", None)
        elif name == "dialbegin" and first and legs.customer_id is None:
            legs.customer_id = event.get("destuniqueid")
            legs.customer_channel = event.get("destchannel")
        elif name == "newstate" and not first:
            if event.get("channelstate") == "5":
                call._ringing()
            elif event.get("channelstate") == "6" and event.get("uniqueid") == legs.customer_id:
                call._answered()
        elif name == "dialend" and first:
            legs.dial_status = event.get("dialstatus", "").upper() or None
            if legs.dial_status == "ANSWER":
                call._answered()
        elif name == "hangup" and (first or event.get("uniqueid") == legs.customer_id):
            code = event.get("cause", "")
            cause = int(code) if code.isdigit() else None
            words = event.get("cause-txt") or None
            if first and legs.customer_id is None and not call.answered:
                self._end(legs, FAILED, f"the caller's phone {self.channel} did not take the call"
                          + (f" ({words})" if words else ""), cause)
            else:
                self._end(legs, ami_state(legs.dial_status, cause), words, cause)

    def _end(self, legs: _Legs, state: str, cause: str | None, code: int | None) -> None:
        self._legs.pop(legs.call.ref, None)
        self._originates = {k: v for k, v in self._originates.items() if v != legs.call.ref}
        legs.call._ended(state, cause, code)

    # -- the interface -------------------------------------------------------

    async def _place(self, number: str, extension: str | None, at: Stamp) -> Call:
        exten = fill(self.exten, number)
        await self._connect()
        call = Call(self, number, extension, f"{self.channel} -> {exten}@{self.context}", at)
        call.ref = f"callers-{uuid.uuid4().hex[:20]}"
        self._legs[call.ref] = _Legs(call)
        fields = {
            "Channel": self.channel, "Context": self.context, "Exten": exten, "Priority": str(self.priority),
            "Async": "true", "Timeout": str(int(self.ring_timeout * 1000)), "ChannelId": call.ref,
            "CallerID": self.callerid or number,
        }
        action_id = self._next_id()
        self._originates[action_id] = call.ref
        try:
            await self._action("Originate", fields, action_id)
        except DialerError:
            self._legs.pop(call.ref, None)
            self._originates.pop(action_id, None)
            raise
        return call

    async def _hangup(self, call: Call) -> None:
        legs = self._legs.get(call.ref)
        if legs is None:
            return
        channel = legs.first_channel or f"/^{self.channel}-/"
        await self._action("Hangup", {"Channel": channel, "Cause": "16"})

    async def _send_dtmf(self, call: Call, digits: str) -> None:
        legs = self._legs.get(call.ref)
        if legs is None or not legs.customer_channel:
            raise DialerError(f"{self.where} has not named the customer's channel: no DTMF sent")
        for digit in digits:
            await self._action("PlayDTMF", {"Channel": legs.customer_channel, "Digit": digit, "Duration": "250"})

    async def test(self) -> str:
        await self._connect()
        await self._action("Ping")
        return f"Asterisk Call Manager {self.version} at {self.host}:{self.port} answers; logged in as {self.user}"
