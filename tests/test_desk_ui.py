"""The caller's desk through the Textual pilot, at 80x24, on both engines:
the full call flow and its keystroke count, every answer saved as given,
restore after a kill, outcomes, skip, forwards, database errors with a retry,
and customer text shown literally."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta

import peewee
import pytest

from callers import clock
from callers.app import CallersApp
from models.db import database, make_database
from models.tables import (
    Call,
    CallAnswer,
    Contact,
    Customer,
    CustomerFeature,
    Department,
    Feature,
    Forward,
)
from screens.desk import DeskScreen
from screens.widgets.call_timer import CallTimer
from screens.widgets.error import ErrorModal
from screens.widgets.outcome import OutcomePicker
from tests.support import factories
from tests.support.desk import NOW, SIZE, Keys, desk_app, desk_data, shown
from tests.support.painted import key_bar_fits, screen_text, toast_painted, update_text


def answers(call_id: int) -> list[tuple[str, str, str | None]]:
    return [(a.step, a.key, a.value) for a in CallAnswer.select().where(CallAnswer.call == call_id)
            .order_by(CallAnswer.id)]


# ---- the routine call ------------------------------------------------------------


async def test_routine_call_is_seven_keys_and_saves_everything(desk, engine):
    async with desk_app() as (app, pilot, keys):
        assert shown(app) == "Acme Ltd"
        first = keys.desk.call.call_id
        keys.count = 0
        await keys.press("f2", "enter", "enter", "enter", "enter", "f9", "1")
        assert shown(app) == "Beta GmbH"
        assert keys.count == 7 <= 12
        text = await toast_painted(app, pilot, "Completed: due again on Mon 22 Feb 2027")
        assert "not asked" not in text  # every step confirmed as still true
        assert "Beta GmbH" in text and "+49 30 1234567" in text
    call = Call.get_by_id(first)
    assert call.outcome == "completed" and call.started_at is not None and call.ended_at is not None
    assert answers(first) == [("contacts", "confirm", None), ("referenceability", "confirm", None),
                              ("implementation", "confirm", None), ("features", "confirm", None)]
    acme = Customer.get_by_id(desk["acme"].id)
    stamp = clock.db_now()
    assert acme.contacts_confirmed_at == stamp and acme.referenceability_confirmed_at == stamp
    assert acme.implementation_confirmed_at == stamp and acme.features_confirmed_at == stamp
    assert acme.implementation_state == "live" and acme.ref_prospect_call == "yes"  # unchanged
    assert clock.from_db(acme.next_due_at) == clock.now() + timedelta(days=90)


async def test_each_step_shows_the_customer_on_the_desk_not_the_one_before(desk):
    """The steps after the first are filled when they show: after Acme's
    call, Beta's steps show Beta's facts (no features ticked, implementation
    not set), never Acme's."""
    async with desk_app() as (app, pilot, keys):
        script = keys.desk.script
        await keys.press("f2", "enter", "enter")
        assert script.current == "implementation"
        assert script.step_list("implementation").state == "live"
        assert "● Live" in screen_text(app)
        await keys.press("enter")
        text = screen_text(app)
        assert "[x] Reports" in text and "[x] API" in text
        await keys.press("enter", "f9", "1")
        assert shown(app) == "Beta GmbH"
        await keys.press("f2")
        assert "Bernd Beta" in screen_text(app) and "Jane Doe" not in screen_text(app)
        await keys.press("enter", "enter")
        assert script.current == "implementation"
        assert script.step_list("implementation").state is None
        assert "● Live" not in screen_text(app) and "○ Live" in screen_text(app)
        await keys.press("enter")
        assert script.current == "features"
        text = screen_text(app)
        assert "[?] Reports" in text and "[?] API" in text and "[x]" not in text  # never asked: not known


async def test_enter_starts_the_call_and_the_header_shows_everything(desk):
    async with desk_app() as (app, pilot, keys):
        text = screen_text(app)
        for expected in ("Acme Ltd", "ACC-1", "Software", "250 employees", "AM Lee Park", "Jane Doe",
                         "buyer", "Head of IT", "+44 20 7946 0958 ext. 23", "020 7946 0958 ext. 23",
                         "Tue 15:30 GMT", "Last call", "by bob: Completed", "overdue since",
                         "Open Billing, 3 d: invoice sent twice", "Done Support on 12 Nov: password reset",
                         "not started / 3:00"):
            assert expected in text, expected
        assert "confirmed 94 days ago" in text
        await keys.press("enter")
        assert keys.desk.call.started_at == clock.now()
        assert Call.get_by_id(keys.desk.call.call_id).started_at == clock.db_now()
        assert "▶ 00:00 / 3:00" in screen_text(app)


