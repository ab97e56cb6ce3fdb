"""The one-line note asked for when a problem is forwarded (F5/F6/F7 on the desk).

Enter files the forward with the text as typed (which may be empty);
Esc cancels. The desk keeps the note if saving fails and offers it again
(`ForwardNote(department, note=kept)`).

The desk keeps one ForwardNote installed and reuses it (`prepare`), so F5
does not compose, mount and style a new modal every time (that work sat in
front of the Enter key and cost most of the F5-to-confirmation time).
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from screens.widgets.formatting import shown
from screens.widgets.handover import HandsKeysToDesk


class ForwardNote(HandsKeysToDesk, ModalScreen[str | None]):
    """Forward to <department> — note (optional). Dismisses with the note, or
    None. The desk's F-keys file the forward as Enter does, then act."""

    DEFAULT_CSS = """
    ForwardNote {
        align: center middle;
    }
    ForwardNote > #forward-note {
        width: 70;
        max-width: 100%;
        height: auto;
        border: round $accent;
        background: $surface;
        padding: 0 1;
    }
    ForwardNote #forward-note-help {
        color: $text-muted;
    }
    """

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="forward-note-cancel"),
    ]

    def __init__(self, department: str, note: str = "") -> None:
        super().__init__()
        self.department = department
        self.note = note

    def compose(self) -> ComposeResult:
        with Vertical(id="forward-note") as box:
            box.border_title = self._title(self.department)
            yield Input(value=self.note, placeholder="what the customer said, in a line",
                        id="forward-note-input", max_length=2000, select_on_focus=False)
            yield Static("Enter forwards · Esc cancels · F-keys forward, then act", id="forward-note-help",
                         markup=False)

    @staticmethod
    def _title(department: str) -> Content:
        return Content(shown(f"Forward to {department} — note (optional)"))  # a department's name is data

    def prepare(self, department: str, note: str = "") -> ForwardNote:
        """Reuse this modal for another forward: new department, note as given."""
        self.department = department
        self.note = note
        self.handed_key = None
        if self.is_mounted:
            self.query_one("#forward-note").border_title = self._title(department)
            field = self.query_one(Input)
            field.value = note
            field.cursor_position = len(note)
            self.set_focus(field)
        return self

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.submit()

    def submit(self) -> bool:
        self.dismiss(self.query_one(Input).value)
        return True

    def action_cancel(self) -> None:
        self.dismiss(None)
