"""The AMI dialler against a small Asterisk Manager server on 127.0.0.1 that
speaks the real protocol (banner, Login, Originate with Async, ActionIDs) and
sends the event sequences Asterisk 18 sends with `Events: call` for an
Originate of the caller's phone into a dialplan that Dial()s the customer:
answered, busy (cause 17), no answer (19), unallocated number (1), the
caller's own phone not answering, and other calls' events in between."""

from __future__ import annotations

import asyncio
import contextlib
import itertools

import pytest

from callers.dialer import Answered, DialerError, Dialled, Dtmf, Ended, Ringing, dialer_from

BOUND = 10  # seconds: longer than this is a hang, which is the failure
CUSTOMER = {  # the number dialled -> what the far end does
    "+12125550101": "answer, then they hang up",
    "+12125550102": "answer and wait",
    "+12125550103": "busy",
    "+12125550104": "no answer",
    "+12125550105": "unallocated",
    "+12125550106": "ring forever",
}


class AmiServer:
    """One Manager session per connection, recorded in `actions`."""

    def __init__(self, user="callers", secret="s3cret", version="5.0.2"):
        self.user, self.secret, self.version = user, secret, version
        self.actions: list[dict[str, str]] = []
        self.channels = itertools.count(1)
        self.live: dict[str, dict] = {}  # channel name -> its fields, while up
        self.server = None
        self.port = None

    async def __aenter__(self):
        self.server = await asyncio.start_server(self.session, "127.0.0.1", 0)
        self.port = self.server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc):
        self.server.close()
        await self.server.wait_closed()

    def url(self, **options) -> str:
        query = {"channel": "PJSIP/201", "context": "from-internal", **options}
        return (f"ami://{self.user}:{self.secret}@127.0.0.1:{self.port}?"
                + "&".join(f"{k}={v}" for k, v in query.items()))

    async def session(self, reader, writer):
        self.writer = writer
        writer.write(f"Asterisk Call Manager/{self.version}\r\n".encode())
        logged_in = False
        try:
            while True:
                block = await reader.readuntil(b"\r\n\r\n")
                action = dict(line.split(": ", 1) for line in block.decode().split("\r\n") if ": " in line)
                self.actions.append(action)
                name, action_id = action.get("Action", ""), action.get("ActionID", "")
                if name == "Login":
                    if (action.get("Username"), action.get("Secret")) != (self.user, self.secret):
                        self.send(Response="Error", ActionID=action_id, Message="Authentication failed")
                        continue
                    logged_in = True
                    self.send(Response="Success", ActionID=action_id, Message="Authentication accepted")
                elif not logged_in:
                    self.send(Response="Error", ActionID=action_id, Message="Permission denied")
                elif name == "Ping":
                    self.send(Response="Success", ActionID=action_id, Ping="Pong", Timestamp="1796283792.833624")
                elif name == "Originate":
                    self.send(Response="Success", ActionID=action_id, Message="Originate successfully queued")
                    asyncio.get_running_loop().create_task(self.originate(action))
                elif name == "Hangup":
                    await self.hangup_action(action)
                elif name == "PlayDTMF":
                    known = action.get("Channel") in self.live
                    self.send(Response="Success" if known else "Error", ActionID=action_id,
                              Message="DTMF successfully queued" if known else "No such channel")
                elif name == "Logoff":
                    self.send(Response="Goodbye", ActionID=action_id, Message="Thanks for all the fish.")
                    break
                else:
                    self.send(Response="Error", ActionID=action_id,
                              Message=f"Invalid/unknown command: {name}. Use Action: ListCommands to show "
                              "available commands.")
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    def send(self, **fields):
        text = "".join(f"{k.replace('_', '-')}: {v}\r\n" for k, v in fields.items()) + "\r\n"
        self.writer.write(text.encode())

    def event(self, name, channel, **extra):
        self.send(Event=name, Privilege="call,all", **channel, **extra)

    def channel(self, name, uniqueid, linkedid, state, exten, caller):
        fields = {"Channel": name, "ChannelState": "0", "ChannelStateDesc": "Down", "CallerIDNum": caller,
                  "CallerIDName": "<unknown>", "ConnectedLineNum": "<unknown>", "ConnectedLineName": "<unknown>",
                  "Language": "en", "AccountCode": "", "Context": "from-internal", "Exten": exten,
                  "Priority": "1", "Uniqueid": uniqueid, "Linkedid": linkedid}
        self.set_state(fields, state)
        return fields

    @staticmethod
    def set_state(fields, state):
        fields["ChannelState"] = str(state)
        fields["ChannelStateDesc"] = {0: "Down", 5: "Ringing", 6: "Up", 7: "Busy"}[state]

    def dest(self, fields):
        return {f"Dest{k}": v for k, v in fields.items()}

    async def originate(self, action):
        """What Asterisk sends for Originate(PJSIP/201 -> from-internal,NUMBER,1),
        the dialplan being Dial(PJSIP/${EXTEN}@trunk,30)."""
        await asyncio.sleep(0.01)
        first_id, number, action_id = action["ChannelId"], action["Exten"], action["ActionID"]
        n = next(self.channels)
        # Another agent's call on the same PBX, which must be ignored.
        other = self.channel(f"PJSIP/305-{n:08x}", f"1796283792.{n}", f"1796283792.{n}", 0, "305", "305")
        self.event("Newchannel", other)
        first = self.channel(f"{action['Channel']}-{n:08x}", first_id, first_id, 0, number, number)
        self.event("Newchannel", first)
        if action["Channel"] == "PJSIP/999":  # the caller's phone is not registered
            self.send(Event="OriginateResponse", Privilege="call,all", ActionID=action_id, Response="Failure",
                      Channel=action["Channel"], Context="from-internal", Exten=number, Reason="0",
                      Uniqueid="<null>", CallerIDNum="<unknown>", CallerIDName="<unknown>")
            return
        self.set_state(first, 5)
        self.event("Newstate", first)
        if action["Channel"] == "PJSIP/202":  # the caller's phone rings and nobody picks it up
            await asyncio.sleep(0.05)
            self.event("Hangup", first, Cause="19", Cause_txt="User alerting, no answer")
            self.send(Event="OriginateResponse", Privilege="call,all", ActionID=action_id, Response="Failure",
                      Channel=action["Channel"], Context="from-internal", Exten=number, Reason="3",
                      Uniqueid=first_id, CallerIDNum="<unknown>", CallerIDName="<unknown>")
            return
        self.set_state(first, 6)
        self.event("Newstate", first)
        self.send(Event="OriginateResponse", Privilege="call,all", ActionID=action_id, Response="Success",
                  Channel=first["Channel"], Context="from-internal", Exten=number, Reason="4",
                  Uniqueid=first_id, CallerIDNum=number, CallerIDName="<unknown>")
        self.live[first["Channel"]] = first
        m = next(self.channels)
        customer = self.channel(f"PJSIP/trunk-{m:08x}", f"1796283792.{m}", first_id, 0, "s", number)
        self.event("Newchannel", customer)
        self.event("DialBegin", first, **self.dest(customer), DialString=f"{number}@trunk")
        self.live[customer["Channel"]] = customer
        what = CUSTOMER[number]
        if what == "busy":
            await asyncio.sleep(0.02)
            self.set_state(customer, 7)
            self.event("DialEnd", first, **self.dest(customer), DialStatus="BUSY")
            await self.hang_up(customer, "17", "User busy")
            await self.hang_up(first, "17", "User busy")
            return
        if what == "unallocated":
            self.event("DialEnd", first, **self.dest(customer), DialStatus="CHANUNAVAIL")
            await self.hang_up(customer, "1", "Unallocated (unassigned) number")
            await self.hang_up(first, "1", "Unallocated (unassigned) number")
            return
        await asyncio.sleep(0.02)
        self.set_state(customer, 5)
        self.event("Newstate", customer)
        self.event("DialState", first, **self.dest(customer), DialStatus="RINGING")
        if what == "no answer":
            await asyncio.sleep(0.05)
            self.event("DialEnd", first, **self.dest(customer), DialStatus="NOANSWER")
            await self.hang_up(customer, "19", "User alerting, no answer")
            await self.hang_up(first, "16", "Normal Clearing")
            return
        if what == "ring forever":
            return
        await asyncio.sleep(0.05)
        self.set_state(customer, 6)
        self.event("Newstate", customer)
        self.event("DialEnd", first, **self.dest(customer), DialStatus="ANSWER")
        bridge = {"BridgeUniqueid": f"bridge-{n}", "BridgeType": "basic", "BridgeTechnology": "simple_bridge",
                  "BridgeCreator": "<unknown>", "BridgeName": "<unknown>", "BridgeNumChannels": "1",
                  "BridgeVideoSourceMode": "none"}
        self.send(Event="BridgeCreate", Privilege="call,all", **bridge)
        self.event("BridgeEnter", first, **bridge)
        self.event("BridgeEnter", customer, **{**bridge, "BridgeNumChannels": "2"})
        if what == "answer, then they hang up":
            await asyncio.sleep(0.2)
            self.event("BridgeLeave", customer, **bridge)
            await self.hang_up(customer, "16", "Normal Clearing")
            await self.hang_up(first, "16", "Normal Clearing")

    async def hang_up(self, fields, cause, text):
        if self.live.pop(fields["Channel"], None) is None and fields["ChannelState"] != "7":
            return
        self.event("HangupRequest", fields, Cause=cause)
        self.event("Hangup", fields, Cause=cause, Cause_txt=text)
        await self.writer.drain()

    async def hangup_action(self, action):
        target = self.live.get(action.get("Channel"))
        if target is None:
            self.send(Response="Error", ActionID=action["ActionID"], Message="No such channel")
            return
        self.send(Response="Success", ActionID=action["ActionID"], Message="Channel Hungup")
        linked = [f for f in list(self.live.values()) if f["Linkedid"] == target["Linkedid"] and f is not target]
        if target["ChannelState"] == "6" and any(f["ChannelState"] == "5" for f in linked):
            first = target
            for customer in linked:  # the caller's leg went while the customer's phone rang: Dial cancels
                self.event("DialEnd", first, **self.dest(customer), DialStatus="CANCEL")
        await self.hang_up(target, "16", "Normal Clearing")
        for other in linked:
            await self.hang_up(other, "16", "Normal Clearing")


