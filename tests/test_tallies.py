"""The report's tallies (models/tallies.py), kept by triggers: every write
path keeps them equal to a count from scratch, compaction changes no count,
and the report read from them agrees, to the second, with a count made in
Python from the rows. SQLite and PostgreSQL."""

from __future__ import annotations

import json
import random
import shutil
import statistics
import threading
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from callers import calls, clock, demo, due, forwards, report
from callers.importer import import_file
from models import tallies
from models.db import connection, database, write_transaction
from models.tables import (
    Call,
    Contact,
    Customer,
    CustomerFeature,
    Department,
    Feature,
    Forward,
    TallyCall,
    TallyCustomer,
)
from tests.support import factories

NOW = "2026-11-24T15:37:12+00:00"
IMPORTS = Path(__file__).parent / "data" / "import"


def assert_tallies_right() -> None:
    assert tallies.check() == []


def test_a_new_database_has_every_trigger(db):
    assert set(tallies.trigger_names()) == tallies.installed_triggers()
    assert_tallies_right()


def test_every_write_path_keeps_the_tallies(db, now, tmp_path):
    """The desk's calls with every outcome and answer, forwards through their
    whole life, an import, a requeue, deletes: after each, the tallies equal a
    count from scratch."""
    at = now(NOW)
    import_file(IMPORTS / "freshdesk_contacts.csv")
    assert_tallies_right()
    reports, api = Feature.create(name="Reports", position=1), Feature.create(name="API", position=2)
    acme = factories.customer("Acme", phone="+442079460958", country="GB")
    jane = Contact.get(Contact.customer == acme)
    assert_tallies_right()

    state = calls.open_call("alice", acme.id)
    calls.start_call(state.call_id)
    for step, key, value in [
        ("contacts", "confirm", None),
        ("contacts", f"contact:{jane.id}:title", "CFO"),
        ("contacts", "add", json.dumps({"name": "Max Muster", "role": "user", "phone": "+442079460000"})),
        ("referenceability", "prospect_call", "yes"),
        ("referenceability", "press", "not_now"),
        ("referenceability", "confirm", None),
        ("implementation", "state", "live"),
        ("features", f"feature:{reports.id}", "1"),
        ("features", f"feature:{api.id}", "1"),
        ("features", f"feature:{api.id}", "0"),
        ("features", "confirm", None),
    ]:
        calls.record_answer(state.call_id, step, key, value)
        assert_tallies_right()
    fwd = forwards.create(acme.id, "Billing", "alice", note="invoice twice", call_id=state.call_id)
    assert_tallies_right()
    calls.end_call(state.call_id, "completed", now=at + timedelta(seconds=170))
    assert_tallies_right()

    # The state moves from live: the feature it used counts under the new state.
    state = calls.open_call("alice", acme.id, now=at + timedelta(days=91))
    calls.start_call(state.call_id, now=at + timedelta(days=91))
    calls.record_answer(state.call_id, "implementation", "state", "stalled", now=at + timedelta(days=91))
    assert_tallies_right()
    calls.end_call(state.call_id, "wrong_number", now=at + timedelta(days=91, seconds=30))
    assert_tallies_right()

    for outcome in ("no_answer", "voicemail", "busy", "callback", "do_not_call"):
        customer = due.next_due("bob", claim=True)
        if customer is None:
            break
        state = calls.open_call("bob", customer.id)
        callback = at + timedelta(days=2) if outcome == "callback" else None
        calls.end_call(state.call_id, outcome, callback_at=callback)
        assert_tallies_right()

    forwards.acknowledge(fwd.id, "bill")
    forwards.done(fwd.id, "bill", "refunded")
    assert_tallies_right()
    other = forwards.create(acme.id, "Support", "alice")
    forwards.return_(other.id, "sue", "not ours")
    third = forwards.create(acme.id, "Billing", "alice")
    forwards.withdraw(third.id, "alice")
    assert_tallies_right()

    due.start_new_cycles(at + timedelta(days=200), force=True)
    import_file(IMPORTS / "freshdesk_contacts.csv")  # a re-import changes what it changes
    assert_tallies_right()
    Contact.delete().where(Contact.id == jane.id).execute()
    CustomerFeature.delete().where(CustomerFeature.feature == reports.id).execute()
    assert_tallies_right()
    Customer.delete().where(Customer.id == acme.id).execute()  # cascades to calls, forwards, features
    assert_tallies_right()
    demo.clear()
    assert_tallies_right()
    assert tallies.totals(tallies.BY_TABLE["tally_customer"]) == {}


