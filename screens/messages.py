"""Messages the desk's widgets post to the screen that owns the call."""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message


@dataclass
class Answered(Message):
    """The caller gave an answer: save it now (calls.record_answer)."""

    step: str
    key: str
    value: str | None = None


@dataclass
class StepDone(Message):
    """A script step is finished (confirmed or changed): move on."""

    step: str


@dataclass
class EditContact(Message):
    """Open the contact form: contact_id None means 'add a contact'."""

    contact_id: int | None


@dataclass
class StepShown(Message):
    """A script step came up (`opening`: the step a call opens on): its time on screen starts."""

    step: str
    opening: bool = False


@dataclass
class FixedAnswered(Message):
    """"Was it fixed?" answered for a forward (key y / n / p): save it now (callers.loop.answer)."""

    forward_id: int
    key: str


class WordsDone(Message):
    """Enter on the "in their words" line: the end of the words step."""
