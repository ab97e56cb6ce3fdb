"""The demo database: looks real, is deterministic, and agrees with the due queue."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from datetime import timedelta

import phonenumbers
import pytest

from callers import clock, demo, due, hours, phones, queue
from callers.cli import main
from models import schema
from models.tables import (
    DUE_CALLBACK,
    DUE_NEVER_REACHED,
    DUE_OVERDUE,
    FORWARD_STATUSES,
    IMPLEMENTATION_STATES,
    OUTCOMES,
    REFERENCE_ANSWERS,
    Call,
    Contact,
    Customer,
    CustomerFeature,
    Department,
    Feature,
    Forward,
    ForwardEvent,
)
from tests.support import factories

# A Tuesday, 15:00 UTC: 16:00 in Berlin, 10:00 in New York.
TUESDAY_AFTERNOON = "2026-11-24T15:00:00+00:00"
FAILURES = ("no_answer", "voicemail", "busy")


@pytest.fixture
def filled(db, now):
    now(TUESDAY_AFTERNOON)
    result = demo.generate(300, seed=7)
    return result


def dump() -> dict[str, list[tuple]]:
    """Every demo row, in id order, as plain tuples."""
    out = {}
    for model in (Customer, Contact, Call, CustomerFeature, Forward, ForwardEvent):
        out[model.__name__] = list(model.select().order_by(model.id).tuples())
    return out


# ---- looks real --------------------------------------------------------------------


def test_every_phone_is_valid_for_its_country(filled):
    countries = dict(Customer.select(Customer.id, Customer.country).tuples())
    checked = 0
    for contact in Contact.select():
        for number in (contact.phone, contact.alt_phone):
            if number is None:
                continue
            parsed = phonenumbers.parse(number, None)
            assert phonenumbers.is_valid_number(parsed), number
            assert phonenumbers.region_code_for_number(parsed) == countries[contact.customer_id], number
            assert phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164) == number
            checked += 1
        if contact.phone:
            assert contact.timezone == (phones.parse(contact.phone).timezone or None)
    assert checked > 600
    assert Contact.select().where(Contact.extension.is_null(False)).count() > 0


def test_the_customers_look_real(filled):
    customers = list(Customer.select())
    assert len(customers) == filled.customers == 300
    assert {"US", "GB", "DE", "FR", "CH", "AU", "JP"} <= {c.country for c in customers}
    assert len({c.industry for c in customers}) >= 10
    assert len({c.account_manager for c in customers}) >= 4
    assert len({c.name for c in customers}) >= 250
    assert all(c.employees and c.employees > 0 for c in customers)
    assert all(c.purchased_at and c.purchased_at < clock.db_now() for c in customers)
    # Some names carry brackets or apostrophes: customer text is data, never markup.
    assert any("[" in c.name or "'" in c.name for c in customers)
    roles = Counter(Contact.select(Contact.role).tuples())
    assert roles[("buyer",)] >= 300 and roles[("user",)] > 100
    per_customer = Counter(c for (c,) in Contact.select(Contact.customer).tuples())
    assert set(per_customer.values()) == {1, 2, 3, 4}
    assert Feature.select().count() == len(demo.FEATURES)
    assert all(re.fullmatch(r"[a-z0-9.\-]+@[a-z0-9.\-]+\.[a-z.]+", e) for (e,) in Contact.select(Contact.email).tuples())


def test_every_outcome_status_and_state_is_there(filled):
    assert {o for (o,) in Call.select(Call.outcome).distinct().tuples()} == set(OUTCOMES)
    assert {s for (s,) in Forward.select(Forward.status).distinct().tuples()} == set(FORWARD_STATUSES)
    assert {s for (s,) in Customer.select(Customer.implementation_state).distinct().tuples()} == \
        set(IMPLEMENTATION_STATES) | {None}
    for column in (Customer.ref_prospect_call, Customer.ref_case_study, Customer.ref_analyst):
        assert {s for (s,) in Customer.select(column).distinct().tuples()} == set(REFERENCE_ANSWERS) | {None}
    assert Customer.select().where(Customer.ref_condition.is_null(False)).count() > 0
    kinds = {d.kind for d in Department.select().join(Forward).distinct()}
    assert kinds == {"billing", "support", "account_manager"}
    assert CustomerFeature.select().where(CustomerFeature.in_production == False).count() > 0  # noqa: E712
    assert filled.forwards == Forward.select().count() == 120


def test_call_lengths_are_about_three_minutes(filled):
    lengths = [(c.ended_at - c.started_at).total_seconds()
               for c in Call.select().where(Call.outcome == "completed")]
    lengths.sort()
    median = lengths[len(lengths) // 2]
    assert 150 <= median <= 210
    assert any(seconds > 300 for seconds in lengths)
    assert all(seconds >= 60 for seconds in lengths)
    # Unanswered calls were never started; every call ended before now.
    assert Call.select().where(Call.outcome.in_(FAILURES), Call.started_at.is_null(False)).count() == 0
    assert Call.select().where(Call.ended_at > clock.db_now()).count() == 0
    oldest = Call.select(Call.shown_at).order_by(Call.shown_at).scalar()
    assert clock.db_now() - oldest <= timedelta(days=demo.HISTORY_DAYS)


def test_forwards_have_events_matching_their_status(filled):
    events = defaultdict(list)
    for event in ForwardEvent.select().order_by(ForwardEvent.at, ForwardEvent.id):
        events[event.forward_id].append(event)
    asked = 0
    for forward in Forward.select():
        trail = events[forward.id]
        assert trail[0].status == "open" and trail[0].at == forward.created_at
        # "Was it fixed?" answered on a later completed call (callers/loop.py), after the forward was done.
        answers = [e for e in trail if e.status in ("fixed", "partly_fixed", "reopened")]
        states = [e for e in trail if e.status not in ("fixed", "partly_fixed", "reopened")]
        if answers:
            asked += 1
            (answer,) = answers
            assert states[-1].status == "done" and answer.at > states[-1].at
            on = Call.get_by_id(answer.call_id)
            assert on.outcome == "completed" and on.customer_id == forward.customer_id
            assert on.started_at > states[-1].at and answer.by == on.caller
            reopened = answer.status == "reopened"
            assert (forward.status, forward.reopened) == (("open", 1) if reopened else ("done", 0))
        else:
            assert states[-1].status == forward.status and forward.reopened == 0
        assert forward.call_id is not None
        call = Call.get_by_id(forward.call_id)
        assert call.outcome == "completed" and call.customer_id == forward.customer_id
        assert call.started_at <= forward.created_at <= call.ended_at
        if forward.status in ("done", "returned", "withdrawn"):
            assert forward.resolved_at and forward.resolution and forward.resolved_by
            assert forward.created_at < forward.resolved_at <= clock.db_now()
        else:
            assert forward.resolved_at is None
        if forward.status == "acknowledged":
            assert forward.acknowledged_at and forward.assignee
        if forward.department.kind == "account_manager":
            assert forward.assignee == forward.customer.account_manager
    assert asked  # the demo shows the loop closed (and not)


def test_facts_carry_their_confirmation_times_some_stale(filled):
    now = clock.db_now()
    cycle = timedelta(days=90)
    reached = list(Customer.select().where(Customer.last_reached_at.is_null(False)))
    assert reached
    for c in reached:
        for at in (c.implementation_confirmed_at, c.referenceability_confirmed_at,
                   c.features_confirmed_at, c.contacts_confirmed_at):
            assert at == c.last_reached_at
        assert c.implementation_state is not None and c.ref_prospect_call is not None
    stale = [c for c in reached if now - c.last_reached_at > cycle]
    fresh = [c for c in reached if now - c.last_reached_at <= cycle]
    assert stale and fresh
    never = Customer.select().where(Customer.last_reached_at.is_null())
    assert all(c.implementation_confirmed_at is None and c.implementation_state is None for c in never)
    assert CustomerFeature.select().where(CustomerFeature.confirmed_at.is_null()).count() == 0


# ---- agrees with the due queue ------------------------------------------------------


def test_due_queue_columns_follow_from_the_calls(filled):
    calls = defaultdict(list)
    for call in Call.select().order_by(Call.ended_at, Call.id):
        calls[call.customer_id].append(call)
    now = clock.db_now()
    seen = Counter()
    for c in Customer.select():
        history = calls[c.id]
        completed = [k for k in history if k.outcome == "completed"]
        best = next(iter(queue.callable_contacts(c.id)), None)
        assert c.call_contact == (best.id if best else None)
        assert c.call_tz == (best.timezone if best else None)
        assert c.last_reached_at == (completed[-1].ended_at if completed else None)
        assert c.last_call_at == (history[-1].ended_at if history else None)
        since = history[history.index(completed[-1]) + 1:] if completed else history
        assert c.attempts == sum(1 for k in since if k.outcome in FAILURES)
        if not history:
            seen["no calls"] += 1
            assert c.due_rank == DUE_NEVER_REACHED and c.next_due_at == c.created_at <= now
            continue
        last = history[-1]
        if last.outcome == "completed":
            seen["completed"] += 1
            assert c.due_rank == DUE_OVERDUE
            assert c.next_due_at == c.last_reached_at + timedelta(days=90)
            assert c.attempts == 0
        elif last.outcome == "callback":
            seen["callback"] += 1
            assert c.due_rank == DUE_CALLBACK
            assert c.next_due_at == c.callback_at == last.callback_at > last.ended_at
        elif last.outcome == "do_not_call":
            seen["do_not_call"] += 1
            assert c.do_not_call and c.next_due_at is None
        elif last.outcome == "wrong_number":
            seen["needs_number"] += 1
            assert c.needs_number and c.next_due_at is None and c.call_contact is None
            assert Contact.get_by_id(last.contact_id).unreachable
        elif c.attempts >= 6:
            seen["unreachable"] += 1
            assert c.unreachable and c.due_rank == due.DUE_PARKED
            assert c.next_due_at >= last.ended_at
        else:
            seen["retry"] += 1
            assert c.due_rank == (DUE_OVERDUE if completed else DUE_NEVER_REACHED)
            assert c.next_due_at > last.ended_at
            assert not (c.unreachable or c.needs_number or c.do_not_call)
        if c.due_rank != due.DUE_PARKED:
            assert not c.unreachable
    for kind in ("no calls", "completed", "callback", "do_not_call", "needs_number", "unreachable", "retry"):
        assert seen[kind] >= 3, (kind, seen)
    # Pending callbacks: some due now, some later.
    callbacks = [c.next_due_at for c in Customer.select().where(Customer.due_rank == DUE_CALLBACK)]
    assert any(at <= now for at in callbacks) and any(at > now for at in callbacks)
    # Completed within the cycle: not due; reached long ago or never: due now.
    assert Customer.select().where(Customer.next_due_at > now).count() > 50
    assert Customer.select().where(Customer.next_due_at <= now, Customer.do_not_call == False).count() > 80  # noqa: E712


def test_someone_is_due_on_a_weekday_afternoon(filled):
    found = due.next_due("tester", claim=False)
    assert found is not None
    assert found.contact is not None and found.contact.phone.startswith("+")
    assert found.reason in ("callback", "never reached", "overdue")
    # Plenty, not one: every open zone has customers due.
    open_keys = due.open_keys(clock.now(), hours.Hours.load())
    assert {"Europe/Berlin", "Europe/London", "America/New_York"} <= set(open_keys)
    due_now = (Customer.select()
               .where(Customer.next_due_at <= clock.db_now(), Customer.do_not_call == False,  # noqa: E712
                      Customer.call_tz.in_(list(open_keys)))
               .count())
    assert due_now >= 40


def test_now_comes_from_the_clock(db, now):
    now("2027-03-01T10:00:00+00:00")
    demo.generate(40, seed=3)
    latest = Call.select(Call.ended_at).order_by(Call.ended_at.desc()).scalar()
    assert clock.from_db(latest) < clock.now()
    assert clock.now() - clock.from_db(latest) < timedelta(days=14)


# ---- deterministic -------------------------------------------------------------------


def test_same_seed_same_rows_other_seed_other_rows(db, now):
    now(TUESDAY_AFTERNOON)
    demo.generate(120, seed=5)
    first = dump()
    demo.clear()
    demo.generate(120, seed=5)
    assert dump() == first
    demo.clear()
    demo.generate(120, seed=6)
    other = dump()
    assert other["Customer"] != first["Customer"] and other["Call"] != first["Call"]


def test_same_seed_is_the_same_in_chunks(db, now):
    now(TUESDAY_AFTERNOON)
    demo.generate(90, seed=5, chunk=1000)
    whole = dump()
    demo.clear()
    demo.generate(90, seed=5, chunk=7)
    assert dump() == whole


# ---- sizes, counts and the bulk load ------------------------------------------------------


@pytest.mark.parametrize("calls_per_customer", [2, 3])
def test_call_and_forward_counts_follow_the_request(db, now, calls_per_customer):
    now(TUESDAY_AFTERNOON)
    result = demo.generate(1000, seed=2, forwards=437, calls_per_customer=calls_per_customer)
    assert result.forwards == Forward.select().count() == 437
    assert result.calls == Call.select().count()
    assert abs(result.calls / 1000 - calls_per_customer) <= 0.05
    assert result.contacts == Contact.select().count()


def test_deferred_indexes_come_back_and_new_rows_get_fresh_ids(db, now):
    now(TUESDAY_AFTERNOON)
    demo.generate(200, seed=4, defer_indexes=True)
    assert schema.drift() == []
    top = Customer.select(Customer.id).order_by(Customer.id.desc()).scalar()
    row = factories.customer("After The Demo Ltd")
    assert row.id == top + 1
    call_top = Call.select(Call.id).order_by(Call.id.desc()).scalar()
    assert Call.create(customer=row, caller="x").id > call_top


# ---- the command ---------------------------------------------------------------------------


def test_cli_no_ui_fills_and_prints_one_summary_line(db, now, capsys):
    now(TUESDAY_AFTERNOON)
    assert main(["--db", db.url, "demo", "--customers", "50", "--seed", "9", "--no-ui"]) == 0
    out = capsys.readouterr().out.strip()
    assert re.fullmatch(r"50 customers, \d+ calls, 20 forwards in .+ in \d+\.\d s; "
                        r"open it again with `callers --db .+`", out), out
    assert Customer.select().count() == 50


def test_cli_refuses_a_database_that_has_customers(db, now, capsys):
    now(TUESDAY_AFTERNOON)
    factories.customer("Real Customer GmbH")
    assert main(["--db", db.url, "demo", "--customers", "30", "--no-ui"]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("callers: error: ") and "already has 1 customers" in err and "--replace" in err
    assert "\n" not in err
    assert Customer.select().count() == 1
    assert main(["--db", db.url, "demo", "--customers", "30", "--no-ui", "--replace"]) == 0
    assert Customer.select().count() == 30
    assert not Customer.select().where(Customer.name == "Real Customer GmbH").exists()


def test_cli_default_is_the_demo_file_never_callers_db(tmp_path, monkeypatch, capsys):
    from callers.cli import demo_db_url

    real = tmp_path / "real.db"
    monkeypatch.setenv("CALLERS_DB", str(real))
    monkeypatch.setenv("CALLERS_NOW", TUESDAY_AFTERNOON)
    assert main(["demo", "--customers", "20", "--no-ui"]) == 0
    assert main(["demo", "--customers", "25", "--no-ui"]) == 0  # the demo file is always replaced
    out = capsys.readouterr().out
    assert demo_db_url() in out and out.rstrip().endswith("open it again with `callers --demo`")
    assert not real.exists()
    assert Customer.select().count() == 25


async def test_the_desk_opens_on_a_demo_database_with_a_number_to_dial(db, now):
    from callers.app import CallersApp

    now(TUESDAY_AFTERNOON)
    demo.generate(300, seed=1)
    app = CallersApp(caller="tester")
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        text = ""
        for _ in range(50):
            await app.workers.wait_for_complete()
            await pilot.pause()
            text = "\n".join(strip.text for strip in app.screen._compositor.render_strips())
            if re.search(r"\+\d{1,3} \d", text):
                break
        assert re.search(r"\+\d{1,3} \d", text), text


def test_the_real_command_exits_zero_with_one_line(tmp_path):
    import os
    import subprocess
    import sys

    target = tmp_path / "x.db"
    env = dict(os.environ, CALLERS_NOW=TUESDAY_AFTERNOON, CALLERS_HOME=str(tmp_path / "home"))
    env.pop("CALLERS_DB", None)
    done = subprocess.run([sys.executable, "-m", "callers", "--db", f"sqlite:///{target}", "demo",
                           "--customers", "40", "--no-ui"], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    lines = done.stdout.splitlines()
    assert len(lines) == 1 and lines[0].startswith("40 customers, ") and str(target) in lines[0]
    again = subprocess.run([sys.executable, "-m", "callers", "--db", str(target), "demo", "--no-ui"],
                           capture_output=True, text=True, env=env, timeout=120)
    assert again.returncode == 1 and again.stdout == ""
    assert again.stderr.startswith("callers: error: ") and "--replace" in again.stderr
    assert "Traceback" not in again.stderr


def test_benchmark_databases_are_built_once_and_rebuilt_when_incomplete(tmp_path, monkeypatch):
    from models.db import database as proxy, sqlite_path
    from tests.benchmarks import data

    monkeypatch.setattr(data, "DATA", tmp_path / "bench-data")
    url = data.database(60, calls_per_customer=2, forwards=25)
    path = sqlite_path(url)
    sidecar = path.with_name(path.name + ".complete")
    assert path.exists() and sidecar.exists()
    assert data.made(url)["forwards"] == 25
    stamp = path.stat().st_mtime_ns
    assert data.database(60, calls_per_customer=2, forwards=25) == url
    assert path.stat().st_mtime_ns == stamp  # reused, not rebuilt
    sidecar.unlink()  # as if the build had been interrupted
    assert data.database(60, calls_per_customer=2, forwards=25) == url
    assert sidecar.exists()
    from callers import database

    database.open(url)
    assert Customer.select().count() == 60 and Forward.select().count() == 25
    proxy.obj.close()
