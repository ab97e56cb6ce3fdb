"""The desk's F-keys act from a modal that has a text field (the contact
form, the forward note): such a key closes the modal as Enter would, so what
was typed is kept (saved, or filed), and then does on the desk what it does
there. A modal that cannot close (a required field empty) says why and keeps
everything; the key does nothing more."""

from __future__ import annotations

from textual import events


def is_function_key(key: str) -> bool:
    return key[:1] == "f" and key[1:].isdigit()


class HandsKeysToDesk:
    """Mixin for a ModalScreen pushed by the desk: `submit()` is its Enter,
    returning False when it cannot close. `handed_key` is the F-key that
    closed it (None: Enter or Esc); the desk runs that key's action after its
    own callback for the modal."""

    handed_key: str | None = None

    def submit(self) -> bool:
        raise NotImplementedError

    def on_key(self, event: events.Key) -> None:
        if not is_function_key(event.key):
            return
        below = self.app.screen_stack[-2] if len(self.app.screen_stack) > 1 else None
        if below is None or getattr(below, "action_for_key", lambda _key: None)(event.key) is None:
            return
        event.stop()
        event.prevent_default()
        self.handed_key = event.key
        if not self.submit():
            self.handed_key = None
