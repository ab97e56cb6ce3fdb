"""A call, from "customer shown" to "outcome given": plain values in and out.

The desk session (callers/desk) calls these in its database thread; `callers next`
and the tests call them directly. Every answer is written the moment it is
given (`record_answer`), so a killed terminal loses nothing: `restore()` gives
the caller back the unfinished call with every answer so far. The script's
steps (which comes first, what was not asked) are in `callers.script`,
re-exported here.

Longer than 500 lines because it is one call's life in one place (read the
profile, open/restore/start, record each answer, end with an outcome and
schedule the next call), and those share private helpers (`_open`, `_hold`,
`_customer`); recording answers (`record_answer` and its `_record_*`) is the
next piece to move out if it grows.

CONTRACT (agreed between the desk domain and the desk screen):
the dataclasses below are the shapes the screen renders; the functions'
names, parameters and return types are fixed. Times are aware UTC.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import NamedTuple

from peewee import fn

from callers import clock, due, hours, phones, queue, settings
from callers.due import DueCustomer
from callers.errors import CallersError
from callers.script import (  # the script's steps: re-exported, `calls.first_step` etc. keep working
    STEP_WORDS,
    STEPS,
    first_step,
    holds_facts,
    not_asked_text,
    unasked_of,
    step_confirmed_at,
    steps_asked,
    unasked_steps,
)
from models.db import connection, raw, write_transaction
from models.vocabulary import FORWARD_OPEN, FORWARD_RESOLVED
from models.tables import (
    DUE_CALLBACK,
    IMPLEMENTATION_STATES,
    OUTCOMES,
    REFERENCE_ANSWERS,
    REFERENCE_KINDS,
    ROLES,
    Call,
    CallAnswer,
    Contact,
    Customer,
    CustomerFeature,
    Department,
    Feature,
    Forward,
)


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


# The facts (ContactFact, FeatureFact, ForwardFact, LastCall), the Profile,
# Answer and Scheduled are NamedTuples (immutable records, read by attribute;
# `profile._replace(...)` for a changed copy): a frozen dataclass costs about
# half a millisecond to make, at every start.


class ContactFact(NamedTuple):
    id: int
    name: str
    role: str  # buyer / user / other
    title: str | None
    phone: str | None  # E.164
    extension: str | None
    email: str | None
    active: bool
    confirmed_at: datetime | None


class FeatureFact(NamedTuple):
    id: int
    name: str
    in_production: bool
    confirmed_at: datetime | None


class ForwardFact(NamedTuple):
    id: int
    department: str
    status: str  # open / acknowledged / done / returned / withdrawn
    note: str | None
    created_at: datetime
    resolved_at: datetime | None
    resolution: str | None
    assignee: str | None


class LastCall(NamedTuple):
    at: datetime
    caller: str
    outcome: str | None


class Profile(NamedTuple):
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


class Answer(NamedTuple):
    step: str  # one of STEPS, or "comment"
    key: str
    value: str | None
    answered_at: datetime
    seq: int | None = None  # its place in the call (None: saved before answers were numbered)


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


class Scheduled(NamedTuple):
    """What an outcome decided."""

    outcome: str
    next_due_at: datetime | None  # None: not due again (do not call, needs a number...)
    message: str  # e.g. "Due again on 21 Feb", "Call back Fri 14:30 their time (13:30 yours)"
    unasked: tuple[str, ...] = ()  # completed: the steps nobody answered in the call (STEPS order)


# ---- the script: asked, not asked, still true ------------------------------------
#
# A step is *asked* in a call when an answer in it was recorded: a change, a
# tick, or Enter on facts already stored ("still true"). Enter on a step that
# holds no stored facts is no answer: it records nothing and the step stays
# *not asked* (its facts stay unknown, its confirmation time stale or never).

# ---- reading ---------------------------------------------------------------------

OPEN_FORWARD = FORWARD_OPEN
RESOLVED_FORWARD = FORWARD_RESOLVED
CONTACT_FIELDS = ("name", "title", "role", "phone", "email")


def _now(now: datetime | None) -> datetime:
    return (now or clock.now()).astimezone(timezone.utc)


def _contact_fact(c: Contact) -> ContactFact:
    return ContactFact(c.id, c.name, c.role, c.title, c.phone, c.extension, c.email,
                       bool(c.active), clock.from_db(c.confirmed_at))


def _forward_fact(f: Forward) -> ForwardFact:
    return ForwardFact(f.id, f.department_name, f.status, f.note, clock.from_db(f.created_at),
                       clock.from_db(f.resolved_at), f.resolution, f.assignee)


# The desk reads a customer after every outcome: its queries are compiled once
# (models.db.raw), so a profile costs what the database takes, not what peewee
# takes to write the SQL.

def _last_call(customer_id: int, exclude_call: int | None) -> Call | None:
    def shape(exclude: bool):
        query = (Call.select().where(Call.customer == 0, Call.ended_at.is_null(False), Call.outcome.is_null(False))
                 .order_by(Call.ended_at.desc(), Call.id.desc()).limit(1))
        return query.where(Call.id != 0) if exclude else query

    if exclude_call is None:
        rows = raw(Call, "profile-last-call", lambda: shape(False), customer_id, 1)
    else:
        rows = raw(Call, "profile-last-call-but", lambda: shape(True), customer_id, exclude_call, 1)
    return next(iter(rows), None)


def _profile(customer: Customer, now: datetime, exclude_call: int | None = None,
             values: dict | None = None) -> Profile:
    contacts = sorted(raw(Contact, "profile-contacts", lambda: Contact.select().where(Contact.customer == 0),
                          customer.id),
                      key=lambda c: (not c.active, queue.ROLE_ORDER.get(c.role, 3), c.id))
    ticks = {cf.feature_id: cf for cf in
             raw(CustomerFeature, "profile-ticks",
                 lambda: CustomerFeature.select().where(CustomerFeature.customer == 0), customer.id)}
    features = tuple(
        FeatureFact(f.id, f.name, bool(ticks[f.id].in_production) if f.id in ticks else False,
                    clock.from_db(ticks[f.id].confirmed_at) if f.id in ticks else None)
        for f in raw(Feature, "profile-features",
                     lambda: Feature.select().where(Feature.active == True)  # noqa: E712
                     .order_by(Feature.position, Feature.name), True))
    last = _last_call(customer.id, exclude_call)
    open_fw, resolved = _forward_facts(customer, now, values)
    return Profile(
        customer=due.as_due(customer),
        contacts=tuple(_contact_fact(c) for c in contacts),
        contacts_confirmed_at=clock.from_db(customer.contacts_confirmed_at),
        referenceability={kind: getattr(customer, f"ref_{kind}") for kind in REFERENCE_KINDS},
        ref_condition=customer.ref_condition,
        referenceability_confirmed_at=clock.from_db(customer.referenceability_confirmed_at),
        implementation_state=customer.implementation_state,
        implementation_confirmed_at=clock.from_db(customer.implementation_confirmed_at),
        features=features,
        features_confirmed_at=clock.from_db(customer.features_confirmed_at),
        last_call=LastCall(clock.from_db(last.ended_at), last.caller, last.outcome) if last else None,
        open_forwards=open_fw,
        resolved_forwards=resolved,
    )


def _customer(customer_id: int) -> Customer:
    customer = due._by_id(Customer, customer_id)
    if customer is None:
        raise CallersError(f"there is no customer with id {customer_id}")
    return customer


def _forward_facts(customer: Customer, now: datetime,
                   values: dict | None = None) -> tuple[tuple[ForwardFact, ...], tuple[ForwardFact, ...]]:
    """The customer's open forwards, and those resolved since the last
    completed call (else within the cycle), newest first."""
    forwards = list(raw(Forward, "profile-forwards",
                        lambda: Forward.select(Forward, Department.name.alias("department_name")).join(Department)
                        .where(Forward.customer == 0).order_by(Forward.created_at.desc(), Forward.id.desc()),
                        customer.id))
    since = customer.last_reached_at
    if since is None:
        cycle = int(values["cycle_days"] if values else settings.get("cycle_days"))
        since = clock.to_db(now - timedelta(days=cycle))
    open_fw = tuple(_forward_fact(f) for f in forwards if f.status in OPEN_FORWARD)
    resolved = tuple(_forward_fact(f) for f in forwards
                     if f.status in RESOLVED_FORWARD and f.resolved_at is not None and f.resolved_at >= since)
    return open_fw, resolved


def forward_facts(customer_id: int, now: datetime | None = None) -> tuple[tuple[ForwardFact, ...], tuple[ForwardFact, ...]]:
    """(open, resolved) forwards as `profile()` gives them: the desk polls this
    during a call so a department's answer shows while the customer is on."""
    now = _now(now)
    with connection():
        return _forward_facts(_customer(customer_id), now)


