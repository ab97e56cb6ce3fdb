"""What the department queue looks like at 80x24 (SQLite, frozen clock, UTC)."""

from __future__ import annotations

import time

import pytest

from callers import forwards
from callers.app import CallersApp
from callers.database import open as open_database
from screens.queue import QueueScreen
from tests.support import factories

SIZE = (80, 24)


@pytest.fixture
def queue_app(tmp_path, monkeypatch):
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    url = str(tmp_path / "snap.db")
    monkeypatch.setenv("CALLERS_DB", url)
    database = open_database(url)
    monkeypatch.setenv("CALLERS_NOW", "2026-11-20T09:00:00+00:00")
    acme = factories.customer("Acme Ltd", external_id="A-1", contact_name="Jane Doe")
    forwards.create(acme.id, "Billing", "amy", note="[ERR-7] invoice sent twice, wants a credit note")
    monkeypatch.setenv("CALLERS_NOW", "2026-11-22T14:30:00+00:00")
    beta = factories.customer("Beta Industries SA", phone="+41446681800", contact_name="Hans Muster")
    second = forwards.create(beta.id, "Billing", "bob", note="[bold]VAT[/bold] number wrong")
    forwards.acknowledge(second.id, "bill")
    gamma = factories.customer("Gamma AG", phone="+4930901820", contact_name="Eva Roth")
    finished = forwards.create(gamma.id, "Billing", "amy", note="address change")
    forwards.done(finished.id, "bill", "address updated [done]")
    monkeypatch.setenv("CALLERS_NOW", "2026-11-23T09:00:00+00:00")
    yield CallersApp(caller="bill", first=lambda user: QueueScreen("Billing", user))
    database.close()
    monkeypatch.delenv("TZ")
    time.tzset()


async def _loaded(pilot) -> None:
    for _ in range(3):
        await pilot.pause()
        await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def test_queue_open_items(snap_compare, queue_app):
    assert snap_compare(queue_app, terminal_size=SIZE, run_before=_loaded)


def test_queue_with_done_shown(snap_compare, queue_app):
    async def show_done(pilot):
        await _loaded(pilot)
        await pilot.press("t")
        await _loaded(pilot)
        await pilot.press("down", "down")
        await pilot.pause()

    assert snap_compare(queue_app, terminal_size=SIZE, run_before=show_done)


def test_queue_done_question(snap_compare, queue_app):
    async def ask(pilot):
        await _loaded(pilot)
        await pilot.press("d", *"credit note [CN-12] sent")
        await pilot.pause()

    assert snap_compare(queue_app, terminal_size=SIZE, run_before=ask)
