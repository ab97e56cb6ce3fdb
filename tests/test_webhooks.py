"""Webhooks against a real HTTP server on 127.0.0.1, on both engines: down,
then slow, then failing, then up; every event delivered once, in order,
signed; a new process delivers what an old one left; two deliverers at once
deliver nothing twice; the running app delivers in the background."""

from __future__ import annotations

import io
import json
import os
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from callers import departments, forwards, webhooks
from callers.cli import main
from callers.errors import CallersError
from models.tables import Forward, ForwardEvent, WebhookDelivery
from tests.support import factories

SECRET = "correct horse battery staple"
T0 = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)
ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Received:
    delivery: str
    event: str
    body: bytes
    signed: bool  # the signature header verified with the receiver's secret
    status: int  # what the receiver answered
    late: bool  # answered after the sender's timeout (the sender saw no answer)

    @property
    def json(self) -> dict:
        return json.loads(self.body)


class Receiver:
    """A real HTTP endpoint on 127.0.0.1 that records every POST.

    `mode`: "up" answers 204 (after `delay` seconds), "500" answers 500,
    "slow" answers only after `slow` seconds (past the sender's timeout),
    "redirect" answers 302. Not started = nothing listening on the port."""

    def __init__(self, secret: str | None = SECRET) -> None:
        self.secret = secret
        self.port = free_port()
        self.mode = "up"
        self.delay = 0.0
        self.slow = 1.0
        self.received: list[Received] = []  # recorded once answered
        self.arrived = 0  # requests that came in (counted before any answer)
        self.lock = threading.Lock()
        self.server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/callers?token=abc"

    def start(self) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_POST(self) -> None:
                with receiver.lock:
                    receiver.arrived += 1
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                signature = self.headers.get(webhooks.SIGNATURE_HEADER)
                signed = receiver.secret is not None and webhooks.verify(body, receiver.secret, signature)
                mode, late = receiver.mode, False
                status = {"up": 204, "500": 500, "slow": 204, "redirect": 302}[mode]
                if mode == "slow":
                    time.sleep(receiver.slow)
                    late = True
                elif receiver.delay:
                    time.sleep(receiver.delay)
                with receiver.lock:
                    receiver.received.append(Received(self.headers.get(webhooks.DELIVERY_HEADER),
                                                      self.headers.get(webhooks.EVENT_HEADER), body, signed,
                                                      status, late))
                try:
                    self.send_response(status)
                    if status == 302:
                        self.send_header("Location", "https://elsewhere.example/hook")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                except OSError:  # the sender gave up waiting
                    pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    @property
    def accepted(self) -> list[Received]:
        """What the receiver took and answered 2xx in time: the sender knows it arrived."""
        return [r for r in self.received if 200 <= r.status < 300 and not r.late]

    @property
    def processed(self) -> list[Received]:
        """What an idempotent receiver acted on: each delivery id once, first arrival."""
        seen, out = set(), []
        for r in self.received:
            if r.status < 300 and r.delivery not in seen:
                seen.add(r.delivery)
                out.append(r)
        return out


@pytest.fixture
def receiver():
    made = Receiver()
    yield made
    made.stop()


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


@pytest.fixture
def acme(db, now):
    now(T0.isoformat())
    return factories.customer("Acme [Ltd]", external_id="A-1", account_manager="Lee Park",
                              contact_name="Jane Doe")


def hook(department: str, url: str, secret: str | None = SECRET) -> None:
    webhooks.set_hook(departments.department(department).id, url, "sam", secret=secret)


def queued() -> list[tuple[str, str, int]]:
    """(department, event, forward id) of every queued delivery, in id order."""
    from models.tables import Department

    rows = (WebhookDelivery.select(WebhookDelivery, Department.name).join(Department)
            .order_by(WebhookDelivery.id))
    return [(r.department.name, r.event, r.forward_id) for r in rows]


def six_events(customer_id: int) -> list[str]:
    """Six Billing events: two forwards through their lives."""
    one = forwards.create(customer_id, "Billing", "ana", note="invoice <b>sent</b> twice")
    forwards.acknowledge(one.id, "bill")
    two = forwards.create(customer_id, "Billing", "ana", note="wrong VAT number")
    forwards.done(one.id, "bill", "credit note issued")
    forwards.return_(two.id, "bill", "a support matter")
    three = forwards.create(customer_id, "Billing", "ana", note="filed by mistake")
    forwards.withdraw(three.id, "ana")
    return ["created", "acknowledged", "created", "done", "returned", "created", "withdrawn"]


