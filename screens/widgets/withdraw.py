"""Withdraw a forward made by mistake in this call: one digit picks it."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

from screens.widgets.formatting import assemble, one_line


class WithdrawPicker(ModalScreen[int | None]):
    """`forwards`: (forward id, department, note). Digit -> that id; Esc -> None."""

    DEFAULT_CSS = """
    WithdrawPicker { align: center middle; }
    WithdrawPicker > Vertical { width: 64; height: auto; border: thick $warning; background: $surface; padding: 0 1; }
    WithdrawPicker #withdraw-hint { color: $text-muted; margin-top: 1; }
    """
    BINDINGS = [
        *(Binding(str(n), f"pick({n})", f"Withdraw {n}", id=f"withdraw-{n}", show=False) for n in range(1, 10)),
        Binding("escape", "cancel", "Back", id="withdraw-cancel"),
    ]

    def __init__(self, forwards: list[tuple[int, str, str | None]]) -> None:
        super().__init__()
        self.forwards = forwards[:9]

    def compose(self) -> ComposeResult:
        parts: list = []
        for n, (_fid, department, note) in enumerate(self.forwards, 1):
            if parts:
                parts.append("\n")
            parts += [(f" {n} ", "bold reverse"), f" {department}"]
            if note:
                parts += [": ", one_line(note, 45)]
        box = Vertical()
        box.border_title = "Withdraw which forward?"
        with box:
            yield Static(assemble(*parts), id="withdraw-list")
            yield Static("One digit withdraws it · Esc back", id="withdraw-hint", markup=False)

    def action_pick(self, n: int) -> None:
        if 1 <= n <= len(self.forwards):
            self.dismiss(self.forwards[n - 1][0])

    def action_cancel(self) -> None:
        self.dismiss(None)