@pytest.fixture
async def pbx():
    async with AmiServer() as server:
        yield server


async def follow(call):
    async def collect():
        return [event async for event in call]

    return await asyncio.wait_for(collect(), BOUND)


def originates(pbx):
    return [a for a in pbx.actions if a.get("Action") == "Originate"]


async def test_answered_then_the_customer_hangs_up(pbx):
    async with dialer_from(pbx.url(ring_timeout=45)) as dialer:
        events = await follow(await dialer.dial("+12125550101"))
    assert [type(e) for e in events] == [Dialled, Ringing, Answered, Ended]
    assert events[0].target == "PJSIP/201 -> +12125550101@from-internal"
    end = events[-1]
    assert (end.state, end.cause, end.code, end.by) == ("answered", "Normal Clearing", 16, "far_end")
    assert end.talk_seconds >= 0.15
    [sent] = originates(pbx)
    assert {k: sent[k] for k in ("Channel", "Context", "Exten", "Priority", "Async", "Timeout", "CallerID")} == {
        "Channel": "PJSIP/201", "Context": "from-internal", "Exten": "+12125550101", "Priority": "1",
        "Async": "true", "Timeout": "45000", "CallerID": "+12125550101"}
    assert sent["ChannelId"].startswith("callers-")
    assert pbx.actions[0] == {"Action": "Login", "ActionID": pbx.actions[0]["ActionID"], "Username": "callers",
                              "Secret": "s3cret", "Events": "call"}