async def test_changed_answers_are_saved_the_moment_they_are_given(desk, engine):
    async with desk_app() as (app, pilot, keys):
        call_id = keys.desk.call.call_id
        await keys.press("f2", "enter")  # contacts unchanged
        # referenceability: prospect calls -> no, case study -> yes, a condition
        await keys.press("n", "y")
        assert answers(call_id)[-2:] == [("referenceability", "prospect_call", "no"),
                                         ("referenceability", "case_study", "yes")]
        await keys.press("c")
        await keys.type(" [b]after Q1")
        await keys.press("enter")
        acme = Customer.get_by_id(desk["acme"].id)
        assert acme.ref_condition == "only after go-live [b]after Q1"
        assert (acme.ref_prospect_call, acme.ref_case_study) == ("no", "yes")
        await keys.press("enter")  # confirm the step
        # implementation: live -> stalled (one down from live), Enter picks it
        await keys.press("down", "enter")
        assert Customer.get_by_id(desk["acme"].id).implementation_state == "stalled"
        # features (in columns, row by row): tick Workflows (third), untick Reports (first)
        await keys.press("right", "right", "space", "home", "space")
        ticks = {cf.feature_id: cf.in_production for cf in CustomerFeature.select()}
        assert ticks[desk["features"][2].id] is True and ticks[desk["features"][0].id] is False
        await keys.press("enter")
        # in their words
        assert app.focused.id == "comment"
        await keys.type("Love the [bold] reports")
        await keys.press("enter")
        assert Call.get_by_id(call_id).note == "Love the [bold] reports"
    steps = [a[:2] for a in answers(call_id)]
    assert ("implementation", "state") in steps and ("features", "confirm") in steps
    assert ("comment", "note") in steps


async def test_the_field_being_typed_in_the_contact_form_shows_its_text(desk):
    """At 80x24 the focused field once took a tall border in one row of
    height: its text, and what the caller typed, did not show."""
    async with desk_app() as (app, pilot, keys):
        await keys.press("f2", "e")  # correct Jane: the name field has focus
        assert app.focused.id == "contact-name"
        assert "Jane Doe" in screen_text(app)
        await keys.press("end")
        await keys.type(" Jr")
        assert "Jane Doe Jr" in screen_text(app)


async def test_contacts_correct_add_and_mark_gone(desk, engine):
    async with desk_app() as (app, pilot, keys):
        await keys.press("f2", "e")  # correct Jane: new title
        title = app.screen.query_one("#contact-title")
        title.value = "CTO"
        title.focus()
        await keys.press("enter")
        jane = Contact.get(Contact.name == "Jane Doe")
        assert jane.title == "CTO"
        await keys.press("down", "g")  # Sam is gone
        assert Contact.get(Contact.name == "Sam User").active is False
        await keys.press("a")
        form = app.screen
        form.query_one("#contact-name").value = "Nina New"
        form.query_one("#contact-role").value = "buyer"
        form.query_one("#contact-phone").value = "020 7946 0000"
        form.query_one("#contact-name").focus()
        await keys.press("enter")
        nina = Contact.get(Contact.name == "Nina New")
        assert (nina.role, nina.phone) == ("buyer", "+442079460000")
        text = screen_text(app)
        assert "Nina New" in text and "+44 20 7946 0000" in text  # the list was reloaded
        await keys.press("enter")
    call_id = Call.select().where(Call.caller == "alice").get().id
    keys_given = [a[1] for a in answers(call_id)]
    assert keys_given == [f"contact:{jane.id}:title", f"contact:{Contact.get(Contact.name == 'Sam User').id}:gone",
                          "add", "confirm"]
    assert json.loads(answers(call_id)[2][2])["name"] == "Nina New"


# ---- nothing lost ----------------------------------------------------------------


async def test_a_killed_desk_comes_back_with_the_call_timer_and_answers(desk, engine, monkeypatch):
    first = CallersApp(caller="alice")
    async with first.run_test(size=SIZE, notifications=True) as pilot:
        keys = Keys(first, pilot)
        await keys.settle()
        call_id = keys.desk.call.call_id
        await keys.press("f2", "enter", "n", "enter")  # contacts, references (prospect: no)
        started = keys.desk.call.started_at
        # The first desk is never closed: a second one opens on the same
        # database 95 seconds later, as after kill -9 and a restart.
        monkeypatch.setenv("CALLERS_NOW", (clock.now() + timedelta(seconds=95)).isoformat())
        second = CallersApp(caller="alice")
        async with second.run_test(size=SIZE, notifications=True) as pilot2:
            keys2 = Keys(second, pilot2)
            await keys2.settle()
            desk2 = keys2.desk
            assert desk2.call.call_id == call_id and shown(second) == "Acme Ltd"
            assert desk2.call.started_at == started
            timer = desk2.query_one(CallTimer)
            assert timer.started_at == started and "01:35 / 3:00" in screen_text(second)
            assert desk2.script.asked == {"contacts", "referenceability"}
            assert desk2.script.current == "implementation" and second.focused.id == "implementation-list"
            refs = desk2.script.step_list("referenceability")
            assert refs.answers["prospect_call"] == "no"
            await keys2.press("enter", "enter", "f9", "1")
            assert shown(second) == "Beta GmbH"
    call = Call.get_by_id(call_id)
    assert call.outcome == "completed"
    assert [a[0] for a in answers(call_id)] == ["contacts", "referenceability", "referenceability",
                                                "implementation", "features"]
    assert Call.select().where(Call.customer == desk["acme"].id, Call.caller == "alice").count() == 1


