"""Returned forwards go somewhere: `forwards.send_on`, `callers forwards send`,
and the board's list of returned forwards (`n`, then `s`), on both engines."""

from __future__ import annotations

import json

import pytest
from rich.console import Console
from textual.widgets import DataTable, OptionList

from callers import access, forwards
from callers.cli import main
from callers.errors import CallersError
from models import tallies
from models.tables import ForwardEvent
from screens.returned import DepartmentPicker, ReturnedScreen
from screens.supervisor import SupervisorScreen
from tests.support import factories
from tests.support.returned import T0, board, returned, until  # noqa: F401 -- the fixture too


def test_send_on_opens_it_in_the_other_department_and_keeps_the_trail(returned):
    sent = forwards.send_on(returned, "support", "sam", note="  licence keys are Support's  ")
    assert (sent.id, sent.from_department, sent.department, sent.assignee, sent.message) == (
        returned, "Billing", "Support", None, "Sent on to Support")
    item = forwards.get(returned)
    assert (item.department, item.status, item.assignee) == ("Support", "open", None)
    assert (item.acknowledged_at, item.acknowledged_by, item.resolved_at, item.resolved_by, item.resolution) == (
        None, None, None, None, None)
    assert (item.caller, item.note, item.customer) == ("ana", "licence key [lost]", "Acme [Ltd]")
    assert [(e.status, e.at.isoformat(), e.by, e.note, e.from_department, e.to_department)
            for e in forwards.trail(returned)] == [
        ("open", "2026-11-23T09:00:00+00:00", "ana", "licence key [lost]", None, None),
        ("acknowledged", "2026-11-23T09:00:00+00:00", "bill", None, None, None),
        ("returned", "2026-11-24T10:00:00+00:00", "bill", "a support matter", None, None),
        ("sent_on", "2026-11-25T11:30:00+00:00", "sam", "licence keys are Support's", "Billing", "Support"),
    ]
    assert [i.id for i in forwards.queue("Support")] == [returned]
    assert forwards.queue("Billing", include_done=True) == []
    # Support works it as any forward of its own.
    forwards.acknowledge(returned, "sue")
    forwards.done(returned, "sue", "new key sent")
    assert forwards.get(returned).status == "done"
    assert tallies.check() == []  # the report's counts follow it to its new department


def test_send_on_to_account_management_goes_to_the_account_manager(returned):
    sent = forwards.send_on(returned, "account manager", "sam")
    assert (sent.department, sent.assignee, sent.message) == (
        "Account management", "Lee Park", "Sent on to Lee Park, account manager")
    assert forwards.get(returned).assignee == "Lee Park"


def test_a_forward_returned_again_can_be_sent_on_again(returned):
    forwards.send_on(returned, "Support", "sam")
    forwards.return_(returned, "sue", "billing after all")
    forwards.send_on(returned, "Billing", "sam")
    moves = [(e.from_department, e.to_department) for e in forwards.trail(returned) if e.status == "sent_on"]
    assert moves == [("Billing", "Support"), ("Support", "Billing")]
    assert forwards.get(returned).department == "Billing"


@pytest.mark.parametrize("setup, department, message", [
    (None, "Billing", "came back from Billing: send it to another department"),
    (None, "Legal", "unknown department 'Legal'"),
    ("send", "Account management", "is open; only forwards returned as not ours can be sent on"),
])
def test_send_on_refuses_what_makes_no_sense(returned, setup, department, message):
    if setup == "send":
        forwards.send_on(returned, "Support", "sam")
    events = ForwardEvent.select().count()
    with pytest.raises(CallersError, match=message):
        forwards.send_on(returned, department, "sam")
    assert ForwardEvent.select().count() == events


def test_send_on_refuses_unknown_forwards_and_nameless_supervisors(returned):
    with pytest.raises(CallersError, match="no forward 999"):
        forwards.send_on(999, "Support", "sam")
    with pytest.raises(CallersError, match="say who is doing this"):
        forwards.send_on(returned, "Support", " ")
    assert forwards.get(returned).status == "returned"


def test_open_done_and_withdrawn_forwards_cannot_be_sent_on(db, now):
    now(T0)
    acme = factories.customer("Acme Ltd")
    open_ = forwards.create(acme.id, "Billing", "ana").id
    done = forwards.create(acme.id, "Billing", "ana").id
    forwards.done(done, "bill", "fixed")
    gone = forwards.create(acme.id, "Billing", "ana").id
    forwards.withdraw(gone, "ana")
    for forward_id, label in ((open_, "open"), (done, "done"), (gone, "withdrawn")):
        with pytest.raises(CallersError, match=f"forward {forward_id} is {label}; only forwards returned"):
            forwards.send_on(forward_id, "Support", "sam")


# ---- the command line ---------------------------------------------------------------------


