"""Closing the loop: was the customer's problem really fixed?

A department marks a forward done; on the next call to that customer the
script asks "Was it fixed?" for each forward done since their last completed
call and not asked about yet (`to_ask`). The answer (`answer`) is a forward
event, made by the caller of the call (the logged-in user):

- ``y`` yes: a `fixed` event (confirmed fixed by the customer);
- ``p`` partly: a `partly_fixed` event, with the customer's words if given;
- ``n`` no: the forward is opened again in the same department, its
  `reopened` count goes up by one, and a `reopened` event carries the
  customer's words (and goes to the department's webhook, if it has one);
- Enter: nothing is recorded (nobody gave an answer).

Each answer may carry how long its question was on screen (`seconds`): it is
the script's "forwards" step in the report's step times.

The report counts the answers per department (`callers.report.fixed_figures`,
from the tally `tally_forward_answer`) into `callers.report.figures.LoopFigures`: confirmed fixed,
partly, reopened, and the confirmed-fixed rate (confirmed fixed / every
answer). Plain values in and out; no UI here.

Use::

    for q in loop.to_ask(customer_id):
        ...  # show q.department, q.note, q.resolution
        loop.answer(call_id, q.forward_id, "y", seconds=4)
"""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from peewee import fn

from callers import clock
from callers.errors import CallersError
from models.db import connection, lock_key, write_transaction
from models.tables import Call, Customer, Department, Forward, ForwardEvent
from models.vocabulary import FORWARD_ANSWERS

ANSWER_STATUSES = FORWARD_ANSWERS
FIXED, PARTLY, REOPENED = ANSWER_STATUSES
# What the caller types (and the words the CLI or a test may use).
ANSWERS = {"y": FIXED, "yes": FIXED, "p": PARTLY, "partly": PARTLY, "n": REOPENED, "no": REOPENED}
QUESTION = "Was it fixed?"
KEYS_HINT = "y yes · n no · p partly · Enter skips"


class Question(NamedTuple):
    """A forward to ask the customer about."""

    forward_id: int
    department: str
    note: str | None  # the problem, as the caller wrote it
    resolution: str | None  # what the department said it did
    resolved_at: datetime  # aware UTC
    resolved_by: str | None
    reopened: int  # times already reopened


class Answered(NamedTuple):
    """An answer recorded (a tuple: made at every answer, no dataclass to build at start-up)."""

    forward_id: int
    status: str  # fixed / partly_fixed / reopened
    department: str
    message: str  # "Confirmed fixed: Billing", "Reopened to Billing (2nd time)"


def _asked_after(forward_col, resolved_col):
    """SQL: the forward has a loop answer at or after it was (last) resolved."""
    e = ForwardEvent.alias("asked")
    return fn.EXISTS(e.select(e.id).where(e.forward == forward_col, e.status.in_(ANSWER_STATUSES),
                                          e.at >= resolved_col))


def _questions(customer_id: int) -> list[Question]:
    since = Customer.select(Customer.last_reached_at).where(Customer.id == customer_id).scalar()
    query = (Forward.select(Forward, Department.name.alias("department_name"))
             .join(Department, on=(Forward.department == Department.id))
             .where(Forward.customer == customer_id, Forward.status == "done", Forward.resolved_at.is_null(False),
                    ~_asked_after(Forward.id, Forward.resolved_at))
             .order_by(Forward.resolved_at, Forward.id).objects())
    if since is not None:
        query = query.where(Forward.resolved_at >= since)
    return [Question(f.id, f.department_name, f.note, f.resolution, clock.from_db(f.resolved_at), f.resolved_by,
                     f.reopened or 0) for f in query]


def to_ask(customer_id: int) -> list[Question]:
    """The forwards to ask this customer "Was it fixed?" about, oldest done
    first: done since the customer's last completed call (every done one if
    never reached), and not answered since they were done."""
    with connection():
        return _questions(customer_id)


def parse(key: str | None) -> str | None:
    """The answer a key (or word) gives: fixed / partly_fixed / reopened, or
    None for Enter (or nothing). Anything else is a CallersError."""
    text = (key or "").strip().lower()
    if not text or text == "enter":
        return None
    if text not in ANSWERS:
        raise CallersError(f"answer {key!r} is not y (yes), n (no) or p (partly); Enter skips")
    return ANSWERS[text]


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def answer(call_id: int, forward_id: int, key: str | None, words: str | None = None,
           seconds: int | float | None = None, now: datetime | None = None) -> Answered | None:
    """Record the customer's answer to "Was it fixed?" for one forward, on
    the call `call_id` (still running), as a forward event by the call's
    caller. `key`: y / n / p (or yes / no / partly); Enter (None or '')
    records nothing and returns None. `words`: the customer's words (for a
    "no", they go to the department with the reopened forward). `seconds`:
    how long the question was on screen. Answering the same forward again on
    the same call returns the answer already saved (a replay)."""
    from callers import forwards  # here: the desk's first load asks `to_ask` without it

    status = parse(key)
    if status is None:
        return None
    at = forwards._when(now)
    words = forwards._clean(words)
    seconds = forwards._seconds(seconds)
    with connection(), write_transaction():
        call = Call.select(Call.id, Call.customer, Call.caller, Call.ended_at).where(Call.id == call_id).first()
        if call is None:
            raise CallersError(f"there is no call with id {call_id}")
        lock_key("forward", forward_id)
        row = (Forward.select(Forward, Department.name.alias("department_name"))
               .join(Department, on=(Forward.department == Department.id))
               .where(Forward.id == forward_id).objects().first())
        if row is None or row.customer_id != call.customer_id:
            raise CallersError(f"forward {forward_id} is not about this call's customer")
        dept = row.department_name
        same = (ForwardEvent.select().where(ForwardEvent.forward == forward_id, ForwardEvent.call == call_id,
                                            ForwardEvent.status.in_(ANSWER_STATUSES)).first())
        if same is not None:
            return Answered(forward_id, same.status, dept, _message(same.status, dept, row.reopened or 0))
        if call.ended_at is not None:
            raise CallersError("this call has already ended")
        if row.status != "done":
            label = forwards.STATUS_LABELS.get(row.status, row.status)
            raise CallersError(f"forward {forward_id} is {label}; only forwards marked done are asked about")
        by = call.caller
        count = row.reopened or 0
        if status == REOPENED:
            count += 1
            note = row.note
            if words:
                note = forwards._clean(f"{note} | customer: {words}" if note else f"customer: {words}")
            (Forward.update(status="open", reopened=count, note=note, acknowledged_at=None, acknowledged_by=None,
                            resolved_at=None, resolved_by=None, resolution=None)
             .where(Forward.id == forward_id).execute())
        forwards._record(forward_id, status, at, by, words, call=call_id, seconds=seconds,
                         **({"to_department": row.department_id} if status == REOPENED else {}))
    return Answered(forward_id, status, dept, _message(status, dept, count))


def _message(status: str, department: str, reopened: int) -> str:
    if status == FIXED:
        return f"Confirmed fixed: {department}"
    if status == PARTLY:
        return f"Partly fixed: {department}"
    times = f" ({_ordinal(reopened)} time)" if reopened > 1 else ""
    return f"Reopened to {department}{times}"
