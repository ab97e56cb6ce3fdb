"""The department queue screen through the pilot, at 80x24, on both engines."""

from __future__ import annotations

import pytest
from textual.widgets import DataTable, Input, OptionList

from callers import forwards
from callers.app import CallersApp
from models.tables import Forward
from screens import queue as queue_screen
from screens.queue import AssigneePicker, LineQuestion, QueueScreen
from tests.support import factories
from tests.support.painted import key_bar_fits, screen_text, toast_painted
from tests.support.queue_ui import rows, settle

SIZE = (80, 24)


@pytest.fixture
def billing(db, now):
    """Two open Billing forwards (Acme the older), one Support, two for account managers."""
    now("2026-11-20T09:00:00+00:00")
    acme = factories.customer("Acme Ltd", account_manager="Lee Park", contact_name="Jane Doe")
    first = forwards.create(acme.id, "Billing", "amy", note="[ERR-7] invoice sent twice")
    now("2026-11-21T09:00:00+00:00")
    beta = factories.customer("Beta SA", phone="+41446681800", contact_name="Hans Muster",
                              account_manager="Kim Roe")
    second = forwards.create(beta.id, "Billing", "bob", note="wrong VAT number")
    forwards.create(beta.id, "Support", "bob", note="login fails")
    lee = forwards.create(acme.id, "Account management", "amy", note="renewal price")
    kim = forwards.create(beta.id, "Account management", "bob", note="wants training")
    now("2026-11-23T09:00:00+00:00")
    return {"first": first.id, "second": second.id, "lee": lee.id, "kim": kim.id}


def app_for(department: str, assignee: str | None = None) -> CallersApp:
    return CallersApp(caller="bill", first=lambda user: QueueScreen(department, user, assignee=assignee))


async def test_lists_oldest_open_first_literally(billing):
    app = app_for("billing")
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, QueueScreen)
        table = rows(app)
        assert [r[1] for r in table] == ["Acme Ltd", "Beta SA"]
        assert table[0] == ("3d", "Acme Ltd", "Jane Doe", "+44 20 7946 0958", "[ERR-7] …", "amy", "open")
        assert table[1][3] == "+41 44 668 18 00"
        detail = str(screen.query_one("#queue-detail").render())
        assert "Note: [ERR-7] invoice sent twice" in detail
        assert "Billing · 2 open" in str(screen.query_one("#queue-title").render())


async def test_a_acknowledges(billing):
    app = app_for("Billing")
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(app, pilot)
        await pilot.press("a")
        await settle(app, pilot)
        row = Forward.get_by_id(billing["first"])
        assert (row.status, row.acknowledged_by) == ("acknowledged", "bill")
        assert rows(app)[0][-1] == "ack"
        await toast_painted(app, pilot, f"#{billing['first']} acknowledged")
        await pilot.press("a")  # already acknowledged: refused, nothing written
        await settle(app, pilot)
        await toast_painted(app, pilot, f"#{billing['first']} is acknowledged: it cannot be acknowledged")
        assert [e[0] for e in forwards.events(billing["first"])] == ["open", "acknowledged"]


async def test_d_asks_for_a_resolution_note(billing):
    app = app_for("Billing")
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(app, pilot)
        await pilot.press("down", "d")
        await pilot.pause()
        assert isinstance(app.screen, LineQuestion)
        await pilot.press("enter")  # an empty resolution is not accepted
        await pilot.pause()
        assert isinstance(app.screen, LineQuestion)
        await pilot.press(*"VAT fixed [ok]", "enter")
        await settle(app, pilot)
        await toast_painted(app, pilot, f"#{billing['second']} done")
        row = Forward.get_by_id(billing["second"])
        assert (row.status, row.resolution, row.resolved_by) == ("done", "VAT fixed [ok]", "bill")
        assert [r[1] for r in rows(app)] == ["Acme Ltd"]  # done items hidden
        await pilot.press("t")
        await settle(app, pilot)
        assert [(r[1], r[-1]) for r in rows(app)] == [("Acme Ltd", "open"), ("Beta SA", "done")]
        await pilot.press("down")
        await pilot.pause()
        assert "Done by bill 23 Nov 09:00: VAT fixed [ok]" in str(app.screen.query_one("#queue-detail").render())
        await pilot.press("t")
        await settle(app, pilot)
        assert [r[1] for r in rows(app)] == ["Acme Ltd"]