def profile(customer_id: int, now: datetime | None = None) -> Profile:
    """Everything the desk shows about a customer, each fact with its age."""
    with connection():
        return _profile(_customer(customer_id), _now(now))


def _answers(call_id: int) -> list[Answer]:
    return [Answer(a.step, a.key, a.value, clock.from_db(a.answered_at), a.seq)
            for a in raw(CallAnswer, "call-answers",
                         lambda: CallAnswer.select().where(CallAnswer.call == 0).order_by(CallAnswer.id), call_id)]


def _state(call: Call, now: datetime, customer: Customer | None = None, new: bool = False,
           values: dict | None = None) -> CallState:
    """`customer`: the call's customer as just read (else read now); `new`: the
    call was made a moment ago (no answers to read)."""
    return CallState(
        call_id=call.id,
        caller=call.caller,
        profile=_profile(customer or call.customer, now, exclude_call=call.id, values=values),
        shown_at=clock.from_db(call.shown_at),
        started_at=clock.from_db(call.started_at),
        answers=[] if new else _answers(call.id),
        note=call.note,
    )


def _hold(customer_id: int, caller: str, now: datetime, values: dict | None = None) -> datetime:
    """Keep (or take back) the caller's lease on the customer while a call runs,
    unless another caller holds a live one. Returns the lease's end."""
    minutes = float(values["claim_minutes"] if values else settings.get("claim_minutes"))
    until = clock.to_db(now + timedelta(minutes=minutes))
    due.hold(customer_id, caller, until, clock.to_db(now))
    return until


