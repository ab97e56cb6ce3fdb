"""Who is due: every rule of the due queue, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone

import pytest

from callers import calls, clock, due, settings
from callers.cli import main
from models.tables import DUE_CALLBACK, DUE_NEVER_REACHED, DUE_OVERDUE, Contact, Customer, Setting
from tests.support import factories

LONDON = "+442079460958"
BERLIN = "+493012345678"
LA = "+14155550100"
NEW_YORK = "+12125550100"
SYDNEY = "+61291234567"
ADELAIDE_PERTH = "+61871234567"  # one number, two zones (UTC+10:30 and UTC+8 in November)


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc)


def ago(now: datetime, **delta) -> datetime:
    return now - timedelta(**delta)


def name_of(found) -> str | None:
    return found.name if found else None


# ---- calling hours ------------------------------------------------------------------


def test_zones_on_both_sides_of_the_window(db, now):
    # Monday 16:30 UTC: London 16:30 (inside), Los Angeles 08:30 (not yet).
    at = now("2026-11-23T16:30:00+00:00")
    factories.customer("West Coast Inc", phone=LA, due=ago(at, days=30))
    factories.customer("London Ltd", phone=LONDON, due=ago(at, days=1))
    assert name_of(due.next_due("alice", claim=False)) == "London Ltd"
    # 17:30 UTC: London has closed (17:30), Los Angeles has opened (09:30).
    later = now("2026-11-23T17:30:00+00:00")
    assert name_of(due.next_due("alice", now=later, claim=False)) == "West Coast Inc"
    # 01:00 UTC: both closed.
    assert due.next_due("alice", now=utc("2026-11-24T01:00:00"), claim=False) is None


def test_window_edges_start_inclusive_end_exclusive(db, now):
    now("2026-11-23T08:00:00+00:00")
    factories.customer("London Ltd", phone=LONDON)
    assert due.next_due("a", now=utc("2026-11-23T08:59:00"), claim=False) is None
    assert name_of(due.next_due("a", now=utc("2026-11-23T09:00:00"), claim=False)) == "London Ltd"
    assert name_of(due.next_due("a", now=utc("2026-11-23T16:59:00"), claim=False)) == "London Ltd"
    assert due.next_due("a", now=utc("2026-11-23T17:00:00"), claim=False) is None


def test_nobody_is_due_at_the_weekend(db, now):
    saturday = now("2026-11-28T12:00:00+00:00")
    factories.customer("London Ltd", phone=LONDON, due=ago(saturday, days=10))
    factories.customer("Berlin GmbH", phone=BERLIN, due=ago(saturday, days=10))
    assert due.next_due("alice", claim=False) is None
    # Berlin opens first on Monday: 09:00 Berlin is 08:00 UTC.
    assert due.next_due_time() == utc("2026-11-30T08:00:00")
    assert due.nobody_due_message() == "Nobody is due until Mon 09:00 local"
    assert due.nobody_due_message(caller_zone="Europe/London") == \
        "Nobody is due until Mon 09:00 local (Mon 08:00 yours)"
    assert name_of(due.next_due("alice", now=utc("2026-11-30T08:00:00"), claim=False)) == "Berlin GmbH"


def test_calling_hours_are_settings(db, now):
    saturday = now("2026-11-28T12:00:00+00:00")
    factories.customer("London Ltd", phone=LONDON, due=ago(saturday, days=1))
    settings.put("calling_days", [0, 1, 2, 3, 4, 5])
    settings.put("calling_start", "10:00")
    settings.put("calling_end", "12:30")
    assert name_of(due.next_due("alice", claim=False)) == "London Ltd"
    assert due.next_due("alice", now=utc("2026-11-28T12:30:00"), claim=False) is None


def test_a_number_in_several_zones_is_due_only_when_all_are_inside(db, now):
    # Tuesday 00:00 UTC: Sydney 11:00, Adelaide 10:30 but Perth 08:00.
    at = now("2026-11-24T00:00:00+00:00")
    factories.customer("Two Zones Pty", phone=ADELAIDE_PERTH, due=ago(at, days=20))
    factories.customer("Sydney Pty", phone=SYDNEY, due=ago(at, days=1))
    assert name_of(due.next_due("alice", claim=False)) == "Sydney Pty"
    # 02:00 UTC: Adelaide 12:30 and Perth 10:00, both inside; it is the more overdue.
    assert name_of(due.next_due("alice", now=utc("2026-11-24T02:00:00"), claim=False)) == "Two Zones Pty"
    # 07:00 UTC: Perth 15:00 but Adelaide 17:30: not any more.
    assert name_of(due.next_due("alice", now=utc("2026-11-24T07:00:00"), claim=False)) is None


def _zones(customer, key: str) -> None:
    """Give a customer's contact a zone key by hand (e.g. a US toll-free number:
    phonenumbers gives it 42 zones, more than the 200-character column holds)."""
    Contact.update(timezone=key).where(Contact.id == customer.call_contact).execute()
    Customer.update(call_tz=key).where(Customer.id == customer.id).execute()


def test_a_number_in_zones_with_no_common_window_is_never_due(db, now):
    now("2026-11-23T18:00:00+00:00")
    _zones(factories.customer("Far Apart Inc", phone=NEW_YORK), "America/New_York|Pacific/Guam")
    for hour in range(0, 24):
        assert due.next_due("alice", now=utc("2026-11-24T00:00:00") + timedelta(hours=hour), claim=False) is None
    assert due.next_due_time() is None
    assert due.nobody_due_message() == "Nobody is due: the queue is empty"


def test_a_us_number_spanning_new_york_and_honolulu(db, now):
    # New York 09-17 is 14-22 UTC; Honolulu 09-17 is 19-03 UTC: both from 19 to 22 UTC.
    now("2026-11-23T18:00:00+00:00")
    _zones(factories.customer("Both Coasts Inc", phone=NEW_YORK), "America/New_York|Pacific/Honolulu")
    assert due.next_due("alice", claim=False) is None
    assert due.next_due_time() == utc("2026-11-23T19:00:00")
    assert name_of(due.next_due("alice", now=utc("2026-11-23T21:59:00"), claim=False)) == "Both Coasts Inc"
    assert due.next_due("alice", now=utc("2026-11-23T22:00:00"), claim=False) is None


# ---- order -----------------------------------------------------------------------------


def test_callbacks_first_then_never_reached_then_most_overdue(db, now):
    at = now("2026-11-23T10:00:00+00:00")
    factories.customer("Overdue a lot", phone=LONDON, due=ago(at, days=40), rank=DUE_OVERDUE)
    factories.customer("Overdue a little", phone=LONDON, due=ago(at, days=2), rank=DUE_OVERDUE)
    factories.customer("Never reached", phone=BERLIN, due=ago(at, days=1), rank=DUE_NEVER_REACHED)
    factories.customer("Callback later", phone=LONDON, due=at + timedelta(hours=1), rank=DUE_CALLBACK)
    factories.customer("Callback now", phone=BERLIN, due=ago(at, minutes=5), rank=DUE_CALLBACK)
    seen = []
    for _ in range(4):
        found = due.next_due("alice", claim=False)
        seen.append((found.name, found.reason))
        Customer.update(next_due_at=clock.to_db(at + timedelta(days=30))).where(Customer.id == found.id).execute()
    assert seen == [("Callback now", "callback"), ("Never reached", "never reached"),
                    ("Overdue a lot", "overdue"), ("Overdue a little", "overdue")]
    # The callback promised for 11:00 comes before anybody else at 11:00.
    assert name_of(due.next_due("alice", now=at + timedelta(hours=1), claim=False)) == "Callback later"


def _pick_work(engine: str, keys, at) -> int:
    """How much work one pick did: PostgreSQL's executed index scans (EXPLAIN
    ANALYZE of the prepared pick), SQLite's virtual-machine steps."""
    from models.db import database

    now_db = clock.to_db(at)
    if engine == "postgresql":
        due._pick(keys, now_db, None, 6)  # prepares it on this connection
        plan = database.obj.execute_sql(
            "EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) EXECUTE callers_due_pick_nr (%s, %s, %s, %s, %s, %s, %s)",
            (list(keys), now_db, False, False, False, 6, now_db)).fetchall()
        lines = [row[0] for row in plan]
        scans = [line for line in lines if f"Index Scan using {due._DUE_INDEX} " in line]
        ran = [line for line in scans if "never executed" not in line]
        # Each seek is read in the index's order and stops at its first row:
        # no sort between the LIMIT 1 and the index (the id is in the index).
        assert all("Limit" in lines[lines.index(line) - 1] for line in scans), lines
        assert len(scans) == len(due.QUEUE_RANKS) and all(f"loops={len(keys)})" in line for line in ran), lines
        return len(ran)
    steps = [0]

    def step() -> int:
        steps[0] += 1
        return 0
    conn = database.obj.connection()
    conn.set_progress_handler(step, 1)
    try:
        due._pick(keys, now_db, None, 6)
    finally:
        conn.set_progress_handler(None, 1)
    return steps[0]


