"""Finding references: one set-based query finds and ranks the candidates
(uses in the window and features matched aggregated in SQL), then one query
each fetches the features, contacts and uses of the page shown; `why` says
in words why a candidate was offered."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta

from peewee import JOIN, Case, fn

from callers import clock, phones, settings
from callers.references.asking import Criteria, REF_LABELS, REF_TYPES
from models import engine
from models.db import connection
from models.tables import Contact, Customer, CustomerFeature, Feature, ReferenceUse


@dataclass(frozen=True)
class RefContact:
    name: str
    role: str
    title: str | None
    phone: str | None  # as read out: international format
    email: str | None


@dataclass(frozen=True)
class Use:
    id: int
    used_at: datetime
    ref_type: str
    prospect: str | None
    requested_by: str
    override_reason: str | None


@dataclass
class Candidate:
    id: int
    name: str
    external_id: str | None
    industry: str | None
    employees: int | None
    country: str | None
    implementation_state: str | None
    referenceable_for: list[str]  # REF_TYPES keys answered "yes"
    features: list[str]  # all features in production
    features_matched: int  # of those asked
    uses_in_window: int
    last_used: datetime | None
    confirmed_at: datetime | None  # referenceability last confirmed
    stale: bool  # not confirmed within the cycle
    condition: str | None
    gift_restriction: str | None
    resting: bool
    resting_until: datetime | None  # the last day the rest lasts
    why: list[str] = field(default_factory=list)
    contacts: list[RefContact] = field(default_factory=list)
    uses: list[Use] = field(default_factory=list)  # in the window, newest first
    # Every REF_TYPES key: yes / no / not_now, or unknown (nobody has said; never "no").
    answers: dict[str, str] = field(default_factory=dict)

    @property
    def confirmed_days(self) -> int | None:
        if self.confirmed_at is None:
            return None
        return max(0, (clock.now() - self.confirmed_at).days)

    def as_dict(self) -> dict:
        return {
            "id": self.id,
            "name": self.name,
            "external_id": self.external_id,
            "industry": self.industry,
            "employees": self.employees,
            "country": self.country,
            "implementation_state": self.implementation_state,
            "referenceable_for": self.referenceable_for,
            "referenceability": self.answers,
            "features": self.features,
            "uses_in_window": self.uses_in_window,
            "last_used": _iso(self.last_used),
            "confirmed_at": _iso(self.confirmed_at),
            "stale": self.stale,
            "condition": self.condition,
            "gift_restriction": self.gift_restriction,
            "resting": self.resting,
            "resting_until": _iso(self.resting_until),
            "why": self.why,
            "contacts": [asdict(c) for c in self.contacts],
            "uses": [
                {"id": u.id, "used_at": _iso(u.used_at), "type": u.ref_type, "prospect": u.prospect,
                 "requested_by": u.requested_by, "override_reason": u.override_reason}
                for u in self.uses
            ],
        }


@dataclass
class Found:
    candidates: list[Candidate]
    total: int  # how many passed the filters (offered + resting)
    offered: int  # how many of them are not resting
    cap: int
    window_days: int
    cycle_days: int


# The columns of `callers references find|thanks|log --format csv` (as_dict's keys).
CANDIDATE_CSV = ("id", "name", "external_id", "industry", "employees", "country", "implementation_state",
                 "referenceable_for", "features", "uses_in_window", "last_used", "confirmed_at", "stale",
                 "condition", "gift_restriction", "resting", "resting_until", "why", "contacts")


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _window(now: datetime) -> tuple[datetime, datetime, int, int, int]:
    values = settings.get_all()
    cap = int(values["reference_cap"])
    window_days = int(values["reference_window_days"])
    cycle_days = int(values["cycle_days"])
    return clock.to_db(now - timedelta(days=window_days)), clock.to_db(now), cap, window_days, cycle_days


def _ref_condition(ref_type: str | None):
    if ref_type is not None:
        return getattr(Customer, REF_TYPES[ref_type]) == "yes"
    cond = None
    for column in REF_TYPES.values():
        term = getattr(Customer, column) == "yes"
        cond = term if cond is None else (cond | term)
    return cond


def find(crit: Criteria, limit: int | None = 50, now: datetime | None = None) -> Found:
    """Referenceable customers for the criteria, ranked, with their details."""
    now = now or clock.now()
    start, end, cap, window_days, cycle_days = _window(now)
    fresh_since = clock.to_db(now - timedelta(days=cycle_days))
    with connection():
        uses = (ReferenceUse
                .select(ReferenceUse.customer.alias("cid"),
                        fn.SUM(Case(None, [(ReferenceUse.used_at >= start, 1)], 0)).alias("n"),
                        fn.MAX(ReferenceUse.used_at).alias("last"))
                .where(ReferenceUse.used_at <= end)
                .group_by(ReferenceUse.customer)
                .alias("u"))
        in_window = fn.COALESCE(uses.c.n, 0)
        resting = Case(None, [(in_window >= cap, 1)], 0)
        fresh = Case(None, [(Customer.referenceability_confirmed_at >= fresh_since, 0)], 1)
        columns = [Customer, in_window.alias("uses_n"), uses.c.last.alias("last_used"),
                   resting.alias("resting_flag")]
        query = Customer.select(*columns).join(uses, JOIN.LEFT_OUTER, on=(uses.c.cid == Customer.id))
        matched = None
        if crit.features:
            feats = (CustomerFeature
                     .select(CustomerFeature.customer.alias("cid"), fn.COUNT(CustomerFeature.id).alias("m"))
                     .join(Feature)
                     .where(Feature.name.in_(list(crit.features)), CustomerFeature.in_production == True)  # noqa: E712
                     .group_by(CustomerFeature.customer)
                     .alias("f"))
            query = query.join(feats, JOIN.INNER, on=(feats.c.cid == Customer.id), src=Customer)
            matched = feats.c.m
            query = query.select_extend(matched.alias("matched_n"))
        query = query.where(*_filters(crit))
        total, offered = query.select(fn.COUNT(Customer.id),
                                      fn.SUM(Case(None, [(in_window < cap, 1)], 0))).scalar(as_tuple=True)
        total, offered = int(total or 0), int(offered or 0)
        order = [resting.asc()]
        if matched is not None:
            order.append(matched.desc())
        order += [fresh.asc(), Case(None, [(uses.c.last.is_null(), 0)], 1).asc(), uses.c.last.asc(),
                  Customer.name.asc(), Customer.id.asc()]
        query = query.order_by(*order)
        if limit:
            query = query.limit(limit)
        rows = list(query.objects())
        candidates = [_candidate(row, crit, cap, window_days, fresh_since) for row in rows]
        _details(candidates, start, end, cap, window_days)
    for cand in candidates:
        cand.why = why(cand, crit, cycle_days)
    return Found(candidates, total, offered, cap, window_days, cycle_days)


def _filters(crit: Criteria) -> list:
    conds = [_ref_condition(crit.ref_type), Customer.do_not_call == False]  # noqa: E712
    if crit.state is not None:
        conds.append(Customer.implementation_state == crit.state)
    if crit.industry:
        conds.append(fn.LOWER(Customer.industry) == crit.industry.lower())
    if crit.size_min is not None:
        conds.append(Customer.employees >= crit.size_min)
    if crit.size_max is not None:
        conds.append(Customer.employees <= crit.size_max)
    if crit.countries is not None:
        conds.append(Customer.country.in_(sorted(crit.countries)))
    return conds


def _candidate(row, crit: Criteria, cap: int, window_days: int, fresh_since: datetime) -> Candidate:
    confirmed = row.referenceability_confirmed_at
    return Candidate(
        id=row.id,
        name=row.name,
        external_id=row.external_id,
        industry=row.industry,
        employees=row.employees,
        country=row.country,
        implementation_state=row.implementation_state,
        referenceable_for=[t for t, col in REF_TYPES.items() if getattr(row, col) == "yes"],
        answers={t: getattr(row, col) or "unknown" for t, col in REF_TYPES.items()},
        features=[],
        features_matched=int(getattr(row, "matched_n", 0) or 0),
        uses_in_window=int(row.uses_n or 0),
        last_used=clock.from_db(engine.aggregate_datetime(row.last_used)),
        confirmed_at=clock.from_db(confirmed),
        stale=confirmed is None or confirmed < fresh_since,
        condition=row.ref_condition,
        gift_restriction=row.gift_restriction,
        resting=bool(row.resting_flag),
        resting_until=None,
    )


def _details(candidates: list[Candidate], start: datetime, end: datetime, cap: int, window_days: int) -> None:
    """Features, buyer/user contacts and uses in the window of the page shown."""
    if not candidates:
        return
    by_id = {c.id: c for c in candidates}
    for at in range(0, len(candidates), 5000):
        _details_of(by_id, [c.id for c in candidates[at:at + 5000]], start, end)
    for cand in candidates:
        if cand.resting and len(cand.uses) >= cap:
            # Offered again once the cap-th newest use leaves the window.
            cand.resting_until = cand.uses[cap - 1].used_at + timedelta(days=window_days)


def _details_of(by_id: dict[int, Candidate], ids: list[int], start: datetime, end: datetime) -> None:
    feats = (CustomerFeature.select(CustomerFeature.customer, Feature.name)
             .join(Feature)
             .where(CustomerFeature.customer.in_(ids), CustomerFeature.in_production == True)  # noqa: E712
             .order_by(Feature.position, Feature.name)
             .tuples())
    for cid, name in feats:
        by_id[cid].features.append(name)
    contacts = (Contact.select()
                .where(Contact.customer.in_(ids), Contact.active == True,  # noqa: E712
                       Contact.role.in_(["buyer", "user"]))
                .order_by(Contact.customer, Contact.role, Contact.id))
    for person in contacts:
        by_id[person.customer_id].contacts.append(RefContact(
            person.name, person.role, person.title,
            phones.international(person.phone, person.extension) if person.phone else None,
            person.email))
    rows = (ReferenceUse.select()
            .where(ReferenceUse.customer.in_(ids), ReferenceUse.used_at >= start, ReferenceUse.used_at <= end)
            .order_by(ReferenceUse.customer, ReferenceUse.used_at.desc(), ReferenceUse.id.desc()))
    for use in rows:
        by_id[use.customer_id].uses.append(_use(use))


def _use(row: ReferenceUse) -> Use:
    return Use(row.id, clock.from_db(row.used_at), row.ref_type, row.prospect, row.requested_by,
               row.override_reason)


def why(cand: Candidate, crit: Criteria, cycle_days: int) -> list[str]:
    """Why a candidate fits what was asked, in plain words."""
    reasons: list[str] = []
    if crit.ref_type:
        reasons.append(f"agreed to {REF_LABELS[crit.ref_type]}")
    else:
        reasons.append("agreed to " + ", ".join(REF_LABELS[t] for t in cand.referenceable_for))
    if cand.implementation_state:
        reasons.append(f"implementation {cand.implementation_state.replace('_', ' ')}")
    if crit.industry and cand.industry:
        reasons.append(f"industry {cand.industry}")
    if (crit.size_min is not None or crit.size_max is not None) and cand.employees is not None:
        reasons.append(f"{cand.employees:,} employees")
    if crit.countries is not None and cand.country:
        reasons.append(f"in {cand.country}" + (f" ({crit.place})" if crit.place and
                                                 crit.place.upper() != cand.country else ""))
    if crit.features:
        asked = [f for f in crit.features if f in cand.features]
        reasons.append(f"{', '.join(asked)} in production ({len(asked)} of {len(crit.features)} asked)")
    if cand.confirmed_at is None:
        reasons.append("referenceability never confirmed on a call")
    elif cand.stale:
        reasons.append(f"confirmed {cand.confirmed_days} days ago: stale (cycle {cycle_days} days)")
    else:
        reasons.append(f"confirmed {cand.confirmed_days} days ago")
    return reasons