async def test_timer_colours_at_two_thirty_and_past_three(desk, monkeypatch):
    async with desk_app() as (app, pilot, keys):
        await keys.press("f2")
        timer = app.screen.query_one(CallTimer)
        start = clock.now()
        seen = {}
        for seconds in (0, 149, 150, 180, 181):
            monkeypatch.setenv("CALLERS_NOW", (start + timedelta(seconds=seconds)).isoformat())
            timer.tick()
            await pilot.pause()
            seen[seconds] = (timer.state, str(timer.render()))
        assert seen[0] == ("running", "▶ 00:00 / 3:00")
        assert seen[149][0] == "running" and seen[150] == ("warn", "▶ 02:30 / 3:00")
        assert seen[180][0] == "warn" and seen[181] == ("over", "▶ 03:01 / 3:00")


# ---- outcomes and skip -----------------------------------------------------------


async def test_no_answer_before_the_call_starts(desk):
    async with desk_app() as (app, pilot, keys):
        call_id = keys.desk.call.call_id
        await keys.press("f9")
        assert isinstance(app.screen, OutcomePicker)
        await keys.press("2")
        assert shown(app) == "Beta GmbH"
    call = Call.get_by_id(call_id)
    assert call.outcome == "no_answer" and call.started_at is None
    assert Customer.get_by_id(desk["acme"].id).attempts == 1


async def test_callback_time_in_their_zone_shown_in_both(desk, engine, monkeypatch):
    monkeypatch.setenv("TZ", "America/New_York")
    async with desk_app() as (app, pilot, keys):
        call_id = keys.desk.call.call_id
        await keys.press("f2", "f9", "5")
        await keys.type("tomorrow 10:00")
        text = screen_text(app)
        assert "Wed 10:00 their time (05:00 yours)" in text
        await keys.press("enter")
        assert shown(app) == "Beta GmbH"
    call = Call.get_by_id(call_id)
    assert call.outcome == "callback"
    assert clock.from_db(call.callback_at).isoformat() == "2026-11-25T10:00:00+00:00"


async def test_the_picker_stays_until_the_next_customer_is_ready(desk, monkeypatch):
    """A digit that ends the call leaves the picker up, taking no other key,
    until the next customer is ready; then both change in one screen update.
    When saving takes a while the picker says so."""
    import threading

    from callers import calls

    gate, entered = threading.Event(), threading.Event()
    end_call = calls.end_call

    def slow(*args, **kwargs):
        entered.set()
        gate.wait(10)
        return end_call(*args, **kwargs)

    monkeypatch.setattr(calls, "end_call", slow)
    async with desk_app() as (app, pilot, keys):
        first = keys.desk.call.call_id
        await keys.press("f2", "f9")
        picker = app.screen
        await pilot.press("1")
        for _ in range(100):
            if entered.is_set():
                break
            await pilot.pause(0.01)
        await pilot.pause(0.3)  # past the moment the picker says it is saving
        assert app.screen is picker and picker.saving == "completed"
        assert "Completed: saving…" in screen_text(app)
        await pilot.press("2", "escape")  # taken by nobody while it saves
        assert app.screen is picker and shown(app) == "Acme Ltd"
        gate.set()
        await keys.settle()
        assert isinstance(app.screen, DeskScreen) and shown(app) == "Beta GmbH"
    assert Call.get_by_id(first).outcome == "completed"


async def test_a_failed_outcome_closes_the_picker_and_offers_a_retry(desk, monkeypatch):
    from callers import calls

    end_call, failures = calls.end_call, [1]

    def flaky(*args, **kwargs):
        if failures:
            failures.pop()
            raise peewee.OperationalError("disk I/O error")
        return end_call(*args, **kwargs)

    monkeypatch.setattr(calls, "end_call", flaky)
    async with desk_app() as (app, pilot, keys):
        first = keys.desk.call.call_id
        await keys.press("f2", "f9", "1")
        assert isinstance(app.screen, ErrorModal)
        assert "disk I/O error" in screen_text(app) and "Traceback" not in screen_text(app)
        assert not any(isinstance(s, OutcomePicker) for s in app.screen_stack)
        await keys.press("enter")  # retry
        assert isinstance(app.screen, DeskScreen) and shown(app) == "Beta GmbH"
    assert Call.get_by_id(first).outcome == "completed"


async def test_escape_from_the_picker_returns_to_the_call(desk):
    async with desk_app() as (app, pilot, keys):
        await keys.press("f2", "f9", "escape")
        assert isinstance(app.screen, DeskScreen) and shown(app) == "Acme Ltd"
        assert app.focused.id == "contacts-list"