def test_later_ranks_are_not_sought_once_a_rank_has_someone_due(db, engine, now):
    """The pick stops at the first rank with anyone due: with a callback due,
    the never-reached and overdue customers' seeks do not run."""
    at = now("2026-11-23T10:00:00+00:00")
    for i in range(20):
        factories.customer(f"Never {i}", phone=LONDON, due=ago(at, days=1 + i), rank=DUE_NEVER_REACHED)
        factories.customer(f"Overdue {i}", phone=BERLIN, due=ago(at, days=1 + i), rank=DUE_OVERDUE)
    factories.customer("Callback", phone=BERLIN, due=ago(at, minutes=5), rank=DUE_CALLBACK)
    due.forget_zone_keys()
    keys = due.open_keys(at, due.hours.Hours.from_settings(settings.get_all()))
    assert len(keys) == 2
    work = {}
    for rank, first in ((DUE_CALLBACK, "Callback"), (DUE_NEVER_REACHED, "Never 19"), (DUE_OVERDUE, "Overdue 19")):
        assert name_of(due.next_due("alice", claim=False)) == first
        work[rank] = _pick_work(engine, keys, at)
        # This rank is not due any more: the next pick must seek the next one.
        Customer.update(next_due_at=clock.to_db(at + timedelta(days=1))).where(Customer.due_rank == rank).execute()
    if engine == "postgresql":
        # The plan's index scan of each rank sought ran (once per open key);
        # the others show "never executed".
        assert work == {DUE_CALLBACK: 1, DUE_NEVER_REACHED: 2, DUE_OVERDUE: 3}
    else:
        # Each rank sought adds its seeks' steps (seeking all three every
        # time, the steps went the other way: 320, 301, 276).
        assert work[DUE_CALLBACK] < work[DUE_NEVER_REACHED] < work[DUE_OVERDUE], work


