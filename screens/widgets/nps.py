"""The optional "would you recommend us?" question (0-10), asked at the end
of the words step when the company turned it on (`callers settings nps on`)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from callers import nps
from callers.errors import CallersError, first_line


class NpsQuestion(ModalScreen[str | None]):
    """Enter with 0-10 -> the text typed; Enter on nothing or Esc -> None
    (nothing saved). Anything else: one line says why, the text stays."""

    DEFAULT_CSS = """
    NpsQuestion { align: center middle; }
    NpsQuestion > Vertical { width: 72; height: auto; border: thick $accent; background: $surface; padding: 0 1; }
    NpsQuestion Input { margin-top: 1; }
    NpsQuestion #nps-error { color: $error; height: auto; }
    """
    BINDINGS = [Binding("escape", "cancel", "Skip", id="nps-cancel")]

    def __init__(self, typed: str = "", error: str = "") -> None:
        super().__init__()
        self.typed, self.error = typed, error

    def compose(self) -> ComposeResult:
        box = Vertical()
        box.border_title = "Would they recommend us?"
        with box:
            yield Static(nps.QUESTION, markup=False)
            yield Input(self.typed, placeholder="0 to 10; Enter skips", id="nps-score", max_length=20)
            yield Static(self.error, id="nps-error", markup=False)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        try:
            score = nps.parse(event.value)
        except CallersError as exc:
            self.query_one("#nps-error", Static).update(first_line(exc))
            return
        self.dismiss(None if score is None else str(score))

    def action_cancel(self) -> None:
        self.dismiss(None)
