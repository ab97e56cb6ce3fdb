"""Forwards: the domain on both engines, the CLI, and the ForwardNote modal."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from textual.app import App

from callers import calls, clock, departments, forwards
from callers.calls import ForwardFact
from callers.cli import main
from callers.errors import CallersError
from models.tables import Call, Customer, Department, Forward, ForwardEvent
from screens.forward_note import ForwardNote
from tests.support import factories

T0 = "2026-11-23T09:00:00+00:00"


@pytest.fixture
def acme(db, now):
    now(T0)
    return factories.customer("Acme Ltd", external_id="A-1", account_manager="Lee Park",
                              contact_name="Jane Doe")


# ---- departments -----------------------------------------------------------------


def test_default_departments_in_order(db):
    assert [(d.name, d.kind, d.key) for d in departments.departments()] == [
        ("Billing", "billing", "f5"),
        ("Support", "support", "f6"),
        ("Account management", "account_manager", "f7"),
    ]


def test_add_department_with_key(db):
    added = departments.add_department("Professional services", key="F8")
    assert (added.name, added.kind, added.key) == ("Professional services", "other", "f8")
    assert [d.name for d in departments.departments()][-1] == "Professional services"


@pytest.mark.parametrize("key", ["F1", "f2", "F3", "F4", "F9", "F10", "F11", "F12"])
def test_add_department_refuses_desk_keys(db, key):
    with pytest.raises(CallersError, match="desk's own key"):
        departments.add_department("Legal", key=key)
    assert Department.select().count() == 3


def test_add_department_refuses_taken_key_name_and_non_function_keys(db):
    with pytest.raises(CallersError, match="F5 already forwards to Billing"):
        departments.add_department("Legal", key="F5")
    with pytest.raises(CallersError, match="already a department named 'Billing'"):
        departments.add_department("billing")
    with pytest.raises(CallersError, match="function key"):
        departments.add_department("Legal", key="x")


# ---- filing ----------------------------------------------------------------------


@pytest.mark.parametrize("name, department, kind", [
    ("billing", "Billing", "billing"),
    ("SUPPORT", "Support", "support"),
    ("Account management", "Account management", "account_manager"),
    ("account manager", "Account management", "account_manager"),
    ("f5", "Billing", "billing"),
])
def test_create_each_kind(acme, name, department, kind):
    filed = forwards.create(acme.id, name, "amy", note="[ERR-7] invoice twice")
    row = Forward.get_by_id(filed.id)
    assert filed.department == department
    assert row.department.kind == kind
    assert (row.status, row.caller, row.note, row.customer_id) == ("open", "amy", "[ERR-7] invoice twice", acme.id)
    assert row.contact_id == acme.call_contact  # the number the customer is called on
    assert row.created_at.isoformat() == "2026-11-23T09:00:00"
    events = forwards.events(filed.id)
    assert [(s, by, note) for s, _, by, note in events] == [("open", "amy", "[ERR-7] invoice twice")]
    if kind == "account_manager":
        assert (filed.assignee, row.assignee) == ("Lee Park", "Lee Park")
        assert filed.message == "Forwarded to Lee Park, account manager"
    else:
        assert (filed.assignee, row.assignee) == (None, None)
        assert filed.message == f"Forwarded to {department}"


def test_account_manager_forward_without_manager(db, now):
    now(T0)
    orphan = factories.customer("Orphan GmbH", phone=None)
    filed = forwards.create(orphan.id, "account_manager", "amy")
    assert filed.assignee is None
    assert filed.message == "Forwarded to Account management"
    assert Forward.get_by_id(filed.id).contact_id is None


def test_create_records_call_and_contact_and_empty_note(acme):
    call = Call.create(customer=acme, caller="amy", shown_at=acme.created_at)
    filed = forwards.create(acme.id, "Billing", "amy", note="   ", call_id=call.id, contact_id=acme.call_contact)
    row = Forward.get_by_id(filed.id)
    assert (row.call_id, row.contact_id, row.note) == (call.id, acme.call_contact, None)


def test_replay_with_the_same_time_files_once(acme):
    from callers import clock

    at = clock.now()
    first = forwards.create(acme.id, "Billing", "amy", note="twice?", now=at)
    again = forwards.create(acme.id, "billing", "amy", note="twice?", now=at)
    assert again == first
    other = forwards.create(acme.id, "Billing", "amy", note="another problem", now=at)
    assert other.id != first.id
    assert Forward.select().count() == 2 and ForwardEvent.select().count() == 2


def test_unknown_department_lists_known_ones(acme):
    with pytest.raises(CallersError) as err:
        forwards.create(acme.id, "Legal", "amy")
    assert str(err.value) == "unknown department 'Legal'; known departments: Billing, Support, Account management"
    assert Forward.select().count() == 0


def test_unknown_customer(db):
    with pytest.raises(CallersError, match="no customer 999"):
        forwards.create(999, "Billing", "amy")


# ---- transitions -------------------------------------------------------------------


def _history(forward_id):
    return [(s, at.isoformat(), by, note) for s, at, by, note in forwards.events(forward_id)]


def test_open_acknowledged_done(acme, now):
    filed = forwards.create(acme.id, "Billing", "amy", note="double invoice")
    now("2026-11-23T10:00:00+00:00")
    forwards.acknowledge(filed.id, "bill")
    now("2026-11-24T11:30:00+00:00")
    forwards.done(filed.id, "bill", "credit note issued")
    row = Forward.get_by_id(filed.id)
    assert row.status == "done"
    assert (row.acknowledged_at.isoformat(), row.acknowledged_by) == ("2026-11-23T10:00:00", "bill")
    assert (row.resolved_at.isoformat(), row.resolved_by, row.resolution) == (
        "2026-11-24T11:30:00", "bill", "credit note issued")
    assert _history(filed.id) == [
        ("open", "2026-11-23T09:00:00+00:00", "amy", "double invoice"),
        ("acknowledged", "2026-11-23T10:00:00+00:00", "bill", None),
        ("done", "2026-11-24T11:30:00+00:00", "bill", "credit note issued"),
    ]


def test_return_not_ours_with_reason(acme, now):
    filed = forwards.create(acme.id, "Support", "amy")
    now("2026-11-23T12:00:00+00:00")
    forwards.return_(filed.id, "sue", "licence question: sales")
    row = Forward.get_by_id(filed.id)
    assert (row.status, row.resolution, row.resolved_by) == ("returned", "licence question: sales", "sue")
    assert _history(filed.id)[-1] == ("returned", "2026-11-23T12:00:00+00:00", "sue", "licence question: sales")


def test_withdraw_only_open(acme):
    filed = forwards.create(acme.id, "Billing", "amy")
    forwards.withdraw(filed.id, "amy")
    row = Forward.get_by_id(filed.id)
    assert (row.status, row.resolved_by) == ("withdrawn", "amy")
    assert [e[0] for e in forwards.events(filed.id)] == ["open", "withdrawn"]
    with pytest.raises(CallersError, match="forward .* is withdrawn; only open forwards can be withdrawn"):
        forwards.withdraw(filed.id, "amy")
    other = forwards.create(acme.id, "Billing", "amy")
    forwards.acknowledge(other.id, "bill")
    with pytest.raises(CallersError, match="is acknowledged; only open forwards can be withdrawn"):
        forwards.withdraw(other.id, "amy")


@pytest.mark.parametrize("first, then, message", [
    ("done", "acknowledge", "is done; only open forwards can be acknowledged"),
    ("done", "done", "is done; only open or acknowledged forwards can be marked done"),
    ("done", "return_", "is done; only open or acknowledged forwards can be returned as not ours"),
    ("return_", "done", "is not ours; only open or acknowledged forwards can be marked done"),
    ("acknowledge", "acknowledge", "is acknowledged; only open forwards can be acknowledged"),
])
def test_invalid_transitions(acme, first, then, message):
    filed = forwards.create(acme.id, "Billing", "amy")
    steps = {"done": lambda i: forwards.done(i, "bill", "fixed"),
             "return_": lambda i: forwards.return_(i, "bill", "not ours"),
             "acknowledge": lambda i: forwards.acknowledge(i, "bill")}
    steps[first](filed.id)
    count = ForwardEvent.select().count()
    with pytest.raises(CallersError, match=message):
        steps[then](filed.id)
    assert ForwardEvent.select().count() == count


def test_done_and_return_need_text_and_missing_forward(acme):
    filed = forwards.create(acme.id, "Billing", "amy")
    with pytest.raises(CallersError, match="resolution note"):
        forwards.done(filed.id, "bill", "  ")
    with pytest.raises(CallersError, match="needs a reason"):
        forwards.return_(filed.id, "bill", "")
    with pytest.raises(CallersError, match="no forward 4242"):
        forwards.acknowledge(4242, "bill")
    assert Forward.get_by_id(filed.id).status == "open"


# ---- reading -------------------------------------------------------------------------


def test_queue_oldest_open_first_with_filters(db, now):
    now("2026-11-20T09:00:00+00:00")
    a = factories.customer("Acme Ltd", account_manager="Lee Park", contact_name="Jane Doe")
    old = forwards.create(a.id, "Billing", "amy", note="[ERR-7] double invoice")
    now("2026-11-21T09:00:00+00:00")
    b = factories.customer("Beta SA", phone="+41446681800", contact_name="Hans Muster", account_manager="Kim Roe")
    newer = forwards.create(b.id, "Billing", "amy", note="wrong VAT")
    finished = forwards.create(b.id, "Billing", "amy", note="address change")
    forwards.create(a.id, "Support", "amy", note="login fails")
    lee = forwards.create(a.id, "Account management", "amy")
    kim = forwards.create(b.id, "Account management", "amy")
    now("2026-11-22T09:00:00+00:00")
    forwards.done(finished.id, "bill", "address updated")
    forwards.acknowledge(newer.id, "bill")
    at = now("2026-11-23T09:00:00+00:00")

    items = forwards.queue("billing")
    assert [i.id for i in items] == [old.id, newer.id]
    first = items[0]
    assert (first.customer, first.contact, first.phone, first.note, first.caller, first.status) == (
        "Acme Ltd", "Jane Doe", "+44 20 7946 0958", "[ERR-7] double invoice", "amy", "open")
    assert first.age == timedelta(days=3) and forwards.age_text(first.age) == "3d"
    assert items[1].status == "acknowledged" and items[1].acknowledged_by == "bill"
    assert items[1].phone == "+41 44 668 18 00"

    assert [i.id for i in forwards.queue("Billing", include_done=True)] == [old.id, newer.id, finished.id]
    assert [i.id for i in forwards.queue("Billing", text="hans")] == [newer.id]
    assert [i.id for i in forwards.queue("Billing", text="err-7")] == [old.id]
    assert [i.id for i in forwards.queue("Billing", text="ACME")] == [old.id]
    assert [i.id for i in forwards.queue("Billing", text="100%")] == []
    assert [i.id for i in forwards.queue("Billing", text="address", include_done=True)] == [finished.id]
    assert [i.id for i in forwards.queue("Account management")] == [lee.id, kim.id]
    assert [i.id for i in forwards.queue("Account management", assignee="kim roe")] == [kim.id]
    assert at.isoformat() == "2026-11-23T09:00:00+00:00"


def test_the_desk_sees_open_forwards_and_those_resolved_since_the_last_call(db, now):
    """What the desk shows of a customer's forwards (calls.forward_facts):
    the open ones, and those finished since the last completed call (else
    within the cycle), newest first: done or returned by the department, or
    withdrawn by a caller."""
    now("2026-11-01T09:00:00+00:00")
    c = factories.customer("Acme Ltd")
    earlier = forwards.create(c.id, "Billing", "amy", note="old problem")
    forwards.done(earlier.id, "bill", "refunded")  # resolved before the last call
    now("2026-11-10T09:00:00+00:00")
    last_call = now("2026-11-10T09:05:00+00:00")
    credit = forwards.create(c.id, "Billing", "amy", note="credit note")
    still = forwards.create(c.id, "Support", "amy", note="slow reports")
    withdrawn = forwards.create(c.id, "Support", "amy")
    forwards.withdraw(withdrawn.id, "amy")
    now("2026-11-12T14:00:00+00:00")
    forwards.done(credit.id, "bill", "credit note issued")

    Customer.update(last_reached_at=clock.to_db(last_call)).where(Customer.id == c.id).execute()
    open_now, resolved = calls.forward_facts(c.id)
    assert all(isinstance(f, ForwardFact) for f in open_now + resolved)
    assert [(f.id, f.department, f.status) for f in open_now + resolved] == [
        (still.id, "Support", "open"), (withdrawn.id, "Support", "withdrawn"), (credit.id, "Billing", "done")]
    assert resolved[1].resolution == "credit note issued"
    assert resolved[1].resolved_at.isoformat() == "2026-11-12T14:00:00+00:00"
    # Never reached: what was resolved within the cycle.
    Customer.update(last_reached_at=None).where(Customer.id == c.id).execute()
    open_now, resolved = calls.forward_facts(c.id)
    assert [f.id for f in open_now] == [still.id]
    assert [f.id for f in resolved] == [withdrawn.id, credit.id, earlier.id]


# ---- CLI -------------------------------------------------------------------------------


def test_cli_forwards_json_and_actions(acme, now, capsys):
    filed = forwards.create(acme.id, "Billing", "amy", note="[ERR-7] twice")
    forwards.create(acme.id, "Support", "amy")
    now("2026-11-23T10:00:00+00:00")
    assert main(["forwards", "ack", str(filed.id), "--as", "bill"]) == 0
    assert main(["forwards", "done", str(filed.id), "--note", "credit note issued", "--as", "bill"]) == 0
    capsys.readouterr()
    assert main(["forwards", "--department", "billing", "--status", "done", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert len(rows) == 1
    row = rows[0]
    assert row["id"] == filed.id
    assert {k: row[k] for k in ("customer", "external_id", "contact", "phone", "department", "assignee", "note",
                                "status", "caller", "resolution")} == {
        "customer": "Acme Ltd", "external_id": "A-1", "contact": "Jane Doe", "phone": "+44 20 7946 0958",
        "department": "Billing", "assignee": None, "note": "[ERR-7] twice", "status": "done", "caller": "amy",
        "resolution": "credit note issued"}
    assert row["created_at"] == "2026-11-23T09:00:00+00:00"
    assert row["acknowledged_at"] == row["resolved_at"] == "2026-11-23T10:00:00+00:00"
    assert row["acknowledged_by"] == row["resolved_by"] == "bill"

    assert main(["forwards", "--format", "json"]) == 0
    assert [r["department"] for r in json.loads(capsys.readouterr().out)] == ["Billing", "Support"]


def test_cli_return_and_errors(acme, capsys):
    filed = forwards.create(acme.id, "Support", "amy")
    assert main(["forwards", "return", str(filed.id), "--reason", "sales question", "--as", "sue"]) == 0
    assert "not ours" in capsys.readouterr().out
    assert Forward.get_by_id(filed.id).status == "returned"
    assert main(["forwards", "done", str(filed.id), "--note", "x"]) == 1
    err = capsys.readouterr().err
    assert err.strip() == f"callers: error: forward {filed.id} is not ours; only open or acknowledged forwards " \
                          "can be marked done"
    assert main(["forwards", "--department", "Legal"]) == 1
    assert "known departments: Billing, Support, Account management" in capsys.readouterr().err
    assert main(["forwards", "done", str(filed.id)]) == 1
    assert "needs --note TEXT" in capsys.readouterr().err


def test_cli_forwards_text(acme, capsys):
    forwards.create(acme.id, "Billing", "amy", note="[ERR-7] twice")
    assert main(["forwards"]) == 0
    out = capsys.readouterr().out
    assert "Acme Ltd" in out and "[ERR-7] twice" in out and "Billing" in out and "open" in out


def test_cli_departments(db, capsys):
    assert main(["departments", "add", "Professional services", "--key", "F8"]) == 0
    assert "Professional services" in capsys.readouterr().out
    assert main(["departments", "add", "Legal", "--key", "F9"]) == 1
    assert "F9 is the desk's own key" in capsys.readouterr().err
    assert main(["departments"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == ["F5", "F6", "F7", "F8"]
    assert "Professional services" in lines[-1]
    assert main(["departments", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)[-1] == {
        "id": 4, "name": "Professional services", "kind": "other", "key": "f8", "webhook": None}


# ---- ForwardNote on its own --------------------------------------------------------------


class NoteHost(App):
    def __init__(self, note: str = "") -> None:
        super().__init__()
        self.note = note
        self.results: list[str | None] = []

    def on_mount(self) -> None:
        self.push_screen(ForwardNote("Billing", note=self.note), self.results.append)


async def test_forward_note_enter_returns_text_as_typed():
    app = NoteHost()
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, ForwardNote)
        assert app.screen.query_one("#forward-note").border_title == "Forward to Billing — note (optional)"
        await pilot.press(*"[ERR-7] x", "enter")
        await pilot.pause()
        assert app.results == ["[ERR-7] x"]
        assert not isinstance(app.screen, ForwardNote)


async def test_forward_note_empty_enter_and_escape():
    app = NoteHost()
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        assert app.results == [""]
    app = NoteHost()
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await pilot.pause()
        await pilot.press("a", "escape")
        await pilot.pause()
        assert app.results == [None]


async def test_forward_note_keeps_note_for_retry():
    app = NoteHost(note="kept")
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await pilot.pause()
        await pilot.press("!", "enter")
        await pilot.pause()
        assert app.results == ["kept!"]


def test_cli_department_member_sees_only_their_department(acme, capsys, engine):
    from callers import access

    if engine != "sqlite":
        pytest.skip("on PostgreSQL the login decides who acts: tests/test_team_security.py")

    access.add_user("boss", "supervisor")
    access.add_user("bill", "department", "Billing")
    billing = forwards.create(acme.id, "Billing", "amy")
    support = forwards.create(acme.id, "Support", "amy")
    assert main(["forwards", "--format", "json", "--as", "bill"]) == 0
    assert [r["id"] for r in json.loads(capsys.readouterr().out)] == [billing.id]
    assert main(["forwards", "--department", "support", "--as", "bill"]) == 1
    assert "only that department's queue" in capsys.readouterr().err
    assert main(["forwards", "ack", str(support.id), "--as", "bill"]) == 1
    assert Forward.get_by_id(support.id).status == "open"
    assert main(["forwards", "ack", str(billing.id), "--as", "bill"]) == 0
    assert main(["departments", "add", "Legal", "--as", "bill"]) == 1
    assert main(["queue", "Support", "--as", "bill"]) == 1
    assert main(["queue", "Legal", "--as", "boss"]) == 1
    assert "known departments: Billing, Support, Account management" in capsys.readouterr().err