def test_not_yet_due_do_not_call_needs_number_and_max_attempts_are_not_due(db, now):
    at = now("2026-11-23T10:00:00+00:00")
    factories.customer("Future", phone=LONDON, due=at + timedelta(days=3))
    factories.customer("DNC", phone=LONDON, do_not_call=True)
    factories.customer("Needs number", phone=LONDON, needs_number=True)
    factories.customer("Tried enough", phone=LONDON, attempts=6)
    factories.customer("No phone", phone=None)
    assert due.next_due("alice", claim=False) is None
    factories.customer("Tried five times", phone=LONDON, attempts=5)
    assert name_of(due.next_due("alice", claim=False)) == "Tried five times"


def test_a_customer_added_elsewhere_in_a_new_zone_is_seen_within_the_ttl(db, now, monkeypatch):
    now("2026-11-23T16:30:00+00:00")
    factories.customer("London Ltd", phone=LONDON, due=ago(clock.now(), days=1))
    assert name_of(due.next_due("alice", claim=False)) == "London Ltd"
    # Another process adds a customer in a zone nobody had (straight to the
    # table): this process looks at the newest customer every SETTINGS_TTL.
    factories.customer("New York Inc", phone=NEW_YORK, due=ago(clock.now(), days=9), elsewhere=True)
    assert name_of(due.next_due("alice", claim=False)) == "London Ltd"
    monkeypatch.setattr(due, "SETTINGS_TTL", -1.0)  # as if the TTL had passed
    assert name_of(due.next_due("alice", claim=False)) == "New York Inc"


def test_a_customer_imported_in_this_process_is_seen_at_once(db, now, tmp_path):
    from callers import importer

    now("2026-11-23T16:30:00+00:00")
    factories.customer("London Ltd", phone=LONDON, due=ago(clock.now(), days=1))
    assert name_of(due.next_due("alice", claim=False)) == "London Ltd"
    export = tmp_path / "new.csv"
    export.write_text("Account ID,Account Name,Phone\nNY-1,New York Inc,+1 212 555 0100\n", encoding="utf-8")
    assert importer.import_file(export).customers_created == 1
    # Never reached beats overdue: the new customer in its new zone comes first.
    assert name_of(due.next_due("alice", claim=False)) == "New York Inc"


def test_a_setting_changed_elsewhere_is_read_within_the_ttl_and_at_once_here(db, now, monkeypatch):
    now("2026-11-23T16:30:00+00:00")  # 16:30 in London
    factories.customer("London Ltd", phone=LONDON, due=ago(clock.now(), days=1))
    assert name_of(due.next_due("alice", claim=False)) == "London Ltd"
    settings.put("calling_end", "16:00")  # this process: at once
    assert due.next_due("alice", claim=False) is None
    # Another process (straight to the table): within the TTL.
    Setting.update(value='"17:00"').where(Setting.key == "calling_end").execute()
    assert due.next_due("alice", claim=False) is None
    monkeypatch.setattr(due, "SETTINGS_TTL", -1.0)  # as if the TTL had passed
    assert name_of(due.next_due("alice", claim=False)) == "London Ltd"


