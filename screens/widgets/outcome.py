"""The outcome picker: one digit chooses how the call ended."""

from __future__ import annotations

from collections.abc import Callable

from textual import events
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
# Outcomes asked once more before they are taken: they take the customer out for good.
CONFIRMED = frozenset({"do_not_call"})


class ConfirmDoNotCall(ModalScreen[bool]):
    """"Never call X again?": `y` confirms; any other key goes back to the picker."""

    DEFAULT_CSS = """
    ConfirmDoNotCall { align: center middle; }
    ConfirmDoNotCall > Vertical {
        width: 56; height: auto; border: thick $error; background: $surface; padding: 0 1;
    }
    ConfirmDoNotCall #do-not-call-hint { color: $text-muted; margin-top: 1; }
    """

    def __init__(self, customer: str | None) -> None:
        super().__init__()
        self.customer = customer

    def compose(self) -> ComposeResult:
        box = Vertical()
        box.border_title = "Do not call"
        with box:
            yield Static(Content.assemble("Take ", (self.customer or "this customer", "bold"),
                                          " out of the list for good? They are never called again."),
                         id="do-not-call-question")
            yield Static(Content.assemble(("y", "bold reverse"), " yes, do not call · any other key: back"),
                         id="do-not-call-hint")

    def on_key(self, event: events.Key) -> None:
        event.stop()
        event.prevent_default()
        self.dismiss(event.key == "y")


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
        Binding("enter", "accept", "Take what the network said", id="outcome-accept", show=False),
    ]

    def __init__(self, started: bool, departments: list[tuple[str, int, str]] = (),
                 on_final: Callable[[str], None] | None = None) -> None:
        """`departments`: (key, id, name) for the forward keys that work here too."""
        super().__init__()
        self.started = started
        self.departments = list(departments)
        self.on_final = on_final
        self.saving: str | None = None  # the outcome handed to on_final, until popped
        self.customer: str | None = None  # the customer's name, for "do not call"
        self.suggested: str | None = None  # what the dialler's network said (busy, no answer...): Enter takes it
        self._saying = None  # the timer that says "saving…"

    def _list(self) -> Content:
        lines: list = []
        for digit, outcome in OUTCOME_KEYS.items():
            if outcome == self.suggested:
                lines += [(f" {digit} ", "bold reverse"), (f" {OUTCOME_LABELS[outcome]}  ◀ Enter\n", "bold $accent")]
            else:
                lines += [(f" {digit} ", "bold reverse"), f" {OUTCOME_LABELS[outcome]}\n"]
        return Content.assemble(*lines).rstrip()

    def compose(self) -> ComposeResult:
        box = Vertical()
        box.border_title = "How did the call end?"
        with box:
            yield Static(self._list(), id="outcome-list")
            yield Static(self._hint(), id="outcome-hint", markup=False)

    def on_mount(self) -> None:
        for key, dept_id, name in self.departments:
            self._bindings.bind(key, f"forward({dept_id})", name, priority=True)
        self.refresh_bindings()

    def on_screen_resume(self) -> None:
        self.saving = None
        self.query_one("#outcome-list", Static).update(self._list())
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
        hint = "One digit picks (7 asks again) · Esc back"
        if self.suggested in OUTCOME_LABELS:
            hint = f"Enter: {OUTCOME_LABELS[self.suggested]}, as the network said · {hint}"
        if self.departments:
            hint += " · " + " ".join(f"{key.upper()} {name}" for key, _id, name in self.departments)
        return hint

    def action_pick(self, digit: str) -> None:
        if self.saving:
            return
        outcome = OUTCOME_KEYS[digit]
        if outcome in CONFIRMED:
            self.app.push_screen(ConfirmDoNotCall(self.customer),
                                 lambda yes: self._picked(outcome) if yes else None)
            return
        self._picked(outcome)

    def _picked(self, outcome: str) -> None:
        if self.saving:
            return
        if self.on_final is not None and outcome in FINAL:
            self.saving = outcome
            # Said only when it takes a while: a repaint now would slow what it waits for.
            self._saying = self.set_timer(SAY_SAVING_AFTER, self._say_saving)
            self.on_final(outcome)
            return
        self.dismiss(outcome)

    def action_accept(self) -> None:
        """Enter: the outcome the network reported (nothing when it reported none)."""
        if self.suggested in OUTCOME_LABELS:
            digit = next(d for d, o in OUTCOME_KEYS.items() if o == self.suggested)
            self.action_pick(digit)

    def action_forward(self, dept_id: int) -> None:
        if not self.saving:
            self.dismiss(f"{FORWARD_PREFIX}{dept_id}")

    def action_cancel(self) -> None:
        if not self.saving:
            self.dismiss(None)