async def test_skip_with_a_reason(desk, engine):
    async with desk_app() as (app, pilot, keys):
        call_id = keys.desk.call.call_id
        await keys.press("f3", "enter")  # no reason: refused, stays open
        assert "Type a reason" in screen_text(app)
        await keys.type("AM asked to wait")
        await keys.press("enter")
        assert shown(app) == "Beta GmbH"
        await toast_painted(app, pilot, "Skipped Acme Ltd")
    assert Call.get_by_id(call_id).skip_reason == "AM asked to wait"


async def test_nobody_due_says_until_when(db, now):
    now("2026-11-28T12:00:00+00:00")  # Saturday
    factories.customer("Acme Ltd")
    async with desk_app() as (app, pilot, keys):
        assert keys.desk.call is None and keys.desk.mode == "nobody"
        assert "Nobody is due until Mon 09:00 local" in screen_text(app)
        await keys.press("f2", "f9", "enter")  # nothing to start or end: nothing happens
        assert keys.desk.mode == "nobody"


# ---- forwards --------------------------------------------------------------------


async def test_forward_while_a_text_field_has_focus_then_withdraw(desk, engine):
    async with desk_app() as (app, pilot, keys):
        call_id = keys.desk.call.call_id
        await keys.press("f2", "f4")
        assert app.focused.id == "comment"
        await keys.type("hello")
        await keys.press("f5")
        assert app.screen.__class__.__name__ == "ForwardNote"
        await keys.type("[ERR-7] credit note")
        await keys.press("enter")
        row = Forward.get(Forward.call == call_id)
        assert (row.department.name, row.note, row.status, row.caller) == ("Billing", "[ERR-7] credit note",
                                                                          "open", "alice")
        await toast_painted(app, pilot, "Forwarded to Billing")
        assert app.focused.id == "comment" and app.focused.value == "hello"
        await keys.press("f7", "enter")  # account manager, empty note
        am = Forward.get(Forward.call == call_id, Forward.assignee == "Lee Park")
        assert am.note is None
        await toast_painted(app, pilot, "Forwarded to Lee Park, account manager")
        await keys.press("f12")
        assert "[ERR-7] credit note" in screen_text(app)
        await keys.press("1")
        await toast_painted(app, pilot, "Withdrawn: forward to Billing")
        assert Forward.get_by_id(row.id).status == "withdrawn"
        assert keys.desk.filed == [(am.id, "Account management", None)]


async def test_a_forward_the_department_finishes_shows_during_the_call(desk, engine):
    from callers import forwards

    async with desk_app() as (app, pilot, keys):
        call_id = keys.desk.call.call_id
        await keys.press("f2", "f5")
        await keys.type("refund for [INV-9]")
        await keys.press("enter")
        filed = Forward.get(Forward.call == call_id)
        # Billing works its queue (another person, another process) meanwhile.
        forwards.done(filed.id, "bo", "Credit note [CN-1] issued")
        keys.desk._poll_forwards()  # what the desk's timer does every 15 s
        await keys.settle()
        assert "Credit note [CN-1] issued" in await toast_painted(
            app, pilot, "Billing finished a forward Credit note [CN-1] issued")
        resolved = [f.id for f in keys.desk.call.profile.resolved_forwards]
        assert resolved[0] == filed.id  # newest first, beside any resolved earlier
        assert filed.id not in [f.id for f in keys.desk.call.profile.open_forwards]


async def test_forward_right_after_the_call_from_the_outcome_picker(desk):
    async with desk_app() as (app, pilot, keys):
        await keys.press("f2", "f9", "f6")
        await keys.type("cannot log in")
        await keys.press("enter")
        assert isinstance(app.screen, OutcomePicker)  # asked again
        await keys.press("1")
        assert shown(app) == "Beta GmbH"
    assert Forward.get(Forward.note == "cannot log in").department.name == "Support"


def _broken(engine: str) -> peewee.Database:
    if engine == "sqlite":
        return make_database("/nonexistent-dir/callers/broken.db")
    return make_database("postgresql://postgres@127.0.0.1:1/nowhere")


async def test_a_failed_forward_keeps_the_note_for_a_retry(desk, engine):
    async with desk_app() as (app, pilot, keys):
        await keys.press("f2", "f5")
        await keys.type("refund please")
        real = database.obj
        database.initialize(_broken(engine))
        try:
            await keys.press("enter")
            assert app.screen.__class__.__name__ == "ForwardNote"
            assert app.screen.query_one("Input").value == "refund please"
            await toast_painted(app, pilot, "Not forwarded")
        finally:
            database.initialize(real)
        await keys.press("enter")
        assert isinstance(app.screen, DeskScreen)
    assert Forward.get(Forward.note == "refund please").department.name == "Billing"


# ---- database errors ---------------------------------------------------------------


