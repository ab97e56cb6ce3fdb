"""The words the data is made of: every value a column may hold that the
domain, the tallies and the screens also name. Defined here once; the
models, the tallies' triggers and `callers` import them from here (screens
through `callers`)."""

from __future__ import annotations

# A contact's role at the customer.
ROLES = ("buyer", "user", "other")
IMPLEMENTATION_STATES = ("not_started", "in_progress", "live", "stalled")
REFERENCE_KINDS = ("prospect_call", "case_study", "press", "analyst", "site_visit")
REFERENCE_ANSWERS = ("yes", "no", "not_now")
OUTCOMES = (
    "completed",
    "no_answer",
    "voicemail",
    "busy",
    "callback",
    "wrong_number",
    "do_not_call",
)

# A forward's status, and the groups of them the code asks about.
FORWARD_STATUSES = ("open", "acknowledged", "done", "returned", "withdrawn")
FORWARD_OPEN = ("open", "acknowledged")  # still waiting for the department
FORWARD_FINISHED = ("done", "returned")  # the department has answered it
FORWARD_RESOLVED = ("done", "returned", "withdrawn")  # no longer waiting, whoever ended it
# The customer's answer to "Was it fixed?" about a forward done (a forward event's status).
FORWARD_ANSWERS = ("fixed", "partly_fixed", "reopened")

# Why a customer is due, in the order the desk serves them.
DUE_CALLBACK, DUE_NEVER_REACHED, DUE_OVERDUE = 0, 1, 2
DUE_REASONS = {DUE_CALLBACK: "callback", DUE_NEVER_REACHED: "never reached", DUE_OVERDUE: "overdue"}
# Unreachable this cycle: out of the queue until the next cycle starts (next_due_at).
DUE_PARKED = 3
