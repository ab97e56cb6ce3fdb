"""A clear message and a retry key, never a traceback."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

from callers.printable import printable


class ErrorModal(ModalScreen[bool]):
    """r or Enter -> True (try again); Esc -> False."""

    DEFAULT_CSS = """
    ErrorModal { align: center middle; }
    ErrorModal > Vertical { width: 70; height: auto; border: thick $error; background: $surface; padding: 0 1; }
    ErrorModal #error-keys { margin-top: 1; color: $text-muted; }
    """
    BINDINGS = [
        Binding("r", "retry", "Try again", id="error-retry"),
        Binding("enter", "retry", "Try again", id="error-retry-enter", show=False),
        Binding("escape", "dismiss_error", "Close", id="error-close"),
    ]

    def __init__(self, title: str, message: str, can_retry: bool = True) -> None:
        super().__init__()
        self.title_text = title
        self.message = message
        self.can_retry = can_retry

    def compose(self) -> ComposeResult:
        box = Vertical()
        box.border_title = self.title_text
        with box:
            yield Static(printable(self.message, lines=True), id="error-message", markup=False)
            keys = "r or Enter: try again · Esc: close" if self.can_retry else "Esc: close"
            yield Static(keys, id="error-keys", markup=False)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "retry" and not self.can_retry:
            return False
        return True

    def action_retry(self) -> None:
        self.dismiss(True)

    def action_dismiss_error(self) -> None:
        self.dismiss(False)