async def test_escape_cancels_done(billing):
    app = app_for("Billing")
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(app, pilot)
        await pilot.press("d", "x", "escape")
        await settle(app, pilot)
        assert isinstance(app.screen, QueueScreen)
        assert Forward.get_by_id(billing["first"]).status == "open"


async def test_r_returns_with_reason(billing):
    app = app_for("Billing")
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(app, pilot)
        await pilot.press("r")
        await pilot.pause()
        assert isinstance(app.screen, LineQuestion)
        await pilot.press(*"sales question", "enter")
        await settle(app, pilot)
        await toast_painted(app, pilot, f"#{billing['first']} returned to the supervisor: not ours")
        row = Forward.get_by_id(billing["first"])
        assert (row.status, row.resolution, row.resolved_by) == ("returned", "sales question", "bill")
        assert [r[1] for r in rows(app)] == ["Beta SA"]


async def test_slash_filters_across_customer_note_contact(billing):
    app = app_for("Billing")
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(app, pilot)
        await pilot.press("slash")
        await pilot.pause()
        box = app.screen.query_one("#queue-filter-input", Input)
        assert box.display and box.has_focus
        await pilot.press(*"hans")  # the contact's name; typing 'a' here is not "acknowledge"
        await settle(app, pilot)
        assert [r[1] for r in rows(app)] == ["Beta SA"]
        assert Forward.get_by_id(billing["first"]).status == "open"
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen.query_one(DataTable).has_focus
        await pilot.press("slash", *["backspace"] * 4, *"err-7")
        await settle(app, pilot)
        assert [r[1] for r in rows(app)] == ["Acme Ltd"]
        await pilot.press(*["backspace"] * 5, *"beta")
        await settle(app, pilot)
        assert [r[1] for r in rows(app)] == ["Beta SA"]
        await pilot.press(*["backspace"] * 4, "escape")
        await settle(app, pilot)
        assert not box.display
        assert [r[1] for r in rows(app)] == ["Acme Ltd", "Beta SA"]


async def test_account_management_by_account_manager(billing):
    app = app_for("Account management")
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(app, pilot)
        assert [r[1] for r in rows(app)] == ["Acme Ltd", "Beta SA"]
        await pilot.press("m")
        await settle(app, pilot)
        assert isinstance(app.screen, AssigneePicker)
        picker = app.screen.query_one(OptionList)
        assert [str(picker.get_option_at_index(i).prompt) for i in range(picker.option_count)] == [
            "Everyone", "Kim Roe", "Lee Park"]
        await pilot.press("down", "enter")
        await settle(app, pilot)
        assert [r[1] for r in rows(app)] == ["Beta SA"]
        assert "for Kim Roe" in str(app.screen.query_one("#queue-title").render())
    app = app_for("Account management", assignee="Lee Park")
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(app, pilot)
        assert [r[1] for r in rows(app)] == ["Acme Ltd"]


async def test_manager_key_only_for_account_management(billing):
    app = app_for("Billing")
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(app, pilot)
        await pilot.press("m")
        await settle(app, pilot)
        assert isinstance(app.screen, QueueScreen)


async def test_new_forwards_appear_by_polling(billing, monkeypatch):
    monkeypatch.setattr(queue_screen, "POLL_SECONDS", 0.05)
    app = app_for("Billing")
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(app, pilot)
        assert len(rows(app)) == 2
        gamma = factories.customer("Gamma AG", phone="+41446681801")
        forwards.create(gamma.id, "Billing", "amy", note="new")
        for _ in range(200):  # wait for the condition, not for a fixed time
            await pilot.pause(0.02)
            running = [w for w in app.workers if w.name == "queue-load" and not w.is_finished]
            assert len(running) <= 1  # a poll never stacks behind another
            if len(rows(app)) == 3:
                break
        assert [r[1] for r in rows(app)] == ["Acme Ltd", "Beta SA", "Gamma AG"]