async def test_a_dropped_database_keeps_answers_and_saves_them_once_back(desk, engine):
    async with desk_app() as (app, pilot, keys):
        call_id = keys.desk.call.call_id
        outbox = keys.desk.outbox
        await keys.press("f2")
        real = database.obj
        database.initialize(_broken(engine))
        try:
            await keys.press("enter")  # the contacts answer cannot be saved now
            # The desk does not stop the call: it says so and keeps the answer.
            assert isinstance(app.screen, DeskScreen) and keys.desk.script.current == "referenceability"
            assert "DATABASE UNREACHABLE: 1 answer(s) kept" in app.sub_title
            await toast_painted(app, pilot, "Database unreachable")
            assert [e.args["step"] for e in keys.desk.outbox.pending()] == ["contacts"]
            await keys.press("f9", "1")  # ending cannot be saved either: message, retry
            assert isinstance(app.screen, ErrorModal)
            text = screen_text(app)
            assert "Could not finish ending the call" in text and "Traceback" not in text
        finally:
            database.initialize(real)
        await keys.press("r")  # the database is back: answer, then outcome
        assert shown(app) == "Beta GmbH"
        await toast_painted(app, pilot, "Database back: 1 kept answer(s) saved.")
        assert app.is_running
    assert Call.get_by_id(call_id).outcome == "completed"
    assert answers(call_id) == [("contacts", "confirm", None)]  # exactly once
    assert outbox.pending() == []


async def test_answers_kept_during_an_outage_survive_a_killed_desk(desk, engine):
    first = CallersApp(caller="alice")
    async with first.run_test(size=SIZE, notifications=True) as pilot:
        keys = Keys(first, pilot)
        await keys.settle()
        call_id = keys.desk.call.call_id
        await keys.press("f2", "enter")  # contacts confirmed, saved
        real = database.obj
        database.initialize(_broken(engine))
        try:
            await keys.press("y")  # prospect calls: yes, while the database is away
            assert len(keys.desk.outbox.pending()) == 1
        finally:
            database.initialize(real)
        keys.desk._pending.clear()  # as if killed: nothing in memory survives
    # A new desk (a restarted terminal) writes the journal first, then restores.
    second = CallersApp(caller="alice")
    async with second.run_test(size=SIZE, notifications=True) as pilot:
        keys = Keys(second, pilot)
        await keys.settle()
        assert keys.desk.call.call_id == call_id
        assert keys.desk.outbox.pending() == []
    saved = answers(call_id)
    assert saved.count(("contacts", "confirm", None)) == 1
    assert [a for a in saved if a[0] == "referenceability"] == [("referenceability", "prospect_call", "yes")]


async def test_an_answer_is_in_the_journal_at_once_and_synced_off_the_ui_thread(desk, monkeypatch):
    """The key press hands the journal line to the operating system (a killed
    desk keeps it) and waits for no disk: the fsync runs in the database
    thread, before the answer's database write."""
    import os
    import threading

    synced: list[str] = []
    real_fsync = os.fsync

    def fsync(fd):
        synced.append(threading.current_thread().name)
        return real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    async with desk_app() as (app, pilot, keys):
        call_id = keys.desk.call.call_id
        await keys.press("f2")
        outbox = keys.desk.outbox
        written = []
        real_write = outbox.write

        def write(kind, **args):
            entry = real_write(kind, **args)
            # What a kill -9 right now would leave: the line, in the file.
            written.append((threading.current_thread().name, outbox.path.read_text(encoding="utf-8")))
            return entry

        outbox.write = write
        synced.clear()
        await keys.press("enter")  # contacts confirmed
        assert len(written) == 1
        thread, text = written[0]
        assert thread == "MainThread" and '"step": "contacts"' in text
        assert answers(call_id) == [("contacts", "confirm", None)]
        assert synced and all(name.startswith("desk-db") for name in synced), synced


async def test_an_unwritable_journal_still_saves_the_answer(desk):
    """A journal that cannot be written (a full disk, its folder gone) is
    said, and the answer goes to the database all the same."""
    async with desk_app() as (app, pilot, keys):
        call_id = keys.desk.call.call_id
        await keys.press("f2")
        blocker = keys.desk.outbox.path.parent / "not-a-folder"
        blocker.parent.mkdir(parents=True, exist_ok=True)
        blocker.write_text("a file where the journal's folder should be")
        keys.desk.outbox.path = blocker / "journal-alice.jsonl"
        await keys.press("enter")
        assert answers(call_id) == [("contacts", "confirm", None)]
        await toast_painted(app, pilot, "Journal not written")
        assert keys.desk.script.current == "referenceability"


async def test_the_first_load_failing_leaves_a_usable_desk(desk, engine):
    real = database.obj
    database.initialize(_broken(engine))
    app = CallersApp(caller="alice")
    try:
        async with app.run_test(size=SIZE, notifications=True) as pilot:
            keys = Keys(app, pilot)
            await keys.settle()
            assert isinstance(app.screen, ErrorModal)
            await keys.press("escape")
            assert keys.desk.mode == "error" and "ctrl+r looks again" in screen_text(app)
            database.initialize(real)
            await keys.press("ctrl+r")
            assert shown(app) == "Acme Ltd"
    finally:
        database.initialize(real)


