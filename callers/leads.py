"""Leads from the calls: professional services and beta sites.

Set-based: one query lists the leads, one query each fetches the buyer
contacts, the latest call notes and the features of those leads (the lead
query is used as a subquery, never a loop of queries per customer).
Do-not-call customers are left out of both lists.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta

from peewee import JOIN, Case, fn

from callers import clock, phones, settings
from callers.references import REF_TYPES
from models import engine
from models.db import connection
from models.tables import Call, Contact, Customer, CustomerFeature, Feature


@dataclass(frozen=True)
class Buyer:
    name: str
    title: str | None
    phone: str | None  # international format, as read out
    email: str | None


@dataclass
class ServicesLead:
    id: int
    name: str
    external_id: str | None
    implementation_state: str  # stalled / not_started
    since: datetime | None  # when it stalled, or when they bought
    since_what: str  # "stalled" / "purchase"
    days: int | None  # days since then
    account_manager: str | None
    country: str | None
    buyer: Buyer | None = None
    last_note: str | None = None
    last_note_at: datetime | None = None

    def as_dict(self) -> dict:
        return {
            "id": self.id, "name": self.name, "external_id": self.external_id,
            "implementation_state": self.implementation_state,
            "since": _iso(self.since), "since_what": self.since_what, "days": self.days,
            "account_manager": self.account_manager, "country": self.country,
            "buyer": asdict(self.buyer) if self.buyer else None,
            "last_note": self.last_note, "last_note_at": _iso(self.last_note_at),
        }


@dataclass
class BetaCandidate:
    id: int
    name: str
    external_id: str | None
    implementation_state: str
    feature_count: int
    features_confirmed_at: datetime | None
    fresh: bool  # features confirmed within the cycle
    referenceable_for: list[str]
    industry: str | None
    employees: int | None
    country: str | None
    features: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "id": self.id, "name": self.name, "external_id": self.external_id,
            "implementation_state": self.implementation_state, "feature_count": self.feature_count,
            "features": self.features, "features_confirmed_at": _iso(self.features_confirmed_at),
            "fresh": self.fresh, "referenceable_for": self.referenceable_for,
            "industry": self.industry, "employees": self.employees, "country": self.country,
        }


# The columns of `callers leads ... --format csv` (as_dict's keys, the buyer's spread out).
SERVICES_CSV = ("id", "name", "external_id", "implementation_state", "since", "since_what", "days",
                "account_manager", "country", "buyer_name", "buyer_title", "buyer_phone", "buyer_email",
                "last_note", "last_note_at")
BETA_CSV = ("id", "name", "external_id", "implementation_state", "feature_count", "features",
            "features_confirmed_at", "fresh", "referenceable_for", "industry", "employees", "country")


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def professional_services(limit: int | None = None, now: datetime | None = None) -> list[ServicesLead]:
    """Stalled or not-started implementations, the longest waiting first.

    Stalled: time since the state last changed (to stalled); not started, or
    stalled with no change recorded: time since purchase. Unknown dates last.
    """
    now = now or clock.now()
    since = Case(None, [((Customer.implementation_state == "stalled")
                         & Customer.implementation_changed_at.is_null(False),
                         Customer.implementation_changed_at)], Customer.purchased_at)
    with connection():
        base = (Customer.select(Customer.id)
                .where(Customer.implementation_state.in_(["stalled", "not_started"]),
                       Customer.do_not_call == False))  # noqa: E712
        query = (Customer.select(Customer.id, Customer.name, Customer.external_id, Customer.implementation_state,
                                 Customer.implementation_changed_at, Customer.purchased_at,
                                 Customer.account_manager, Customer.country, since.alias("since_at"))
                 .where(Customer.id.in_(base))
                 .order_by(Case(None, [(since.is_null(), 1)], 0), since.asc(), Customer.name, Customer.id))
        if limit:
            query = query.limit(limit)
            base = query.select(Customer.id)  # details for the page only
        leads: dict[int, ServicesLead] = {}
        for row in query.objects():
            at = clock.from_db(engine.aggregate_datetime(row.since_at))
            stalled_known = row.implementation_state == "stalled" and row.implementation_changed_at is not None
            leads[row.id] = ServicesLead(
                id=row.id, name=row.name, external_id=row.external_id,
                implementation_state=row.implementation_state, since=at,
                since_what="stalled" if stalled_known else "purchase",
                days=max(0, (now - at).days) if at else None,
                account_manager=row.account_manager, country=row.country)
        if not leads:
            return []
        buyers = (Contact.select()
                  .where(Contact.customer.in_(base), Contact.role == "buyer", Contact.active == True)  # noqa: E712
                  .order_by(Contact.customer, Contact.unreachable, Contact.do_not_call, Contact.id))
        for person in buyers:
            lead = leads.get(person.customer_id)
            if lead is not None and lead.buyer is None:
                lead.buyer = Buyer(person.name, person.title,
                                   phones.international(person.phone, person.extension) if person.phone else None,
                                   person.email)
        when = fn.COALESCE(Call.ended_at, Call.started_at, Call.shown_at)
        ranked = (Call.select(Call.customer.alias("cid"), Call.note.alias("note"), when.alias("at"),
                              fn.ROW_NUMBER().over(partition_by=[Call.customer],
                                                   order_by=[when.desc(), Call.id.desc()]).alias("rn"))
                  .where(Call.customer.in_(base), Call.note.is_null(False), Call.note != ""))
        notes = ranked.select_from(ranked.c.cid, ranked.c.note, ranked.c.at).where(ranked.c.rn == 1)
        for cid, note, at in notes.tuples():
            lead = leads.get(cid)
            if lead is not None:
                lead.last_note, lead.last_note_at = note, clock.from_db(engine.aggregate_datetime(at))
    return list(leads.values())


def _referenceable():
    cond = None
    for column in REF_TYPES.values():
        term = getattr(Customer, column) == "yes"
        cond = term if cond is None else (cond | term)
    return cond


def beta_candidates(limit: int | None = None, now: datetime | None = None) -> list[BetaCandidate]:
    """Live, referenceable customers with features in production: the most
    features first, then the freshest (features confirmed within the cycle
    before stale, then the most recently confirmed)."""
    now = now or clock.now()
    fresh_since = clock.to_db(now - timedelta(days=int(settings.get("cycle_days"))))
    with connection():
        counts = (CustomerFeature
                  .select(CustomerFeature.customer.alias("cid"), fn.COUNT(CustomerFeature.id).alias("n"))
                  .join(Feature)
                  .where(CustomerFeature.in_production == True, Feature.active == True)  # noqa: E712
                  .group_by(CustomerFeature.customer).alias("fc"))
        confirmed = Customer.features_confirmed_at
        query = (Customer.select(Customer, counts.c.n.alias("feature_n"))
                 .join(counts, JOIN.INNER, on=(counts.c.cid == Customer.id))
                 .where(Customer.implementation_state == "live", Customer.do_not_call == False,  # noqa: E712
                        _referenceable())
                 .order_by(counts.c.n.desc(),
                           Case(None, [(confirmed >= fresh_since, 0)], 1),
                           Case(None, [(confirmed.is_null(), 1)], 0), confirmed.desc(),
                           Customer.name, Customer.id))
        if limit:
            query = query.limit(limit)
        out: dict[int, BetaCandidate] = {}
        for row in query.objects():
            out[row.id] = BetaCandidate(
                id=row.id, name=row.name, external_id=row.external_id,
                implementation_state=row.implementation_state, feature_count=int(row.feature_n),
                features_confirmed_at=clock.from_db(confirmed_at := row.features_confirmed_at),
                fresh=confirmed_at is not None and confirmed_at >= fresh_since,
                referenceable_for=[t for t, col in REF_TYPES.items() if getattr(row, col) == "yes"],
                industry=row.industry, employees=row.employees, country=row.country)
        if out:
            feats = (CustomerFeature.select(CustomerFeature.customer, Feature.name)
                     .join(Feature)
                     .where(CustomerFeature.customer.in_(query.select(Customer.id)),
                            CustomerFeature.in_production == True,  # noqa: E712
                            Feature.active == True)  # noqa: E712
                     .order_by(Feature.position, Feature.name).tuples())
            for cid, name in feats:
                out[cid].features.append(name)
    return list(out.values())