# ---- claims -----------------------------------------------------------------------------


def test_a_claimed_customer_is_not_shown_to_another_caller(db, now):
    at = now("2026-11-23T10:00:00+00:00")
    factories.customer("First", phone=LONDON, due=ago(at, days=9))
    factories.customer("Second", phone=LONDON, due=ago(at, days=5))
    alice = due.next_due("alice")
    assert alice.name == "First" and alice.claimed_until == at + timedelta(minutes=15)
    assert name_of(due.next_due("bob", claim=False)) == "Second"
    assert name_of(due.next_due("bob")) == "Second"
    assert due.next_due("carol") is None
    # The same caller gets the same customer back (the lease is renewed).
    later = at + timedelta(minutes=10)
    again = due.next_due("alice", now=later)
    assert again.id == alice.id and again.claimed_until == later + timedelta(minutes=15)
    # Released: the next caller gets it.
    due.release(alice.id, "alice")
    assert name_of(due.next_due("carol", now=later)) == "First"


def test_the_own_claim_comes_back_before_callbacks_and_after_hours(db, now):
    """A caller's live claim is theirs until it lapses: a callback falling
    due meanwhile does not take its place, nor does the end of calling hours
    (no zone open, nothing else sought)."""
    at = now("2026-11-23T16:50:00+00:00")  # 16:50 in London
    factories.customer("Claimed", phone=LONDON, due=ago(at, days=9))
    assert name_of(due.next_due("alice")) == "Claimed"
    factories.customer("Callback", phone=LONDON, due=ago(at, minutes=1), rank=DUE_CALLBACK)
    assert name_of(due.next_due("alice", claim=False)) == "Claimed"
    assert name_of(due.next_due("bob", claim=False)) == "Callback"
    after_hours = at + timedelta(minutes=12)
    assert due.open_keys(after_hours, due.hours.Hours.from_settings(settings.get_all())) == ()
    assert due.next_due("bob", now=after_hours) is None
    back = due.next_due("alice", now=after_hours)
    assert back.name == "Claimed" and back.claimed_until == after_hours + timedelta(minutes=15)


def test_a_claim_on_postgresql_is_one_statement(db, engine, now):
    """Pick and lease in one statement (its own transaction): one round
    trip to the server per next customer, not BEGIN, pick, UPDATE, COMMIT."""
    if engine != "postgresql":
        pytest.skip("PostgreSQL's round trips")
    from models.db import database

    at = now("2026-11-23T10:00:00+00:00")
    factories.customer("First", phone=LONDON, due=ago(at, days=9))
    factories.customer("Second", phone=LONDON, due=ago(at, days=5))
    assert name_of(due.next_due("alice")) == "First"  # prepares it, reads the settings
    statements = []
    real = database.obj.execute_sql

    def counted(sql, params=None, *args, **kwargs):
        statements.append(sql)
        return real(sql, params, *args, **kwargs)

    database.obj.execute_sql = counted
    try:
        bob = due.next_due("bob")
        again = due.next_due("alice", now=at + timedelta(minutes=1))
    finally:
        del database.obj.execute_sql
    assert bob.name == "Second" and bob.claimed_until == at + timedelta(minutes=15)
    assert again.name == "First" and again.claimed_until == at + timedelta(minutes=16)
    assert [sql.split(" (")[0] for sql in statements] == ["EXECUTE callers_due_claim"] * 2
    held = {c.name: (c.claim_holder, clock.from_db(c.claim_expires_at)) for c in Customer.select()}
    assert held == {"First": ("alice", at + timedelta(minutes=16)), "Second": ("bob", at + timedelta(minutes=15))}


def test_an_expired_lease_returns_the_customer(db, now):
    at = now("2026-11-23T10:00:00+00:00")
    factories.customer("Only", phone=LONDON, due=ago(at, days=9))
    settings.put("claim_minutes", 5)
    assert name_of(due.next_due("alice")) == "Only"
    assert due.next_due("bob", now=at + timedelta(minutes=4, seconds=59)) is None
    assert name_of(due.next_due("bob", now=at + timedelta(minutes=5))) == "Only"
    assert Customer.get().claim_holder == "bob"


def test_release_keeps_another_callers_claim(db, now):
    at = now("2026-11-23T10:00:00+00:00")
    found = factories.customer("Only", phone=LONDON, due=ago(at, days=9))
    due.next_due("alice")
    due.release(found.id, "bob")
    assert Customer.get_by_id(found.id).claim_holder == "alice"