# ---- text is data, keys, layout -----------------------------------------------------


async def test_a_customer_found_while_the_app_starts_is_in_its_first_frame(desk, engine):
    """The app looks for the first customer as it is made (callers.app.Desk):
    found by the time the desk is built, the desk's first frame shows it,
    with no frame of "Looking for…" before it."""
    import sys

    interval = sys.getswitchinterval()
    app = CallersApp(caller="alice")
    assert sys.getswitchinterval() <= CallersApp.START_SWITCH_SECONDS  # the load gets the GIL back promptly
    app.first.session._begun.result(timeout=30)  # the lookup is done before Textual starts
    frames: list[str] = []
    display = app._display

    def watched(screen, update) -> None:
        display(screen, update)
        if update is not None and isinstance(screen, DeskScreen):
            frames.append(update_text(update))

    app._display = watched
    async with app.run_test(size=SIZE) as pilot:
        await Keys(app, pilot).settle()
        assert shown(app) == "Acme Ltd"
    assert frames and "Acme Ltd" in frames[0]
    assert not any("Looking for" in frame for frame in frames)
    assert sys.getswitchinterval() == interval  # the interpreter's own again once the desk is up


async def test_on_sqlite_the_app_checkpoints_in_a_thread_of_its_own(desk, engine):
    """While the app runs, its connections leave the log to the checkpointer
    thread (no commit of the desk waits for a checkpoint); it stops with the
    app."""
    import threading

    if engine != "sqlite":
        pytest.skip("SQLite's write-ahead log")
    async with desk_app() as (app, pilot, keys):
        assert shown(app) == "Acme Ltd"
        assert "sqlite-checkpoint" in [t.name for t in threading.enumerate()]

        def autocheckpoint() -> int:  # as the desk's database thread sees it
            return database.obj.execute_sql("PRAGMA wal_autocheckpoint").fetchone()[0]

        assert await asyncio.get_running_loop().run_in_executor(keys.desk._db_thread, autocheckpoint) == 0
    assert "sqlite-checkpoint" not in [t.name for t in threading.enumerate()]


async def test_customer_text_is_shown_literally(db, now):
    now(NOW)
    desk_data(markup_names=True)
    app = CallersApp(caller="alice")
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        keys = Keys(app, pilot)
        await keys.settle()
        await keys.press("f2", "enter")
        text = screen_text(app)
        for literal in ("[bold]Acme[/bold] Ltd [ERR-7]", "[red]Jane Doe", "[ERR-7] invoice twice",
                        "[i]only after go-live"):
            assert literal in text, literal
        await keys.press("enter", "enter")
        assert "[bold]Dashboards" in screen_text(app)


async def test_wide_terminal_puts_header_and_script_side_by_side(desk):
    app = CallersApp(caller="alice")
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        keys = Keys(app, pilot)
        await keys.settle()
        desk_screen = keys.desk
        assert desk_screen.has_class("-wide")
        header, script = desk_screen.header.region, desk_screen.script.region
        assert header.x < script.x and header.y == script.y
    async with desk_app() as (app, pilot, keys):
        header, script = keys.desk.header.region, keys.desk.script.region
        assert header.x == script.x and header.bottom <= script.y


async def test_every_key_has_an_id_avoids_reserved_keys_and_shows_in_the_footer(desk):
    app = CallersApp(caller="alice")
    async with app.run_test(size=(160, 40), notifications=True) as pilot:
        keys = Keys(app, pilot)
        await keys.settle()
        await keys.press("f2")
        desk_screen = keys.desk
        bound = [b for bs in desk_screen._bindings.key_to_bindings.values() for b in bs
                 if not b.action.startswith("screen.")]  # Textual's own copy key
        assert len(bound) == len(DeskScreen.BINDINGS) + 3
        assert all(b.id for b in bound)
        assert not {"ctrl+b", "f1", "f10", "f11"} & {b.key for b in bound}
        assert {"f5", "f6", "f7"} <= {b.key for b in bound if b.action.startswith("forward(")}
        footer = {key for key, active in desk_screen.active_bindings.items() if active.binding.show}
        assert {"f3", "f4", "f5", "f6", "f7", "f9", "enter", "tab"} <= footer
        # a site can remap a key by its id
        app.update_keymap({"desk-end": "f8"})
        await keys.press("f8")
        assert isinstance(app.screen, OutcomePicker)


# ---- nothing recorded that nobody said ------------------------------------------------


@pytest.fixture
def never_confirmed(db, now):
    """One due customer whose facts were never confirmed, and 12 features."""
    now(NOW)
    for i in range(12):
        Feature.create(name=f"Feature {i + 1:02d}", position=i)
    return factories.customer("Nova Never Ltd", external_id="N-1", country="GB", due=clock.now() - timedelta(days=5))