# ---- the journey: down, slow, failing, up -------------------------------------------------


def test_down_slow_failing_then_up_delivers_every_event_once_in_order(acme, receiver):
    hook("Billing", receiver.url)  # nothing listens on the port yet
    expected = six_events(acme.id)
    assert [e for _d, e, _f in queued()] == expected

    run = webhooks.deliver_due(now=at(0), timeout=0.5)
    assert (run.delivered, run.failed, run.waiting, run.failing) == (0, 1, 7, 1)
    waiting = webhooks.pending()
    assert [w.state for w in waiting] == ["failing"] + ["queued"] * 6
    assert "refused" in waiting[0].last_error.lower()
    assert waiting[0].next_attempt_at == at(10)  # the first retry waits 10 s

    assert webhooks.deliver_due(now=at(9), timeout=0.5).failed == 0  # not due yet: nothing tried

    receiver.mode, receiver.slow = "slow", 1.5
    receiver.start()
    run = webhooks.deliver_due(now=at(10), timeout=0.3)
    assert (run.delivered, run.failed) == (0, 1)
    assert webhooks.pending()[0].last_error == "no answer within 0.3 s"
    assert webhooks.pending()[0].next_attempt_at == at(30)  # then 20 s

    receiver.mode = "500"
    run = webhooks.deliver_due(now=at(30), timeout=0.5)
    assert (run.delivered, run.failed) == (0, 1)
    assert webhooks.pending()[0].last_error == "HTTP 500 Internal Server Error"
    assert webhooks.pending()[0].attempts == 3

    receiver.mode = "up"
    run = webhooks.deliver_due(now=at(70), timeout=2)
    assert (run.delivered, run.failed, run.waiting, run.failing) == (7, 0, 0, 0)
    assert webhooks.pending() == []

    # Every event once, in the order it happened, each signed.
    assert [r.event for r in receiver.accepted] == expected
    assert len({r.delivery for r in receiver.accepted}) == 7
    assert [r.json["event"] for r in receiver.processed] == expected
    assert all(r.signed for r in receiver.received)
    # Only the head was ever tried while it failed: no later event overtook it.
    tried_before_up = [r for r in receiver.received if r.status != 204 or r.late]
    assert {r.delivery for r in tried_before_up} == {receiver.accepted[0].delivery}
    ids = [r.json["id"] for r in receiver.accepted]
    assert ids == sorted(ids)

    # Later events go straight out.
    four = forwards.create(acme.id, "Billing", "ana", note="one more")
    assert webhooks.deliver_due(now=at(71), timeout=2).delivered == 1
    assert receiver.accepted[-1].json["forward"]["id"] == four.id


def test_a_failing_department_does_not_hold_up_another(acme, receiver):
    receiver.start()
    other = Receiver()
    hook("Billing", other.url)  # down
    hook("Support", receiver.url)
    forwards.create(acme.id, "Billing", "ana", note="b1")
    forwards.create(acme.id, "Support", "ana", note="s1")
    forwards.create(acme.id, "Billing", "ana", note="b2")
    forwards.create(acme.id, "Support", "ana", note="s2")
    run = webhooks.deliver_due(now=at(0), timeout=0.5)
    assert (run.delivered, run.failed, run.waiting, run.failing) == (2, 1, 2, 1)
    assert [r.json["forward"]["note"] for r in receiver.accepted] == ["s1", "s2"]
    assert [(w.department, w.state) for w in webhooks.pending()] == [("Billing", "failing"), ("Billing", "queued")]


def test_a_new_url_gets_what_waits_at_once(acme, receiver):
    hook("Billing", "http://127.0.0.1:9/gone")
    forwards.create(acme.id, "Billing", "ana")
    assert webhooks.deliver_due(now=at(0), timeout=0.5).failed == 1
    assert webhooks.pending()[0].next_attempt_at == at(10)
    receiver.start()
    webhooks.set_hook(departments.department("Billing").id, receiver.url, "sam", now=at(1))
    assert webhooks.deliver_due(now=at(1), timeout=2).delivered == 1  # not held back by the old backoff
    assert receiver.accepted[0].signed  # the secret was kept