def test_claims_hold_across_processes(db, now):
    at = now("2026-11-23T10:00:00+00:00")
    factories.customer("First", phone=LONDON, due=ago(at, days=9))
    factories.customer("Second", phone=LONDON, due=ago(at, days=5))
    env = dict(os.environ, CALLERS_DB=db.url, CALLERS_NOW=at.isoformat())

    def run(*args):
        out = subprocess.run([sys.executable, "-m", "callers", "next", "--format", "json", *args],
                             capture_output=True, text=True, env=env, check=True)
        return json.loads(out.stdout)

    assert run("--as", "alice", "--claim")["customer"]["name"] == "First"
    assert run("--as", "bob", "--claim")["customer"]["name"] == "Second"
    assert run("--as", "carol") is None
    assert run("--as", "alice", "--claim")["customer"]["name"] == "First"


# ---- outcomes ---------------------------------------------------------------------------


def _call(caller: str = "alice"):
    found = due.next_due(caller)
    assert found is not None
    return found, calls.open_call(caller, found.id)


def test_completed_is_due_again_after_the_cycle_with_attempts_reset(db, now):
    at = now("2026-11-23T10:00:00+00:00")
    factories.customer("Acme", phone=LONDON, attempts=3)
    found, state = _call()
    calls.start_call(state.call_id)
    done = calls.end_call(state.call_id, "completed")
    row = Customer.get_by_id(found.id)
    assert done.next_due_at == at + timedelta(days=90)
    assert clock.from_db(row.next_due_at) == at + timedelta(days=90)
    assert row.attempts == 0 and clock.from_db(row.last_reached_at) == at
    assert row.due_rank == DUE_OVERDUE and row.claim_holder is None
    # Nothing was answered on this call: the confirmation says so.
    assert done.message == ("Completed: due again on Sun 21 Feb 2027; "
                            "not asked: contacts, references, implementation, features")
    assert due.next_due("alice", claim=False) is None
    # The next cycle: due again, as overdue.
    again = due.next_due("alice", now=utc("2027-02-22T10:00:00"), claim=False)
    assert again.id == found.id and again.reason == "overdue"


def test_cycle_days_is_a_setting(db, now):
    at = now("2026-11-23T10:00:00+00:00")
    factories.customer("Acme", phone=LONDON)
    settings.put("cycle_days", 30)
    _, state = _call()
    assert calls.end_call(state.call_id, "completed").next_due_at == at + timedelta(days=30)


def test_no_answer_retries_in_four_hours_inside_the_window(db, now):
    at = now("2026-11-24T10:00:00+00:00")  # Tuesday 10:00 London
    factories.customer("Acme", phone=LONDON)
    found, state = _call()
    result = calls.end_call(state.call_id, "no_answer")
    assert result.next_due_at == at + timedelta(hours=4)
    row = Customer.get_by_id(found.id)
    assert row.attempts == 1 and row.due_rank == DUE_NEVER_REACHED and row.last_reached_at is None
    assert result.message == "No answer: try again Tue 14:00 their time"


def test_no_answer_on_friday_afternoon_rolls_over_the_weekend(db, now):
    now("2026-11-27T15:00:00+00:00")  # Friday 15:00 London: +4 h is 19:00, after hours
    factories.customer("Acme", phone=LONDON)
    _, state = _call()
    result = calls.end_call(state.call_id, "no_answer")
    assert result.next_due_at == utc("2026-11-30T09:00:00")  # Monday 09:00 London


def test_no_answer_rolls_into_the_window_of_every_zone(db, now):
    # Tuesday 03:00 UTC: Adelaide 13:30, Perth 11:00. +4 h = 07:00 UTC: Adelaide
    # is closed; both are next open on Wednesday from 01:00 UTC (Perth 09:00).
    now("2026-11-24T03:00:00+00:00")
    factories.customer("Two Zones Pty", phone=ADELAIDE_PERTH)
    _, state = _call()
    assert calls.end_call(state.call_id, "no_answer").next_due_at == utc("2026-11-25T01:00:00")


def test_voicemail_is_due_the_next_working_day_at_the_window_start(db, now):
    now("2026-11-24T10:00:00+00:00")  # Tuesday
    factories.customer("Acme", phone=LONDON)
    _, state = _call()
    assert calls.end_call(state.call_id, "voicemail").next_due_at == utc("2026-11-25T09:00:00")
    friday = now("2026-11-27T15:00:00+00:00")  # Friday 10:00 New York: Monday 09:00 New York
    factories.customer("Beta", phone=NEW_YORK, due=ago(friday, days=30), rank=DUE_NEVER_REACHED)
    found, state = _call()
    assert found.name == "Beta"
    assert calls.end_call(state.call_id, "voicemail").next_due_at == utc("2026-11-30T14:00:00")