def _open(call_id: int) -> Call:
    call = Call.get_or_none(Call.id == call_id)
    if call is None:
        raise CallersError(f"there is no call with id {call_id}")
    if call.ended_at is not None:
        raise CallersError("this call has already ended")
    return call


# ---- the call ----------------------------------------------------------------------


def open_call(caller: str, customer_id: int, now: datetime | None = None) -> CallState:
    """Show a customer to a caller: the Call row exists from this moment on
    (outcome NULL), so a crash loses nothing. Reopening the same customer gives
    back the same unfinished call."""
    now = _now(now)
    now_db = clock.to_db(now)
    with connection():
        values = settings.get_all()
        with write_transaction():
            customer = _customer(customer_id)
            holder = customer.claim_holder
            if (holder and holder != caller and customer.claim_expires_at is not None
                    and customer.claim_expires_at > now_db):
                raise CallersError(f"{customer.name} is being called by {holder}")
            unfinished = (Call.ended_at.is_null(), Call.outcome.is_null())
            call = next(iter(raw(Call, "open-call-again",
                                 lambda: Call.select().where(Call.caller == "", Call.customer == 0, *unfinished)
                                 .order_by(Call.id.desc()).limit(1), caller, customer_id, 1)), None)
            # One call at a time per caller: any other unfinished call is let go.
            others = list(raw(Call, "open-call-others",
                              lambda: Call.select(Call.id, Call.customer)
                              .where(Call.caller == "", *unfinished, Call.customer != 0), caller, customer_id))
            for other in others:
                Call.update(ended_at=now_db, skip_reason="left unfinished").where(Call.id == other.id).execute()
                (Customer.update(claim_holder=None, claim_expires_at=None)
                 .where(Customer.id == other.customer_id, Customer.claim_holder == caller).execute())
            new = call is None
            if new:
                call = Call.create(customer=customer_id, contact=customer.call_contact, caller=caller,
                                   shown_at=now_db, zone=customer.call_tz, country=customer.country)
            # No other caller holds a live lease (checked above): the lease is this caller's.
            customer.claim_holder, customer.claim_expires_at = caller, _hold(customer.id, caller, now, values)
        return _state(call, now, customer=customer, new=new, values=values)


