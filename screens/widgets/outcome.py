"""The outcome picker: one digit chooses how the call ended."""

from __future__ import annotations

from collections.abc import Callable

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static

from callers.calls import OUTCOME_KEYS, OUTCOME_LABELS

FORWARD_PREFIX = "forward:"
SAY_SAVING_AFTER = 0.15  # seconds


# Outcomes that end the call at once (a callback first asks for its time).
FINAL = frozenset(OUTCOME_KEYS.values()) - {"callback"}


class OutcomePicker(ModalScreen[str | None]):
    """Dismisses with an outcome ("completed", ...), with "forward:<id>" when a
    department key is pressed (the desk files the forward, then asks again),
    or None on Esc.

    With `on_final`, an outcome that ends the call is handed to it instead and
    the picker stays, saying so, until its owner pops it with the next
    customer ready: the screen changes once, not twice, between the digit and
    the next customer."""

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

    def __init__(self, started: bool, departments: list[tuple[str, int, str]] = (),
                 on_final: Callable[[str], None] | None = None) -> None:
        """`departments`: (key, id, name) for the forward keys that work here too."""
        super().__init__()
        self.started = started
        self.departments = list(departments)
        self.on_final = on_final
        self.saving: str | None = None  # the outcome handed to on_final, until popped
        self._saying = None  # the timer that says "saving…"

    def compose(self) -> ComposeResult:
        lines: list = []
        for digit, outcome in OUTCOME_KEYS.items():
            lines += [(f" {digit} ", "bold reverse"), f" {OUTCOME_LABELS[outcome]}\n"]
        box = Vertical()
        box.border_title = "How did the call end?"
        with box:
            yield Static(Content.assemble(*lines).rstrip(), id="outcome-list")
            yield Static(self._hint(), id="outcome-hint", markup=False)

    def on_mount(self) -> None:
        for key, dept_id, name in self.departments:
            self._bindings.bind(key, f"forward({dept_id})", name, priority=True)
        self.refresh_bindings()

    def on_screen_resume(self) -> None:
        self.saving = None
        self.query_one("#outcome-hint", Static).update(self._hint())

    def on_screen_suspend(self) -> None:
        if self._saying is not None:
            self._saying.stop()
            self._saying = None

    def _say_saving(self) -> None:
        self._saying = None
        if self.saving:
            self.query_one("#outcome-hint", Static).update(f"{OUTCOME_LABELS[self.saving]}: saving…")

    def _hint(self) -> str:
        hint = "One digit picks · Esc back"
        if self.departments:
            hint += " · " + " ".join(f"{key.upper()} {name}" for key, _id, name in self.departments)
        return hint

    def action_pick(self, digit: str) -> None:
        if self.saving:
            return
        outcome = OUTCOME_KEYS[digit]
        if self.on_final is not None and outcome in FINAL:
            self.saving = outcome
            # Said only when it takes a while: a repaint now would slow what it waits for.
            self._saying = self.set_timer(SAY_SAVING_AFTER, self._say_saving)
            self.on_final(outcome)
            return
        self.dismiss(outcome)

    def action_forward(self, dept_id: int) -> None:
        if not self.saving:
            self.dismiss(f"{FORWARD_PREFIX}{dept_id}")

    def action_cancel(self) -> None:
        if not self.saving:
            self.dismiss(None)
