"""Messages the desk's widgets post to the screen that owns the call.

Plain classes with their own `__init__` (Textual's `Message.__init__` sets
the rest): a dataclass costs about half a millisecond to make, at every start."""

from __future__ import annotations

from textual.message import Message


class Answered(Message):
    """The caller gave an answer: save it now (calls.record_answer)."""

    def __init__(self, step: str, key: str, value: str | None = None) -> None:
        super().__init__()
        self.step, self.key, self.value = step, key, value


class StepDone(Message):
    """A script step is finished (confirmed or changed): move on."""

    def __init__(self, step: str) -> None:
        super().__init__()
        self.step = step


class EditContact(Message):
    """Open the contact form: contact_id None means 'add a contact'."""

    def __init__(self, contact_id: int | None) -> None:
        super().__init__()
        self.contact_id = contact_id


class StepShown(Message):
    """A script step came up (`opening`: the step a call opens on): its time on screen starts."""

    def __init__(self, step: str, opening: bool = False) -> None:
        super().__init__()
        self.step, self.opening = step, opening


class FixedAnswered(Message):
    """"Was it fixed?" answered for a forward (key y / n / p): save it now (callers.loop.answer)."""

    def __init__(self, forward_id: int, key: str) -> None:
        super().__init__()
        self.forward_id, self.key = forward_id, key


class WordsDone(Message):
    """Enter on the "in their words" line: the end of the words step."""