def restore(caller: str, now: datetime | None = None) -> CallState | None:
    """The caller's unfinished call (after a crash or a closed terminal), with
    every answer given so far, or None."""
    now = _now(now)
    with connection():
        call = (Call.select().where(Call.caller == caller, Call.outcome.is_null(),
                                    Call.ended_at.is_null())
                .order_by(Call.shown_at.desc(), Call.id.desc()).first())
        if call is None:
            return None
        with write_transaction():
            customer = _customer(call.customer_id)
            holder = customer.claim_holder
            if (holder and holder != caller and customer.claim_expires_at is not None
                    and customer.claim_expires_at > clock.to_db(now)):
                # The lease ran out while this caller was away and another
                # caller has the customer now: never two callers on one
                # customer. The answers given are already in the profile.
                (Call.update(ended_at=clock.to_db(now), skip_reason=f"taken over by {holder}")
                 .where(Call.id == call.id).execute())
                return None
            customer.claim_holder, customer.claim_expires_at = caller, _hold(customer.id, caller, now)
        return _state(call, now, customer=customer)


def start_call(call_id: int, now: datetime | None = None) -> datetime:
    """Someone answered: the timer starts now (once; later calls return the first start)."""
    now = _now(now)
    with connection(), write_transaction():
        call = _open(call_id)
        if call.started_at is None:
            call.started_at = clock.to_db(now)
            Call.update(started_at=call.started_at).where(Call.id == call_id,
                                                           Call.started_at.is_null()).execute()
        _hold(call.customer_id, call.caller, now)
        return clock.from_db(Call.get_by_id(call_id).started_at)


def _phone(value: str | None, customer: Customer) -> phones.Phone:
    try:
        number = phones.parse(value, customer.country)
    except phones.PhoneError as exc:
        raise CallersError(str(exc)) from None
    # Every zone of a number must be inside calling hours at once. A number
    # whose zones are further apart than the calling window (a Russian mobile:
    # UTC+2 to UTC+12) could never be called: say so now, not never.
    rules = hours.Hours.from_settings(settings.get_all())
    window = (rules.end.hour * 60 + rules.end.minute - rules.start.hour * 60 - rules.start.minute) / 60
    spread = phones.spread_hours(number.zones, clock.now())
    if spread >= window:
        raise CallersError(
            f"phone {value!r} spans {len(number.zones)} time zones {spread:.0f} hours apart, "
            "so it is never inside calling hours everywhere; ask for a direct number")
    return number


def _contact_of(customer: Customer, contact_id: str) -> Contact:
    try:
        cid = int(contact_id)
    except ValueError:
        raise CallersError(f"no contact {contact_id!r}") from None
    contact = Contact.get_or_none(Contact.id == cid, Contact.customer == customer.id)
    if contact is None:
        raise CallersError(f"contact {cid} does not belong to {customer.name}")
    return contact


def _contacts_changed(customer: Customer) -> None:
    queue.refresh_contact(customer.id)
    due.forget_zone_keys()