def test_the_demo_loads_without_triggers_then_counts_once(db, now):
    now(NOW)
    demo.generate(150, seed=3)
    assert set(tallies.trigger_names()) == tallies.installed_triggers()
    assert_tallies_right()
    # and a bulk load with the triggers deferred counts the same
    demo.clear()
    with tallies.deferred():
        demo.generate(150, seed=3)
    assert set(tallies.trigger_names()) == tallies.installed_triggers()
    assert_tallies_right()


def test_compaction_folds_rows_and_changes_no_count(db, now):
    now(NOW)
    demo.generate(120, seed=5)
    before = {t.table: tallies.totals(t) for t in tallies.TALLIES}
    rows_before = TallyCustomer.select().count()
    folded = tallies.compact_if_needed(threshold=1)
    assert folded > 0
    assert {t.table: tallies.totals(t) for t in tallies.TALLIES} == before
    assert TallyCustomer.select().count() < rows_before
    # Nothing new: nothing to fold; new rows: folded again, counts still right.
    assert tallies.compact_if_needed(threshold=1) == 0
    some = [c.id for c in Customer.select(Customer.id)][::3]
    Customer.update(unreachable=True).where(Customer.id.in_(some)).execute()
    assert tallies.compact_if_needed(threshold=1) > 0
    assert_tallies_right()


def test_the_report_compacts_when_rows_pile_up(db, now, monkeypatch):
    now(NOW)
    demo.generate(60, seed=2)
    monkeypatch.setattr(tallies, "COMPACT_AFTER", 1)
    rows = TallyCall.select().count()
    first = report.build(report.period_for("30"))
    assert TallyCall.select().count() < rows
    assert report.to_dict(report.build(report.period_for("30")))["calls"] == report.to_dict(first)["calls"]


def test_rebuild_mends_a_tally_gone_wrong(db, now):
    now(NOW)
    factories.customer("Acme")
    TallyCustomer.create(do_not_call=False, unreachable=False, needs_number=False, never_reached=True,
                         implementation_state="", ref_yes=0, n=5)
    problems = tallies.check()
    assert len(problems) == 1 and "tally_customer" in problems[0] and "6 counted, 1 in the data" in problems[0]
    with write_transaction():
        tallies.rebuild()
    assert_tallies_right()


def test_concurrent_writers_never_wait_on_a_counter(db, now, engine):
    """Writers in several threads (each its own connection) change customers
    and end calls at once: no deadlock, no lost count. (On PostgreSQL a
    counter updated in place would lock writers behind one another.)"""
    now(NOW)
    demo.generate(80, seed=4)
    ids = [c.id for c in Customer.select(Customer.id)]
    errors = []

    def work(seed: int) -> None:
        rng = random.Random(seed)
        try:
            with connection():
                for _ in range(30):
                    chosen = sorted(rng.sample(ids, 3))  # rows in one order: any wait is the tallies'
                    with write_transaction():
                        for cid in chosen:
                            Customer.update(unreachable=rng.random() < 0.5,
                                            implementation_state=rng.choice(["live", "stalled", None]),
                                            ref_press=rng.choice(["yes", "no"])).where(Customer.id == cid).execute()
                        Call.create(customer=chosen[0], caller=f"t{seed}", started_at=clock.db_now(),
                                    ended_at=clock.db_now() + timedelta(seconds=rng.randint(1, 400)),
                                    outcome="completed")
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            if not database.obj.is_closed():
                database.obj.close()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    assert_tallies_right()


def test_upgrading_a_schema_1_database_counts_what_is_there(tmp_path):
    from models import open_database

    path = tmp_path / "old.db"
    shutil.copy(Path(__file__).parent / "data" / "callers-schema1.db", path)
    db = open_database(str(path))
    try:
        assert Customer.select().count() > 0
        assert tallies.totals(tallies.BY_TABLE["tally_customer"])
        assert_tallies_right()
    finally:
        db.close()


# ---- the report from the tallies against a count in Python from the rows ----


