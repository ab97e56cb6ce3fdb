"""Forwards: a problem handed from a call to a department's queue.

A forward is `open` when the caller files it, `acknowledged` when the
department has seen it, and `done` (with a resolution note) when it is
solved; or `returned` ("not ours", with a reason, back to the supervisor),
or `withdrawn` by the caller who filed it by mistake. A returned forward
can be sent on by the supervisor to another department, where it is open
again (`send_on`). Every change is stamped with who made it and when, on the
forward and as a `ForwardEvent`, and queued for the department's webhook, if
it has one, in the same transaction (`callers.webhooks`).

Plain values in and out: the desk (F5/F6/F7), the queue screen, the CLI and
the tests all call these functions.

Longer than 500 lines because a forward's whole life (filed, acknowledged, done,
returned, withdrawn, reopened, sent on) and its event trail are one set of rules;
splitting it would spread one state machine over several files.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from peewee import JOIN, fn

from callers import clock, phones
from callers.departments import ACCOUNT_MANAGER, department_row
from callers.errors import CallersError
from models.db import connection, lock_key, write_transaction
from models.tables import Contact, Customer, Department, Forward, ForwardEvent
from models.vocabulary import FORWARD_FINISHED, FORWARD_OPEN

# Statuses still waiting for the department.
PENDING = FORWARD_OPEN
# Statuses a department has finished with (shown with the "done" toggle).
FINISHED = FORWARD_FINISHED
STATUS_LABELS = {
    "open": "open",
    "acknowledged": "acknowledged",
    "done": "done",
    "returned": "not ours",
    "withdrawn": "withdrawn",
}
NOTE_MAX = 2000


@dataclass(frozen=True)
class Filed:
    """A forward just saved, and the confirmation to show."""

    id: int
    department: str
    assignee: str | None
    message: str  # "Forwarded to Billing", "Forwarded to Lee Park, account manager"


@dataclass(frozen=True)
class QueueItem:
    id: int
    created_at: datetime
    age: timedelta  # since created, at the time of the query
    customer_id: int
    customer: str
    external_id: str | None
    contact: str | None
    phone: str  # international form, '' when none
    note: str | None
    caller: str
    department: str
    assignee: str | None
    status: str
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    resolved_at: datetime | None
    resolved_by: str | None
    resolution: str | None
    reopened: int = 0  # times the customer said it was not fixed (callers/loop.py)

    @property
    def pending(self) -> bool:
        return self.status in PENDING


# ---- filing and withdrawing -------------------------------------------------------


def _when(now: datetime | None) -> datetime:
    return clock.to_db(now if now is not None else clock.now())


def _clean(text: str | None) -> str | None:
    """One line of text as typed (brackets and all), or None when empty."""
    if text is None:
        return None
    text = " ".join(str(text).splitlines()).strip()
    if not text:
        return None
    return text[:NOTE_MAX]


def confirmation(department: str, kind: str, assignee: str | None, verb: str = "Forwarded") -> str:
    if kind == ACCOUNT_MANAGER and assignee:
        return f"{verb} to {assignee}, account manager"
    return f"{verb} to {department}"


def create(customer_id: int, department: str, caller: str, note: str | None = None,
           call_id: int | None = None, contact_id: int | None = None, now=None,
           seconds: int | None = None) -> Filed:
    """File a forward; it is saved (with its 'open' event) before this returns.

    `department` is a name (any case) or a kind; account-manager forwards go to
    the customer's account manager. The contact defaults to the one the
    customer is called on. Given an explicit `now`, filing the same forward
    again (same customer, department, caller, call, note and time) returns
    the one already saved: safe to replay. `seconds`: how long filing it
    took on screen (the script's "forwards" step), kept on its 'open' event.
    """
    caller = (caller or "").strip()
    if not caller:
        raise CallersError("a forward needs the name of the caller who files it")
    at = _when(now)
    note = _clean(note)
    with connection(), write_transaction():
        dept = department_row(department)
        customer = (Customer.select(Customer.id, Customer.account_manager, Customer.call_contact)
                    .where(Customer.id == customer_id).first())
        if customer is None:
            raise CallersError(f"no customer {customer_id}")
        if contact_id is None and customer.call_contact is not None:
            if Contact.select(Contact.id).where(Contact.id == customer.call_contact,
                                                Contact.customer == customer.id).exists():
                contact_id = customer.call_contact
        assignee = None
        if dept.kind == ACCOUNT_MANAGER:
            assignee = (customer.account_manager or "").strip() or None
        if now is not None:
            # A replay (e.g. from the desk's outbox) passes the original time:
            # the same forward already saved is returned, not filed twice.
            same = (Forward.select().where(Forward.customer == customer.id, Forward.department == dept.id,
                                           Forward.caller == caller, Forward.created_at == at,
                                           Forward.call == call_id if call_id else Forward.call.is_null())
                    .first())
            if same is not None and same.note == note:
                return Filed(same.id, dept.name, same.assignee, confirmation(dept.name, dept.kind, same.assignee))
        row = Forward.create(customer=customer.id, call=call_id, contact=contact_id, caller=caller,
                             department=dept.id, assignee=assignee, note=note, status="open",
                             created_at=at)
        _record(row.id, "open", at, caller, note, departments=[(dept.id, dept.name)],
                **({"call": call_id, "seconds": _seconds(seconds)} if call_id else {}))
    return Filed(row.id, dept.name, assignee, confirmation(dept.name, dept.kind, assignee))


def _change(forward_id: int, by: str, status: str, allowed: tuple[str, ...], now, note: str | None = None,
            **columns) -> None:
    by = (by or "").strip()
    if not by:
        raise CallersError("say who is doing this (--as NAME)")
    at = _when(now)
    for column in list(columns):
        if columns[column] is _AT:
            columns[column] = at
        elif columns[column] is _BY:
            columns[column] = by
    with connection(), write_transaction():
        changed = (Forward.update(status=status, **columns)
                   .where(Forward.id == forward_id, Forward.status.in_(allowed))
                   .execute())
        if not changed:
            row = Forward.select(Forward.id, Forward.status).where(Forward.id == forward_id).first()
            if row is None:
                raise CallersError(f"no forward {forward_id}")
            could = " or ".join(STATUS_LABELS[s] for s in allowed)
            raise CallersError(
                f"forward {forward_id} is {STATUS_LABELS.get(row.status, row.status)}; "
                f"only {could} forwards can be {STATUS_VERBS[status]}"
            )
        _record(forward_id, status, at, by, note)


def _record(forward_id: int, status: str, at: datetime, by: str, note: str | None = None,
            departments: list[tuple[int, str | None]] | None = None, **columns) -> None:
    """The event, and its webhook POST to each of `departments` (id, name;
    default: the forward's own) that has a webhook, in the caller's transaction."""
    from callers import webhooks  # not before the first event: the desk's start-up does not need it

    event = ForwardEvent.create(forward=forward_id, status=status, at=at, by=by, note=note, **columns)
    if departments is None:
        dept = Forward.select(Forward.department).where(Forward.id == forward_id).scalar()
        departments = [(dept, None)]
    if status in QUIET:
        return  # an answer the webhooks have no event for
    listening = webhooks.listening(d for d, _name in departments)
    if not listening:
        return
    forward = as_json(get(forward_id, now=clock.from_db(at)))
    names = dict(departments)
    sent = {} if status != "sent_on" else {"from_department": names[columns["from_department"]],
                                            "to_department": names[columns["to_department"]]}
    for dept, name in departments:
        if dept in listening:
            body = webhooks.payload(webhooks.event_name(status), event.id, at, by, name or forward["department"],
                                    forward, note, **sent)
            webhooks.queue(dept, body, forward_id, at)


# Forward events no webhook carries: the customer's "was it fixed?" answers
# (callers/loop.py); a "no" is carried, as `reopened`.
QUIET = ("fixed", "partly_fixed")


def _seconds(seconds) -> int | None:
    """Whole seconds on screen, or None (not measured)."""
    if seconds is None:
        return None
    try:
        value = int(round(float(seconds)))
    except (TypeError, ValueError):
        raise CallersError(f"seconds on screen must be a number, not {seconds!r}") from None
    if value < 0:
        raise CallersError(f"seconds on screen cannot be negative ({value})")
    return value


_AT, _BY = object(), object()
STATUS_VERBS = {
    "acknowledged": "acknowledged",
    "done": "marked done",
    "returned": "returned as not ours",
    "withdrawn": "withdrawn",
}


def withdraw(forward_id: int, by: str, now=None) -> None:
    """Take back a forward filed by mistake (only while it is still open)."""
    _change(forward_id, by, "withdrawn", ("open",), now,
            resolved_at=_AT, resolved_by=_BY, resolution="withdrawn")


def acknowledge(forward_id: int, by: str, now=None) -> None:
    """The department has seen it: open → acknowledged."""
    _change(forward_id, by, "acknowledged", ("open",), now, acknowledged_at=_AT, acknowledged_by=_BY)


def done(forward_id: int, by: str, note: str, now=None) -> None:
    """Solved, with a one-line resolution note the next caller can read out."""
    note = _clean(note)
    if note is None:
        raise CallersError("marking a forward done needs a one-line resolution note")
    _change(forward_id, by, "done", PENDING, now, note=note,
            resolved_at=_AT, resolved_by=_BY, resolution=note)


def return_(forward_id: int, by: str, reason: str, now=None) -> None:
    """Not ours: back to the supervisor, with the reason."""
    reason = _clean(reason)
    if reason is None:
        raise CallersError("returning a forward as not ours needs a reason")
    _change(forward_id, by, "returned", PENDING, now, note=reason,
            resolved_at=_AT, resolved_by=_BY, resolution=reason)


@dataclass(frozen=True)
class SentOn:
    id: int
    from_department: str
    department: str
    assignee: str | None
    message: str  # "Sent on to Support", "Sent on to Lee Park, account manager"


def send_on(forward_id: int, department: str, by: str, note: str | None = None, now=None) -> SentOn:
    """The supervisor sends a returned ("not ours") forward to another
    department, where it is open again (account-management departments
    assign it to the customer's account manager). The forward keeps its
    caller's note; the `sent_on` event keeps where it came from and went,
    beside the `returned` event with the reason."""
    by = (by or "").strip()
    if not by:
        raise CallersError("say who is doing this (--as NAME)")
    at = _when(now)
    note = _clean(note)
    with connection(), write_transaction():
        target = department_row(department)
        lock_key("forward", forward_id)  # one send-on of a forward at a time
        row = (Forward.select(Forward.id, Forward.status, Forward.department, Forward.customer)
               .where(Forward.id == forward_id)).first()
        if row is None:
            raise CallersError(f"no forward {forward_id}")
        if row.status != "returned":
            raise CallersError(f"forward {forward_id} is {STATUS_LABELS.get(row.status, row.status)}; "
                               "only forwards returned as not ours can be sent on")
        source = Department.get_by_id(row.department_id)
        if source.id == target.id:
            raise CallersError(f"forward {forward_id} came back from {source.name}: send it to another department")
        assignee = None
        if target.kind == ACCOUNT_MANAGER:
            manager = Customer.select(Customer.account_manager).where(Customer.id == row.customer_id).scalar()
            assignee = (manager or "").strip() or None
        (Forward.update(department=target.id, status="open", assignee=assignee, acknowledged_at=None,
                        acknowledged_by=None, resolved_at=None, resolved_by=None, resolution=None)
         .where(Forward.id == forward_id).execute())
        _record(forward_id, "sent_on", at, by, note, departments=[(source.id, source.name), (target.id, target.name)],
                from_department=source.id, to_department=target.id)
    return SentOn(forward_id, source.name, target.name, assignee,
                  confirmation(target.name, target.kind, assignee, verb="Sent on"))


@dataclass(frozen=True)
class Event:
    status: str  # open, acknowledged, done, returned, withdrawn, sent_on, reopened, fixed, partly_fixed
    at: datetime
    by: str
    note: str | None
    from_department: str | None  # sent_on: where it left...
    to_department: str | None  # ...and where it went


def trail(forward_id: int) -> list[Event]:
    """Every change of a forward, oldest first, with the departments a
    `sent_on` moved it between."""
    with connection():
        names = {d.id: d.name for d in Department.select(Department.id, Department.name)}
        rows = (ForwardEvent.select().where(ForwardEvent.forward == forward_id)
                .order_by(ForwardEvent.at, ForwardEvent.id))
        return [Event(e.status, clock.from_db(e.at), e.by, e.note, names.get(e.from_department_id),
                      names.get(e.to_department_id)) for e in rows]


def events(forward_id: int) -> list[tuple[str, datetime, str, str | None]]:
    """(status, at, by, note) of every change, oldest first (`trail` says more)."""
    return [(e.status, e.at, e.by, e.note) for e in trail(forward_id)]


# ---- reading -------------------------------------------------------------------


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def as_json(item: QueueItem) -> dict:
    """A forward as `callers forwards --format json` prints it, and as the
    `forward` object of every webhook POST."""
    return {
        "id": item.id,
        "customer": item.customer,
        "customer_id": item.customer_id,
        "external_id": item.external_id,
        "contact": item.contact,
        "phone": item.phone or None,
        "department": item.department,
        "assignee": item.assignee,
        "note": item.note,
        "status": item.status,
        "caller": item.caller,
        "created_at": _iso(item.created_at),
        "acknowledged_at": _iso(item.acknowledged_at),
        "acknowledged_by": item.acknowledged_by,
        "resolved_at": _iso(item.resolved_at),
        "resolved_by": item.resolved_by,
        "resolution": item.resolution,
        "reopened": item.reopened,
    }



def _item(row: Forward, at: datetime) -> QueueItem:
    contact = row.contact if row.contact_id else None
    created = clock.from_db(row.created_at)
    return QueueItem(
        id=row.id,
        created_at=created,
        age=max(timedelta(0), at - created),
        customer_id=row.customer_id,
        customer=row.customer.name,
        external_id=row.customer.external_id,
        contact=contact.name if contact else None,
        phone=phones.international(contact.phone, contact.extension) if contact else "",
        note=row.note,
        caller=row.caller,
        department=row.department.name,
        assignee=row.assignee,
        status=row.status,
        acknowledged_at=clock.from_db(row.acknowledged_at),
        acknowledged_by=row.acknowledged_by,
        resolved_at=clock.from_db(row.resolved_at),
        resolved_by=row.resolved_by,
        resolution=row.resolution,
        reopened=row.reopened or 0,
    )


def _select():
    return (Forward.select(Forward, Customer.id, Customer.name, Customer.external_id,
                           Contact.id, Contact.name, Contact.phone, Contact.extension,
                           Department.id, Department.name, Department.kind)
            .join_from(Forward, Customer)
            .join_from(Forward, Department)
            .join_from(Forward, Contact, JOIN.LEFT_OUTER))


def _text_filter(query, text: str | None):
    for word in (text or "").split():
        query = query.where(Customer.name.contains(word) | Forward.note.contains(word)
                            | Contact.name.contains(word) | Customer.external_id.contains(word)
                            | Forward.caller.contains(word) | Forward.assignee.contains(word))
    return query


def queue(department: str | None, assignee: str | None = None, include_done: bool = False,
          text: str | None = None, now=None, limit: int | None = 1000) -> list[QueueItem]:
    """A department's forwards: pending ones oldest first, then (with
    include_done) finished ones, most recently resolved first. `text` keeps
    those whose customer, note, contact (or caller, assignee, external id)
    contain every word, in any case. Withdrawn forwards never show."""
    at = now if now is not None else clock.now()
    with connection():
        query = _select()
        if department:
            query = query.where(Forward.department == department_row(department).id)
        if assignee:
            query = query.where(fn.LOWER(Forward.assignee) == assignee.strip().lower())
        query = _text_filter(query, text)
        pending = query.where(Forward.status.in_(PENDING)).order_by(Forward.created_at, Forward.id)
        items = [_item(r, at) for r in (pending.limit(limit) if limit else pending)]
        if include_done:
            finished = (query.where(Forward.status.in_(FINISHED))
                        .order_by(Forward.resolved_at.desc(), Forward.id.desc()))
            rest = None if limit is None else max(0, limit - len(items))
            if rest is None or rest > 0:
                items += [_item(r, at) for r in (finished.limit(rest) if rest else finished)]
        return items


def listing(department: str | None = None, status: str | None = None, now=None) -> list[QueueItem]:
    """Every forward (for the CLI), oldest first; optionally one department
    and/or one status (open, acknowledged, done, returned, withdrawn, or
    'pending' for open and acknowledged)."""
    at = now if now is not None else clock.now()
    if status is not None:
        status = status.strip().lower()
        if status == "not ours":
            status = "returned"
        if status not in STATUS_LABELS and status != "pending":
            raise CallersError(
                f"unknown status {status!r}; statuses are {', '.join(STATUS_LABELS)} (or pending)"
            )
    with connection():
        query = _select()
        if department:
            query = query.where(Forward.department == department_row(department).id)
        if status == "pending":
            query = query.where(Forward.status.in_(PENDING))
        elif status:
            query = query.where(Forward.status == status)
        return [_item(r, at) for r in query.order_by(Forward.created_at, Forward.id)]


def get(forward_id: int, now=None) -> QueueItem:
    at = now if now is not None else clock.now()
    with connection():
        row = _select().where(Forward.id == forward_id).first()
        if row is None:
            raise CallersError(f"no forward {forward_id}")
        return _item(row, at)


def age_text(age: timedelta) -> str:
    """'5m', '3h', '2d': short enough for a table column."""
    minutes = int(age.total_seconds() // 60)
    if minutes < 60:
        return f"{minutes}m"
    if minutes < 48 * 60:
        return f"{minutes // 60}h"
    return f"{minutes // (24 * 60)}d"


def assignees(department: str) -> list[str]:
    """The people a department's forwards are assigned to (account managers), A to Z."""
    with connection():
        dept = department_row(department)
        rows = (Forward.select(Forward.assignee).distinct()
                .where(Forward.department == dept.id, Forward.assignee.is_null(False))
                .tuples())
        return sorted({r[0] for r in rows}, key=str.casefold)
