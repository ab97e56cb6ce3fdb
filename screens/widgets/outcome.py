"""The outcome picker: one digit chooses how the call ended."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static

from callers.calls import OUTCOME_KEYS, OUTCOME_LABELS

FORWARD_PREFIX = "forward:"


class OutcomePicker(ModalScreen[str | None]):
    """Dismisses with an outcome ("completed", ...), with "forward:<id>" when a
    department key is pressed (the desk files the forward, then asks again),
    or None on Esc."""

    DEFAULT_CSS = """
    OutcomePicker { align: center middle; }
    OutcomePicker > Vertical {
        width: 44; height: auto; border: thick $primary; background: $surface; padding: 0 1;
    }
    OutcomePicker #outcome-hint { color: $text-muted; margin-top: 1; }
    """

    BINDINGS = [
        *(Binding(digit, f"pick('{digit}')", OUTCOME_LABELS[outcome], id=f"outcome-{outcome.replace('_', '-')}",
                  show=False)
          for digit, outcome in OUTCOME_KEYS.items()),
        Binding("escape", "cancel", "Back to the call", id="outcome-cancel"),
    ]

    def __init__(self, started: bool, departments: list[tuple[str, int, str]] = ()) -> None:
        """`departments`: (key, id, name) for the forward keys that work here too."""
        super().__init__()
        self.started = started
        self.departments = list(departments)

    def compose(self) -> ComposeResult:
        lines: list = []
        for digit, outcome in OUTCOME_KEYS.items():
            lines += [(f" {digit} ", "bold reverse"), f" {OUTCOME_LABELS[outcome]}\n"]
        box = Vertical()
        box.border_title = "How did the call end?"
        with box:
            yield Static(Content.assemble(*lines).rstrip(), id="outcome-list")
            hint = "One digit picks · Esc back"
            if self.departments:
                hint += " · " + " ".join(f"{key.upper()} {name}" for key, _id, name in self.departments)
            yield Static(hint, id="outcome-hint", markup=False)

    def on_mount(self) -> None:
        for key, dept_id, name in self.departments:
            self._bindings.bind(key, f"forward({dept_id})", name, priority=True)
        self.refresh_bindings()

    def action_pick(self, digit: str) -> None:
        self.dismiss(OUTCOME_KEYS[digit])

    def action_forward(self, dept_id: int) -> None:
        self.dismiss(f"{FORWARD_PREFIX}{dept_id}")

    def action_cancel(self) -> None:
        self.dismiss(None)