def _random_world(rng: random.Random, now: datetime) -> None:
    """Customers, calls and forwards at random moments (microseconds and
    all) over 100 days, many of them on the hour and day boundaries."""
    def moment() -> datetime:
        base = now - timedelta(days=rng.uniform(0, 100))
        if rng.random() < 0.3:  # right on, just before or just after a boundary
            base = base.replace(minute=0, second=0, microsecond=0)
            if rng.random() < 0.5:
                base = base.replace(hour=0)
            base += timedelta(microseconds=rng.choice([-1, 0, 1]))
        return base

    features = [Feature.create(name=f"F{i}", position=i) for i in range(4)]
    departments = list(Department.select())
    people = []
    for i in range(40):
        seen = moment() if rng.random() < 0.7 else None
        c = factories.customer(
            f"C{i}", do_not_call=rng.random() < 0.1, unreachable=rng.random() < 0.1,
            needs_number=rng.random() < 0.1, last_reached_at=seen,
            contacts_confirmed_at=seen, referenceability_confirmed_at=moment() if rng.random() < 0.5 else None,
            implementation_state=rng.choice(["live", "live", "in_progress", "stalled", "not_started", None]),
            implementation_confirmed_at=moment() if rng.random() < 0.5 else None,
            features_confirmed_at=moment() if rng.random() < 0.5 else None,
            ref_prospect_call=rng.choice(["yes", "no", None]), ref_case_study=rng.choice(["yes", "not_now", None]),
            ref_press=rng.choice(["yes", None]))
        people.append(c)
        for f in rng.sample(features, rng.randint(0, 3)):
            CustomerFeature.create(customer=c, feature=f, in_production=rng.random() < 0.8)
    for _ in range(300):
        c = rng.choice(people)
        start = moment()
        if rng.random() < 0.6:
            length = rng.choice([None, *range(20, 700)])
            Call.create(customer=c, caller=rng.choice(["ana", "ben", "chloe"]), started_at=start,
                        ended_at=None if length is None else start + timedelta(seconds=length, microseconds=rng.randint(0, 999999)),
                        outcome=None if length is None else rng.choice(["completed", "completed", "callback", "wrong_number"]))
        else:
            Call.create(customer=c, caller=rng.choice(["ana", "ben"]), ended_at=start,
                        outcome=rng.choice(["no_answer", "voicemail", "busy"]))
    for _ in range(300):
        created = moment()
        status = rng.choice(["open", "acknowledged", "done", "done", "returned", "withdrawn"])
        resolved = None
        if status in ("done", "returned", "withdrawn"):
            resolved = min(now, created + timedelta(days=rng.uniform(0, 30)))
        Forward.create(customer=rng.choice(people), caller="ana", department=rng.choice(departments),
                       status=status, created_at=created, resolved_at=resolved)


def _median(values: list[int]) -> float | None:
    return statistics.median(values) if values else None


def _expected(period: report.Period, now: datetime, cycle: int = 90) -> dict:
    """The figures counted in Python, row by row, from the definitions."""
    since, until = clock.to_db(period.since), clock.to_db(period.until)
    now_db, cut = clock.to_db(now), clock.to_db(now - timedelta(days=cycle))

    def secs(a, b):
        return round((b - a).total_seconds())

    counted, lengths = {}, {}
    for call in Call.select():
        at = call.started_at or call.ended_at
        if at is None or not since <= at < until:
            continue
        key = (call.caller, call.outcome, call.started_at is not None)
        counted[key] = counted.get(key, 0) + 1
        if call.started_at is not None and call.ended_at is not None:
            lengths.setdefault(call.caller, []).append(secs(call.started_at, call.ended_at))
    departments = {}
    for d in Department.select():
        rows = list(Forward.select().where(Forward.department == d))
        made = [f for f in rows if since <= f.created_at < until and f.status != "withdrawn"]
        weeks = [until - timedelta(weeks=12 - i) for i in range(13)]
        done_in = [secs(f.created_at, f.resolved_at) for f in rows
                   if f.status == "done" and since <= f.resolved_at < until]
        departments[d.name] = {
            "forwarded": len(made),
            "trend": [sum(1 for f in rows if weeks[i] <= f.created_at < weeks[i + 1] and f.status != "withdrawn")
                      for i in range(12)],
            "open": sum(1 for f in rows if f.status in ("open", "acknowledged")),
            "returned": sum(1 for f in rows if f.status == "returned" and since <= f.resolved_at < until),
            "done": len(done_in),
            "open_at_start": (sum(1 for f in rows if f.status in ("open", "acknowledged"))
                              - sum(1 for f in rows if since <= f.created_at < now_db)
                              + sum(1 for f in rows if f.resolved_at is not None and since <= f.resolved_at < now_db
                                    and f.status in ("done", "returned", "withdrawn"))),
            "median": _median(done_in),
        }
    customers = list(Customer.select())
    mine = [c for c in customers if not c.do_not_call]
    fresh = {fact: sum(1 for c in mine if getattr(c, column) is not None and getattr(c, column) >= cut)
             for fact, column in tallies.DAY_FACTS.items()}
    live = {c.id for c in customers if c.implementation_state == "live"}
    features = {f.name: sum(1 for cf in CustomerFeature.select().where(CustomerFeature.feature == f)
                            if cf.in_production and cf.customer_id in live) for f in Feature.select()}
    return {"counted": counted, "lengths": lengths, "departments": departments, "fresh": fresh,
            "customers": len(customers), "never": sum(1 for c in mine if c.last_reached_at is None),
            "unreachable": sum(1 for c in mine if c.unreachable), "features": features,
            "press": sum(1 for c in customers if c.ref_press == "yes"), "live": len(live)}


