"""The desk session without a screen (callers.desk): answers queued and saved
in order, the journal while the database is away and its replay when it is
back, and finish_and_next on both engines."""

from __future__ import annotations

from datetime import timedelta

import peewee
import pytest

from callers import clock
from callers.desk import CallProgress, Connection, DeskSession, Notice, ProfileStale
from models.db import database, make_database
from models.tables import Call, CallAnswer
from tests.support import dial_parts, factories

NOW = "2026-11-24T15:30:00+00:00"  # a Tuesday: London and Berlin are inside calling hours


@pytest.fixture
def two_due(db, now):
    """Acme (the more overdue) then Beta, both due now."""
    now(NOW)
    at = clock.now()
    acme = factories.customer("Acme Ltd", phone="+44 20 7946 0958", country="GB", due=at - timedelta(days=4))
    beta = factories.customer("Beta GmbH", phone="+49 30 1234567", country="DE", contact_name="Bernd Beta",
                              due=at - timedelta(days=1))
    return acme, beta


@pytest.fixture
def events():
    return []


@pytest.fixture
async def session(two_due, events, tmp_path):
    desk = DeskSession("alice", zone="Europe/London", listener=events.append)
    desk.start()
    yield desk
    await desk.idle()
    desk.close()


def saved(call_id: int) -> list[tuple[int, str, str, str | None]]:
    return [(a.seq, a.step, a.key, a.value) for a in
            CallAnswer.select().where(CallAnswer.call == call_id).order_by(CallAnswer.id)]


def broken(engine: str) -> peewee.Database:
    """A database that cannot be reached (as tests/test_desk_ui.py simulates a loss)."""
    if engine == "sqlite":
        return make_database("/nonexistent-dir/callers/broken.db")
    return make_database("postgresql://postgres@127.0.0.1:1/nowhere")


ANSWERS = [("referenceability", "prospect_call", "yes"), ("implementation", "state", "live"),
           ("comment", "note", "[bold]call back after go-live")]


async def test_the_first_load_opens_the_most_overdue_customer_s_call(session):
    opened = await session.load()
    assert opened.kind == "call" and opened.value is session.call
    assert session.call.profile.customer.name == "Acme Ltd"
    assert session.target == 180 and session.cycle_days == 90
    assert [d.name for d in session.departments]  # the forward keys' departments, read once
    assert session.first_step(session.call) == "contacts"


async def test_answers_are_queued_and_saved_in_order(session, events):
    await session.load()
    call_id = session.call.call_id
    assert session.mark_started() is not None
    assert await session.save_start() is not None
    for step, key, value in ANSWERS:
        session.answer(step, key, value)  # no wait: each journalled, then saved after the one before
    await session.idle()
    assert saved(call_id) == [(i + 1, *answer) for i, answer in enumerate(ANSWERS)]
    assert list(session.pending) == [] and session.outbox.pending() == []
    assert session.online and not [e for e in events if isinstance(e, (Connection, Notice))]


async def test_a_refused_answer_is_said_and_the_next_ones_are_saved(session, events):
    await session.load()
    call_id = session.call.call_id
    session.answer("implementation", "state", "on the moon")
    session.answer("referenceability", "prospect_call", "yes")
    await session.idle()
    assert saved(call_id) == [(2, "referenceability", "prospect_call", "yes")]
    refused = [e for e in events if isinstance(e, Notice)]
    assert len(refused) == 1 and refused[0].title == "Not saved" and refused[0].severity == "error"
    assert "on the moon" in refused[0].message and "\n" not in refused[0].message
    assert ProfileStale(call_id) in events  # the screen reads the profile again


async def test_offline_answers_go_to_the_journal_and_are_saved_once_back(session, events, engine):
    await session.load()
    call_id = session.call.call_id
    session.answer(*ANSWERS[0])
    await session.idle()
    real = database.obj
    database.initialize(broken(engine))
    try:
        session.answer(*ANSWERS[1])
        await session.idle()
        assert not session.online
        kept = [e for e in events if isinstance(e, Connection)]
        assert kept == [Connection(online=False, pending=1, retry_in=0.5)]
        warning = next(e for e in events if isinstance(e, Notice))
        assert warning.title == "Database unreachable" and warning.severity == "warning"
        assert [e.args["step"] for e in session.outbox.pending()] == ["implementation"]
        with pytest.raises(peewee.DatabaseError):
            await session.finish_and_next("completed")  # nothing ends while answers cannot be saved
        assert session.call is not None and session.call.call_id == call_id
    finally:
        database.initialize(real)
    events.clear()
    session.recover()
    result = await session.save_answers()
    assert result[0] == 1 and session.online
    assert events[:2] == [Connection(online=True), Notice("Database back: 1 kept answer(s) saved.", "Back online")]
    assert saved(call_id) == [(1, *ANSWERS[0]), (2, *ANSWERS[1])]  # each once
    assert session.outbox.pending() == []


