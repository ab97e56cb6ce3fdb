"""Issue 20 on the desk, through the pilot at 80x24 on both engines: "Was it
fixed?" for forwards done since the customer's last call (y / n / p recorded,
Enter records nothing), the seconds each answer's step was on screen, and
the optional 0-10 question at the end of the words step."""

from __future__ import annotations

from datetime import timedelta

import pytest

from callers import clock, nps
from models.tables import Call, CallAnswer, Department, Forward, ForwardEvent
from screens.widgets.nps import NpsQuestion
from tests.support.desk import NOW, desk_app, desk_data, shown
from tests.support.painted import key_bar_fits, screen_text, toast_painted


@pytest.fixture
def asking(db, now):
    """Acme's Support forward done 12 days ago and never asked about; a
    Billing forward done 2 days ago, reopened once before."""
    now(NOW)
    data = desk_data(ask_fixed=True)
    billing = Department.get(Department.name == "Billing")
    data["billing_done"] = Forward.create(
        customer=data["acme"], caller="bob", department=billing, note="charged twice", status="done",
        reopened=1, created_at=clock.db_now() - timedelta(days=30),
        resolved_at=clock.db_now() - timedelta(days=2), resolved_by="carol", resolution="refunded")
    return data


def loop_events(forward_id: int) -> list[tuple[str, int | None, int | None]]:
    return [(e.status, e.call_id, e.seconds) for e in ForwardEvent.select().where(
        ForwardEvent.forward == forward_id, ForwardEvent.status.in_(("fixed", "partly_fixed", "reopened")))
        .order_by(ForwardEvent.id)]


async def test_a_forward_done_since_the_last_call_is_asked_first(asking, engine):
    async with desk_app() as (app, pilot, keys):
        assert shown(app) == "Acme Ltd"
        script = keys.desk.script
        assert script.current == "fixed"
        # Six steps and "not started" on an 80-column bar: every step is named, the last one too.
        assert "1 Fixed 2 Contacts 3 Refs 4 Impl. 5 Features 6 Words" in screen_text(app)
        await keys.press("f2")
        text = screen_text(app)
        assert "Was it fixed?" in text and "password reset" in text and "Support" in text
        assert "y yes · n no · p partly · Enter skips" in text
        key_bar_fits(app)
        call_id = keys.desk.call.call_id
        await keys.press("y")
        await toast_painted(app, pilot, "Confirmed fixed: Support")
        assert loop_events(asking["done_forward"].id) == [("fixed", call_id, 0)]
        await keys.press("p")
        await toast_painted(app, pilot, "Partly fixed: Billing")
        assert loop_events(asking["billing_done"].id) == [("partly_fixed", call_id, 0)]
        assert script.current == "contacts"  # past the last question, the script goes on
        assert "1 Fixed ✓" in screen_text(app)
        key_bar_fits(app)


async def test_no_reopens_with_the_customer_s_words_and_the_count(asking, engine):
    async with desk_app() as (app, pilot, keys):
        await keys.press("f2", "f4")
        await keys.type("still cannot log in")
        await keys.press("f4")  # back to the question, the words kept on their line
        assert keys.desk.script.current == "fixed"
        await keys.press("n")
        await toast_painted(app, pilot, "Reopened to Support")
        await keys.press("n")
        await toast_painted(app, pilot, "Reopened to Billing (2nd time)")
    support = Forward.get_by_id(asking["done_forward"].id)
    assert support.status == "open" and support.reopened == 1 and "customer: still cannot log in" in support.note
    billing = Forward.get_by_id(asking["billing_done"].id)
    assert billing.status == "open" and billing.reopened == 2


async def test_enter_skips_and_records_nothing(asking, engine):
    async with desk_app() as (app, pilot, keys):
        await keys.press("f2", "enter", "enter")
        script = keys.desk.script
        assert script.current == "contacts"
        assert "1 Fixed ? 2 Contacts" in screen_text(app)  # the step bar: not asked ("?" when short of room)
        key_bar_fits(app)
        await keys.press("enter", "enter", "enter", "enter", "f9", "1")
        assert shown(app) == "Beta GmbH"
    assert loop_events(asking["done_forward"].id) == [] and loop_events(asking["billing_done"].id) == []
    assert Forward.get_by_id(asking["done_forward"].id).status == "done"