def test_cli_send(returned, capsys):
    assert main(["forwards", "send", str(returned), "--department", "support", "--note", "theirs"]) == 0
    assert capsys.readouterr().out.strip() == f"Forward {returned} sent on from Billing: Sent on to Support"
    assert main(["forwards", "--status", "open", "--format", "json"]) == 0
    [listed] = json.loads(capsys.readouterr().out)
    assert (listed["id"], listed["department"], listed["status"]) == (returned, "Support", "open")


def test_cli_send_needs_a_department_and_a_returned_forward(returned, capsys):
    assert main(["forwards", "send", str(returned)]) == 1
    assert capsys.readouterr().err.strip() == (
        "callers: error: `callers forwards send ID` needs --department D (where the forward goes now)")
    assert main(["forwards", "send", "--department", "Support"]) == 1
    assert "needs the forward's ID" in capsys.readouterr().err
    assert main(["forwards", "send", str(returned), "--department", "Billing"]) == 1
    assert "send it to another department" in capsys.readouterr().err


def test_cli_send_is_for_supervisors(returned, engine, capsys):
    access.add_user("sam", "supervisor")
    access.add_user("bill", "department", "Billing")
    access.add_user("ana", "caller")
    for who in ("bill", "ana"):
        assert main(["forwards", "send", str(returned), "--department", "Support", "--as", who]) == 1
        err = capsys.readouterr().err
        if engine == "postgresql":  # the administrator's connection may act for a supervisor only
            assert "--as may name a supervisor" in err and who in err, err
        else:
            assert err.startswith(f"callers: error: {who} is "), err
    assert forwards.get(returned).status == "returned"
    assert main(["forwards", "send", str(returned), "--department", "Support", "--as", "sam"]) == 0
    assert forwards.trail(returned)[-1].by == "sam"


# ---- the board's returned list --------------------------------------------------------------


def painted(app) -> str:
    """The screen as the terminal shows it, toasts included, as text."""
    console = Console(width=app.size.width, height=app.size.height, record=True, force_terminal=True,
                      legacy_windows=False, safe_box=False, file=open("/dev/null", "w"))
    console.print(app.screen._compositor.render_update(full=True, screen_stack=app._background_screens))
    return console.export_text()


async def toast(pilot, text: str) -> None:
    """Wait until a notification saying `text` is on the screen, painted
    (a screen that crashes painting its own toast fails here)."""
    from textual.widgets._toast import Toast

    app = pilot.app
    await until(pilot, lambda: any(text in str(t.render()) for t in app.screen.query(Toast)))
    await pilot.pause()
    shown = " ".join(painted(app).split())
    assert all(word in shown for word in text.split()), shown


def rows(screen) -> list[tuple[str, ...]]:
    table = screen.query_one(DataTable)
    return [tuple(str(cell) for cell in table.get_row_at(i)) for i in range(table.row_count)]


async def test_board_n_lists_returned_forwards_and_s_sends_one_on(returned):
    app = board()
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await until(pilot, lambda: app.screen.refreshes >= 1)
        await pilot.press("n")
        screen = app.screen
        assert isinstance(screen, ReturnedScreen)
        await until(pilot, lambda: screen.query_one(DataTable).row_count == 1)
        assert rows(screen) == [("25h", "Acme [Ltd]", "Billing", "a support matter", "bill")]
        assert "Not ours by bill" in painted(app) and "licence key [lost]" in painted(app)

        await pilot.press("s")
        picker = app.screen
        assert isinstance(picker, DepartmentPicker)
        options = picker.query_one(OptionList)
        assert [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)] == [
            "Support", "Account management"]
        await pilot.press("down", "enter")
        await until(pilot, lambda: app.screen is screen and screen.query_one(DataTable).row_count == 0)
        await toast(pilot, f"#{returned} Sent on to Lee Park, account manager")
        assert forwards.get(returned).department == "Account management"
        assert "Nothing returned" in painted(app)

        await pilot.press("escape")
        assert isinstance(app.screen, SupervisorScreen)


async def test_esc_in_the_picker_sends_nothing(returned):
    app = board()
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await pilot.press("n")
        await until(pilot, lambda: app.screen.query_one(DataTable).row_count == 1)
        await pilot.press("s")
        assert isinstance(app.screen, DepartmentPicker)
        await pilot.press("escape")
        assert isinstance(app.screen, ReturnedScreen)
        await app.workers.wait_for_complete()
        assert forwards.get(returned).status == "returned"


async def test_a_forward_sent_on_elsewhere_meanwhile_is_said_not_crashed(returned):
    app = board()
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await pilot.press("n")
        screen = app.screen
        await until(pilot, lambda: screen.query_one(DataTable).row_count == 1)
        forwards.send_on(returned, "Support", "someone else")  # another supervisor, a moment earlier
        await pilot.press("s", "enter")
        await toast(pilot, f"Not sent: forward {returned} is open; only forwards returned as not ours can be sent on")
        assert forwards.get(returned).department == "Support"
