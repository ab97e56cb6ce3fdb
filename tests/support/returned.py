"""A forward returned by Billing as not theirs, and the supervisor's board to
see it on (the fixture `returned`: import it into the test module)."""

from __future__ import annotations

import pytest

from callers import forwards
from callers.app import CallersApp
from screens.supervisor import SupervisorScreen
from tests.support import factories

T0 = "2026-11-23T09:00:00+00:00"
T1 = "2026-11-24T10:00:00+00:00"
T2 = "2026-11-25T11:30:00+00:00"


@pytest.fixture
def returned(db, now):
    """Acme's Billing forward, acknowledged, then returned as not ours."""
    now(T0)
    acme = factories.customer("Acme [Ltd]", external_id="A-1", account_manager="Lee Park", contact_name="Jane Doe")
    filed = forwards.create(acme.id, "Billing", "ana", note="licence key [lost]")
    forwards.acknowledge(filed.id, "bill")
    now(T1)
    forwards.return_(filed.id, "bill", "a support matter")
    now(T2)
    return filed.id


def board() -> CallersApp:
    return CallersApp(caller="sam", first=lambda user: SupervisorScreen(user=user, refresh_seconds=3600))


async def until(pilot, condition, tries: int = 500) -> None:
    for _ in range(tries):
        if condition():
            return
        await pilot.pause(0.01)
    raise AssertionError("the screen never got there")