async def test_busy_no_answer_and_unallocated_read_from_dial_status_and_cause(pbx):
    async with dialer_from(pbx.url()) as dialer:
        busy = await asyncio.wait_for((await dialer.dial("+12125550103")).wait(), BOUND)
        none = await asyncio.wait_for((await dialer.dial("+12125550104")).wait(), BOUND)
        gone = await asyncio.wait_for((await dialer.dial("+12125550105")).wait(), BOUND)
    assert (busy.state, busy.cause, busy.code, busy.ringing) == ("busy", "User busy", 17, None)
    assert (none.state, none.cause, none.code) == ("no_answer", "User alerting, no answer", 19)
    assert none.ringing is not None
    assert (gone.state, gone.cause, gone.code) == ("failed", "Unallocated (unassigned) number", 1)
    assert len(originates(pbx)) == 3 and len([a for a in pbx.actions if a["Action"] == "Login"]) == 1


async def test_we_hang_up_an_answered_call_and_send_the_extension(pbx):
    async with dialer_from(pbx.url(dtmf_pause=0.05)) as dialer:
        call = await dialer.dial("+12125550102", extension="23")
        async for event in call:
            if isinstance(event, Dtmf):
                assert event.problem is None
                break
        end = await asyncio.wait_for(call.hangup(), BOUND)
    dtmf = [a for a in pbx.actions if a["Action"] == "PlayDTMF"]
    assert [(a["Digit"], a["Channel"].startswith("PJSIP/trunk-")) for a in dtmf] == [("2", True), ("3", True)]
    [hangup] = [a for a in pbx.actions if a["Action"] == "Hangup"]
    assert hangup["Channel"].startswith("PJSIP/201-")
    assert (end.state, end.by, end.cause) == ("answered", "caller", "Normal Clearing")