def _record_contacts(customer: Customer, key: str, value: str | None, now_db: datetime) -> bool:
    if key == "confirm":
        active = Contact.select().where(Contact.customer == customer.id, Contact.active == True)  # noqa: E712
        if customer.contacts_confirmed_at is None and not active.exists():
            return False  # nobody on file: nothing to confirm
        (Contact.update(confirmed_at=now_db)
         .where(Contact.customer == customer.id, Contact.active == True).execute())  # noqa: E712
        Customer.update(contacts_confirmed_at=now_db, updated_at=now_db).where(
            Customer.id == customer.id).execute()
        return True
    if key == "add":
        try:
            data = json.loads(value or "{}")
        except json.JSONDecodeError:
            raise CallersError("a new contact must be given as JSON") from None
        if not isinstance(data, dict):
            raise CallersError("a new contact must be given as a JSON object")
        name = (data.get("name") or "").strip()
        if not name:
            raise CallersError("a new contact needs a name")
        role = (data.get("role") or "user").strip().lower()
        if role not in ROLES:
            raise CallersError(f"role must be one of {', '.join(ROLES)}, not {role!r}")
        fields = dict(customer=customer.id, name=name, role=role,
                      title=(data.get("title") or "").strip() or None,
                      email=(data.get("email") or "").strip() or None,
                      confirmed_at=now_db, created_at=now_db, updated_at=now_db)
        if (data.get("phone") or "").strip():
            number = _phone(data["phone"], customer)
            fields.update(phone=number.e164, extension=number.extension, timezone=number.timezone or None)
        Contact.create(**fields)
        _contacts_changed(customer)
        return True
    parts = key.split(":")
    if len(parts) != 3 or parts[0] != "contact":
        raise CallersError(f"unknown contacts answer {key!r}")
    contact = _contact_of(customer, parts[1])
    what = parts[2]
    if what == "gone":
        contact.active = False
    elif what == "name":
        if not (value or "").strip():
            raise CallersError("a contact needs a name")
        contact.name = value.strip()
    elif what == "title":
        contact.title = (value or "").strip() or None
    elif what == "email":
        contact.email = (value or "").strip() or None
    elif what == "role":
        role = (value or "").strip().lower()
        if role not in ROLES:
            raise CallersError(f"role must be one of {', '.join(ROLES)}, not {value!r}")
        contact.role = role
    elif what == "phone":
        number = _phone(value, customer)
        contact.phone, contact.extension = number.e164, number.extension
        contact.timezone = number.timezone or None
        contact.unreachable = False
    else:
        raise CallersError(f"unknown contact field {what!r}; use one of gone, {', '.join(CONTACT_FIELDS)}")
    contact.confirmed_at = now_db
    contact.updated_at = now_db
    contact.save()
    if what in ("gone", "role", "phone"):
        _contacts_changed(customer)
    return True


def _record_referenceability(customer: Customer, key: str, value: str | None, now_db: datetime) -> bool:
    update: dict = {Customer.referenceability_confirmed_at: now_db, Customer.updated_at: now_db}
    if key == "confirm":
        stored = [getattr(customer, f"ref_{kind}") for kind in REFERENCE_KINDS] + [customer.ref_condition]
        if not any(stored):
            return False  # never answered: nothing to confirm, the kinds stay unknown
    elif key == "condition":
        update[Customer.ref_condition] = (value or "").strip() or None
    elif key in REFERENCE_KINDS or key == "all":
        if value not in REFERENCE_ANSWERS:
            raise CallersError(f"{key} must be one of {', '.join(REFERENCE_ANSWERS)}, not {value!r}")
        for kind in (REFERENCE_KINDS if key == "all" else (key,)):
            update[getattr(Customer, f"ref_{kind}")] = value
    else:
        raise CallersError(f"unknown referenceability answer {key!r}; use confirm, condition, all "
                           f"or one of {', '.join(REFERENCE_KINDS)}")
    Customer.update(update).where(Customer.id == customer.id).execute()
    return True


def _record_implementation(customer: Customer, key: str, value: str | None, now_db: datetime) -> bool:
    update: dict = {Customer.implementation_confirmed_at: now_db, Customer.updated_at: now_db}
    if key == "state":
        if value not in IMPLEMENTATION_STATES:
            raise CallersError(f"implementation state must be one of {', '.join(IMPLEMENTATION_STATES)}, "
                               f"not {value!r}")
        if value != customer.implementation_state:
            update[Customer.implementation_state] = value
            update[Customer.implementation_changed_at] = now_db
    elif key != "confirm":
        raise CallersError(f"unknown implementation answer {key!r}; use confirm or state")
    elif customer.implementation_state is None:
        return False  # never answered: "not started" is an answer, unknown is not
    Customer.update(update).where(Customer.id == customer.id).execute()
    return True


