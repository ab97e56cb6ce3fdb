"""References on demand, without wearing customers out.

Plain values in, plain values out; no UI here. Every query is set-based: one
query finds and ranks the candidates (uses in the window and features matched
are aggregated in SQL), then one query each fetches the features, contacts
and uses of the page shown.

Rules (README, section references):
- A candidate has answered "yes" for the kind of reference asked (any kind
  when none is asked), is not do-not-call, and passes every filter given
  (industry, size band, country or region, implementation state -- live by
  default -- and, when features are asked, at least one of them in
  production).
- Rank: customers offered before resting ones; then fit (more of the asked
  features in production first, then referenceability confirmed within the
  cycle before stale); then least recently used (never used first); then name.
- The rolling window is [now - window_days, now], both ends included: a use
  exactly `window_days` ago still counts. A customer with `cap` uses or more
  in the window is resting: shown, never offered; using them anyway needs an
  override reason, which is logged with the use.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta

from peewee import JOIN, Case, fn

from callers import clock, countries, names, phones, settings
from callers.errors import CallersError
from models import engine
from models.db import connection, lock_key, write_transaction
from models.tables import (
    IMPLEMENTATION_STATES,
    Contact,
    Customer,
    CustomerFeature,
    Feature,
    ReferenceRequest,
    ReferenceUse,
    ThankYou,
)

# CLI name -> Customer column holding the customer's answer.
REF_TYPES: dict[str, str] = {
    "prospect-call": "ref_prospect_call",
    "case-study": "ref_case_study",
    "press": "ref_press",
    "analyst": "ref_analyst",
    "site-visit": "ref_site_visit",
}
REF_LABELS: dict[str, str] = {
    "prospect-call": "prospect calls",
    "case-study": "case studies",
    "press": "press",
    "analyst": "analysts",
    "site-visit": "site visits",
}

_EU = {"AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE", "IT", "LV",
       "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE"}
_EUROPE = _EU | {"GB", "CH", "NO", "IS", "LI", "UA", "RS", "BA", "ME", "MK", "AL", "MD", "BY", "RU", "TR",
                 "GI", "MC", "SM", "AD", "VA", "FO", "XK"}
_MIDDLE_EAST = {"AE", "SA", "QA", "KW", "BH", "OM", "IL", "JO", "LB", "EG", "IQ", "IR", "YE", "SY", "PS"}
_AFRICA = {"ZA", "NG", "KE", "MA", "TN", "DZ", "GH", "ET", "TZ", "UG", "SN", "CI", "CM", "AO", "MZ", "ZW",
           "ZM", "BW", "NA", "MU", "RW", "LY", "SD"}
_NORTH_AMERICA = {"US", "CA"}
_LATAM = {"MX", "BR", "AR", "CL", "CO", "PE", "UY", "PY", "BO", "EC", "VE", "CR", "PA", "GT", "HN", "SV",
          "NI", "DO", "CU", "PR", "JM", "TT"}
_APAC = {"AU", "NZ", "JP", "CN", "HK", "TW", "KR", "SG", "MY", "TH", "VN", "PH", "ID", "IN", "PK", "BD",
         "LK", "NP", "MO", "MN", "KH", "LA", "MM", "BN", "FJ", "PG"}
# Region names accepted by --country (case-insensitive).
REGIONS: dict[str, frozenset[str]] = {
    "EMEA": frozenset(_EUROPE | _MIDDLE_EAST | _AFRICA),
    "EUROPE": frozenset(_EUROPE),
    "EU": frozenset(_EU),
    "DACH": frozenset({"DE", "AT", "CH"}),
    "NORDICS": frozenset({"DK", "FI", "IS", "NO", "SE"}),
    "BENELUX": frozenset({"BE", "NL", "LU"}),
    "UKI": frozenset({"GB", "IE"}),
    "AMER": frozenset(_NORTH_AMERICA | _LATAM),
    "AMERICAS": frozenset(_NORTH_AMERICA | _LATAM),
    "NORTH AMERICA": frozenset(_NORTH_AMERICA),
    "LATAM": frozenset(_LATAM),
    "APAC": frozenset(_APAC),
    "ANZ": frozenset({"AU", "NZ"}),
    "MEA": frozenset(_MIDDLE_EAST | _AFRICA),
}

DEFAULT_STATE = "live"
ANY_STATE = "any"


# ---- criteria ----------------------------------------------------------------


@dataclass(frozen=True)
class Criteria:
    ref_type: str | None = None  # a REF_TYPES key, or None for any kind
    industry: str | None = None
    size_min: int | None = None
    size_max: int | None = None
    countries: frozenset[str] | None = None  # None: anywhere
    place: str | None = None  # the country or region as asked, for messages
    features: tuple[str, ...] = ()  # feature names as stored
    state: str | None = DEFAULT_STATE  # None: any state

    def as_json(self) -> str:
        data = {
            "type": self.ref_type, "industry": self.industry, "size_min": self.size_min,
            "size_max": self.size_max, "country": self.place, "features": list(self.features),
            "state": self.state or ANY_STATE,
        }
        return json.dumps({k: v for k, v in data.items() if v not in (None, [])}, sort_keys=True)


def parse_type(value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    text = value.strip().lower().replace("_", "-").replace(" ", "-")
    if text in REF_TYPES:
        return text
    raise CallersError(f"unknown reference type {value!r}; use one of {', '.join(REF_TYPES)}")


def parse_size(value: str | None) -> tuple[int | None, int | None]:
    """'100-500', '100-' (at least), '-500' (at most), '250' (exactly)."""
    if value is None or not value.strip():
        return None, None
    text = value.strip().replace(",", "").replace("_", "").replace(" ", "")
    match = re.fullmatch(r"(\d*)(-?)(\d*)", text)
    if not match or not (match.group(1) or match.group(3)) or (not match.group(2) and match.group(3)):
        raise CallersError(f"size {value!r} is not MIN-MAX employees (e.g. 100-500, 1000-, -50)")
    low = int(match.group(1)) if match.group(1) else None
    high = int(match.group(3)) if match.group(3) else None
    if not match.group(2):
        high = low
    if low is not None and high is not None and low > high:
        raise CallersError(f"size {value!r}: the minimum is above the maximum")
    return low, high


def parse_place(value: str | None) -> frozenset[str] | None:
    """Country codes for a code, a country name, a region name, or a comma list of them."""
    if value is None or not value.strip():
        return None
    codes: set[str] = set()
    for part in value.split(","):
        part = part.strip()
        if not part:
            continue
        region = REGIONS.get(" ".join(part.upper().split()))
        if region is not None:
            codes |= region
            continue
        code = countries.country_code(part)
        if code is None:
            raise CallersError(
                f"unknown country or region {part!r}; give a country code (DE), a country name, "
                f"or a region: {', '.join(sorted(REGIONS))}"
            )
        codes.add(code)
    return frozenset(codes) if codes else None


def parse_state(value: str | None) -> str | None:
    if value is None:
        return DEFAULT_STATE
    text = value.strip().lower().replace("-", "_").replace(" ", "_")
    if text in (ANY_STATE, "all", ""):
        return None
    if text in IMPLEMENTATION_STATES:
        return text
    raise CallersError(
        f"unknown implementation state {value!r}; use one of {', '.join(IMPLEMENTATION_STATES)} or any"
    )


def resolve_features(asked: list[str] | tuple[str, ...] | None) -> tuple[str, ...]:
    """Feature names as stored, for names given in any case (comma lists allowed)."""
    wanted = [part.strip() for item in (asked or ()) for part in item.split(",") if part.strip()]
    if not wanted:
        return ()
    with connection():
        known = {f.name.casefold(): f.name for f in Feature.select(Feature.name)}
    found: list[str] = []
    for name in wanted:
        stored = known.get(name.casefold())
        if stored is None:
            listed = ", ".join(sorted(known.values())) or "none yet"
            raise CallersError(f"unknown feature {name!r}; known features: {listed}")
        if stored not in found:
            found.append(stored)
    return tuple(found)


def criteria(ref_type: str | None = None, industry: str | None = None, size: str | None = None,
             country: str | None = None, features: list[str] | None = None,
             state: str | None = None) -> Criteria:
    """Criteria from what a person typed (CLI flags or the screen's fields)."""
    low, high = parse_size(size)
    return Criteria(
        ref_type=parse_type(ref_type),
        industry=(industry or "").strip() or None,
        size_min=low,
        size_max=high,
        countries=parse_place(country),
        place=(country or "").strip() or None,
        features=resolve_features(features),
        state=parse_state(state),
    )


# ---- results -------------------------------------------------------------------


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
THANKS_CSV = ("id", "name", "external_id", "owed_since", "type", "prospect", "requested_by",
              "gift_restriction", "sent_at", "sent_by")
REQUEST_CSV = ("id", "requested_at", "requested_by", "type", "prospect", "name", "external_id", "outcome",
               "criteria", "override_reason")


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


# ---- customers by what people type ------------------------------------------------


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


# ---- logging uses and requests ----------------------------------------------------


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
            now: datetime | None = None) -> Logged:
    """Log one use of a customer as a reference, its request and the thank-you it earns.

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
                request.customer = row.id
                request.outcome = "used"
                request.save()
            else:
                request = ReferenceRequest.create(
                    requested_at=at, requested_by=requested_by, ref_type=ref_type, prospect=prospect,
                    customer=row.id, outcome="used")
            use = ReferenceUse.create(customer=row.id, request=request.id, ref_type=ref_type, prospect=prospect,
                                      requested_by=requested_by, used_at=at, override_reason=reason)
            thanks = ThankYou.create(use=use.id, customer=row.id, owed_since=at)
    return Logged(use.id, request.id, thanks.id, row.name, row.external_id, ref_type, prospect, now, reason,
                  stand.uses_in_window + 1, row.gift_restriction)


def log_request(crit: Criteria, requested_by: str, prospect: str | None, proposed: Candidate | None,
                now: datetime | None = None) -> int:
    """Log a search made for someone: what was asked, who was proposed (the first offered)."""
    at = clock.to_db(now or clock.now())
    with connection(), write_transaction():
        row = ReferenceRequest.create(
            requested_at=at, requested_by=requested_by, ref_type=crit.ref_type or "any",
            prospect=(prospect or "").strip() or None, criteria=crit.as_json(),
            customer=proposed.id if proposed else None, outcome="proposed" if proposed else "none found")
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

    def as_dict(self) -> dict:
        return {"id": self.id, "requested_at": _iso(self.requested_at), "requested_by": self.requested_by,
                "type": self.ref_type, "prospect": self.prospect, "name": self.customer,
                "external_id": self.external_id, "outcome": self.outcome,
                "criteria": json.loads(self.criteria) if self.criteria else None,
                "override_reason": self.override_reason}


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
                                     r.outcome, r.criteria, r.why))
        return lines


# ---- thank-yous ------------------------------------------------------------------


@dataclass(frozen=True)
class Thanks:
    id: int
    name: str
    external_id: str | None
    owed_since: datetime
    ref_type: str
    prospect: str | None
    requested_by: str
    gift_restriction: str | None
    sent_at: datetime | None = None
    sent_by: str | None = None

    def as_dict(self) -> dict:
        return {"id": self.id, "name": self.name, "external_id": self.external_id,
                "owed_since": _iso(self.owed_since), "type": self.ref_type, "prospect": self.prospect,
                "requested_by": self.requested_by, "gift_restriction": self.gift_restriction,
                "sent_at": _iso(self.sent_at), "sent_by": self.sent_by}


def _thanks(row) -> Thanks:
    return Thanks(row.id, row.customer.name, row.customer.external_id, clock.from_db(row.owed_since),
                  row.use.ref_type, row.use.prospect, row.use.requested_by, row.customer.gift_restriction,
                  clock.from_db(row.sent_at), row.sent_by)


def thanks_owed() -> list[Thanks]:
    """Thank-yous not yet sent, oldest first."""
    with connection():
        rows = (ThankYou.select(ThankYou, ReferenceUse, Customer)
                .join(ReferenceUse).switch(ThankYou).join(Customer)
                .where(ThankYou.sent_at.is_null())
                .order_by(ThankYou.owed_since.asc(), ThankYou.id.asc()))
        return [_thanks(r) for r in rows]


def mark_thanked(thank_you_id: int, by: str, now: datetime | None = None) -> tuple[Thanks, bool]:
    """Mark a thank-you sent. Returns it and whether it was newly marked."""
    at = clock.to_db(now or clock.now())
    with connection(), write_transaction():
        row = (ThankYou.select(ThankYou, ReferenceUse, Customer)
               .join(ReferenceUse).switch(ThankYou).join(Customer)
               .where(ThankYou.id == thank_you_id).first())
        if row is None:
            raise CallersError(f"no thank-you {thank_you_id}; `callers references thanks` lists those owed")
        if row.sent_at is not None:
            return _thanks(row), False
        row.sent_at, row.sent_by = at, by
        ThankYou.update(sent_at=at, sent_by=by).where(ThankYou.id == row.id).execute()
    return _thanks(row), True