async def test_enter_on_a_never_confirmed_customer_records_nothing(never_confirmed, engine, capsys):
    """F2, Enter ×4, F9, 1 on a customer nobody has asked: the contacts on
    file are confirmed; referenceability, implementation and features are
    not asked (nothing stored, no confirmation time), the step bar says so
    and the confirmation names them."""
    from callers.cli import main

    async with desk_app() as (app, pilot, keys):
        call_id = keys.desk.call.call_id
        await keys.press("f2", "enter")
        text = screen_text(app)
        assert "Prospect calls  unknown" in text and "Enter go on" in text
        await keys.press("enter")
        assert keys.desk.script.step_list("implementation").highlighted is None  # nothing pre-selected
        assert "● " not in screen_text(app)
        await keys.press("enter")
        assert "[?] Feature 01" in screen_text(app) and "[x]" not in screen_text(app)
        await keys.press("enter")
        assert "2 Refs ? 3 Impl. ? 4 Features ?" in screen_text(app)
        await keys.press("f9", "1")
        assert keys.count == 7
        await toast_painted(app, pilot, "not asked: references, implementation, features")
    assert answers(call_id) == [("contacts", "confirm", None)]
    row = Customer.get_by_id(never_confirmed.id)
    assert row.implementation_state is None and row.implementation_confirmed_at is None
    assert row.referenceability_confirmed_at is None and row.features_confirmed_at is None
    assert CustomerFeature.select().count() == 0
    assert main(["export", "customers", "--format", "json"]) == 0
    exported = json.loads(capsys.readouterr().out)[0]
    assert exported["implementation_state"] is None
    assert exported["referenceability"] == dict.fromkeys(
        ("prospect_call", "case_study", "press", "analyst", "site_visit"), "unknown")


async def test_real_answers_for_nobody_said_take_few_keys(never_confirmed, engine):
    """No to every reference (N), a state by its digit, none of the features
    in production (n): each one key, each an answer with its time. The next
    call of the customer opens on the first step left unasked."""
    async with desk_app() as (app, pilot, keys):
        call_id = keys.desk.call.call_id
        await keys.press("f2", "tab", "N")  # contacts passed by (not asked), no to every reference
        assert keys.desk.script.step_list("referenceability").answers == dict.fromkeys(
            ("prospect_call", "case_study", "press", "analyst", "site_visit"), "no")
        assert "Prospect calls  no" in screen_text(app) and "Site visit      no" in screen_text(app)
        await keys.press("enter", "3")  # implementation: live, and on to the features
        assert keys.desk.script.current == "features"
        await keys.press("f9", "5")
        await keys.type("tomorrow 10:00")
        await keys.press("enter")
    assert [a[:2] for a in answers(call_id)] == [("referenceability", "all"), ("referenceability", "confirm"),
                                                 ("implementation", "state")]
    row = Customer.get_by_id(never_confirmed.id)
    assert (row.ref_press, row.implementation_state) == ("no", "live") and row.contacts_confirmed_at is None
    # The call back: contacts were not asked (never confirmed) so it opens there;
    # once they are, it opens on the features, which nobody has answered.
    Customer.update(contacts_confirmed_at=clock.db_now(), next_due_at=clock.db_now(),
                    callback_at=None).where(Customer.id == row.id).execute()
    from callers import due
    due.forget_zone_keys()
    async with desk_app() as (app, pilot, keys):
        assert shown(app) == "Nova Never Ltd" and keys.desk.script.current == "features"
        await keys.press("f2", "n", "enter")
        await keys.press("f9", "1")
        text = await toast_painted(app, pilot, "Completed: due again")
        assert "not asked" in text  # contacts and the rest were fresh, not asked again
    row = Customer.get_by_id(row.id)
    assert row.features_confirmed_at is not None and CustomerFeature.select().count() == 0


async def test_a_value_changed_and_changed_back_at_a_frozen_moment_keeps_the_last(desk, engine):
    """CALLERS_NOW is frozen: every answer has the same time, and each is kept."""
    async with desk_app() as (app, pilot, keys):
        call_id = keys.desk.call.call_id
        await keys.press("f2", "enter", "enter", "4", "shift+tab", "3", "shift+tab", "4", "shift+tab", "3")
    assert [a[2] for a in answers(call_id) if a[0] == "implementation"] == ["stalled", "live", "stalled", "live"]
    assert Customer.get_by_id(desk["acme"].id).implementation_state == "live"


async def test_a_refused_answer_is_said_and_the_call_goes_on(desk):
    async with desk_app() as (app, pilot, keys):
        await keys.press("f2", "e")
        app.screen.query_one("#contact-phone").value = "12"
        app.screen.query_one("#contact-phone").focus()
        await keys.press("enter")
        text = await toast_painted(app, pilot, "Not saved")
        assert "Traceback" not in text and keys.desk.script.current == "contacts"
    assert Contact.get(Contact.name == "Jane Doe").phone == "+442079460958"


# ---- keys from every field, do not call, the forwards, the palette ---------------------


