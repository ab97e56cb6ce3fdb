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