def _record_features(customer: Customer, key: str, value: str | None, now_db: datetime) -> bool:
    mine = CustomerFeature.customer == customer.id
    if key == "confirm":
        if customer.features_confirmed_at is None and not CustomerFeature.select().where(mine).exists():
            return False  # never answered: nothing to confirm
        CustomerFeature.update(confirmed_at=now_db).where(mine).execute()
    elif key == "none":
        # "None of them is in production": an answer for the whole list.
        CustomerFeature.update(in_production=False, confirmed_at=now_db).where(mine).execute()
    elif key.startswith("feature:"):
        try:
            feature_id = int(key.split(":", 1)[1])
        except ValueError:
            raise CallersError(f"unknown feature in {key!r}") from None
        if Feature.get_or_none(Feature.id == feature_id) is None:
            raise CallersError(f"there is no feature with id {feature_id}")
        if value not in ("1", "0"):
            raise CallersError(f"a feature is ticked with 1 or 0, not {value!r}")
        on = value == "1"
        (CustomerFeature.insert(customer=customer.id, feature=feature_id, in_production=on, confirmed_at=now_db)
         .on_conflict(conflict_target=[CustomerFeature.customer, CustomerFeature.feature],
                      update={CustomerFeature.in_production: on, CustomerFeature.confirmed_at: now_db})
         .execute())
    else:
        raise CallersError(f"unknown features answer {key!r}; use confirm, none or feature:<id>")
    Customer.update(features_confirmed_at=now_db, updated_at=now_db).where(Customer.id == customer.id).execute()
    return True


_RECORDERS = {
    "contacts": _record_contacts,
    "referenceability": _record_referenceability,
    "implementation": _record_implementation,
    "features": _record_features,
}


def _still_mine(customer: Customer, caller: str, now_db: datetime) -> None:
    """Refuse an answer for a customer another caller holds now (this caller's
    lease ran out and they took it over): their call is the one that counts,
    and on PostgreSQL the database would silently write nothing."""
    holder = customer.claim_holder
    if (holder and holder != caller and customer.claim_expires_at is not None
            and customer.claim_expires_at > now_db):
        raise CallersError(f"{customer.name} is being called by {holder} now: this answer was not saved")


def record_answer(call_id: int, step: str, key: str, value: str | None, now: datetime | None = None,
                  seq: int | None = None, seconds: int | float | None = None) -> Answer | None:
    """Save one answer at once: to the call's journal (CallAnswer) and to the
    customer's profile, stamped with its confirmation time.

    `seq`: the answer's place in the call, as the desk numbers them (1, 2,
    ...). An answer whose number is already saved with the same step, key and
    value is a replay (the desk's journal after a dropped connection) and is
    saved once; any other answer is saved, in the order given, however many
    come at the same moment. Without `seq` the answer takes the next number.

    A "confirm" of a step that holds no stored facts is no answer: nothing is
    recorded and None is returned (see `holds_facts`).

    `seconds`: how long the answer's step was on screen, since the step came
    up or since the call's previous answer, whichever was later (None: not
    measured); the report's step times sum them per step and call."""
    from callers.forwards import _seconds

    seconds = _seconds(seconds)
    now = _now(now)
    now_db = clock.to_db(now)
    with connection(), write_transaction():
        if seq is not None:
            prior = CallAnswer.get_or_none(CallAnswer.call == call_id, CallAnswer.seq == seq)
            if prior is not None:
                if (prior.step, prior.key, prior.value) == (step, key, value):
                    return Answer(step, key, value, clock.from_db(prior.answered_at), seq)
                seq = None  # the number was taken meanwhile (another desk on this call): the next one
        call = _open(call_id)
        customer = _customer(call.customer_id)
        _still_mine(customer, call.caller, now_db)
        if step == "comment":
            if key != "note":
                raise CallersError(f"unknown comment answer {key!r}; use note")
            value = (value or "").strip() or None
            Call.update(note=value).where(Call.id == call_id).execute()
        elif step in _RECORDERS:
            if not _RECORDERS[step](customer, key, value, now_db):
                _hold(customer.id, call.caller, now)
                return None
        else:
            raise CallersError(f"unknown script step {step!r}; use one of {', '.join(STEPS)} or comment")
        if seq is None:
            last = CallAnswer.select(fn.MAX(CallAnswer.seq)).where(CallAnswer.call == call_id).scalar()
            seq = (last or 0) + 1
        CallAnswer.create(call=call_id, step=step, key=key, value=value, answered_at=now_db, seq=seq,
                          seconds=seconds)
        _hold(customer.id, call.caller, now)
    return Answer(step, key, value, clock.from_db(now_db), seq)