async def test_a_killed_session_s_journal_is_replayed_by_the_next_one(two_due, engine, tmp_path):
    first = DeskSession("alice", zone="Europe/London")
    await first.load()
    call_id = first.call.call_id
    real = database.obj
    database.initialize(broken(engine))
    try:
        first.answer(*ANSWERS[0])
        await first.idle()
        assert len(first.outbox.pending()) == 1
    finally:
        database.initialize(real)
    first.close()  # killed: what was in memory is gone, the journal stays
    first.pending.clear()
    assert saved(call_id) == []

    second = DeskSession("alice", zone="Europe/London")
    opened = await second.load()  # the journal first, then the unfinished call
    assert opened.kind == "call" and second.call.call_id == call_id
    assert saved(call_id) == [(1, *ANSWERS[0])]
    assert second.outbox.pending() == []
    second.close()


async def test_finish_and_next_saves_answers_ends_the_call_and_opens_the_next(session, engine):
    await session.load()
    acme_call = session.call.call_id
    session.mark_started()
    await session.save_start()
    session.answer(*ANSWERS[0])  # still queued: finish_and_next saves it first
    finished = await session.finish_and_next("completed", note="all good")
    assert finished.error is None and finished.scheduled.outcome == "completed"
    call = Call.get_by_id(acme_call)
    assert call.outcome == "completed" and call.note == "all good"
    assert saved(acme_call) == [(1, *ANSWERS[0])]
    assert finished.opened.kind == "call" and finished.opened.value is session.call
    assert session.call.profile.customer.name == "Beta GmbH" and session.call.call_id != acme_call
    assert session.filed == []

    last = await session.finish_and_next("no_answer")
    assert last.opened.kind == "nobody" and "Nobody is due" in last.opened.value
    assert session.call is None
    assert Call.select().where(Call.outcome.is_null(False)).count() == 2


async def test_skip_and_next_opens_the_next_customer(session, engine):
    await session.load()
    acme_call = session.call.call_id
    finished = await session.skip_and_next("wrong time")
    assert finished.scheduled is None and finished.opened.kind == "call"
    assert session.call.profile.customer.name == "Beta GmbH"
    assert Call.get_by_id(acme_call).ended_at is not None


async def test_forward_and_withdraw_in_the_open_call(session, engine):
    await session.load()
    department = session.departments[0].name
    filed = await session.forward(department, "invoice sent twice")
    assert session.filed == [(filed.id, department, "invoice sent twice")]
    assert await session.withdraw(filed.id) == department
    assert session.filed == []


async def test_without_a_dialler_f2_says_dial_by_hand(session, events):
    await session.load()
    progress = await session.dial()
    assert (progress.state, progress.text) == ("down", "no dialler is set up")
    assert events[-1] == CallProgress(session.call.call_id, progress)
    assert await session.hangup() is None


@pytest.mark.skipif(dial_parts.missing() is not None, reason=str(dial_parts.missing()))
async def test_the_dialler_places_the_call_and_the_answer_starts_the_talk_time(two_due, events, tmp_path, engine):
    from callers.dialer import dialer_from
    from callers.dialer.progress import ENDED, TALKING

    with dial_parts.Baresip(tmp_path / "baresip") as phone, \
            dial_parts.Sipp(tmp_path / "sipp", "answer_and_wait.xml") as sipp:
        desk = DeskSession("alice", zone="Europe/London", listener=events.append,
                           dialer=dialer_from(phone.url(sipp.uri)))
        desk.start()
        try:
            await desk.load()
            call_id = desk.call.call_id
            assert desk.call.started_at is None
            first = await desk.dial()
            assert first.state == "dialling"
            progress = lambda: [e.event.state for e in events if isinstance(e, CallProgress)]  # noqa: E731
            await dial_parts.until(lambda: TALKING in progress(), 20, "the answer")
            assert desk.call.started_at is not None  # the timer runs from the answer
            assert sipp.logged("INVITE")
            final = await desk.hangup()
            assert final.state == ENDED and final.outcome is None and not final.by_customer
            await desk.idle()
        finally:
            await desk.close_dialer()
            desk.close()
        assert sipp.wait() == 0  # SIPp saw the BYE
    row = Call.get_by_id(call_id)
    assert row.dialled_at is not None and row.answered_at is not None and row.hangup_cause
    assert row.started_at == row.answered_at


# ---- step times, "was it fixed?", NPS (issue 20) ------------------------------------


def seconds_saved(call_id: int) -> list[tuple[str, int | None]]:
    return [(a.step, a.seconds) for a in CallAnswer.select().where(CallAnswer.call == call_id).order_by(CallAnswer.id)]


