"""The caller's desk: who to call next, and the number to dial."""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Footer, Header, Static

from callers import due
from callers.due import DueCustomer


def customer_lines(customer: DueCustomer) -> Content:
    """The header block, built from data as plain text (never markup)."""
    size = f"{customer.employees:,} employees" if customer.employees else "size unknown"
    parts: list = [
        (customer.name, "bold"),
        f"  {customer.external_id or 'no account id'}\n",
        f"{customer.industry or 'industry unknown'} · {size} · {customer.country or '??'}",
        f" · AM {customer.account_manager or 'none'}\n",
        ("Due: ", "dim"),
        customer.reason,
    ]
    contact = customer.contact
    if contact is None:
        parts += ["\n", ("No callable contact", "bold red")]
    else:
        parts += [
            "\n\n",
            (contact.name, "bold"),
            f"  {contact.role}",
            f", {contact.title}" if contact.title else "",
            "\n",
            (contact.phone_international, "bold"),
            "   ",
            (contact.phone_national, "dim"),
        ]
    return Content.assemble(*parts)


class DeskScreen(Screen):
    """The screen a caller lives in."""

    BINDINGS = [
        Binding("f4", "refresh", "Refresh", id="desk-refresh"),
    ]

    def __init__(self, caller: str) -> None:
        super().__init__()
        self.caller = caller
        self.current: DueCustomer | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="desk"):
            yield Static("Looking for the next due customer…", id="customer", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self.load_next()

    def action_refresh(self) -> None:
        self.load_next()

    @work(thread=True, exclusive=True, exit_on_error=False, group="desk-db")
    def load_next(self) -> DueCustomer | None:
        return due.next_due()

    def on_worker_state_changed(self, event) -> None:
        from textual.worker import WorkerState

        if event.worker.group != "desk-db":
            return
        panel = self.query_one("#customer", Static)
        if event.state == WorkerState.SUCCESS:
            self.current = event.worker.result
            if self.current is None:
                panel.update("Nobody is due now.")
            else:
                panel.update(customer_lines(self.current))
        elif event.state == WorkerState.ERROR:
            from models.db import first_line

            panel.update(
                Content.assemble(
                    ("Cannot reach the database: ", "bold red"),
                    first_line(event.worker.error),
                    "\nPress F4 to try again.",
                )
            )
