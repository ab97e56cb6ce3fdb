"""The customers: coverage of the cycle, freshness of what we know, the
contacts' decay, references, implementation, and the features in use."""

from __future__ import annotations

from datetime import datetime, timedelta

from peewee import SQL, fn

from callers import clock, settings
from callers.report.figures import Coverage, Decay, Fact, FeatureFigures, Freshness
from callers.report.periods import Period
from callers.report.sums import ONE_DAY, _int, _share, _split, _within
from models.db import connection, indexed_by
from models.tables import (
    IMPLEMENTATION_STATES,
    REFERENCE_KINDS,
    CallAnswer,
    Customer,
    Feature,
    FACT_INDEXES,
    TallyCount,
    TallyCustomer,
    TallyCustomerDay,
    TallyFeature,
)
from models.tallies import DAY_FACTS

MONTH_DAYS = 30
FACTS = ("contacts", "referenceability", "implementation", "features")


def customer_figures(period: Period, completed_calls: int, now: datetime | None = None,
                     cycle_days: int | None = None) -> tuple[Coverage, Freshness, dict[str, int], dict[str, int]]:
    """Coverage, freshness, references and implementation, from the tallies:
    customers by their flags (tally_customer) and customers we call by the day
    of each dated fact (tally_customer_day; the cycle's first, part day
    counted exactly from the customer rows)."""
    now = now or clock.now()
    cycle = int(cycle_days if cycle_days is not None else settings.get("cycle_days"))
    cut = clock.to_db(now - timedelta(days=cycle))
    TC, TD = TallyCustomer, TallyCustomerDay
    days, pieces = _split(cut, None, ONE_DAY)
    with connection():
        groups = list(TC.select(TC.do_not_call, TC.unreachable, TC.needs_number, TC.never_reached,
                                TC.implementation_state, TC.ref_yes, fn.SUM(TC.n))
                      .group_by(TC.do_not_call, TC.unreachable, TC.needs_number, TC.never_reached,
                                TC.implementation_state, TC.ref_yes).tuples())
        fresh = {fact: _int(n) for fact, n in (TD.select(TD.fact, fn.SUM(TD.n))
                                               .where(TD.fact.in_(list(DAY_FACTS)), _within(TD.day, days, days=True))
                                               .group_by(TD.fact).tuples())}
        for a, b in pieces:  # the part day at the start of the cycle
            for fact, column in DAY_FACTS.items():
                field_ = getattr(Customer, column)
                fresh[fact] = fresh.get(fact, 0) + (
                    Customer.select(fn.COUNT(SQL("*")))
                    .from_(indexed_by(Customer, FACT_INDEXES[column]))
                    .where(field_ >= a, field_ < b, Customer.do_not_call == False).scalar() or 0)  # noqa: E712

    customers = dnc = unreachable = needs = never = any_ref = 0
    refs = dict.fromkeys(REFERENCE_KINDS, 0)
    by_state = dict.fromkeys(IMPLEMENTATION_STATES, 0)
    for do_not_call, is_unreachable, needs_number, never_reached, state, ref_yes, n in groups:
        n = _int(n)
        customers += n
        if do_not_call:
            dnc += n
        else:
            unreachable += n if is_unreachable else 0
            needs += n if needs_number else 0
            never += n if never_reached else 0
        if state in by_state:
            by_state[state] += n
        for i, kind in enumerate(REFERENCE_KINDS):
            if ref_yes & (1 << i):
                refs[kind] += n
        any_ref += n if ref_yes else 0
    callable_customers = customers - dnc
    reached = fresh.get("reached", 0)
    overdue = callable_customers - reached - never  # reached before, not within the cycle

    coverage = Coverage(customers, reached, overdue, never, unreachable, needs, dnc, cycle)
    _pace(coverage, completed_calls, period)
    freshness = Freshness(callable_customers,
                          *[Fact(fresh.get(fact, 0), _share(fresh.get(fact, 0), callable_customers))
                            for fact in ("contacts", "referenceability", "implementation", "features")])
    references = {"referenceable": any_ref, **refs}
    implementation = dict(by_state)
    implementation["unknown"] = customers - sum(by_state.values())
    return coverage, freshness, references, implementation


def _pace(coverage: Coverage, completed_calls: int, period: Period) -> None:
    """Completed calls a day in the period (at least a day long), and the days
    that pace needs to reach every customer we call."""
    callable_customers = coverage.customers - coverage.do_not_call
    per_day = completed_calls / max(period.days, 1.0)
    coverage.completed_per_day = round(per_day, 1) if completed_calls else None
    coverage.days_to_reach_everyone = (round(callable_customers / per_day, 0)
                                       if completed_calls and callable_customers else None)


def _per_month(gone: int, wrong: int, contacts: int, period: Period) -> Decay:
    months = max(period.days, 1.0) / MONTH_DAYS
    per_month = round((gone + wrong) / months / contacts, 4) if contacts else None
    return Decay(contacts, gone, wrong, per_month)


def decay(period: Period, wrong_number_calls: int) -> Decay:
    """Contacts found gone (answers "contact:<id>:gone") or wrong (calls ended
    "wrong number") in the period, per 30 days, as a share of all contacts."""
    since, until = clock.to_db(period.since), clock.to_db(period.until)
    with connection():
        contacts = TallyCount.select(fn.SUM(TallyCount.n)).where(TallyCount.name == "contacts").scalar() or 0
        gone = (CallAnswer.select(fn.COUNT(CallAnswer.key.distinct()))
                .where(CallAnswer.step == "contacts", CallAnswer.answered_at >= since,
                       CallAnswer.answered_at < until, CallAnswer.key ** "contact:%:gone")
                .scalar()) or 0
    return _per_month(int(gone), wrong_number_calls, int(contacts), period)


def feature_figures() -> tuple[list[FeatureFigures], int]:
    """Features in production among live customers, most used first; and how many live customers."""
    TF, TC = TallyFeature, TallyCustomer
    with connection():
        live_customers = _int(TC.select(fn.SUM(TC.n)).where(TC.implementation_state == "live").scalar())
        features = list(Feature.select().where(Feature.active == True)  # noqa: E712
                        .order_by(Feature.position, Feature.name))
        used = dict(TF.select(TF.feature_id, fn.SUM(TF.n)).where(TF.implementation_state == "live")
                    .group_by(TF.feature_id).tuples())
    rows = [FeatureFigures(f.name, _int(used.get(f.id)), _share(_int(used.get(f.id)), live_customers))
            for f in features]
    rows.sort(key=lambda f: -f.customers)
    return rows, live_customers
