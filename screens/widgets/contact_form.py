"""Correct a contact, or add one: name, role, title, phone, email."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.suggester import SuggestFromList
from textual.widgets import Input, Label, Static

from callers.printable import printable
from callers.calls import ROLES
from screens.widgets.handover import HandsKeysToDesk

FIELDS = ("name", "role", "title", "phone", "email")


class ContactForm(HandsKeysToDesk, ModalScreen[dict | None]):
    """Enter in any field -> the fields that changed (all of them for a new
    contact); Esc -> None. Tab moves between fields. The desk's F-keys save
    the form as Enter does, then act (screens.widgets.handover)."""

    DEFAULT_CSS = """
    ContactForm { align: center middle; }
    ContactForm > Vertical { width: 70; height: auto; border: thick $primary; background: $surface; padding: 0 1; }
    ContactForm Label { margin-top: 0; color: $text-muted; }
    ContactForm Input { height: 1; border: none; padding: 0 1; background: $boost; }
    ContactForm Input:focus { border: none; background: $primary 30%; }  /* Input:focus outranks the rule above */
    ContactForm #contact-error { color: $error; height: auto; }
    """
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="contact-cancel")]

    def __init__(self, initial: dict[str, str | None] | None = None) -> None:
        super().__init__()
        self.adding = initial is None
        # As shown: control characters in a stored value appear escaped (and a
        # field left as shown is not changed, so the stored text stays exact).
        self.initial = {f: printable((initial or {}).get(f) or "") for f in FIELDS}
        if self.adding:
            self.initial["role"] = "user"

    def compose(self) -> ComposeResult:
        box = Vertical()
        box.border_title = "Add a contact" if self.adding else "Correct this contact"
        with box:
            for field in FIELDS:
                yield Label(field + (" (buyer, user or other)" if field == "role" else ""), markup=False)
                kwargs = {"suggester": SuggestFromList(ROLES)} if field == "role" else {}
                yield Input(self.initial[field], id=f"contact-{field}", max_length=500, **kwargs)
            yield Static("Enter saves · Tab next field · Esc cancels · F-keys save, then act", id="contact-keys",
                         markup=False)
            yield Static("", id="contact-error", markup=False)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.submit()

    def submit(self) -> bool:
        values = {f: self.query_one(f"#contact-{f}", Input).value.strip() for f in FIELDS}
        error = self.query_one("#contact-error", Static)
        if not values["name"]:
            error.update("A contact needs a name (Esc cancels).")
            return False
        if values["role"] not in ROLES:
            error.update("Role is buyer, user or other (Esc cancels).")
            return False
        if self.adding:
            self.dismiss({k: v for k, v in values.items() if v})
        else:
            self.dismiss({k: v for k, v in values.items() if v != self.initial[k]})
        return True

    def action_cancel(self) -> None:
        self.dismiss(None)
