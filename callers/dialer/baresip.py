"""`baresip://HOST:PORT?to=sip:{number}@PROXY`: drive a baresip softphone.

baresip's `ctrl_tcp` module (config: `module_app ctrl_tcp.so` and
`ctrl_tcp_listen 127.0.0.1:4444`; the `menu` module provides the commands)
speaks netstrings (`LENGTH:PAYLOAD,`) that carry JSON:

- commands `{"command": "dial", "params": "sip:…", "token": "callers-1"}`,
  answered by `{"response": true, "ok": true, "data": "…", "token": "callers-1"}`;
- events `{"event": true, "type": "CALL_RINGING", "direction": "outgoing",
  "peeruri": "sip:…", "id": "<SIP Call-ID>", "param": "…"}`.

The commands used: `dial URI`, `hangup [CALL-ID]` (baresip 1.x hangs up its
current call and ignores the id; later versions take it), `sndcode DIGITS`
(RFC 4733 telephone-events in the RTP stream, to the current call),
`about` and `reginfo` (for `test()`). A call is known by its SIP Call-ID: newer
baresip puts `call id: …` in the dial response; baresip 1.x does not, so the
first outgoing call event whose peer URI holds the dialled digits binds the id.
Events of other calls (an incoming call, a call started on the softphone
itself) are left alone. ctrl_tcp serves one connection at a time: a second
client (`callers dial --test` while the desk is open) takes it over, and the
first reconnects at its next command.

Events used: CALL_RINGING and CALL_PROGRESS (180/183) -> ringing,
CALL_ESTABLISHED -> answered, CALL_CLOSED -> ended, its `param` the cause.

How a SIP cause that ends an unanswered call reads (`sip_state`):

    486 Busy Here, 600 Busy Everywhere, 603 Decline      busy
    408 Request Timeout, 480 Temporarily Unavailable,
      487 Request Terminated (not cancelled by callers)   no_answer
    404, 410, 484, 488, 5xx, any other status             failed
    no status ("Connection refused", "Connection timed
      out": nothing listening, no route)                  failed

A call that was answered ends `answered` whatever the cause ("Connection reset
by peer": the customer hung up); one this side hung up before the answer ends
`cancelled`; one the ring timeout ended, `no_answer` if it rang, else `failed`.
"""

from __future__ import annotations

import asyncio
import json
import re

from callers.dialer.base import Call, Clock
from callers.dialer.events import BUSY, FAILED, NO_ANSWER, Stamp
from callers.dialer.link import Linked
from callers.dialer.url import DialerError, Spec, fill

MAX_MESSAGE = 1 << 20
_STATUS = re.compile(r"^\s*([1-6]\d\d)\b")
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_CALL_ID = re.compile(r"call id:\s*(\S+)")
BUSY_CODES = {486, 600, 603}
NO_ANSWER_CODES = {408, 480, 487}


def sip_state(cause: str | None) -> tuple[str, int | None]:
    """The state and SIP status for the cause that ended an unanswered call."""
    match = _STATUS.match(cause or "")
    code = int(match.group(1)) if match else None
    if code in BUSY_CODES:
        return BUSY, code
    if code in NO_ANSWER_CODES:
        return NO_ANSWER, code
    return FAILED, code


def netstring(payload: bytes) -> bytes:
    return b"%d:%s," % (len(payload), payload)


async def read_netstring(reader: asyncio.StreamReader) -> bytes:
    head = await reader.readuntil(b":")
    if not head[:-1].isdigit() or len(head) > 9:
        raise ValueError(f"not a netstring: {head[:20]!r}")
    size = int(head[:-1])
    if size > MAX_MESSAGE:
        raise ValueError(f"a {size}-byte message")
    body = await reader.readexactly(size + 1)
    if body[-1:] != b",":
        raise ValueError("a netstring without its closing comma")
    return body[:-1]


