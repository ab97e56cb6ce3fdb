"""Runs in separate processes (not threads) for the team tests and benchmark:
one caller claiming and completing customers until nobody is due."""

from __future__ import annotations

import os
import time


def _ready(url: str, now_iso: str, start_at: float, warm: str | None = None) -> None:
    """Open the database with the clock frozen, then wait for the common start."""
    os.environ["CALLERS_NOW"] = now_iso
    from callers import database, due

    database.open(url)
    if warm:
        due.next_due(warm, claim=False)  # load settings and zone keys before the clock starts
    while time.time() < start_at:
        time.sleep(0.001)


def claim_until_empty(url: str, caller: str, now_iso: str, start_at: float, limit: int = 100000) -> list[int]:
    _ready(url, now_iso, start_at)
    from callers import calls, due

    got: list[int] = []
    while len(got) < limit:
        customer = due.next_due(caller, claim=True)
        if customer is None:
            break
        state = calls.open_call(caller, customer.id)
        calls.end_call(state.call_id, "completed")
        got.append(customer.id)
    return got


def claim_only(url: str, caller: str, now_iso: str, count: int, start_at: float) -> list[int]:
    """Claims alone: each under a new caller name, so every claim takes a
    fresh customer and holds its lease (any duplicate would show)."""
    _ready(url, now_iso, start_at, warm=f"{caller}-warm")
    from callers import due

    got: list[int] = []
    for i in range(count):
        customer = due.next_due(f"{caller}-{i}", claim=True)
        if customer is None:
            break
        got.append(customer.id)
    return got


def claim_as_logins(url: str, logins: list[str], now_iso: str, start_at: float) -> list[int]:
    """Claims, each by a different caller's login, so that every claim takes
    a fresh customer and holds its lease (any duplicate would show), as if
    each login had a connection of its own: the connection (a superuser's)
    becomes the login with SET SESSION AUTHORIZATION (after which the
    session is that login in all that row-level security looks at:
    session_user, current_user, no superuser rights), sent in the claim's own
    round trip, so that a claim costs the one round trip a caller's own
    connection spends on it."""
    from models.db import database

    os.environ["CALLERS_NOW"] = now_iso
    from callers import database as opening, due

    db = opening.open(url)
    becoming = {"login": logins[0]}
    execute_sql = db.execute_sql

    def as_login(sql, params=None, *args, **kwargs):
        if sql.startswith("EXECUTE callers_due_claim_rls "):
            sql = f'SET SESSION AUTHORIZATION "{becoming["login"]}"; {sql}'
        return execute_sql(sql, params, *args, **kwargs)

    execute_sql(f'SET SESSION AUTHORIZATION "{logins[0]}"')
    assert database.obj.execute_sql("SELECT row_security_active('customer')").fetchone()[0]
    due.next_due(logins[0], claim=False)  # settings, zone keys and statements before the clock starts
    db.execute_sql = as_login
    while time.time() < start_at:
        time.sleep(0.001)
    got: list[int] = []
    for login in logins:
        becoming["login"] = login
        customer = due.next_due(login, claim=True)
        if customer is None:
            break
        got.append(customer.id)
    return got