# ---- outcomes ----------------------------------------------------------------------


def _when(at: datetime, key: str | None) -> str:
    from callers import timeparse  # (here and in end_call: the desk starts without it)

    return timeparse.describe_both(at, key, None)


def outcome_schedule(customer: Customer, outcome: str, callback_at: datetime | None, now: datetime,
                     values: dict) -> tuple[dict, datetime | None, str]:
    """What an outcome does to the customer's place in the queue:
    (column updates, next due time or None, message)."""
    rules = hours.Hours.from_settings(values)
    key = customer.call_tz
    rank = due.base_rank(customer)
    attempts = customer.attempts or 0
    cycle_start = customer.cycle_started_at or clock.to_db(now)
    update: dict = {Customer.callback_at: None, Customer.last_call_at: clock.to_db(now),
                    Customer.cycle_started_at: cycle_start}
    retry = None
    if outcome == "completed":
        at = now + timedelta(days=int(values["cycle_days"]))
        update.update({Customer.attempts: 0, Customer.last_reached_at: clock.to_db(now),
                       Customer.cycle_started_at: clock.to_db(now), Customer.due_rank: due.DUE_OVERDUE,
                       Customer.unreachable: False})
        return update, at, f"Completed: due again on {at:%a} {at.day} {at:%b %Y}"
    if outcome == "callback":
        if callback_at is None:
            raise CallersError("a call back needs a time, e.g. 'tomorrow 10:00'")
        if callback_at <= now:
            raise CallersError("the call-back time has already passed")
        update.update({Customer.due_rank: DUE_CALLBACK, Customer.callback_at: clock.to_db(callback_at)})
        message = f"Call back {_when(callback_at, key)}"
        if not hours.inside(key, callback_at, rules):
            opens = hours.next_open(key, callback_at, rules)
            message += (f" (outside calling hours: shown from {_when(opens, key)})" if opens
                        else " (outside calling hours)")
        return update, callback_at, message
    if outcome == "do_not_call":
        update.update({Customer.do_not_call: True})
        return update, None, "Do not call: never due again"
    if outcome == "wrong_number":
        # The contact itself is marked by end_call; the customer is due again
        # now with its next callable contact, if any.
        update.update({Customer.due_rank: rank})
        return update, now, "Wrong number"
    if outcome == "no_answer":
        retry = hours.roll_into_window(key, now + timedelta(minutes=float(values["retry_no_answer_minutes"])),
                                       rules)
        label = "No answer"
    elif outcome == "voicemail":
        retry = hours.next_working_day(key, now, rules)
        label = "Voicemail"
    elif outcome == "busy":
        retry = hours.roll_into_window(key, now + timedelta(minutes=float(values["retry_busy_minutes"])), rules)
        label = "Busy"
    else:
        raise CallersError(f"unknown outcome {outcome!r}; use one of {', '.join(OUTCOMES)}")
    attempts += 1
    update.update({Customer.attempts: attempts, Customer.due_rank: rank})
    if attempts >= int(values["max_attempts"]):
        back = clock.from_db(cycle_start) + timedelta(days=int(values["cycle_days"]))
        back = max(back, now)
        update.update({Customer.unreachable: True, Customer.due_rank: due.DUE_PARKED})
        return update, back, (f"{label}: unreachable this cycle ({attempts} attempts); "
                              f"back on {back:%a} {back.day} {back:%b %Y}")
    return update, retry, f"{label}: try again {_when(retry, key)}"