def test_a_redirect_is_not_a_delivery(acme, receiver):
    receiver.mode = "redirect"
    receiver.start()
    hook("Billing", receiver.url)
    forwards.create(acme.id, "Billing", "ana")
    assert webhooks.deliver_due(now=at(0), timeout=1).failed == 1
    assert webhooks.pending()[0].last_error == \
        "HTTP 302 Found; set the webhook to https://elsewhere.example/hook"


# ---- what is sent ---------------------------------------------------------------------------


def test_payload_is_the_event_beside_the_forward_as_forwards_json_prints_it(acme, receiver, capsys):
    receiver.start()
    hook("Billing", receiver.url)
    filed = forwards.create(acme.id, "Billing", "ana", note="[red]invoice[/] <!channel>")
    forwards.done(filed.id, "bill", "credit note issued", now=at(60))
    webhooks.deliver_due(now=at(61), timeout=2)
    created, done = (r.json for r in receiver.accepted)

    assert main(["forwards", "--format", "json"]) == 0
    listed = json.loads(capsys.readouterr().out)[0]
    assert done["forward"] == listed  # the same fields, the same function
    assert set(created["forward"]) == set(listed)
    # Each event carries the forward as it was right after the event.
    assert created["forward"]["status"] == "open" and created["forward"]["resolution"] is None
    events = forwards.trail(filed.id)
    assert created == {
        "event": "created", "id": created["id"], "at": "2026-11-23T09:00:00+00:00", "by": "ana",
        "note": "[red]invoice[/] <!channel>", "department": "Billing", "from_department": None,
        "to_department": None,
        "summary": "New forward #%d for Billing from ana: Acme [Ltd] (Jane Doe, +44 20 7946 0958): "
                   "[red]invoice[/] <!channel>" % filed.id,
        "forward": created["forward"],
    }
    assert done["event"] == "done" and done["by"] == "bill" and done["note"] == "credit note issued"
    assert done["at"] == "2026-11-23T09:01:00+00:00"
    assert done["id"] > created["id"]
    assert [e.status for e in events] == ["open", "done"]
    assert done["summary"] == f"Forward #{filed.id} done by bill: Acme [Ltd] (Jane Doe, +44 20 7946 0958): " \
                              "credit note issued"


def test_signature_is_hmac_sha256_of_the_raw_body(acme, receiver):
    import hashlib
    import hmac

    receiver.start()
    hook("Billing", receiver.url)
    forwards.create(acme.id, "Billing", "ana", note="naïve café ✓")
    webhooks.deliver_due(now=at(0), timeout=2)
    got = receiver.accepted[0]
    assert got.signed
    expected = "sha256=" + hmac.new(SECRET.encode(), got.body, hashlib.sha256).hexdigest()
    assert webhooks.sign(got.body, SECRET) == expected
    assert not webhooks.verify(got.body, "another secret", expected)
    assert not webhooks.verify(got.body + b" ", SECRET, expected)
    assert not webhooks.verify(got.body, SECRET, None)
    assert "naïve café ✓" in got.body.decode("utf-8")  # UTF-8, not \u escapes


def test_no_secret_no_signature_header(acme):
    receiver = Receiver(secret=None).start()
    try:
        hook("Billing", receiver.url, secret=None)
        forwards.create(acme.id, "Billing", "ana")
        webhooks.deliver_due(now=at(0), timeout=2)
        assert len(receiver.accepted) == 1 and not receiver.accepted[0].signed
    finally:
        receiver.stop()


def test_every_kind_of_event_is_queued_only_for_departments_with_a_webhook(acme, receiver):
    hook("Support", receiver.url)
    assert queued() == []
    filed = forwards.create(acme.id, "Billing", "ana")  # Billing has no webhook
    forwards.return_(filed.id, "bill", "a support matter")
    assert queued() == []
    forwards.send_on(filed.id, "Support", "sam")
    forwards.acknowledge(filed.id, "sue")
    forwards.done(filed.id, "sue", "fixed")
    assert queued() == [("Support", "sent_on", filed.id), ("Support", "acknowledged", filed.id),
                        ("Support", "done", filed.id)]


