"""A call, from "customer shown" to "outcome given": plain values in and out.

The desk (screens/desk.py) calls these from thread workers; `callers next`
and the tests call them directly. Every answer is written the moment it is
given (`record_answer`), so a killed terminal loses nothing: `restore()` gives
the caller back the unfinished call with every answer so far.

CONTRACT (agreed between the desk domain and the desk screen):
the dataclasses below are the shapes the screen renders; the functions'
names, parameters and return types are fixed. Times are aware UTC.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from callers.due import DueCustomer

# The steps of the fixed script, in order. Nothing else is ever added.
STEPS = ("contacts", "referenceability", "implementation", "features")

# Outcomes by the digit that picks them in the outcome picker.
OUTCOME_KEYS = {
    "1": "completed",
    "2": "no_answer",
    "3": "voicemail",
    "4": "busy",
    "5": "callback",
    "6": "wrong_number",
    "7": "do_not_call",
}
OUTCOME_LABELS = {
    "completed": "Completed",
    "no_answer": "No answer",
    "voicemail": "Voicemail",
    "busy": "Busy",
    "callback": "Call back at…",
    "wrong_number": "Wrong number",
    "do_not_call": "Do not call",
}


@dataclass(frozen=True)
class ContactFact:
    id: int
    name: str
    role: str  # buyer / user / other
    title: str | None
    phone: str | None  # E.164
    extension: str | None
    email: str | None
    active: bool
    confirmed_at: datetime | None


@dataclass(frozen=True)
class FeatureFact:
    id: int
    name: str
    in_production: bool
    confirmed_at: datetime | None


@dataclass(frozen=True)
class ForwardFact:
    id: int
    department: str
    status: str  # open / acknowledged / done / returned / withdrawn
    note: str | None
    created_at: datetime
    resolved_at: datetime | None
    resolution: str | None
    assignee: str | None


@dataclass(frozen=True)
class LastCall:
    at: datetime
    caller: str
    outcome: str | None


@dataclass(frozen=True)
class Profile:
    """Everything the desk shows about one customer, with each fact's age."""

    customer: DueCustomer
    contacts: tuple[ContactFact, ...]
    contacts_confirmed_at: datetime | None
    referenceability: dict[str, str | None]  # kind (REFERENCE_KINDS) -> yes/no/not_now/None
    ref_condition: str | None
    referenceability_confirmed_at: datetime | None
    implementation_state: str | None
    implementation_confirmed_at: datetime | None
    features: tuple[FeatureFact, ...]  # the whole feature list, ticked or not
    features_confirmed_at: datetime | None
    last_call: LastCall | None
    open_forwards: tuple[ForwardFact, ...]
    resolved_forwards: tuple[ForwardFact, ...]  # resolved since the last completed call


@dataclass(frozen=True)
class Answer:
    step: str  # one of STEPS, or "comment"
    key: str
    value: str | None
    answered_at: datetime


@dataclass
class CallState:
    """An unfinished call: what `open_call` and `restore` return."""

    call_id: int
    caller: str
    profile: Profile
    shown_at: datetime
    started_at: datetime | None = None  # None until someone answers
    answers: list[Answer] = field(default_factory=list)
    note: str | None = None  # "in their words"


@dataclass(frozen=True)
class Scheduled:
    """What an outcome decided."""

    outcome: str
    next_due_at: datetime | None  # None: not due again (do not call, needs a number...)
    message: str  # e.g. "Due again on 21 Feb", "Call back Fri 14:30 their time (13:30 yours)"