def test_busy_retries_in_thirty_minutes(db, now):
    at = now("2026-11-24T10:00:00+00:00")
    factories.customer("Acme", phone=LONDON)
    _, state = _call()
    assert calls.end_call(state.call_id, "busy").next_due_at == at + timedelta(minutes=30)


def test_callback_is_due_at_that_time_before_anyone_else(db, now):
    at = now("2026-11-24T10:00:00+00:00")
    factories.customer("Much overdue", phone=LONDON, due=ago(at, days=300), rank=DUE_OVERDUE)
    factories.customer("Never reached", phone=LONDON, due=ago(at, days=1), rank=DUE_NEVER_REACHED)
    found = due.next_due("alice")
    assert found.name == "Never reached"
    state = calls.open_call("alice", found.id)
    result = calls.end_call(state.call_id, "callback", callback_at="tomorrow 10:00")
    assert result.next_due_at == utc("2026-11-25T10:00:00")
    assert result.message == "Call back Wed 10:00 their time"
    row = Customer.get_by_id(found.id)
    assert row.due_rank == DUE_CALLBACK and clock.from_db(row.callback_at) == utc("2026-11-25T10:00:00")
    assert name_of(due.next_due("alice", claim=False)) == "Much overdue"
    back = due.next_due("alice", now=utc("2026-11-25T10:00:00"), claim=False)
    assert back.name == "Never reached" and back.reason == "callback"


def test_a_callback_promised_outside_hours_says_when_it_will_show(db, now):
    now("2026-11-24T10:00:00+00:00")
    factories.customer("Acme", phone=LONDON)
    _, state = _call()
    result = calls.end_call(state.call_id, "callback", callback_at="today 19:00")
    assert result.next_due_at == utc("2026-11-24T19:00:00")
    assert result.message == "Call back Tue 19:00 their time (outside calling hours: shown from Wed 09:00 their time)"
    assert due.next_due("alice", now=utc("2026-11-24T19:00:00"), claim=False) is None
    assert due.next_due("alice", now=utc("2026-11-25T09:00:00"), claim=False).reason == "callback"


def test_callback_needs_a_future_time(db, now):
    now("2026-11-24T10:00:00+00:00")
    factories.customer("Acme", phone=LONDON)
    _, state = _call()
    with pytest.raises(Exception, match="call back needs a time"):
        calls.end_call(state.call_id, "callback")
    with pytest.raises(Exception, match="cannot read"):
        calls.end_call(state.call_id, "callback", callback_at="whenever")


def test_wrong_number_moves_to_the_next_contact_then_needs_a_number(db, now):
    at = now("2026-11-24T10:00:00+00:00")
    acme = factories.customer("Acme", phone=LONDON, contact_name="Jane Buyer")
    user = Contact.create(customer=acme, name="Uma User", role="user", phone=BERLIN.replace("+49", "+49"),
                          timezone="Europe/Berlin", created_at=clock.db_now(), updated_at=clock.db_now())
    _, state = _call()
    result = calls.end_call(state.call_id, "wrong_number")
    assert result.next_due_at == at
    assert "next contact Uma User" in result.message
    row = Customer.get_by_id(acme.id)
    assert row.call_contact == user.id and row.call_tz == "Europe/Berlin" and not row.needs_number
    assert Contact.get(Contact.name == "Jane Buyer").unreachable
    found, state = _call()
    assert found.contact.name == "Uma User"
    result = calls.end_call(state.call_id, "wrong_number")
    row = Customer.get_by_id(acme.id)
    assert result.next_due_at is None and "needs a number" in result.message
    assert row.needs_number and row.next_due_at is None and row.call_contact is None
    assert due.next_due("alice", claim=False) is None


def test_do_not_call_is_never_due_again(db, now):
    now("2026-11-24T10:00:00+00:00")
    factories.customer("Acme", phone=LONDON)
    found, state = _call()
    result = calls.end_call(state.call_id, "do_not_call")
    row = Customer.get_by_id(found.id)
    assert result.next_due_at is None and row.do_not_call and row.next_due_at is None
    for days in (0, 91, 400):
        assert due.next_due("alice", now=utc("2026-11-24T10:00:00") + timedelta(days=days), claim=False) is None