def end_call(call_id: int, outcome: str, callback_at: datetime | str | None = None, note: str | None = None,
             now: datetime | None = None) -> Scheduled:
    """Finish the call with an outcome; the customer's next due time follows
    from it, and the caller's claim is released."""
    now = _now(now)
    now_db = clock.to_db(now)
    if outcome not in OUTCOMES:
        raise CallersError(f"unknown outcome {outcome!r}; use one of {', '.join(OUTCOMES)}")
    values = settings.get_all()
    with connection(), write_transaction():
        replay = Call.get_or_none(Call.id == call_id)
        if replay is not None and replay.ended_at == now_db and replay.outcome == outcome:
            # The same outcome at the same moment, replayed after a dropped
            # connection: it is already saved.
            saved = _customer(replay.customer_id)
            return Scheduled(outcome, clock.from_db(saved.next_due_at), f"{OUTCOME_LABELS[outcome]}: saved")
        call = _open(call_id)
        customer = _customer(call.customer_id)
        if isinstance(callback_at, str):
            from callers import timeparse

            callback_at = timeparse.parse_callback(callback_at, customer.call_tz, now)
        if callback_at is not None:
            callback_at = callback_at.astimezone(timezone.utc)
        extra = ""
        if outcome == "wrong_number":
            contact_id = call.contact_id or customer.call_contact
            if contact_id:
                Contact.update(unreachable=True, updated_at=now_db).where(Contact.id == contact_id).execute()
            queue.refresh_contact(customer.id)
            due.forget_zone_keys()
            customer = Customer.get_by_id(customer.id)
        update, at, message = outcome_schedule(customer, outcome, callback_at, now, values)
        unasked: tuple[str, ...] = ()
        if outcome == "completed":
            # What nobody answered stays as it was (unknown, stale): say so.
            unasked = unasked_of({step for (step,) in CallAnswer.select(CallAnswer.step)
                                .where(CallAnswer.call == call_id).distinct().tuples()})
            if unasked:
                message += f"; {not_asked_text(unasked)}"
        if outcome != "do_not_call" and not customer.do_not_call and customer.call_contact is None:
            update.update({Customer.needs_number: True})
            at = None
            message = f"{OUTCOME_LABELS[outcome]}: no callable number left, on the 'needs a number' list"
        elif outcome == "wrong_number":
            nxt = Contact.get_by_id(customer.call_contact)
            extra = f": next contact {nxt.name}"
            update.update({Customer.needs_number: False})
        else:
            update.update({Customer.needs_number: False})
        if customer.do_not_call:
            at = None
        update.update({Customer.next_due_at: clock.to_db(at), Customer.claim_holder: None,
                       Customer.claim_expires_at: None, Customer.updated_at: now_db})
        Customer.update(update).where(Customer.id == customer.id).execute()
        if at is not None and update.get(Customer.due_rank) == due.DUE_PARKED:
            due.parked(at)
        call_update = {Call.ended_at: now_db, Call.outcome: outcome,
                       Call.callback_at: clock.to_db(callback_at) if outcome == "callback" else None}
        if note is not None:
            call_update[Call.note] = note.strip() or None
        Call.update(call_update).where(Call.id == call_id).execute()
    return Scheduled(outcome, at, message + extra, unasked)


def skip(call_id: int, reason: str, now: datetime | None = None) -> None:
    """Let the customer go without calling, with a reason. The claim is released
    and the customer steps back for a lease's length, so the next due customer
    comes up (for this caller and the others)."""
    now = _now(now)
    now_db = clock.to_db(now)
    reason = (reason or "").strip()
    if not reason:
        raise CallersError("say why the customer is skipped")
    minutes = float(settings.get("claim_minutes"))
    with connection(), write_transaction():
        call = _open(call_id)
        Call.update(ended_at=now_db, skip_reason=reason).where(Call.id == call_id).execute()
        customer = _customer(call.customer_id)
        update: dict = {Customer.claim_holder: None, Customer.claim_expires_at: None}
        later = clock.to_db(now + timedelta(minutes=minutes))
        if customer.next_due_at is not None and customer.due_rank in due.QUEUE_RANKS:
            update[Customer.next_due_at] = max(customer.next_due_at, later)
        (Customer.update(update)
         .where(Customer.id == customer.id,
                Customer.claim_holder.is_null() | (Customer.claim_holder == call.caller)).execute())