class BaresipDialer(Linked):
    kind = "baresip"
    server = "baresip"
    limit = MAX_MESSAGE + 16

    def __init__(self, spec: Spec, clock: Clock | None = None):
        super().__init__(spec, clock)
        self.hint = f"is baresip running with module ctrl_tcp and ctrl_tcp_listen {self.host}:{self.port}?"
        self.to = spec.template("to", "{number}")
        self._common_options(spec)
        spec.finish()
        self._calls: dict[str, Call] = {}  # SIP Call-ID -> call
        self._unbound: Call | None = None  # dialled, its Call-ID not yet known
        self._dialling = asyncio.Lock()

    # -- the connection ------------------------------------------------------

    async def _command(self, command: str, params: str | None = None) -> str:
        token = self._next_id()
        message = {"command": command, "token": token}
        if params:
            message["params"] = params
        answer = await self._request(token, netstring(json.dumps(message).encode()), f"`{command}`")
        data = _ANSI.sub("", str(answer.get("data") or ""))
        if not answer.get("ok"):
            said = " ".join(data.split()) or "no reason given"
            raise DialerError(f"{self.where} refused `{command}`: {said}")
        return data

    async def _read(self, reader: asyncio.StreamReader) -> dict | None:
        try:
            message = json.loads(await read_netstring(reader))
        except (json.JSONDecodeError, UnicodeDecodeError):
            return None  # one unreadable message is not the end of the line
        return message if isinstance(message, dict) else None

    def _end_calls(self, why: str) -> None:
        calls = list(self._calls.values()) + ([self._unbound] if self._unbound else [])
        self._calls.clear()
        self._unbound = None
        for call in calls:
            call._ended(FAILED, why, None)

    def _receive(self, message: dict) -> None:
        if message.get("response"):
            self._answer(str(message.get("token")), message)
        elif message.get("event"):
            self._event(message)

    def _event(self, event: dict) -> None:
        kind = event.get("type")
        if kind not in ("CALL_RINGING", "CALL_PROGRESS", "CALL_ESTABLISHED", "CALL_CLOSED"):
            return
        if event.get("direction") != "outgoing" or not event.get("id"):
            return
        call_id = str(event["id"])
        call = self._calls.get(call_id)
        if call is None:
            call = self._unbound
            if call is None or call.number.lstrip("+") not in str(event.get("peeruri", "")):
                return
            self._bind(call, call_id)
        if kind == "CALL_ESTABLISHED":
            call._answered()
        elif kind == "CALL_CLOSED":
            self._calls.pop(call_id, None)
            cause = str(event.get("param") or "").strip() or None
            state, code = sip_state(cause)
            call._ended(state, cause, code)
        else:
            call._ringing()

    def _bind(self, call: Call, call_id: str) -> None:
        call.ref = call_id
        self._calls[call_id] = call
        if self._unbound is call:
            self._unbound = None

    # -- the interface -------------------------------------------------------

    async def _place(self, number: str, extension: str | None, at: Stamp) -> Call:
        target = fill(self.to, number)
        async with self._dialling:
            await self._connect()
            call = Call(self, number, extension, target, at)
            self._unbound = call
            try:
                data = await self._command("dial", target)
            except DialerError:
                if self._unbound is call:
                    self._unbound = None
                raise
            known = _CALL_ID.search(data)
            if known and call.ref is None and not call.done:
                self._bind(call, known.group(1))
        return call

    async def _hangup(self, call: Call) -> None:
        if call.ref is None and self._unbound is not call:
            call._ended(FAILED, "baresip never reported this call", None)
            return
        await self._command("hangup", call.ref)

    async def _send_dtmf(self, call: Call, digits: str) -> None:
        await self._command("sndcode", digits)

    async def test(self) -> str:
        about = await self._command("about")
        version = re.search(r"baresip\s+v?(\d+(?:\.\d+)+)", about)
        accounts = re.findall(r"<?(sips?:[^\s>]+)", await self._command("reginfo"))
        name = f"baresip {version.group(1)}" if version else "baresip"
        if not accounts:
            raise DialerError(f"{name} at {self.host}:{self.port} answers but has no account to call from: "
                              "add one to its accounts file, e.g. <sip:caller@127.0.0.1>;regint=0")
        return f"{name} at {self.host}:{self.port} answers; it calls from {accounts[0]}"
