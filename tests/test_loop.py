"""Closing the loop: "Was it fixed?" on the next call, for each forward done
since the customer's last call. SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest

from callers import calls, clock, departments, forwards, loop, report, webhooks
from callers.cli import main
from callers.errors import CallersError
from models import tallies
from models.tables import Forward, ForwardEvent, WebhookDelivery
from tests.support import factories

T0 = "2026-11-02T10:00:00+00:00"  # a Monday


@pytest.fixture
def acme(db, now):
    """Acme, reached on a first call (Nov 2), with a forward to Billing filed
    on it and marked done a week later."""
    now(T0)
    acme = factories.customer("Acme Ltd", external_id="A-1")
    first = calls.open_call("cal", acme.id)
    calls.start_call(first.call_id)
    filed = forwards.create(acme.id, "Billing", "cal", note="invoice sent twice", call_id=first.call_id)
    calls.end_call(first.call_id, "completed")
    now("2026-11-09T10:00:00+00:00")
    forwards.done(filed.id, "bill", "credit note issued")
    return acme, filed.id


def _next_call(now, acme, when="2026-11-20T10:00:00+00:00", caller="cat"):
    now(when)
    state = calls.open_call(caller, acme.id)
    calls.start_call(state.call_id)
    return state.call_id


def test_a_forward_done_since_the_last_call_is_asked_about_once(acme, now):
    customer, fid = acme
    asked = loop.to_ask(customer.id)
    assert [(q.forward_id, q.department, q.note, q.resolution, q.reopened) for q in asked] == \
        [(fid, "Billing", "invoice sent twice", "credit note issued", 0)]
    call_id = _next_call(now, customer)
    got = loop.answer(call_id, fid, "y", seconds=4)
    assert (got.status, got.message) == ("fixed", "Confirmed fixed: Billing")
    event = ForwardEvent.get(ForwardEvent.forward == fid, ForwardEvent.status == "fixed")
    assert (event.by, event.call_id, event.seconds) == ("cat", call_id, 4)  # the call's caller, not the filer
    assert loop.to_ask(customer.id) == []  # answered: not asked again
    # the same answer replayed on the same call is saved once
    assert loop.answer(call_id, fid, "y").status == "fixed"
    assert ForwardEvent.select().where(ForwardEvent.status == "fixed").count() == 1
    assert Forward.get_by_id(fid).status == "done"


def test_enter_records_nothing_and_the_question_stays(acme, now):
    customer, fid = acme
    call_id = _next_call(now, customer)
    before = ForwardEvent.select().count()
    assert loop.answer(call_id, fid, "") is None
    assert loop.answer(call_id, fid, None) is None
    assert ForwardEvent.select().count() == before
    assert [q.forward_id for q in loop.to_ask(customer.id)] == [fid]


def test_no_reopens_to_the_same_department_with_the_customers_words(acme, now):
    customer, fid = acme
    call_id = _next_call(now, customer)
    got = loop.answer(call_id, fid, "n", words="still billed twice [red]in Dec[/red]", seconds=11)
    assert (got.status, got.department, got.message) == ("reopened", "Billing", "Reopened to Billing")
    row = Forward.get_by_id(fid)
    assert (row.status, row.reopened, row.department.name) == ("open", 1, "Billing")
    assert row.resolved_at is None and row.resolution is None
    assert row.note == "invoice sent twice | customer: still billed twice [red]in Dec[/red]"  # literal
    trail = forwards.trail(fid)
    assert [e.status for e in trail] == ["open", "done", "reopened"]
    assert (trail[-1].by, trail[-1].note, trail[-1].to_department) == \
        ("cat", "still billed twice [red]in Dec[/red]", "Billing")
    assert [i.id for i in forwards.queue("Billing")] == [fid]  # back in the department's queue
    assert forwards.as_json(forwards.get(fid))["reopened"] == 1
    assert tallies.check() == []
    # done again, then asked again on the call after, and reopened a second time
    calls.end_call(call_id, "completed")
    now("2026-11-25T10:00:00+00:00")
    forwards.done(fid, "bill", "refunded")
    call_2 = _next_call(now, customer, "2026-12-01T10:00:00+00:00")
    assert [q.reopened for q in loop.to_ask(customer.id)] == [1]
    assert loop.answer(call_2, fid, "no").message == "Reopened to Billing (2nd time)"
    assert Forward.get_by_id(fid).reopened == 2


def test_partly_is_recorded_as_such(acme, now):
    customer, fid = acme
    call_id = _next_call(now, customer)
    got = loop.answer(call_id, fid, "p", words="better, not gone")
    assert got.status == "partly_fixed" and got.message == "Partly fixed: Billing"
    assert Forward.get_by_id(fid).status == "done"
    assert forwards.trail(fid)[-1].note == "better, not gone"
    assert loop.to_ask(customer.id) == []


def test_only_forwards_done_since_the_last_completed_call(acme, now):
    customer, fid = acme
    call_id = _next_call(now, customer)
    calls.end_call(call_id, "completed")  # nobody asked (Enter): done before this call
    assert loop.to_ask(customer.id) == []
    other = forwards.create(customer.id, "Support", "cat", note="slow reports")
    assert loop.to_ask(customer.id) == []  # open: nothing to ask
    now("2026-11-21T10:00:00+00:00")
    forwards.return_(other.id, "sue", "not ours")
    assert loop.to_ask(customer.id) == []  # returned is not done
    forwards.send_on(other.id, "Billing", "sam")
    forwards.done(other.id, "bill", "sped up")
    assert [q.forward_id for q in loop.to_ask(customer.id)] == [other.id]


def test_bad_answers_get_one_clear_line(acme, now):
    customer, fid = acme
    call_id = _next_call(now, customer)
    with pytest.raises(CallersError, match="not y .yes., n .no. or p .partly."):
        loop.answer(call_id, fid, "maybe")
    other = factories.customer("Other Ltd", phone="+442079460959")
    theirs = forwards.create(other.id, "Support", "cat", note="x")
    with pytest.raises(CallersError, match="not about this call's customer"):
        loop.answer(call_id, theirs.id, "y")
    mine = forwards.create(customer.id, "Support", "cat", note="still open")
    with pytest.raises(CallersError, match="only forwards marked done"):
        loop.answer(call_id, mine.id, "y")
    calls.end_call(call_id, "completed")
    with pytest.raises(CallersError, match="already ended"):
        loop.answer(call_id, fid, "y")
    with pytest.raises(CallersError, match="negative"):
        loop.answer(_next_call(now, customer, "2026-12-01T10:00:00+00:00"), fid, "y", seconds=-1)


def test_reopened_goes_to_the_departments_webhook_and_fixed_does_not(acme, now):
    customer, fid = acme
    webhooks.set_hook(departments.department("Billing").id, "http://127.0.0.1:9/hook", "sam")
    call_id = _next_call(now, customer)
    loop.answer(call_id, fid, "n", words="still wrong")
    bodies = [json.loads(d.body) for d in WebhookDelivery.select().order_by(WebhookDelivery.id)]
    assert [b["event"] for b in bodies] == ["reopened"]
    assert bodies[0]["forward"]["status"] == "open" and bodies[0]["forward"]["reopened"] == 1
    assert bodies[0]["note"] == "still wrong"
    calls.end_call(call_id, "completed")
    now("2026-11-25T10:00:00+00:00")
    forwards.done(fid, "bill", "fixed now")
    call_2 = _next_call(now, customer, "2026-12-01T10:00:00+00:00")
    loop.answer(call_2, fid, "y")
    assert [json.loads(d.body)["event"] for d in WebhookDelivery.select().order_by(WebhookDelivery.id)] == \
        ["reopened", "done"]  # the department's own "done" is carried; the customer's yes is not an event there


def test_the_report_counts_done_confirmed_fixed_reopened_and_the_rate(acme, now, capsys):
    customer, fid = acme
    beta = factories.customer("Beta GmbH", phone="+442079460959")
    gamma = factories.customer("Gamma Inc", phone="+442079460957")
    filed = {}
    for c in (beta, gamma):
        now(T0)
        state = calls.open_call("cal", c.id)
        calls.start_call(state.call_id)
        filed[c.id] = forwards.create(c.id, "Billing", "cal", note="n", call_id=state.call_id).id
        calls.end_call(state.call_id, "completed")
        now("2026-11-09T10:00:00+00:00")
        forwards.done(filed[c.id], "bill", "done")
    for c, fw, key in ((customer, fid, "y"), (beta, filed[beta.id], "n"), (gamma, filed[gamma.id], "p")):
        call_id = _next_call(now, c)
        loop.answer(call_id, fw, key)
        calls.end_call(call_id, "completed")
    now("2026-11-24T10:00:00+00:00")
    figures = report.build(report.parse_period("2026-11-01", "2026-11-30"), parallel=False)
    billing = next(d for d in figures.departments if d.name == "Billing")
    assert (billing.done, billing.confirmed_fixed, billing.partly_fixed, billing.reopened) == (2, 1, 1, 1)
    assert billing.confirmed_fixed_rate == pytest.approx(0.333)
    data = report.to_dict(figures)
    dep = next(d for d in data["departments"] if d["name"] == "Billing")
    assert (dep["confirmed_fixed"], dep["reopened"], dep["confirmed_fixed_rate"]) == (1, 1, 0.333)
    support = next(d for d in data["departments"] if d["name"] == "Support")
    assert (support["confirmed_fixed"], support["reopened"], support["confirmed_fixed_rate"]) == (0, 0, None)
    text = report.to_text(figures)
    assert "Was it fixed?" in text and "33%" in text
    assert main(["report", "--since", "2026-11-01", "--until", "2026-11-30", "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert next(d for d in out["departments"] if d["name"] == "Billing")["confirmed_fixed"] == 1
    # a period before any answer counts none
    early = report.build(report.parse_period("2026-11-01", "2026-11-10"), parallel=False)
    assert next(d for d in early.departments if d.name == "Billing").confirmed_fixed == 0


def test_parse_keys():
    assert [loop.parse(k) for k in ("y", "Y", "yes", "n", "no", "p", "partly", "", None, "enter")] == \
        ["fixed", "fixed", "fixed", "reopened", "reopened", "partly_fixed", "partly_fixed", None, None, None]


def test_schema_10_upgrades_a_schema_9_database_with_its_forwards_and_calls(db_url, engine):
    """Forwards, events and calls made before schema 10 keep their tallies;
    the new columns are empty (never a fact nobody gave) and the schema
    matches the models."""
    from models import connect, schema

    admin = connect(db_url)
    schema.upgrade(admin, target="0009_user_logins")
    p = admin.param
    admin.execute_sql("INSERT INTO department (name, kind, position) VALUES ('Billing', 'billing', 1)")
    admin.execute_sql("INSERT INTO customer (name, name_key, created_at, updated_at, do_not_call, due_rank, attempts, "
                      "needs_number, unreachable) VALUES ('Acme', 'acme', '2026-11-01 10:00:00', "
                      f"'2026-11-01 10:00:00', {p}, 0, 0, {p}, {p})", (False, False, False))
    admin.execute_sql("INSERT INTO call (customer_id, caller, shown_at, started_at, ended_at, outcome) "
                      "VALUES (1, 'cal', '2026-11-01 10:00:00', '2026-11-01 10:00:05', '2026-11-01 10:03:00', "
                      "'completed')")
    admin.execute_sql("INSERT INTO call_answer (call_id, step, key, answered_at, seq) "
                      "VALUES (1, 'implementation', 'state', '2026-11-01 10:01:00', 1)")
    admin.execute_sql("INSERT INTO forward (customer_id, call_id, caller, department_id, status, created_at, "
                      "resolved_at, resolved_by, resolution) VALUES (1, 1, 'cal', 1, 'done', '2026-11-01 10:02:00', "
                      "'2026-11-03 10:00:00', 'bill', 'fixed')")
    schema.upgrade(admin)
    assert schema.drift(admin) == []
    assert tallies.check(admin) == []
    assert admin.execute_sql("SELECT reopened FROM forward").fetchone()[0] == 0
    assert admin.execute_sql("SELECT seconds FROM call_answer").fetchone()[0] is None
    assert admin.execute_sql("SELECT nps FROM call").fetchone()[0] is None
    assert set(tallies.trigger_names(admin)) == tallies.installed_triggers(admin)
    admin.close()


def test_answers_are_tallied_by_hour_and_move_with_a_forward_sent_on(acme, now):
    """The report reads whole hours from tally_forward_answer and the part-hours
    at either end from the events: a period that starts and ends inside an
    hour counts exactly. A reopened forward returned and sent on to Support
    takes its answers with it (as the count from the rows does); a customer
    deleted takes theirs away. The tally agrees with the rows throughout."""
    customer, fid = acme
    call_id = _next_call(now, customer, when="2026-11-20T10:20:00+00:00")
    assert loop.answer(call_id, fid, "n").status == "reopened"
    calls.end_call(call_id, "completed")
    assert tallies.check() == []

    def counted(since, until):
        got = report.fixed_figures(datetime.fromisoformat(since), datetime.fromisoformat(until))
        return {name: (f.confirmed_fixed, f.partly_fixed, f.reopened) for name, f in got.items()}

    assert counted("2026-11-01T00:00:00+00:00", "2026-11-30T00:00:00+00:00") == {"Billing": (0, 0, 1)}
    # inside the hour, on either side of the answer: the part-hours count it exactly
    assert counted("2026-11-20T10:19:59+00:00", "2026-11-20T10:20:01+00:00") == {"Billing": (0, 0, 1)}
    assert counted("2026-11-20T10:20:01+00:00", "2026-11-30T00:00:00+00:00") == {}
    assert counted("2026-11-01T00:00:00+00:00", "2026-11-20T10:20:00+00:00") == {}

    now("2026-11-21T09:00:00+00:00")
    forwards.return_(fid, "bill", "not ours after all")
    forwards.send_on(fid, "Support", "sue")
    assert tallies.check() == []
    assert counted("2026-11-01T00:00:00+00:00", "2026-11-30T00:00:00+00:00") == {"Support": (0, 0, 1)}

    from models.tables import Customer

    Customer.delete().where(Customer.id == customer.id).execute()  # cascades to forwards and their events
    assert tallies.check() == []
    assert counted("2026-11-01T00:00:00+00:00", "2026-11-30T00:00:00+00:00") == {}