async def test_hanging_up_while_the_customer_rings_is_cancelled(pbx):
    async with dialer_from(pbx.url()) as dialer:
        call = await dialer.dial("+12125550106")
        async for event in call:
            if isinstance(event, Ringing):
                break
        end = await asyncio.wait_for(call.hangup(), BOUND)
    assert (end.state, end.by) == ("cancelled", "caller")


async def test_the_ring_timeout_gives_up_on_a_customer_who_does_not_answer(pbx):
    async with dialer_from(pbx.url(ring_timeout=0.5)) as dialer:
        end = await asyncio.wait_for((await dialer.dial("+12125550106")).wait(), BOUND)
    assert (end.state, end.cause, end.by) == ("no_answer", "no answer in 0.5 s", "caller")
    assert any(a["Action"] == "Hangup" for a in pbx.actions)


async def test_the_callers_own_phone_not_answering_or_not_there_is_failed(pbx):
    async with dialer_from(pbx.url(channel="PJSIP/202")) as dialer:
        unanswered = await asyncio.wait_for((await dialer.dial("+12125550101")).wait(), BOUND)
    async with dialer_from(pbx.url(channel="PJSIP/999")) as dialer:
        absent = await asyncio.wait_for((await dialer.dial("+12125550101")).wait(), BOUND)
    assert unanswered.state == "failed" and unanswered.code == 19
    assert unanswered.cause == "the caller's phone PJSIP/202 did not take the call (User alerting, no answer)"
    assert (absent.state, absent.code) == ("failed", None)
    assert absent.cause == "the caller's phone PJSIP/999 could not be reached (Originate reason 0)"


async def test_test_logs_in_and_pings(pbx):
    async with dialer_from(pbx.url()) as dialer:
        line = await asyncio.wait_for(dialer.test(), BOUND)
    assert line == f"Asterisk Call Manager 5.0.2 at 127.0.0.1:{pbx.port} answers; logged in as callers"
    assert [a["Action"] for a in pbx.actions] == ["Login", "Ping", "Logoff"]


async def test_a_wrong_secret_is_one_line(pbx):
    url = pbx.url().replace(":s3cret@", ":wrong@")
    with pytest.raises(DialerError) as caught:
        await asyncio.wait_for(dialer_from(url).test(), BOUND)
    assert str(caught.value) == f"Asterisk at 127.0.0.1:{pbx.port} refused the login of callers: Authentication failed"


@contextlib.asynccontextmanager
async def something_else(handler):
    """A server on 127.0.0.1 that is not quite Asterisk; yields a dialler URL for it."""
    server = await asyncio.start_server(handler, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield port, f"ami://a:b@127.0.0.1:{port}?channel=PJSIP/1&context=c&connect_timeout=0.3"
    finally:
        server.close()


async def test_something_else_on_the_port_is_named():
    async def http(reader, writer):
        writer.write(b"HTTP/1.1 400 Bad Request\r\n\r\n")
        await writer.drain()
        writer.close()

    async with something_else(http) as (port, url):
        with pytest.raises(DialerError) as caught:
            await asyncio.wait_for(dialer_from(url).test(), BOUND)
    assert str(caught.value) == (f"127.0.0.1:{port} is not an Asterisk Manager interface "
                                 "(it said 'HTTP/1.1 400 Bad Request')")


async def test_a_server_that_hangs_up_after_its_banner_is_one_line():
    async def rude(reader, writer):
        writer.write(b"Asterisk Call Manager/5.0.2\r\n")
        await writer.drain()
        writer.close()

    async with something_else(rude) as (port, url):
        with pytest.raises(DialerError) as caught:
            await asyncio.wait_for(dialer_from(url).test(), BOUND)
    assert str(caught.value) == f"lost Asterisk at 127.0.0.1:{port}: it closed the connection"


async def test_a_server_that_accepts_and_says_nothing_fails_fast():
    async def silent(reader, writer):
        await reader.read()  # holds the connection, never writes

    async with something_else(silent) as (port, url):
        with pytest.raises(DialerError) as caught:
            await asyncio.wait_for(dialer_from(url).dial("+12125550101"), BOUND)
    assert str(caught.value) == f"Asterisk at 127.0.0.1:{port} does not answer (nothing in 0.3 s)"


async def test_a_lost_pbx_ends_the_call_with_the_reason(pbx):
    async with dialer_from(pbx.url()) as dialer:
        call = await dialer.dial("+12125550102")
        async for event in call:
            if isinstance(event, Answered):
                break
        pbx.writer.close()
        end = await asyncio.wait_for(call.wait(), BOUND)
    assert end.state == "answered"
    assert end.cause == f"lost Asterisk at 127.0.0.1:{pbx.port}: it closed the connection"
