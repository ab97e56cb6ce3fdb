"""Logging a use of a customer as a reference (under the cap, or with an
override reason), the request it answered, and the request log; finding the
customer by what people type."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from peewee import JOIN, fn

from callers import clock, names
from callers.errors import CallersError
from callers.references.asking import Criteria, REF_LABELS, REF_TYPES, parse_type
from callers.references.finding import Candidate, _iso, _window
from models.db import connection, lock_key, write_transaction
from models.tables import Customer, ReferenceRequest, ReferenceUse, ThankYou

REQUEST_CSV = ("id", "requested_at", "requested_by", "type", "prospect", "name", "external_id", "outcome",
               "criteria", "override_reason", "logged_by")


def find_customer(text: str) -> Customer:
    """A customer by account id, exact name (any case, punctuation, legal form) or row id."""
    text = (text or "").strip()
    if not text:
        raise CallersError("name a customer: its account id or its name")
    with connection():
        row = Customer.get_or_none(Customer.external_id == text)
        if row is not None:
            return row
        key = names.name_key(text)
        rows = list(Customer.select().where(Customer.name_key == key).limit(6)) if key else []
        if not rows:
            rows = list(Customer.select().where(fn.LOWER(Customer.name) == text.lower()).limit(6))
        if len(rows) == 1:
            return rows[0]
        if len(rows) > 1:
            listed = "; ".join(f"{r.name} ({r.external_id or 'id ' + str(r.id)})" for r in rows[:5])
            raise CallersError(f"several customers are called {text!r}: {listed}; give the account id")
        if text.isdigit():
            row = Customer.get_or_none(Customer.id == int(text))
            if row is not None:
                return row
    raise CallersError(f"no customer with account id or name {text!r}")


@dataclass(frozen=True)
class Logged:
    use_id: int
    request_id: int
    thank_you_id: int
    customer: str
    external_id: str | None
    ref_type: str
    prospect: str | None
    used_at: datetime
    override_reason: str | None
    uses_in_window: int  # including this one
    gift_restriction: str | None


@dataclass(frozen=True)
class Standing:
    """Where a customer stands against the cap now."""

    uses_in_window: int
    cap: int
    window_days: int
    resting_until: datetime | None

    @property
    def resting(self) -> bool:
        return self.uses_in_window >= self.cap


def standing(customer_id: int, now: datetime | None = None) -> Standing:
    now = now or clock.now()
    start, end, cap, window_days, _ = _window(now)
    with connection():
        times = [clock.from_db(t) for (t,) in ReferenceUse
                 .select(ReferenceUse.used_at)
                 .where(ReferenceUse.customer == customer_id, ReferenceUse.used_at >= start,
                        ReferenceUse.used_at <= end)
                 .order_by(ReferenceUse.used_at.desc()).tuples()]
    until = times[cap - 1] + timedelta(days=window_days) if cap > 0 and len(times) >= cap else None
    return Standing(len(times), cap, window_days, until)


def log_use(customer: str | int, ref_type: str, prospect: str | None, requested_by: str,
            override_reason: str | None = None, request_id: int | None = None,
            now: datetime | None = None, logged_by: str | None = None) -> Logged:
    """Log one use of a customer as a reference, its request and the thank-you it earns.
    `requested_by`: who asked (a name given); `logged_by`: who logs it (the person logged in).

    Refused when the customer has not agreed to that kind of reference, is
    do-not-call, or is resting and no override reason is given.
    """
    ref_type = parse_type(ref_type)
    if ref_type is None:
        raise CallersError(f"say which kind of reference: --type {'|'.join(REF_TYPES)}")
    requested_by = (requested_by or "").strip()
    if not requested_by:
        raise CallersError("say who asked for the reference: --requested-by NAME")
    prospect = (prospect or "").strip() or None
    override_reason = (override_reason or "").strip() or None
    now = now or clock.now()
    at = clock.to_db(now)
    with connection():
        row = customer if isinstance(customer, Customer) else (
            Customer.get_or_none(Customer.id == customer) if isinstance(customer, int)
            else find_customer(customer))
        if row is None:
            raise CallersError(f"no customer {customer}: it may have been removed")
        answer = getattr(row, REF_TYPES[ref_type])
        if answer != "yes":
            said = {"no": "said no", "not_now": "said not now"}.get(answer or "", "has not been asked")
            raise CallersError(f"{row.name} {said} to {REF_LABELS[ref_type]}; record a new answer on a call first")
        if row.do_not_call:
            raise CallersError(f"{row.name} is marked do-not-call: not to be used as a reference")
        with write_transaction():
            # One use of a customer at a time: two requests at once must not
            # both see it under the cap and both use it.
            lock_key("reference-use", row.id)
            stand = standing(row.id, now)
            if stand.resting and not override_reason:
                until = stand.resting_until.date().isoformat() if stand.resting_until else "later"
                raise CallersError(
                    f"{row.name} is resting: used {stand.uses_in_window} times in the last "
                    f"{stand.window_days} days (cap {stand.cap}) until {until}; "
                    "give an override reason to use it anyway"
                )
            reason = override_reason if stand.resting else None
            if request_id is not None:
                request = ReferenceRequest.get_or_none(ReferenceRequest.id == request_id)
                if request is None:
                    raise CallersError(f"no reference request {request_id}")
                # Only what the use answers (the team's roles may change no other column).
                ReferenceRequest.update(customer=row.id, outcome="used").where(
                    ReferenceRequest.id == request.id).execute()
            else:
                request = ReferenceRequest.create(
                    requested_at=at, requested_by=requested_by, ref_type=ref_type, prospect=prospect,
                    customer=row.id, outcome="used", logged_by=logged_by)
            use = ReferenceUse.create(customer=row.id, request=request.id, ref_type=ref_type, prospect=prospect,
                                      requested_by=requested_by, used_at=at, override_reason=reason,
                                      logged_by=logged_by)
            thanks = ThankYou.create(use=use.id, customer=row.id, owed_since=at)
    return Logged(use.id, request.id, thanks.id, row.name, row.external_id, ref_type, prospect, now, reason,
                  stand.uses_in_window + 1, row.gift_restriction)


def log_request(crit: Criteria, requested_by: str, prospect: str | None, proposed: Candidate | None,
                now: datetime | None = None, logged_by: str | None = None) -> int:
    """Log a search made for someone: what was asked, who was proposed (the first offered);
    `logged_by`: who logs it (the person logged in)."""
    at = clock.to_db(now or clock.now())
    with connection(), write_transaction():
        row = ReferenceRequest.create(
            requested_at=at, requested_by=requested_by, ref_type=crit.ref_type or "any",
            prospect=(prospect or "").strip() or None, criteria=crit.as_json(),
            customer=proposed.id if proposed else None, outcome="proposed" if proposed else "none found",
            logged_by=logged_by)
    return row.id


@dataclass(frozen=True)
class RequestLine:
    id: int
    requested_at: datetime
    requested_by: str
    ref_type: str
    prospect: str | None
    customer: str | None
    external_id: str | None
    outcome: str | None
    criteria: str | None
    override_reason: str | None
    logged_by: str | None = None  # who logged it (None: before schema 15)

    def as_dict(self) -> dict:
        return {"id": self.id, "requested_at": _iso(self.requested_at), "requested_by": self.requested_by,
                "type": self.ref_type, "prospect": self.prospect, "name": self.customer,
                "external_id": self.external_id, "outcome": self.outcome,
                "criteria": json.loads(self.criteria) if self.criteria else None,
                "override_reason": self.override_reason, "logged_by": self.logged_by}


def request_log(since: datetime | None = None, limit: int | None = 200) -> list[RequestLine]:
    """Every request, newest first: one calendar for sales, marketing and press."""
    with connection():
        override = (ReferenceUse.select(ReferenceUse.request.alias("rid"),
                                        fn.MAX(ReferenceUse.override_reason).alias("why"))
                    .where(ReferenceUse.request.is_null(False))
                    .group_by(ReferenceUse.request).alias("o"))
        query = (ReferenceRequest
                 .select(ReferenceRequest, Customer.name, Customer.external_id, override.c.why.alias("why"))
                 .join(Customer, JOIN.LEFT_OUTER)
                 .join(override, JOIN.LEFT_OUTER, on=(override.c.rid == ReferenceRequest.id), src=ReferenceRequest)
                 .order_by(ReferenceRequest.requested_at.desc(), ReferenceRequest.id.desc()))
        if since is not None:
            query = query.where(ReferenceRequest.requested_at >= clock.to_db(since))
        if limit:
            query = query.limit(limit)
        lines = []
        for r in query.objects():
            lines.append(RequestLine(r.id, clock.from_db(r.requested_at), r.requested_by, r.ref_type, r.prospect,
                                     r.name if r.customer_id else None,
                                     r.external_id if r.customer_id else None,
                                     r.outcome, r.criteria, r.why, r.logged_by))
        return lines
