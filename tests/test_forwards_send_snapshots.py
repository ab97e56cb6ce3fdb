"""What the board's list of returned forwards and its department picker
look like at 80x24 (SQLite, the clock frozen)."""

from __future__ import annotations

import pytest
from textual.widgets import DataTable

from tests.support.returned import board, returned, until  # noqa: F401 -- the fixture too


@pytest.fixture
def engine() -> str:
    return "sqlite"


def test_returned_list_80x24(returned, snap_compare):
    async def opened(pilot) -> None:
        await until(pilot, lambda: pilot.app.screen.refreshes >= 1)
        await pilot.press("n")
        await until(pilot, lambda: pilot.app.screen.query_one(DataTable).row_count == 1)
        await pilot.pause()

    assert snap_compare(board(), terminal_size=(80, 24), run_before=opened)


def test_send_on_picker_80x24(returned, snap_compare):
    async def picking(pilot) -> None:
        await pilot.press("n")
        await until(pilot, lambda: pilot.app.screen.query_one(DataTable).row_count == 1)
        await pilot.press("s")
        await pilot.pause()

    assert snap_compare(board(), terminal_size=(80, 24), run_before=picking)
