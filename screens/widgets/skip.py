"""Skip a customer: ask why, in one line."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from screens.widgets.formatting import shown


class SkipReason(ModalScreen[str | None]):
    """Enter with a reason -> the reason; Esc -> None."""

    DEFAULT_CSS = """
    SkipReason { align: center middle; }
    SkipReason > Vertical { width: 64; height: auto; border: thick $warning; background: $surface; padding: 0 1; }
    SkipReason Input { margin-top: 1; }
    SkipReason #skip-error { color: $error; height: auto; }
    """
    BINDINGS = [Binding("escape", "cancel", "Back", id="skip-cancel")]

    def __init__(self, customer: str) -> None:
        super().__init__()
        self.customer = customer

    def compose(self) -> ComposeResult:
        box = Vertical()
        box.border_title = "Skip this customer"
        with box:
            yield Static(shown(f"Why skip {self.customer}? They go back to the queue."), markup=False)
            yield Input(placeholder="reason, e.g. the account manager asked to wait", id="skip-reason",
                        max_length=500)
            yield Static("", id="skip-error")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        reason = event.value.strip()
        if not reason:
            self.query_one("#skip-error", Static).update("Type a reason, or Esc to go back.")
            return
        self.dismiss(reason)

    def action_cancel(self) -> None:
        self.dismiss(None)