async def test_f_keys_act_from_the_contact_form_the_note_and_the_desk_fields(desk):
    async with desk_app() as (app, pilot, keys):
        call_id = keys.desk.call.call_id
        # From the contact form: F5 saves the correction, then opens the Billing note.
        await keys.press("f2", "e")
        app.screen.query_one("#contact-title").value = "CTO"
        await keys.press("f5")
        assert app.screen.__class__.__name__ == "ForwardNote"
        assert Contact.get(Contact.name == "Jane Doe").title == "CTO"
        # From the forward note: F9 files it, then opens the outcome picker.
        await keys.type("credit note")
        await keys.press("f9")
        assert isinstance(app.screen, OutcomePicker)
        assert Forward.get(Forward.call == call_id).note == "credit note"
        await keys.press("escape")
        # A contact form that cannot be saved says why and keeps everything.
        await keys.press("a")
        await keys.press("f9")
        assert app.screen.__class__.__name__ == "ContactForm" and "needs a name" in screen_text(app)
        await keys.press("escape")
        # From the condition line (references) and the words line.
        await keys.press("enter", "c")
        assert app.focused.id == "ref-condition"
        await keys.press("f6")
        assert app.screen.__class__.__name__ == "ForwardNote"
        await keys.press("escape")
        await keys.press("f4")
        assert app.focused.id == "comment"
        await keys.press("f4")  # back to the step the caller was on
        assert keys.desk.script.current == "referenceability" and app.focused.id == "referenceability-list"
        await keys.press("f4")
        await keys.press("f3")
        assert app.screen.__class__.__name__ == "SkipReason"


async def test_do_not_call_asks_once_more(desk):
    async with desk_app() as (app, pilot, keys):
        await keys.press("f2", "f9", "7")
        assert "Take Acme Ltd out of the list for good?" in screen_text(app)
        await keys.press("n")  # anything but y: back to the picker, nothing saved
        assert isinstance(app.screen, OutcomePicker) and shown(app) == "Acme Ltd"
        await keys.press("7", "y")
        assert shown(app) == "Beta GmbH"
        await toast_painted(app, pilot, "Do not call: never due again")
    assert Customer.get_by_id(desk["acme"].id).do_not_call is True


async def test_five_open_forwards_say_how_many_more_and_list_them(desk):
    billing = Department.get(Department.name == "Billing")
    for n in range(4):
        Forward.create(customer=desk["acme"], caller="bob", department=billing, note=f"problem [{n}]",
                       status="open", created_at=clock.to_db(clock.now() - timedelta(days=1)))
    async with desk_app() as (app, pilot, keys):
        text = screen_text(app)
        assert "more forwards: ctrl+o lists them" in text and "^o Forwards" in text, text
        await keys.press("ctrl+o")
        text = screen_text(app)
        for n in range(4):
            assert f"problem [{n}]" in text
        assert "invoice sent twice" in text and "password reset" in text
        await keys.press("escape")
        assert isinstance(app.screen, DeskScreen)


async def test_the_palette_lists_the_desk_s_actions_with_their_keys(desk):
    from textual.command import CommandPalette

    from screens.commands import screen_commands

    async with desk_app() as (app, pilot, keys):
        await keys.press("f2", "enter")
        titles = [title for title, _run in screen_commands(keys.desk)]
        for expected in ("End call  (F9)", "Skip  (F3)", "Forward to Billing  (F5)", "No to all  (N)", "Yes  (y)",
                         "Quit  (^q)"):
            assert expected in titles, (expected, titles)
        await pilot.press("ctrl+p")
        await keys.settle()
        assert isinstance(app.screen, CommandPalette)
        await pilot.press(*"no to all")
        await keys.settle()
        assert "No to all" in screen_text(app)
        await pilot.press("enter")
        await keys.settle()
        assert isinstance(app.screen, DeskScreen)
        assert Customer.get_by_id(desk["acme"].id).ref_case_study == "no"


async def test_the_key_bar_fits_80_columns_in_every_state_with_ctrl_q(desk):
    async with desk_app() as (app, pilot, keys):
        key_bar_fits(app)  # idle
        for key in ("f2", "enter", "c", "escape", "enter", "enter", "enter"):  # each step, the condition line
            await keys.press(key)
            shown = key_bar_fits(app)
            assert ("F9", "End call", True) in shown


async def test_contacts_out_of_sight_are_counted(desk):
    at = clock.db_now()
    for n in range(5):
        Contact.create(customer=desk["acme"], name=f"Extra Person {n}", role="user", phone=f"+44207946010{n}",
                       timezone="Europe/London", created_at=at, updated_at=at)
    async with desk_app() as (app, pilot, keys):
        await keys.press("f2")
        text = screen_text(app)
        assert "more contacts below (PgDn)" in text and "Jane Doe" in text
        await keys.press("end")
        text = screen_text(app)
        assert "above" in text and "add a contact" in text and "more contacts below" not in text
