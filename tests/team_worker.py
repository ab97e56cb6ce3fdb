"""Runs in separate processes (not threads) for the team tests and benchmark:
one caller claiming and completing customers until nobody is due."""

from __future__ import annotations

import os
import time


def claim_until_empty(url: str, caller: str, now_iso: str, start_at: float, limit: int = 100000) -> list[int]:
    os.environ["CALLERS_NOW"] = now_iso
    from callers import calls, database, due

    database.open(url)
    while time.time() < start_at:  # start together
        time.sleep(0.001)
    got: list[int] = []
    while len(got) < limit:
        customer = due.next_due(caller, claim=True)
        if customer is None:
            break
        state = calls.open_call(caller, customer.id)
        calls.end_call(state.call_id, "completed")
        got.append(customer.id)
    return got


def claim_only(url: str, caller: str, now_iso: str, start_at: float, count: int) -> list[int]:
    """Claims alone: each under a new caller name, so every claim takes a
    fresh customer and holds its lease (any duplicate would show)."""
    os.environ["CALLERS_NOW"] = now_iso
    from callers import database, due

    database.open(url)
    due.next_due(f"{caller}-warm", claim=False)  # load settings and zone keys first
    while time.time() < start_at:
        time.sleep(0.001)
    got: list[int] = []
    for i in range(count):
        customer = due.next_due(f"{caller}-{i}", claim=True)
        if customer is None:
            break
        got.append(customer.id)
    return got