def _check_against_rows(period: report.Period, now: datetime) -> None:
    got = report.build(period, now=now, parallel=False)
    want = _expected(period, now)
    calls_by_key = {}
    for (caller, outcome, _answered), n in want["counted"].items():
        calls_by_key[outcome or "in_progress"] = calls_by_key.get(outcome or "in_progress", 0) + n
    assert got.calls.outcomes == dict(sorted(calls_by_key.items()))
    assert got.calls.count == sum(want["counted"].values())
    everyone = [s for values in want["lengths"].values() for s in values]
    assert got.calls.answered == len(everyone)
    median = _median(everyone)
    assert got.calls.median_seconds == (None if median is None else int(round(median)))
    for person in got.callers:
        values = want["lengths"].get(person.name, [])
        assert person.answered == len(values)
        assert person.median_seconds == (None if not values else int(round(_median(values))))
    for d in got.departments:
        w = want["departments"][d.name]
        assert (d.forwarded, d.trend, d.open, d.returned, d.done, d.open_at_start) == (
            w["forwarded"], w["trend"], w["open"], w["returned"], w["done"], w["open_at_start"]), d.name
        assert d.median_days_to_done == (None if w["median"] is None else round(w["median"] / 86400, 1))
    assert got.coverage.customers == want["customers"]
    assert got.coverage.reached_in_cycle == want["fresh"]["reached"]
    assert got.coverage.never_reached == want["never"] and got.coverage.unreachable == want["unreachable"]
    for fact in ("contacts", "referenceability", "implementation", "features"):
        assert getattr(got.freshness, fact).fresh == want["fresh"][fact], fact
    assert got.references["press"] == want["press"]
    assert got.live_customers == want["live"]
    assert {f.name: f.customers for f in got.features} == want["features"]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_report_agrees_with_the_rows_to_the_second(db, now, seed):
    at = now(NOW)
    rng = random.Random(seed)
    _random_world(rng, clock.to_db(at))
    periods = [report.period_for(key, at) for key in report.PERIOD_KEYS]
    for _ in range(6):  # periods starting and ending at odd moments, some on the hour
        until = at - timedelta(days=rng.uniform(0, 40))
        if rng.random() < 0.4:
            until = until.replace(minute=0, second=0, microsecond=0)
        periods.append(report.Period(until - timedelta(days=rng.choice([0.02, 1, 3.5, 30])), until))
    for period in periods:
        _check_against_rows(period, at)
    # and again after the tallies were folded
    tallies.compact_if_needed(threshold=1)
    for period in periods[:4]:
        _check_against_rows(period, at)


def test_db_check_finds_a_wrong_tally_and_recount_mends_it(db, now, capsys):
    from callers.cli import main

    now(NOW)
    factories.customer("Acme")
    assert main(["db", "check"]) == 0
    assert "tallies agree" in capsys.readouterr().out
    TallyCall.create(hour=datetime(2026, 11, 1, 9), caller="ana", outcome="completed", answered=True, n=2)
    with write_transaction():
        tallies.drop_triggers()
    assert main(["db", "check"]) == 1
    err = capsys.readouterr().err
    assert "tallies differ from the data" in err and "trigger tally_" in err and "callers db recount" in err
    assert "\n" not in err.strip()
    assert main(["db", "recount"]) == 0
    assert "every count made again" in capsys.readouterr().out
    assert main(["db", "check"]) == 0
    assert_tallies_right()
