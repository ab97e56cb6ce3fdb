"""Team mode: many callers on one database, no customer ever called twice."""

from __future__ import annotations

import multiprocessing
import time
from collections import Counter
from datetime import timedelta

import pytest

from callers import clock, due
from tests.support import factories, pglogins
from tests.support.team_worker import claim_until_empty

NOW = "2026-11-24T15:30:00+00:00"  # a Tuesday: London (and New York) inside hours


def _fill(n: int) -> set[int]:
    ids = set()
    for i in range(n):
        phone = "+442079460958" if i % 2 else "+12127365000"
        ids.add(factories.customer(f"Team {i}", external_id=f"T-{i}", phone=phone,
                                   due=clock.now() - timedelta(days=1 + i % 30)).id)
    return ids


@pytest.mark.parametrize("processes_by_engine", [{"postgresql": 8, "sqlite": 4}])
def test_concurrent_callers_never_get_the_same_customer(db, engine, now, processes_by_engine):
    now(NOW)
    ids = _fill(120)
    processes = processes_by_engine[engine]
    ctx = multiprocessing.get_context("spawn")
    start_at = time.time() + 4
    with ctx.Pool(processes) as pool:
        results = pool.starmap(claim_until_empty,
                               [(db.url, f"caller{i}", NOW, start_at) for i in range(processes)])
    everyone = [cid for got in results for cid in got]
    duplicates = [cid for cid, n in Counter(everyone).items() if n > 1]
    assert duplicates == []
    assert set(everyone) == ids  # none lost
    assert sum(1 for got in results if got) > 1  # they really worked side by side


def test_concurrent_caller_logins_never_get_the_same_customer(db, engine, now):
    """The same through four callers' own logins, held by row-level
    security: each claims through the claim function, and its calls are its
    own."""
    if engine != "postgresql":
        pytest.skip("database logins are PostgreSQL's")
    from models.tables import Call

    now(NOW)
    ids = _fill(80)
    with pglogins.team(db.url, {f"c{i}": ("caller", None) for i in range(4)}) as people:
        ctx = multiprocessing.get_context("spawn")
        start_at = time.time() + 4
        with ctx.Pool(len(people)) as pool:
            results = pool.starmap(claim_until_empty, [(m.url, m.name, NOW, start_at) for m in people.values()])
        names = {m.name for m in people.values()}
    everyone = [cid for got in results for cid in got]
    assert [cid for cid, n in Counter(everyone).items() if n > 1] == []
    assert set(everyone) == ids
    assert sum(1 for got in results if got) > 1
    by_caller = Counter(call.caller for call in Call.select())
    assert set(by_caller) <= names and sum(by_caller.values()) == len(ids)
    for member, got in zip(people.values(), results):
        assert by_caller.get(member.name, 0) == len(got)


def test_a_lease_that_expires_returns_the_customer(db, now):
    now(NOW)
    only = factories.customer("Lease Ltd", due=clock.now() - timedelta(days=3))
    assert due.next_due("ann", claim=True).id == only.id
    assert due.next_due("bob", claim=True) is None  # ann holds it
    assert due.next_due("ann", claim=True).id == only.id  # ann gets it back
    now("2026-11-24T15:46:00+00:00")  # the 15-minute lease has run out
    assert due.next_due("bob", claim=True).id == only.id