def test_sent_on_goes_to_both_departments_with_where_from_and_to(acme, receiver):
    receiver.start()
    hook("Billing", receiver.url)
    hook("Support", receiver.url)
    filed = forwards.create(acme.id, "Billing", "ana")
    forwards.return_(filed.id, "bill", "a support matter")
    forwards.send_on(filed.id, "support", "sam", note="licence key question")
    assert queued() == [("Billing", "created", filed.id), ("Billing", "returned", filed.id),
                        ("Billing", "sent_on", filed.id), ("Support", "sent_on", filed.id)]
    webhooks.deliver_due(now=at(0), timeout=2)
    sent = [r.json for r in receiver.accepted if r.event == "sent_on"]
    assert sorted(s["department"] for s in sent) == ["Billing", "Support"]  # in order per department only
    for s in sent:
        assert (s["from_department"], s["to_department"], s["note"]) == ("Billing", "Support", "licence key question")
        assert s["forward"]["department"] == "Support" and s["forward"]["status"] == "open"
        assert s["summary"].startswith(f"Forward #{filed.id} sent on from Billing to Support by sam: ")


def test_reopened_is_an_event_the_webhook_knows():
    assert webhooks.event_name("reopened") == "reopened"
    assert webhooks.event_name("open") == "created"
    assert set(webhooks.EVENTS) == {"created", "acknowledged", "done", "returned", "withdrawn", "sent_on",
                                    "reopened"}
    with pytest.raises(ValueError):
        webhooks.event_name("lost")


def test_the_delivery_is_queued_in_the_same_transaction_as_the_event(acme, monkeypatch):
    hook("Billing", "http://127.0.0.1:9/")
    before = Forward.select().count(), ForwardEvent.select().count()

    def broken(*args, **kwargs):
        raise RuntimeError("the outbox is full")

    monkeypatch.setattr(webhooks, "queue", broken)
    with pytest.raises(RuntimeError):
        forwards.create(acme.id, "Billing", "ana", note="lost with its delivery")
    assert (Forward.select().count(), ForwardEvent.select().count()) == before
    monkeypatch.undo()
    filed = forwards.create(acme.id, "Billing", "ana")
    monkeypatch.setattr(webhooks, "queue", broken)
    with pytest.raises(RuntimeError):
        forwards.acknowledge(filed.id, "bill")
    assert forwards.get(filed.id).status == "open"
    assert [e[0] for e in forwards.events(filed.id)] == ["open"]


def test_backoff_doubles_up_to_ten_minutes():
    assert [webhooks.backoff(n) for n in range(1, 9)] == [10, 20, 40, 80, 160, 320, 600, 600]


def test_delivered_rows_are_kept_thirty_days(acme, receiver):
    receiver.start()
    hook("Billing", receiver.url)
    forwards.create(acme.id, "Billing", "ana")
    webhooks.deliver_due(now=at(0), timeout=2)
    webhooks.deliver_due(now=at(29 * 86400))
    assert WebhookDelivery.select().count() == 1
    webhooks.deliver_due(now=at(31 * 86400))
    assert WebhookDelivery.select().count() == 0


# ---- restarts and several deliverers ---------------------------------------------------------