def test_too_many_attempts_is_unreachable_this_cycle_until_a_new_one(db, now):
    at = now("2026-11-24T10:00:00+00:00")
    acme = factories.customer("Acme", phone=LONDON, cycle_started_at=clock.to_db(at - timedelta(days=10)))
    settings.put("max_attempts", 3)
    when = at
    for attempt in range(3):
        found = due.next_due("alice", now=when)
        assert found is not None and found.id == acme.id, attempt
        state = calls.open_call("alice", found.id, now=when)
        result = calls.end_call(state.call_id, "busy", now=when)
        when = result.next_due_at
    row = Customer.get_by_id(acme.id)
    assert row.unreachable and row.attempts == 3
    assert "unreachable this cycle (3 attempts)" in result.message
    assert due.next_due("alice", now=at + timedelta(days=30), claim=False) is None
    # 90 days after the cycle began, a new cycle puts it back, attempts reset.
    back_at = at - timedelta(days=10) + timedelta(days=90)
    assert result.next_due_at == back_at
    monday = utc("2027-02-22T10:00:00")
    assert monday > back_at
    found = due.next_due("alice", now=monday, claim=False)
    assert found is not None and found.id == acme.id and found.reason == "never reached"
    row = Customer.get_by_id(acme.id)
    assert not row.unreachable and row.attempts == 0


def test_start_new_cycles_counts_what_came_back(db, now):
    at = now("2026-11-24T10:00:00+00:00")
    factories.customer("Parked", phone=LONDON, unreachable=True, attempts=6, due_rank=due.DUE_PARKED,
                       next_due_at=clock.to_db(at + timedelta(days=5)))
    assert due.start_new_cycles(at, force=True) == 0
    assert due.start_new_cycles(at + timedelta(days=5), force=True) == 1
    assert Customer.get().due_rank == DUE_NEVER_REACHED


def test_skip_lets_the_next_customer_come_up(db, now):
    at = now("2026-11-24T10:00:00+00:00")
    factories.customer("First", phone=LONDON, due=ago(at, days=9))
    factories.customer("Second", phone=LONDON, due=ago(at, days=5))
    found, state = _call()
    assert found.name == "First"
    calls.skip(state.call_id, "in a meeting, try later")
    row = Customer.get_by_id(found.id)
    assert row.claim_holder is None
    second = due.next_due("alice")
    assert second.name == "Second"
    calls.end_call(calls.open_call("alice", second.id).call_id, "completed")
    # It steps back for a lease's length, for everybody.
    assert clock.from_db(row.next_due_at) == at + timedelta(minutes=15)
    assert due.next_due("bob", now=at + timedelta(minutes=14), claim=False) is None
    assert name_of(due.next_due("bob", now=at + timedelta(minutes=15), claim=False)) == "First"


# ---- when is somebody due ------------------------------------------------------------


def test_next_due_time_after_hours_is_the_next_window(db, now):
    now("2026-11-24T18:00:00+00:00")  # Tuesday, after hours in London
    factories.customer("London Ltd", phone=LONDON)
    assert due.next_due("alice", claim=False) is None
    assert due.next_due_time() == utc("2026-11-25T09:00:00")
    assert due.nobody_due_message() == "Nobody is due until Wed 09:00 local"


def test_next_due_time_is_a_future_due_time_inside_hours(db, now):
    at = now("2026-11-24T10:00:00+00:00")
    factories.customer("London Ltd", phone=LONDON, due=at + timedelta(hours=2))
    assert due.next_due_time() == at + timedelta(hours=2)
    assert due.nobody_due_message() == "Nobody is due until Tue 12:00 local"


# ---- callers next -------------------------------------------------------------------


