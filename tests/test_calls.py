"""A call from "customer shown" to "outcome given": every answer saved at once,
nothing lost after a crash. SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from callers import calls, clock, due
from callers.database import open as open_database
from callers.errors import CallersError
from models.db import database
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
from tests.support import factories

LONDON = "+442079460958"


@pytest.fixture
def shown(db, now):
    """Acme shown to alice at Tuesday 10:00 UTC, with two features on the list."""
    at = now("2026-11-24T10:00:00+00:00")
    acme = factories.customer("Acme [bold] Ltd", external_id="A-1", phone=LONDON, contact_name="Jane Doe",
                              country="GB", industry="Retail", employees=250, account_manager="Sam")
    Feature.create(name="Reports", position=1)
    Feature.create(name="API", position=2)
    found = due.next_due("alice")
    assert found.id == acme.id
    state = calls.open_call("alice", acme.id)
    return at, acme, state


def test_open_call_creates_the_call_row_and_the_profile(shown):
    at, acme, state = shown
    row = Call.get_by_id(state.call_id)
    assert row.caller == "alice" and row.outcome is None and row.started_at is None
    assert clock.from_db(row.shown_at) == at and row.contact_id == acme.call_contact
    assert state.shown_at == at and state.started_at is None and state.answers == []
    profile = state.profile
    assert profile.customer.name == "Acme [bold] Ltd" and profile.customer.industry == "Retail"
    assert [c.name for c in profile.contacts] == ["Jane Doe"]
    assert [(f.name, f.in_production) for f in profile.features] == [("Reports", False), ("API", False)]
    assert profile.referenceability == {k: None for k in
                                        ("prospect_call", "case_study", "press", "analyst", "site_visit")}
    assert profile.last_call is None and profile.open_forwards == () and profile.resolved_forwards == ()
    # Opening the same customer again gives back the same call.
    assert calls.open_call("alice", acme.id).call_id == state.call_id
    # Another caller cannot open a customer alice holds.
    with pytest.raises(CallersError, match="being called by alice"):
        calls.open_call("bob", acme.id)


def test_start_call_is_idempotent(shown):
    at, _, state = shown
    assert calls.start_call(state.call_id) == at
    assert calls.start_call(state.call_id, now=at + timedelta(seconds=40)) == at
    assert clock.from_db(Call.get_by_id(state.call_id).started_at) == at


def _journal(call_id):
    return [(a.step, a.key, a.value, clock.from_db(a.answered_at)) for a in
            CallAnswer.select().where(CallAnswer.call == call_id).order_by(CallAnswer.id)]


def test_contacts_confirm_correct_add_and_gone(shown, now):
    at, acme, state = shown
    jane = Contact.get(Contact.name == "Jane Doe")
    t1 = at + timedelta(seconds=10)
    answer = calls.record_answer(state.call_id, "contacts", "confirm", None, now=t1)
    assert answer.answered_at == t1
    assert clock.from_db(Contact.get_by_id(jane.id).confirmed_at) == t1
    assert clock.from_db(Customer.get_by_id(acme.id).contacts_confirmed_at) == t1

    t2 = at + timedelta(seconds=20)
    calls.record_answer(state.call_id, "contacts", f"contact:{jane.id}:title", "CFO", now=t2)
    calls.record_answer(state.call_id, "contacts", f"contact:{jane.id}:phone", "020 7946 0000 ext 7", now=t2)
    jane = Contact.get_by_id(jane.id)
    assert jane.title == "CFO" and jane.phone == "+442079460000" and jane.extension == "7"
    assert clock.from_db(jane.confirmed_at) == t2
    with pytest.raises(CallersError, match="not a valid number|wrong number of digits|not a phone"):
        calls.record_answer(state.call_id, "contacts", f"contact:{jane.id}:phone", "12")
    with pytest.raises(CallersError, match="spans 16 time zones 10 hours apart"):
        calls.record_answer(state.call_id, "contacts", f"contact:{jane.id}:phone", "+7 916 123 4567")
    with pytest.raises(CallersError, match="role must be one of"):
        calls.record_answer(state.call_id, "contacts", f"contact:{jane.id}:role", "boss")

    new = {"name": "Uma User", "role": "user", "title": "Analyst", "phone": "+49 30 1234567",
           "email": "uma@example.com"}
    calls.record_answer(state.call_id, "contacts", "add", json.dumps(new), now=t2)
    uma = Contact.get(Contact.name == "Uma User")
    assert uma.phone == "+49301234567" and uma.timezone == "Europe/Berlin" and uma.role == "user"
    assert clock.from_db(uma.confirmed_at) == t2

    # The buyer is gone: the customer is now called on the user's number.
    calls.record_answer(state.call_id, "contacts", f"contact:{jane.id}:gone", None, now=t2)
    assert not Contact.get_by_id(jane.id).active
    row = Customer.get_by_id(acme.id)
    assert row.call_contact == uma.id and row.call_tz == "Europe/Berlin"
    assert [k for _, k, _, _ in _journal(state.call_id)] == [
        "confirm", f"contact:{jane.id}:title", f"contact:{jane.id}:phone", "add", f"contact:{jane.id}:gone"]


def test_referenceability_answers(shown):
    at, acme, state = shown
    t = at + timedelta(seconds=30)
    calls.record_answer(state.call_id, "referenceability", "prospect_call", "yes", now=t)
    calls.record_answer(state.call_id, "referenceability", "press", "not_now", now=t)
    calls.record_answer(state.call_id, "referenceability", "condition", "not before March [urgent]", now=t)
    row = Customer.get_by_id(acme.id)
    assert (row.ref_prospect_call, row.ref_press, row.ref_case_study) == ("yes", "not_now", None)
    assert row.ref_condition == "not before March [urgent]"
    assert clock.from_db(row.referenceability_confirmed_at) == t
    later = t + timedelta(seconds=5)
    calls.record_answer(state.call_id, "referenceability", "confirm", None, now=later)
    assert clock.from_db(Customer.get_by_id(acme.id).referenceability_confirmed_at) == later
    with pytest.raises(CallersError, match="must be one of"):
        calls.record_answer(state.call_id, "referenceability", "case_study", "maybe")
    profile = calls.profile(acme.id)
    assert profile.referenceability["prospect_call"] == "yes" and profile.ref_condition == "not before March [urgent]"


def test_implementation_state_sets_changed_at_only_on_change(shown):
    at, acme, state = shown
    t1, t2 = at + timedelta(seconds=40), at + timedelta(seconds=50)
    calls.record_answer(state.call_id, "implementation", "state", "in_progress", now=t1)
    calls.record_answer(state.call_id, "implementation", "state", "in_progress", now=t2)
    row = Customer.get_by_id(acme.id)
    assert row.implementation_state == "in_progress"
    assert clock.from_db(row.implementation_changed_at) == t1
    assert clock.from_db(row.implementation_confirmed_at) == t2
    with pytest.raises(CallersError, match="implementation state must be one of"):
        calls.record_answer(state.call_id, "implementation", "state", "done")


def test_features_ticked_and_confirmed(shown):
    at, acme, state = shown
    reports, api = Feature.get(Feature.name == "Reports"), Feature.get(Feature.name == "API")
    t1, t2 = at + timedelta(seconds=60), at + timedelta(seconds=70)
    calls.record_answer(state.call_id, "features", f"feature:{reports.id}", "1", now=t1)
    calls.record_answer(state.call_id, "features", f"feature:{api.id}", "1", now=t1)
    calls.record_answer(state.call_id, "features", f"feature:{api.id}", "0", now=t1)
    ticks = {cf.feature_id: cf.in_production for cf in CustomerFeature.select()}
    assert ticks == {reports.id: True, api.id: False}
    calls.record_answer(state.call_id, "features", "confirm", None, now=t2)
    assert clock.from_db(Customer.get_by_id(acme.id).features_confirmed_at) == t2
    assert all(clock.from_db(cf.confirmed_at) == t2 for cf in CustomerFeature.select())
    profile = calls.profile(acme.id)
    assert [(f.name, f.in_production) for f in profile.features] == [("Reports", True), ("API", False)]


def test_comment_and_unknown_answers(shown):
    _, _, state = shown
    calls.record_answer(state.call_id, "comment", "note", "  [bold]love it[/]  ")
    assert Call.get_by_id(state.call_id).note == "[bold]love it[/]"
    for step, key in (("weather", "confirm"), ("contacts", "contact:x:name"), ("features", "feature:999"),
                      ("implementation", "colour"), ("comment", "other")):
        with pytest.raises(CallersError):
            calls.record_answer(state.call_id, step, key, "1")


def test_restore_after_a_crash_gives_back_the_call_and_every_answer(shown, db):
    at, acme, state = shown
    calls.start_call(state.call_id, now=at + timedelta(seconds=5))
    calls.record_answer(state.call_id, "contacts", "confirm", None, now=at + timedelta(seconds=20))
    calls.record_answer(state.call_id, "implementation", "state", "live", now=at + timedelta(seconds=40))
    calls.record_answer(state.call_id, "comment", "note", "happy", now=at + timedelta(seconds=50))
    # "kill -9": the connection goes away; a new process opens the database.
    database.obj.close()
    open_database(db.url)
    later = at + timedelta(minutes=3)
    restored = calls.restore("alice", now=later)
    assert restored is not None and restored.call_id == state.call_id
    assert restored.started_at == at + timedelta(seconds=5) and restored.shown_at == at
    assert [(a.step, a.key, a.value) for a in restored.answers] == [
        ("contacts", "confirm", None), ("implementation", "state", "live"), ("comment", "note", "happy")]
    assert restored.answers[1].answered_at == at + timedelta(seconds=40)
    assert restored.note == "happy" and restored.profile.implementation_state == "live"
    # The lease is taken again: nobody else is shown the customer; alice is.
    assert due.next_due("bob", now=later, claim=False) is None
    assert due.next_due("alice", now=later).id == acme.id
    assert calls.restore("bob") is None


def test_nothing_to_restore_after_an_outcome(shown):
    _, _, state = shown
    calls.end_call(state.call_id, "completed", note="done")
    assert calls.restore("alice") is None
    row = Call.get_by_id(state.call_id)
    assert row.outcome == "completed" and row.note == "done" and row.ended_at is not None
    with pytest.raises(CallersError, match="already ended"):
        calls.record_answer(state.call_id, "contacts", "confirm", None)
    with pytest.raises(CallersError, match="already ended"):
        calls.end_call(state.call_id, "busy")


def test_skip_ends_the_call_with_a_reason(shown):
    _, acme, state = shown
    with pytest.raises(CallersError, match="say why"):
        calls.skip(state.call_id, "  ")
    calls.skip(state.call_id, "in a board meeting")
    row = Call.get_by_id(state.call_id)
    assert row.skip_reason == "in a board meeting" and row.outcome is None and row.ended_at is not None
    assert Customer.get_by_id(acme.id).claim_holder is None
    assert calls.restore("alice") is None


def test_unknown_outcome_is_refused(shown):
    _, _, state = shown
    with pytest.raises(CallersError, match="unknown outcome"):
        calls.end_call(state.call_id, "hung_up")


def test_profile_shows_last_call_and_forwards(shown, now):
    at, acme, state = shown
    calls.end_call(state.call_id, "no_answer")
    billing = Department.get(Department.kind == "billing")
    Forward.create(customer=acme, caller="alice", department=billing, note="invoice wrong",
                   created_at=clock.to_db(at))
    Forward.create(customer=acme, caller="alice", department=billing, note="old", status="done",
                   created_at=clock.to_db(at - timedelta(days=5)), resolved_at=clock.to_db(at - timedelta(days=1)),
                   resolution="credited")
    profile = calls.profile(acme.id, now=at + timedelta(hours=4))
    assert profile.last_call.caller == "alice" and profile.last_call.outcome == "no_answer"
    assert profile.last_call.at == at
    assert [f.note for f in profile.open_forwards] == ["invoice wrong"]
    assert [(f.note, f.resolution, f.department) for f in profile.resolved_forwards] == [
        ("old", "credited", "Billing")]


def test_opening_another_customer_lets_the_unfinished_one_go(shown):
    at, acme, state = shown
    other = factories.customer("Beta", phone=LONDON)
    calls.open_call("alice", other.id)
    assert Call.get_by_id(state.call_id).skip_reason == "left unfinished"
    assert Customer.get_by_id(acme.id).claim_holder is None
    assert calls.restore("alice").profile.customer.name == "Beta"


def test_restore_after_the_lease_went_to_another_caller_lets_the_call_go(shown):
    at, acme, state = shown
    calls.record_answer(state.call_id, "implementation", "state", "stalled")
    later = at + timedelta(minutes=20)  # alice's lease (15 minutes) has run out
    assert due.next_due("bob", now=later).id == acme.id
    assert calls.restore("alice", now=later) is None
    assert Call.get_by_id(state.call_id).skip_reason == "taken over by bob"
    assert Customer.get_by_id(acme.id).claim_holder == "bob"
    # What alice was told is kept.
    assert calls.profile(acme.id).implementation_state == "stalled"


def test_a_replayed_answer_or_outcome_is_saved_once(shown):
    """The desk's outbox replays writes after a dropped connection; a write that
    had reached the database must not be applied twice. An answer is known by
    its number in the call, never by its time."""
    shown_at, _acme, state = shown
    at = shown_at + timedelta(seconds=30)
    new = json.dumps({"name": "Replay Person", "role": "user", "phone": "+44 20 7946 0001"})
    for _ in range(2):
        calls.record_answer(state.call_id, "contacts", "add", new, now=at, seq=1)
        calls.record_answer(state.call_id, "referenceability", "press", "yes", now=at, seq=2)
    assert Contact.select().where(Contact.name == "Replay Person").count() == 1
    assert CallAnswer.select().where(CallAnswer.call == state.call_id).count() == 2
    # The same answer given again is a new answer, at the same moment or later.
    calls.record_answer(state.call_id, "referenceability", "press", "yes", now=at, seq=3)
    calls.record_answer(state.call_id, "referenceability", "press", "yes", now=at + timedelta(seconds=5))
    assert [a.seq for a in calls.restore("alice").answers] == [1, 2, 3, 4]
    # A number already taken by another answer (a second desk on the call):
    # the answer is saved all the same, under the next number.
    calls.record_answer(state.call_id, "referenceability", "press", "no", now=at, seq=2)
    last = calls.restore("alice").answers[-1]
    assert (last.step, last.key, last.value, last.seq) == ("referenceability", "press", "no", 5)

    end = at + timedelta(minutes=2)
    first = calls.end_call(state.call_id, "completed", now=end)
    again = calls.end_call(state.call_id, "completed", now=end)
    assert again.next_due_at == first.next_due_at
    with pytest.raises(CallersError, match="already ended"):
        calls.end_call(state.call_id, "no_answer", now=end)  # a different outcome is no replay


def test_a_value_changed_and_changed_back_at_one_frozen_moment_keeps_the_last(shown):
    """With CALLERS_NOW frozen every answer has the same time: each is still
    saved, in order, and the profile holds the last value given."""
    at, acme, state = shown
    for seq, value in enumerate(("live", "stalled", "live"), 1):
        calls.record_answer(state.call_id, "implementation", "state", value, now=at, seq=seq)
    for value in ("no", "yes", "no"):  # numbered by the domain
        calls.record_answer(state.call_id, "referenceability", "press", value, now=at)
    row = Customer.get_by_id(acme.id)
    assert (row.implementation_state, row.ref_press) == ("live", "no")
    assert [(a.value, a.seq) for a in calls.restore("alice").answers] == [
        ("live", 1), ("stalled", 2), ("live", 3), ("no", 4), ("yes", 5), ("no", 6)]


def test_confirming_a_step_that_holds_no_facts_records_nothing(shown):
    """A customer whose profile was never confirmed: "confirm" of
    referenceability, implementation or features stores nothing and no
    confirmation time; the kinds stay unknown and the state null."""
    at, acme, state = shown
    for step in ("referenceability", "implementation", "features"):
        assert calls.record_answer(state.call_id, step, "confirm", None, now=at) is None
    row = Customer.get_by_id(acme.id)
    assert row.implementation_state is None and row.implementation_confirmed_at is None
    assert row.referenceability_confirmed_at is None and row.features_confirmed_at is None
    assert all(getattr(row, f"ref_{kind}") is None for kind in
               ("prospect_call", "case_study", "press", "analyst", "site_visit"))
    assert CallAnswer.select().where(CallAnswer.call == state.call_id).count() == 0
    # Contacts on file are facts (an import brought them): Enter confirms them.
    assert calls.record_answer(state.call_id, "contacts", "confirm", None, now=at).seq == 1
    scheduled = calls.end_call(state.call_id, "completed", now=at + timedelta(minutes=2))
    assert scheduled.unasked == ("referenceability", "implementation", "features")
    assert scheduled.message.endswith("; not asked: references, implementation, features")
    row = Customer.get_by_id(acme.id)
    assert row.contacts_confirmed_at is not None and row.features_confirmed_at is None


def test_no_to_every_reference_and_no_feature_in_production_are_answers(shown):
    at, acme, state = shown
    reports = Feature.get(Feature.name == "Reports")
    calls.record_answer(state.call_id, "features", f"feature:{reports.id}", "1", now=at)
    t = at + timedelta(seconds=10)
    calls.record_answer(state.call_id, "referenceability", "all", "no", now=t)
    calls.record_answer(state.call_id, "features", "none", None, now=t)
    row = Customer.get_by_id(acme.id)
    assert {getattr(row, f"ref_{kind}") for kind in
            ("prospect_call", "case_study", "press", "analyst", "site_visit")} == {"no"}
    assert clock.from_db(row.referenceability_confirmed_at) == t
    assert clock.from_db(row.features_confirmed_at) == t
    assert [(cf.in_production, clock.from_db(cf.confirmed_at)) for cf in CustomerFeature.select()] == [(False, t)]
    with pytest.raises(CallersError, match="all must be one of"):
        calls.record_answer(state.call_id, "referenceability", "all", "maybe")
    # Once answered, the steps hold facts: Enter confirms them as still true.
    later = t + timedelta(seconds=10)
    assert calls.record_answer(state.call_id, "features", "confirm", None, now=later) is not None
    assert calls.record_answer(state.call_id, "referenceability", "confirm", None, now=later) is not None
    assert clock.from_db(Customer.get_by_id(acme.id).features_confirmed_at) == later


def test_what_counts_as_asked_and_where_the_script_opens(shown):
    at, acme, state = shown
    profile = state.profile
    assert [calls.holds_facts(profile, step) for step in calls.STEPS] == [True, False, False, False]
    assert calls.first_step(profile, [], at, 90) == "contacts"
    answers = [calls.Answer("contacts", "confirm", None, at, 1), calls.Answer("comment", "note", "hi", at, 2),
               calls.Answer("features", "feature:1", "1", at, 3)]
    assert calls.steps_asked(answers) == {"contacts", "features"}
    assert calls.unasked_steps(answers) == ("referenceability", "implementation")
    assert calls.not_asked_text(calls.unasked_steps(answers)) == "not asked: references, implementation"
    assert calls.not_asked_text(()) == ""
    assert calls.first_step(profile, answers, at, 90) == "referenceability"
    assert calls.first_step(profile, [*answers, calls.Answer("referenceability", "all", "no", at, 4),
                                      calls.Answer("implementation", "state", "live", at, 5)], at, 90) == "comment"
    # The next call opens on the first step the last one left unasked (the
    # others are fresh), and on the first step when all are stale.
    Customer.update(contacts_confirmed_at=clock.to_db(at - timedelta(days=10)),
                    referenceability_confirmed_at=clock.to_db(at - timedelta(days=10)),
                    ref_press="no", implementation_state="live").where(Customer.id == acme.id).execute()
    profile = calls.profile(acme.id, now=at)
    assert calls.holds_facts(profile, "referenceability") and calls.holds_facts(profile, "implementation")
    assert calls.first_step(profile, [], at, 90) == "implementation"
    assert calls.first_step(profile, [], at + timedelta(days=80), 90) == "contacts"


def test_an_answer_for_a_customer_another_caller_took_over_is_refused(shown, now):
    at, acme, state = shown
    # alice's lease ran out while she was away, and bob has the customer now.
    Customer.update(claim_holder="bob", claim_expires_at=clock.to_db(at + timedelta(minutes=20))).where(
        Customer.id == acme.id).execute()
    with pytest.raises(CallersError, match=r"being called by bob now: this answer was not saved"):
        calls.record_answer(state.call_id, "implementation", "state", "live")
    assert CallAnswer.select().where(CallAnswer.call == state.call_id).count() == 0
    assert Customer.get_by_id(acme.id).implementation_state is None
    # Once bob's lease has run out too, alice's answer is hers to give.
    now("2026-11-24T10:30:00+00:00")
    assert calls.record_answer(state.call_id, "implementation", "state", "live") is not None
    assert Customer.get_by_id(acme.id).implementation_state == "live"