def _cli(db_url: str, *argv: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "CALLERS_DB": db_url}
    env.pop("CALLERS_NOW", None)
    return subprocess.run([sys.executable, "-m", "callers", *argv], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


def ago(seconds: float) -> datetime:
    """A moment before the real clock: a new process (which reads the real clock) finds it due."""
    return datetime.now(timezone.utc) - timedelta(seconds=seconds)


def test_a_new_process_delivers_what_the_old_one_left(db, now, receiver):
    now(ago(120).isoformat())
    acme = factories.customer("Acme [Ltd]", contact_name="Jane Doe")
    hook("Billing", receiver.url)
    expected = six_events(acme.id)
    assert webhooks.deliver_due(now=ago(60), timeout=0.5).failed == 1  # down; the retry is due 10 s later
    db.db.close()  # this process goes away

    receiver.start()
    done = _cli(db.url, "departments", "hooks")  # what waits, from a new process
    assert done.returncode == 0, done.stderr
    assert "Billing → http://127.0.0.1:%d/…: 7 waiting" % receiver.port in done.stdout
    assert "failing: 1 attempt(s)" in done.stdout and "refused" in done.stdout.lower()

    done = _cli(db.url, "departments", "hooks", "--retry")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "delivered 7, failed 0; still waiting 0 (0 failing)"
    assert [r.event for r in receiver.accepted] == expected


def test_a_deliverer_that_died_mid_post_leaves_the_event_to_the_next_after_its_lease(acme, receiver):
    receiver.start()
    hook("Billing", receiver.url)
    forwards.create(acme.id, "Billing", "ana")
    forwards.create(acme.id, "Billing", "ana")
    from models.db import connection

    with connection():
        token, rows = webhooks._claim(webhooks.clock.to_db(at(0)), set(), timeout=1)  # claimed, then gone
    assert len(rows) == 1
    assert webhooks.deliver_due(now=at(10), timeout=1).delivered == 0  # its lease holds: nothing overtakes
    assert receiver.received == []
    run = webhooks.deliver_due(now=at(40), timeout=1)  # the lease (3 x 1 s + 30 s) ran out
    assert run.delivered == 2
    assert [r.json["forward"]["id"] for r in receiver.accepted] == sorted(r.json["forward"]["id"]
                                                                           for r in receiver.accepted)


def test_two_deliverers_at_once_deliver_no_event_twice(db, now, receiver):
    now(ago(60).isoformat())
    receiver.delay = 0.01
    receiver.start()
    customers = [factories.customer(f"Customer {n}") for n in range(3)]
    for department in ("Billing", "Support", "Account management"):
        hook(department, receiver.url)
    for n in range(20):
        for customer, department in zip(customers, ("Billing", "Support", "Account management")):
            forwards.create(customer.id, department, "ana", note=f"{department} {n}")
    assert WebhookDelivery.select().count() == 60
    db.db.close()

    env = {**os.environ, "CALLERS_DB": db.url}
    env.pop("CALLERS_NOW", None)
    procs = [subprocess.Popen([sys.executable, "-m", "callers", "departments", "hooks", "--retry"], cwd=ROOT,
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(2)]
    outputs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outputs
    delivered = [int(out.split()[1].rstrip(",")) for out, _err in outputs]
    assert sum(delivered) == 60

    assert len(receiver.received) == 60
    assert len({r.delivery for r in receiver.received}) == 60
    by_department: dict[str, list[int]] = {}
    for r in receiver.received:
        by_department.setdefault(r.json["department"], []).append(r.json["id"])
    assert all(ids == sorted(ids) and len(ids) == 20 for ids in by_department.values())


# ---- the command line ---------------------------------------------------------------------------


def test_cli_set_list_and_remove_a_webhook(acme, receiver, capsys, monkeypatch):
    assert main(["departments", "set", "billing", "--webhook", receiver.url, "--secret", SECRET]) == 0
    assert capsys.readouterr().out.strip() == (
        f"Billing: forward events are POSTed to {receiver.url}, signed with its secret (X-Callers-Signature)")
    assert main(["departments"]) == 0
    line = capsys.readouterr().out.splitlines()[0]
    assert line.startswith("F5   Billing") and line.endswith(f"webhook http://127.0.0.1:{receiver.port}/… (signed)")
    assert "abc" not in line  # the URL's path and query are its credential
    assert main(["departments", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["webhook"] == {
        "url": f"http://127.0.0.1:{receiver.port}/…", "signed": True}

    monkeypatch.setattr(sys, "stdin", io.StringIO("from stdin\n"))
    assert main(["departments", "set", "Billing", "--secret", "-"]) == 0
    capsys.readouterr()
    forwards.create(acme.id, "Billing", "ana")
    receiver.secret = "from stdin"
    receiver.start()
    assert main(["departments", "hooks", "--retry", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"delivered": 1, "failed": 0, "waiting": 0, "failing": 0}
    assert receiver.accepted[0].signed

    receiver.stop()
    forwards.create(acme.id, "Billing", "ana")
    assert main(["departments", "hooks", "--retry"]) == 1
    out, err = capsys.readouterr()
    assert out.strip() == "delivered 0, failed 1; still waiting 1 (1 failing)"
    assert err.strip() == ("callers: 1 webhook event(s) still failing: "
                           "`callers departments hooks` shows why")
    assert main(["departments", "hooks", "--format", "json"]) == 0
    [waiting] = json.loads(capsys.readouterr().out)
    assert (waiting["department"], waiting["event"], waiting["state"], waiting["attempts"]) == \
        ("Billing", "created", "failing", 1)
    assert waiting["url"] == f"http://127.0.0.1:{receiver.port}/…"

    assert main(["departments", "set", "Billing", "--no-webhook"]) == 0
    assert capsys.readouterr().out.strip() == "Billing has no webhook now; 1 undelivered event(s) dropped"
    assert main(["departments", "hooks"]) == 0
    assert capsys.readouterr().out.strip() == "No webhook events waiting."
    assert webhooks.hooks() == {}


REFUSED = [
    (["departments", "set", "Billing"], "say what to set"),
    (["departments", "set", "Billing", "--webhook", "ftp://x.example/"], "http:// or https:// URL"),
    (["departments", "set", "Billing", "--webhook", "https://"], "http:// or https:// URL"),
    (["departments", "set", "Billing", "--webhook", "https://x.example:port/"], "port is not a number"),
    (["departments", "set", "Billing", "--secret", "s"], "Billing has no webhook yet"),
    (["departments", "set", "Billing", "--no-webhook"], "Billing has no webhook"),
    (["departments", "set", "Legal", "--webhook", "https://x.example/"], "unknown department 'Legal'"),
    (["departments", "set", "--webhook", "https://x.example/"], "needs the department's NAME"),
    (["departments", "set", "Billing", "--webhook", "https://x.example/", "--no-webhook"], "not both"),
    (["departments", "hooks", "Billing"], "takes no NAME"),
]


def test_cli_set_refuses_what_it_cannot_do(db, capsys):
    for argv, message in REFUSED:
        assert main(argv) == 1, argv
        err = capsys.readouterr().err
        assert err.startswith("callers: error: ") and message in err and len(err.splitlines()) == 1, (argv, err)
    assert webhooks.hooks() == {}


def test_cli_webhooks_are_for_supervisors(db, capsys):
    from callers import access

    access.add_user("sam", "supervisor")
    access.add_user("bill", "department", "Billing")
    assert main(["departments", "set", "Billing", "--webhook", "https://x.example/h", "--as", "bill"]) == 1
    assert "bill is a department member" in capsys.readouterr().err
    assert main(["departments", "hooks", "--as", "bill"]) == 1
    assert main(["departments", "set", "Billing", "--webhook", "https://x.example/h", "--as", "sam"]) == 0
    assert webhooks.hooks()[departments.department("Billing").id].url == "https://x.example/h"


# ---- the running app ----------------------------------------------------------------------------


async def test_the_app_delivers_in_the_background_without_blocking_or_crashing(acme, receiver, monkeypatch):
    from callers.app import CallersApp
    from screens.queue import QueueScreen

    monkeypatch.delenv("CALLERS_NOW")  # real time: the app's worker reads the clock
    hook("Billing", receiver.url)  # down
    first = forwards.create(acme.id, "Billing", "ana", note="first")

    class App(CallersApp):
        HOOKS_FIRST = 0.05
        HOOKS_SECONDS = 0.1

    app = App(caller="bill", first=lambda user: QueueScreen("Billing", user))

    async def until(condition, seconds: float = 20.0) -> None:
        deadline = time.monotonic() + seconds
        while not condition():
            assert time.monotonic() < deadline, "timed out"
            await pilot.pause(0.05)

    monkeypatch.setattr(webhooks, "BACKOFF_FIRST", 0.2)
    monkeypatch.setattr(webhooks, "TIMEOUT", 1.0)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(lambda: any(w.attempts for w in webhooks.pending()))  # tried, failed, quietly
        assert isinstance(app.screen, QueueScreen)
        receiver.mode, receiver.slow = "slow", 3.0
        receiver.start()
        await until(lambda: receiver.arrived == 1)  # a POST hangs on the slow endpoint...
        screen = app.screen
        await pilot.press("t")  # ...and the keys do not wait for it
        await until(lambda: "done shown" in str(screen.query_one("#queue-title").render()))
        assert receiver.received == []  # still hanging
        await pilot.press("t")
        receiver.mode = "up"
        await until(lambda: len(receiver.accepted) == 1)
        await pilot.press("a")  # acknowledge in the queue: its event goes out too
        await until(lambda: len(receiver.accepted) == 2)
        assert [r.event for r in receiver.accepted] == ["created", "acknowledged"]
        assert receiver.accepted[1].json["forward"]["id"] == first.id
        assert webhooks.pending() == []