def test_callers_next_json_shape(db, now, capsys):
    at = now("2026-11-23T16:30:00+00:00")
    acme = factories.customer("Acme [bold] Ltd", external_id="ACME-1", phone=NEW_YORK,
                              contact_name="Jane Doe", due=ago(at, days=3))
    assert main(["next", "--format", "json", "--as", "alice"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data == {
        "customer": {"id": acme.id, "external_id": "ACME-1", "name": "Acme [bold] Ltd"},
        "contact": {"name": "Jane Doe", "phone": "+12125550100", "timezone": "America/New_York",
                    "local_time": "2026-11-23T11:30:00-05:00"},
        "reason": "overdue",
        "due_since": "2026-11-20T16:30:00+00:00",
    }
    # Without --claim it only looks.
    assert Customer.get_by_id(acme.id).claim_holder is None
    assert main(["next", "--format", "json", "--as", "alice", "--claim"]) == 0
    capsys.readouterr()
    assert Customer.get_by_id(acme.id).claim_holder == "alice"
    assert main(["next", "--format", "json", "--as", "bob"]) == 0
    assert capsys.readouterr().out.strip() == "null"


def test_callers_next_when_nobody_is_due(db, now, capsys):
    now("2026-11-28T12:00:00+00:00")
    factories.customer("London Ltd", phone=LONDON)
    assert main(["next", "--format", "json"]) == 0
    assert capsys.readouterr().out.strip() == "null"
    assert main(["next"]) == 0
    assert capsys.readouterr().out.strip() == "Nobody is due until Mon 09:00 local"


def test_callers_next_text(db, now, capsys):
    now("2026-11-23T10:00:00+00:00")
    factories.customer("Acme Ltd", external_id="A-1", phone=LONDON + " ext. 23", contact_name="Jane Doe")
    assert main(["next", "--as", "alice", "--claim"]) == 0
    out = capsys.readouterr().out
    assert "Acme Ltd  (A-1" in out and "due: never reached" in out
    assert "+44 20 7946 0958 ext. 23" in out and "020 7946 0958 ext. 23" in out
    assert "held for alice until 10:15 UTC" in out


def test_the_due_query_seeks_the_due_index_even_without_statistics(db, engine, now):
    """A newer index (0004's, led by do_not_call) and no ANALYZE once made
    SQLite scan and sort instead of seeking: 13 s instead of 0.4 ms at 200k."""
    if engine != "sqlite":
        pytest.skip("SQLite's query planner")
    from tests.support import factories

    now("2026-11-24T15:00:00+00:00")
    for i in range(3):
        factories.customer(f"Plan {i}")
    # The statistics of the 200,000-customer database where it happened: the
    # old indexes analysed (7,408 customers per zone key), 0004's not yet.
    db.db.execute_sql("ANALYZE")
    db.db.execute_sql("DELETE FROM sqlite_stat1 WHERE tbl = 'customer'")
    db.db.execute_sql("INSERT INTO sqlite_stat1 VALUES ('customer', '" + due._DUE_INDEX + "', "
                      "'200000 7408 1887 2 1'), ('customer', 'customer_due_rank_next_due_at', '200000 50000 2')")
    db.db.execute_sql("ANALYZE sqlite_schema")  # makes the planner read the statistics again
    statements: list[str] = []
    conn = db.db.connection()
    conn.set_trace_callback(statements.append)
    try:
        due.next_due("planner", claim=False)
    finally:
        conn.set_trace_callback(None)
    seeks = [s for s in statements if "c.call_tz = k.column1" in s]
    assert seeks, "the due query ran"
    lines = [row[3] for row in db.db.execute_sql("EXPLAIN QUERY PLAN " + seeks[0]).fetchall()]
    assert any(f"USING INDEX {due._DUE_INDEX} (call_tz=? AND due_rank=?" in line
               for line in lines), lines
    # The caller's own claim is one seek of the claim index.
    assert ("SEARCH c USING COVERING INDEX customer_claim_holder_claim_expires_at"
            " (claim_holder=? AND claim_expires_at>?)") in lines, lines
    # Nothing walks the customer table or another index of it (SCAN k,
    # SCAN mine and SCAN r0.. read the open keys, the own claim and each
    # rank's one best row); the only sorts are of the few candidates, one per
    # zone key, once per rank; the contact is found by its id.
    scans = [line for line in lines if line.startswith("SCAN") and "CONSTANT ROW" not in line
             and line not in ("SCAN k", "SCAN mine", *(f"SCAN r{rank}" for rank in due.QUEUE_RANKS))]
    assert not scans, lines
    assert sum("TEMP B-TREE" in line for line in lines) == len(due.QUEUE_RANKS), lines
    assert "SEARCH ct USING INTEGER PRIMARY KEY (rowid=?) LEFT-JOIN" in lines, lines


def test_the_prepared_pick_is_prepared_again_on_a_new_connection(db, engine, now):
    """PostgreSQL prepares the pick once per connection: a connection the
    server dropped is replaced, and the new one must prepare it again."""
    if engine != "postgresql":
        pytest.skip("PostgreSQL's prepared statements")
    import peewee

    from models.db import database, make_database, reconnect

    at = now("2026-11-24T10:00:00+00:00")
    factories.customer("Acme", phone=LONDON, due=ago(at, days=3))
    assert name_of(due.next_due("alice", claim=False)) == "Acme"
    prepared = database.obj.execute_sql(
        "SELECT name FROM pg_prepared_statements WHERE name LIKE %s", ("callers_due_pick%",)).fetchall()
    assert prepared, "the pick ran as a prepared statement"
    pid = database.obj.execute_sql("SELECT pg_backend_pid()").fetchone()[0]
    admin = make_database(db.url)
    admin.connect()
    admin.execute_sql("SELECT pg_terminate_backend(%s)", (pid,))
    admin.close()
    with pytest.raises((peewee.OperationalError, peewee.InterfaceError)):
        due.next_due("alice", claim=False)
    reconnect()
    assert name_of(due.next_due("alice", claim=False)) == "Acme"
    assert database.obj.execute_sql("SELECT pg_backend_pid()").fetchone()[0] != pid
