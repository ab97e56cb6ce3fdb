"""When to call back: typed in the customer's local time, shown in both zones."""

from __future__ import annotations

from datetime import datetime

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from callers.errors import CallersError


class CallbackTime(ModalScreen[datetime | None]):
    """Enter with a time that parses -> that time (aware UTC); Esc -> None."""

    DEFAULT_CSS = """
    CallbackTime { align: center middle; }
    CallbackTime > Vertical { width: 64; height: auto; border: thick $primary; background: $surface; padding: 0 1; }
    CallbackTime Input { margin-top: 1; }
    CallbackTime #callback-when { height: auto; color: $success; }
    CallbackTime #callback-when.-error { color: $error; }
    """
    BINDINGS = [Binding("escape", "cancel", "Back", id="callback-cancel")]

    def __init__(self, customer_zone: str | None, caller_zone: str) -> None:
        super().__init__()
        self.customer_zone = customer_zone or caller_zone
        self.caller_zone = caller_zone
        self.at: datetime | None = None

    def compose(self) -> ComposeResult:
        box = Vertical()
        box.border_title = "Call back at…"
        with box:
            yield Static(f"In their time ({self.customer_zone}): tomorrow 10:00, fri 14:30, 2026-12-01 09:00",
                         markup=False)
            yield Input(placeholder="when they asked to be called back", id="callback-input", max_length=100)
            yield Static("", id="callback-when", markup=False)

    def _parse(self, text: str) -> str | None:
        """The parsed time described in both zones, or None (the error shown)."""
        label = self.query_one("#callback-when", Static)
        self.at = None
        if not text.strip():
            label.update("")
            return None
        from callers import timeparse

        try:
            self.at = timeparse.parse_callback(text, self.customer_zone)
            shown = timeparse.describe_both(self.at, self.customer_zone, self.caller_zone)
        except (CallersError, ValueError) as exc:
            label.set_class(True, "-error")
            label.update(str(exc).splitlines()[0] if str(exc) else "cannot read that time")
            return None
        label.set_class(False, "-error")
        label.update(shown)
        return shown

    def on_input_changed(self, event: Input.Changed) -> None:
        self._parse(event.value)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if self._parse(event.value) is not None and self.at is not None:
            self.dismiss(self.at)

    def action_cancel(self) -> None:
        self.dismiss(None)