async def test_failed_save_shows_error_and_keeps_the_note(billing):
    app = app_for("Billing")
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(app, pilot)
        forwards.return_(billing["first"], "sue", "not ours")  # someone else, meanwhile
        await pilot.press("d", *"credit note issued", "enter")
        await settle(app, pilot)
        text = await toast_painted(app, pilot, "Not saved: forward")
        assert "Traceback" not in text
        assert Forward.get_by_id(billing["first"]).status == "returned"
        # The typed note is offered again for a retry.
        forwards_row = Forward.get_by_id(billing["first"])
        forwards_row.status = "acknowledged"
        forwards_row.save()
        app.screen.reload()
        await settle(app, pilot)
        assert [r[1] for r in rows(app)] == ["Acme Ltd", "Beta SA"]
        await pilot.press("up", "d")  # the cursor stayed on Beta, the forward it was on
        await pilot.pause()
        assert app.screen.query_one("#line-input", Input).value == "credit note issued"
        await pilot.press("enter")
        await settle(app, pilot)
        assert Forward.get_by_id(billing["first"]).resolution == "credit note issued"


async def test_cursor_stays_on_the_same_forward_across_a_refresh(billing):
    app = app_for("Billing")
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(app, pilot)
        await pilot.press("down")
        await pilot.pause()
        assert app.screen.selected().id == billing["second"]
        forwards.done(billing["first"], "sue", "sorted by phone")  # elsewhere, meanwhile
        app.screen.reload()
        await settle(app, pilot)
        assert [r[1] for r in rows(app)] == ["Beta SA"]
        assert app.screen.selected().id == billing["second"]
        assert "#2 Beta SA" in str(app.screen.query_one("#queue-detail").render())


async def test_nothing_selected_and_a_failed_lookup_are_said(billing, monkeypatch):
    from callers.errors import CallersError

    app = app_for("Account management", assignee="Nobody Here")
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(app, pilot)
        assert rows(app) == []
        await pilot.press("a")
        await toast_painted(app, pilot, "Nothing selected")

        def broken(department):
            raise CallersError("cannot list the [account managers] now")

        monkeypatch.setattr(forwards, "assignees", broken)
        await pilot.press("m")
        await settle(app, pilot)
        text = await toast_painted(app, pilot, "cannot list the [account managers] now")
        assert isinstance(app.screen, QueueScreen) and "Traceback" not in text


async def test_a_customer_name_in_brackets_is_shown_literally_in_the_question(billing):
    from models.tables import Customer

    Customer.update(name="[bold]Acme[/bold] Ltd").where(Customer.name == "Acme Ltd").execute()
    app = app_for("Billing")
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(app, pilot)
        await pilot.press("d")
        await pilot.pause()
        assert isinstance(app.screen, LineQuestion)
        assert "Done: [bold]Acme[/bold] Ltd" in screen_text(app)


async def test_keys_fit_80_columns_and_the_palette_lists_them(billing):
    from screens.commands import screen_commands

    app = app_for("Account management")
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(app, pilot)
        shown = key_bar_fits(app)
        assert ("a", "Acknowledge", True) in shown
        titles = [title for title, _run in screen_commands(app.screen)]
        for expected in ("Acknowledge  (a)", "Done  (d)", "Not ours  (r)", "Filter  (/)", "Manager  (m)",
                         "Quit  (^q)"):
            assert expected in titles, titles
        await pilot.press("slash")
        await settle(app, pilot)
        key_bar_fits(app)
        assert "Close filter  (esc)" in [t for t, _r in screen_commands(app.screen)]
