"""The fixed script's steps, and where a call's script opens: pure functions
of a customer's profile and the answers given in the call.

    first_step(profile, answers, now, cycle_days=90)   # "contacts", or the first step not fresh
    not_asked_text(unasked_steps(answers))             # "not asked: references, features"
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from callers.calls import Answer, Profile

# The steps of the fixed script, in order. Nothing else is ever added.
STEPS = ("contacts", "referenceability", "implementation", "features")

# How a step is named in what the caller reads ("not asked: references, features").
STEP_WORDS = {"contacts": "contacts", "referenceability": "references", "implementation": "implementation",
              "features": "features"}


def holds_facts(profile: Profile, step: str) -> bool:
    """True when the step has facts stored (by an earlier call or an import)
    that Enter can confirm as still true. Contacts: any active contact (or
    all gone, confirmed); referenceability: any kind answered or a condition;
    implementation: a state; features: the list confirmed before, or any
    feature answered."""
    if step == "contacts":
        return profile.contacts_confirmed_at is not None or any(c.active for c in profile.contacts)
    if step == "referenceability":
        return any(v is not None for v in profile.referenceability.values()) or bool(profile.ref_condition)
    if step == "implementation":
        return profile.implementation_state is not None
    if step == "features":
        return (profile.features_confirmed_at is not None
                or any(f.confirmed_at is not None for f in profile.features))
    return False


def step_confirmed_at(profile: Profile, step: str) -> datetime | None:
    """When the step's facts were last confirmed (None: never)."""
    return {"contacts": profile.contacts_confirmed_at,
            "referenceability": profile.referenceability_confirmed_at,
            "implementation": profile.implementation_confirmed_at,
            "features": profile.features_confirmed_at}.get(step)


def steps_asked(answers: Iterable[Answer]) -> set[str]:
    """The script steps with an answer recorded in this call."""
    return {a.step for a in answers if a.step in STEPS}


def unasked_steps(answers: Iterable[Answer]) -> tuple[str, ...]:
    """The script steps nobody answered in this call, in script order."""
    return unasked_of(steps_asked(answers))


def unasked_of(asked: set[str]) -> tuple[str, ...]:
    """The script steps not in `asked`, in script order."""
    return tuple(step for step in STEPS if step not in asked)


def first_step(profile: Profile, answers: Iterable[Answer], now: datetime, cycle_days: int) -> str:
    """Where the script opens: the first step not answered in this call whose
    facts are not fresh (never confirmed, or not within the cycle), so a step
    left unasked by an earlier call comes first; else the first step not
    answered in this call; else the "in their words" line ("comment")."""
    unasked = unasked_steps(answers)
    fresh_since = now - timedelta(days=cycle_days)
    for step in unasked:
        at = step_confirmed_at(profile, step)
        if at is None or at <= fresh_since:
            return step
    return unasked[0] if unasked else "comment"


def not_asked_text(unasked: Iterable[str]) -> str:
    """'not asked: implementation, features' ('' when every step was asked)."""
    words = [STEP_WORDS.get(step, step) for step in unasked]
    return f"not asked: {', '.join(words)}" if words else ""