async def test_each_answer_keeps_the_seconds_since_its_step_or_the_answer_before(session, now, engine):
    await session.load()
    call_id = session.call.call_id
    session.mark_started()
    await session.save_start()
    session.step_shown("contacts", opening=True)
    now("2026-11-24T15:30:07+00:00")
    session.answer("contacts", "confirm")  # 7 s since the step came up
    session.step_shown("referenceability")
    now("2026-11-24T15:30:12+00:00")
    session.answer("referenceability", "prospect_call", "yes")  # 5 s since the step came up
    now("2026-11-24T15:30:15+00:00")
    session.answer("referenceability", "press", "no")  # 3 s since the answer before
    await session.idle()
    assert seconds_saved(call_id) == [("contacts", 7), ("referenceability", 5), ("referenceability", 3)]


async def test_seconds_go_through_the_journal_and_a_restored_step_is_not_timed(two_due, now, engine, tmp_path):
    first = DeskSession("alice", zone="Europe/London")
    await first.load()
    call_id = first.call.call_id
    first.mark_started()
    await first.save_start()
    first.step_shown("contacts", opening=True)
    now("2026-11-24T15:30:04+00:00")
    real = database.obj
    database.initialize(broken(engine))
    try:
        first.answer("contacts", "confirm")
        await first.idle()
        assert [e.args["seconds"] for e in first.outbox.pending()] == [4]
    finally:
        database.initialize(real)
    first.close()  # killed with the answer only in the journal
    first.pending.clear()

    now("2026-11-24T15:31:00+00:00")
    second = DeskSession("alice", zone="Europe/London")
    await second.load()  # the journal replayed, with its seconds
    assert second.call.call_id == call_id
    assert seconds_saved(call_id) == [("contacts", 4)]
    # The restored call opens on a step whose time before the crash is not known.
    second.step_shown("referenceability", opening=True)
    now("2026-11-24T15:31:09+00:00")
    second.answer("referenceability", "prospect_call", "yes")
    now("2026-11-24T15:31:11+00:00")
    second.answer("referenceability", "press", "no")  # 2 s since the answer before: known
    await second.idle()
    assert seconds_saved(call_id) == [("contacts", 4), ("referenceability", None), ("referenceability", 2)]
    second.close()


async def test_a_forward_filed_keeps_its_seconds(session, now, engine):
    from models.tables import ForwardEvent

    await session.load()
    session.mark_started()
    await session.save_start()
    session.step_shown("contacts", opening=True)
    now("2026-11-24T15:30:06+00:00")
    filed = await session.forward(session.departments[0].name, "invoice sent twice")
    event = ForwardEvent.get(ForwardEvent.forward == filed.id, ForwardEvent.status == "open")
    assert event.seconds == 6 and event.call_id == session.call.call_id


async def test_was_it_fixed_is_read_with_the_call_and_answered(two_due, now, engine):
    from callers import forwards
    from models.tables import Forward

    acme, _beta = two_due
    billing = forwards.create(acme.id, "Billing", "bob", note="invoice sent twice")
    Forward.update(status="done", resolved_at=clock.db_now() - timedelta(days=1), resolved_by="carol",
                   resolution="credited").where(Forward.id == billing.id).execute()
    desk = DeskSession("alice", zone="Europe/London")
    try:
        await desk.load()
        assert [(q.forward_id, q.department, q.resolution) for q in desk.to_ask] == [(billing.id, "Billing",
                                                                                      "credited")]
        assert await desk.answer_fixed(billing.id, "") is None  # Enter: nothing recorded
        desk.mark_started()
        await desk.save_start()
        result = await desk.answer_fixed(billing.id, "n", "still charged twice")
        assert result.message == "Reopened to Billing" and desk.to_ask == []
        row = Forward.get_by_id(billing.id)
        assert row.status == "open" and row.reopened == 1 and "customer: still charged twice" in row.note
    finally:
        desk.close()


async def test_nps_is_read_once_and_recorded(two_due, now, engine):
    from callers import nps
    from callers.errors import CallersError

    desk = DeskSession("alice", zone="Europe/London")
    try:
        await desk.load()
        assert desk.nps_on is False  # off by default
    finally:
        desk.close()
    nps.set_enabled(True)
    desk = DeskSession("alice", zone="Europe/London")
    try:
        await desk.load()
        assert desk.nps_on is True and desk.nps_score is None
        desk.mark_started()
        await desk.save_start()
        with pytest.raises(CallersError, match="from 0 to 10"):
            await desk.record_nps("11")
        assert await desk.record_nps("9") == 9 and desk.nps_score == 9
        assert Call.get_by_id(desk.call.call_id).nps == 9
    finally:
        desk.close()
    desk = DeskSession("alice", zone="Europe/London")
    try:
        await desk.load()  # restored: the score already given comes back
        assert desk.nps_score == 9
    finally:
        desk.close()