async def test_a_customer_without_done_forwards_is_not_asked(desk, now, engine):
    # (the desk's data: Acme already said its forward was fixed)
    async with desk_app() as (app, pilot, keys):
        await keys.press("f2")
        assert keys.desk.script.current == "contacts"
        assert "Was it fixed?" not in screen_text(app) and "Fixed" not in screen_text(app)


async def test_answers_carry_the_seconds_their_step_was_on_screen(desk, now, engine):
    async with desk_app() as (app, pilot, keys):
        call_id = keys.desk.call.call_id
        await keys.press("f2")
        now("2026-11-24T15:30:05+00:00")
        await keys.press("enter")  # contacts: 5 s since the call started
        now("2026-11-24T15:30:13+00:00")
        await keys.press("y")  # references, prospect calls: 8 s on the step
        now("2026-11-24T15:30:15+00:00")
        await keys.press("enter")  # 2 s since the answer before
        await keys.settle()
    rows = [(a.step, a.seconds) for a in CallAnswer.select().where(CallAnswer.call == call_id)
            .order_by(CallAnswer.id)]
    assert rows == [("contacts", 5), ("referenceability", 8), ("referenceability", 2)]


async def test_nps_on_asks_at_the_end_of_the_words_step(desk, now, engine):
    nps.set_enabled(True)
    async with desk_app() as (app, pilot, keys):
        call_id = keys.desk.call.call_id
        await keys.press("f2", "f4")
        await keys.type("happy with the API")
        await keys.press("enter")
        assert isinstance(app.screen, NpsQuestion)
        assert nps.QUESTION in screen_text(app)
        await keys.type("11")
        await keys.press("enter")
        assert isinstance(app.screen, NpsQuestion)  # the text stays, one line says why
        text = screen_text(app)
        assert "a recommendation score is from 0 to 10, not 11" in text and "Traceback" not in text
        assert Call.get_by_id(call_id).nps is None
        await keys.press("backspace", "backspace")
        await keys.type("9")
        await keys.press("enter")
        await toast_painted(app, pilot, "Would recommend: 9 of 10")
        assert not isinstance(app.screen, NpsQuestion)
        assert Call.get_by_id(call_id).nps == 9
        await keys.press("enter")  # the words line again: the score is saved, not asked twice
        assert not isinstance(app.screen, NpsQuestion)
    assert CallAnswer.get(CallAnswer.call == call_id, CallAnswer.step == "comment").value == "happy with the API"


async def test_nps_off_asks_nothing(desk, now, engine):
    async with desk_app() as (app, pilot, keys):
        call_id = keys.desk.call.call_id
        await keys.press("f2", "f4")
        await keys.type("fine")
        await keys.press("enter")
        assert not isinstance(app.screen, NpsQuestion)
        assert nps.QUESTION not in screen_text(app)
    assert Call.get_by_id(call_id).nps is None


async def test_enter_on_the_nps_question_saves_nothing(desk, now, engine):
    nps.set_enabled(True)
    async with desk_app() as (app, pilot, keys):
        call_id = keys.desk.call.call_id
        await keys.press("f2", "f4", "enter")
        assert isinstance(app.screen, NpsQuestion)
        await keys.press("enter")
        assert not isinstance(app.screen, NpsQuestion)
        assert keys.desk.script.current == "comment"
    assert Call.get_by_id(call_id).nps is None


async def test_after_a_restore_the_open_step_s_time_is_not_known(desk, now, engine):
    """A desk restarted mid-call: the first answer on the step it opens on
    has no seconds (how long it was up before is not known); the next one
    counts from that answer."""
    async with desk_app() as (_app, _pilot, keys):
        call_id = keys.desk.call.call_id
        await keys.press("f2")
        now("2026-11-24T15:30:04+00:00")
        await keys.press("enter")  # contacts: 4 s
    now("2026-11-24T15:32:00+00:00")
    async with desk_app() as (_app, _pilot, keys):  # a second desk: the first was closed mid-call
        assert keys.desk.call.call_id == call_id and keys.desk.script.current == "referenceability"
        now("2026-11-24T15:32:06+00:00")
        await keys.press("y")
        now("2026-11-24T15:32:09+00:00")
        await keys.press("y")
        await keys.settle()
    rows = [(a.step, a.seconds) for a in CallAnswer.select().where(CallAnswer.call == call_id)
            .order_by(CallAnswer.id)]
    assert rows == [("contacts", 4), ("referenceability", None), ("referenceability", 3)]
