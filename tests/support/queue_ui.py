"""A department's queue under a pilot: wait until it has settled, read its rows."""

from __future__ import annotations

from textual.widgets import DataTable


async def settle(app, pilot) -> None:
    """Let every worker (an action, then the reload it starts) finish."""
    for _ in range(3):
        await pilot.pause()
        await app.workers.wait_for_complete()
    await pilot.pause()


def rows(app) -> list[tuple[str, ...]]:
    table = app.screen.query_one(DataTable)
    return [tuple(str(cell) for cell in table.get_row_at(i)) for i in range(table.row_count)]
