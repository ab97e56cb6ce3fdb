"""What the function earns: the figures that pay for the caller.

    record_reconciliation(reconcile.reconcile("billing.csv"), "billing.csv", "sam")
    figures().reconciliation.unbilled        # -> 12

- Billing reconciliation (`callers reconcile`, which keeps its last run
  here): supported customers nobody bills, and billed accounts nobody
  calls, with the billing file's amounts summed where it has an amount
  column. An unbilled customer's amount is what its cancelled billing
  account billed (the revenue that stopped); one with no billing account at
  all has no amount to show.
- Professional-services leads: customers we call whose implementation is
  stalled or not started (`callers leads professional-services`), now.
- Beta candidates: live, referenceable customers we call, now (`callers
  leads beta` lists those of them with features in production).
- References delivered to sales (uses logged) and thank-yous sent, this
  quarter; thank-yous owed, now.
- Profile facts confirmed this quarter: customers we call whose contacts,
  referenceability, implementation or features were last confirmed in it.

"This quarter" is the calendar quarter, in UTC, up to now. Every count is
read from a tally (models/tallies.py) or an index; nothing scans the
customers or the calls.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from decimal import Decimal, InvalidOperation

from peewee import SQL, Select, fn

from callers import clock
from models.db import batch_size, connection, write_transaction
from models.tables import (
    Reconciliation,
    ReconciliationFinding,
    ReferenceUse,
    TallyCustomer,
    TallyCustomerDay,
    ThankYou,
)

FACTS = ("contacts", "referenceability", "implementation", "features")
SERVICES_STATES = ("stalled", "not_started")


# ---- amounts ---------------------------------------------------------------

_AMOUNT_NOISE = re.compile(r"[^\d.,\-]")


def parse_amount(text: str | None) -> int | None:
    """A billing file's amount in hundredths, or None when it is not a number.

    Currency signs, codes and spaces are ignored ("$1,200.50", "1 200,50 EUR",
    "CHF 99"). With both "," and ".", the last one is the decimal mark; a
    lone "," is the decimal mark when one or two digits follow it ("99,5"),
    else it groups thousands ("1,200"). One currency is assumed.
    """
    if text is None:
        return None
    raw = _AMOUNT_NOISE.sub("", text.strip())
    negative = raw.startswith("-") or (text.strip().startswith("(") and text.strip().endswith(")"))
    raw = raw.replace("-", "")
    if not raw or not any(c.isdigit() for c in raw):
        return None
    if "," in raw and "." in raw:
        decimal_mark = "," if raw.rfind(",") > raw.rfind(".") else "."
    elif "," in raw:
        tail = raw.rpartition(",")[2]
        decimal_mark = "," if raw.count(",") == 1 and len(tail) in (1, 2) else None
    elif raw.count(".") == 1:
        decimal_mark = "."
    elif "." in raw:  # 1.200.000: dots group thousands
        if not all(len(group) == 3 for group in raw.split(".")[1:]):
            return None
        decimal_mark = None
    else:
        decimal_mark = None
    if decimal_mark is None:
        digits = raw.replace(",", "").replace(".", "")
    else:
        whole, _sep, cents = raw.rpartition(decimal_mark)
        whole = whole.replace(",", "").replace(".", "")
        if not cents.isdigit() or (whole and not whole.isdigit()):
            return None
        digits = f"{whole or '0'}.{cents}"
    try:
        value = Decimal(digits)
    except InvalidOperation:
        return None
    cents_value = int((value * 100).to_integral_value())
    return -cents_value if negative else cents_value


def _units(cents: int | None) -> float | None:
    return None if cents is None else cents / 100


# ---- the last reconciliation -------------------------------------------------


@dataclass
class LastReconciliation:
    ran_at: datetime
    ran_by: str
    source: str
    billing_rows: int = 0
    customers: int = 0
    matched: int = 0
    unbilled: int = 0  # supported customers with no active billing account
    unknown: int = 0  # active billing accounts matching no customer
    ambiguous: int = 0  # billing rows fitting several customers
    unreadable: int = 0
    unbilled_amount: float | None = None  # sum of their cancelled accounts' amounts; None: no amount column
    unbilled_with_amount: int = 0  # how many unbilled customers that sum covers
    unknown_amount: float | None = None  # sum of the unknown accounts' amounts
    unknown_with_amount: int = 0
    amounts_unread: int = 0  # amounts in those findings that are not numbers


def record_reconciliation(result, source: str, ran_by: str, now: datetime | None = None) -> LastReconciliation:
    """Keep what a reconciliation found (a `callers.reconcile.Result`) as the
    last one, replacing the one before, in one transaction."""
    now = now or clock.now()
    has_amounts = bool(getattr(result, "amounts", 0))
    findings: list[dict] = []
    sums = {"unbilled": [0, 0], "unknown": [0, 0]}  # kind -> [cents, how many]
    unread = 0
    for kind, items in (("unbilled", result.unbilled), ("unknown", result.unknown)):
        for item in items:
            amount = item.get("amount")
            cents = parse_amount(amount)
            if amount and cents is None:
                unread += 1
            if cents is not None:
                sums[kind][0] += cents
                sums[kind][1] += 1
            findings.append({
                "kind": kind,
                "customer": item.get("customer_id") if kind == "unbilled" else None,
                "billing_id": item.get("billing_id") if kind == "unbilled" else item.get("external_id"),
                "name": item.get("name"),
                "amount": amount,
                "amount_cents": cents,
                "status": item.get("billing_status") if kind == "unbilled" else item.get("status"),
            })
    summary = LastReconciliation(
        ran_at=now.replace(microsecond=0), ran_by=ran_by, source=source, billing_rows=result.rows,
        customers=result.customers, matched=len(result.matched), unbilled=len(result.unbilled),
        unknown=len(result.unknown), ambiguous=len({a["line"] for a in result.ambiguous}),
        unreadable=len(result.unreadable),
        unbilled_amount=_units(sums["unbilled"][0]) if has_amounts else None,
        unbilled_with_amount=sums["unbilled"][1],
        unknown_amount=_units(sums["unknown"][0]) if has_amounts else None,
        unknown_with_amount=sums["unknown"][1], amounts_unread=unread)
    with connection(), write_transaction():
        ReconciliationFinding.delete().execute()
        Reconciliation.delete().execute()
        run = Reconciliation.create(
            ran_at=clock.to_db(summary.ran_at), ran_by=ran_by, source=source, billing_rows=summary.billing_rows,
            customers=summary.customers, matched=summary.matched, unbilled=summary.unbilled,
            unknown=summary.unknown, ambiguous=summary.ambiguous, unreadable=summary.unreadable,
            unbilled_amount_cents=sums["unbilled"][0] if has_amounts else None,
            unbilled_with_amount=summary.unbilled_with_amount,
            unknown_amount_cents=sums["unknown"][0] if has_amounts else None,
            unknown_with_amount=summary.unknown_with_amount, amounts_unread=unread)
        size = batch_size(8)
        rows = [{**f, "reconciliation": run.id} for f in findings]
        for at in range(0, len(rows), size):
            ReconciliationFinding.insert_many(rows[at:at + size]).execute()
    return summary


def last_reconciliation() -> LastReconciliation | None:
    """The last reconciliation `callers reconcile` kept, or None."""
    with connection():
        run = Reconciliation.select().order_by(Reconciliation.id.desc()).first()
    if run is None:
        return None
    return LastReconciliation(
        ran_at=clock.from_db(run.ran_at), ran_by=run.ran_by, source=run.source, billing_rows=run.billing_rows,
        customers=run.customers, matched=run.matched, unbilled=run.unbilled, unknown=run.unknown,
        ambiguous=run.ambiguous, unreadable=run.unreadable,
        unbilled_amount=_units(run.unbilled_amount_cents), unbilled_with_amount=run.unbilled_with_amount,
        unknown_amount=_units(run.unknown_amount_cents), unknown_with_amount=run.unknown_with_amount,
        amounts_unread=run.amounts_unread)


# ---- the figures ---------------------------------------------------------------


@dataclass
class Value:
    quarter_since: datetime  # aware UTC: the start of this calendar quarter
    reconciliation: LastReconciliation | None = None  # None: never reconciled
    services_leads: int = 0  # now
    beta_candidates: int = 0  # now
    references_delivered: int = 0  # uses logged this quarter
    thank_yous_sent: int = 0  # this quarter
    thank_yous_owed: int = 0  # now
    facts_confirmed: dict[str, int] = field(default_factory=lambda: dict.fromkeys(FACTS, 0))  # this quarter

    @property
    def facts_confirmed_total(self) -> int:
        return sum(self.facts_confirmed.values())


def quarter_start(now: datetime) -> datetime:
    """The first moment of `now`'s calendar quarter, in UTC."""
    now = now.astimezone(timezone.utc)
    return datetime(now.year, 3 * ((now.month - 1) // 3) + 1, 1, tzinfo=timezone.utc)


def figures(now: datetime | None = None) -> Value:
    """Every value figure, as of `now`."""
    now = now or clock.now()
    since = quarter_start(now)
    since_db, now_db = clock.to_db(since), clock.to_db(now)
    value = Value(quarter_since=since)
    TC, TD = TallyCustomer, TallyCustomerDay
    with connection():
        for state, ref_yes, n in (TC.select(TC.implementation_state, TC.ref_yes, fn.SUM(TC.n))
                                  .where(TC.do_not_call == False)  # noqa: E712
                                  .group_by(TC.implementation_state, TC.ref_yes).tuples()):
            n = int(n or 0)
            if state in SERVICES_STATES:
                value.services_leads += n
            if state == "live" and ref_yes:
                value.beta_candidates += n
        for fact, n in (TD.select(TD.fact, fn.SUM(TD.n))
                        .where(TD.fact.in_(FACTS), TD.day >= since.date())
                        .group_by(TD.fact).tuples()):
            value.facts_confirmed[fact] = int(n or 0)
        # Three counts in one round trip.
        used = (ReferenceUse.select(fn.COUNT(SQL("*")))
                .where(ReferenceUse.used_at >= since_db, ReferenceUse.used_at <= now_db))
        sent = ThankYou.select(fn.COUNT(SQL("*"))).where(ThankYou.sent_at >= since_db, ThankYou.sent_at <= now_db)
        owed = ThankYou.select(fn.COUNT(SQL("*"))).where(ThankYou.sent_at.is_null())
        counts = Select(columns=[used.alias("used"), sent.alias("sent"), owed.alias("owed")]).bind(
            ReferenceUse._meta.database).tuples().first()
        value.references_delivered, value.thank_yous_sent, value.thank_yous_owed = (int(n or 0) for n in counts)
    value.reconciliation = last_reconciliation()
    return value


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(timezone.utc).isoformat(timespec="seconds")


def to_dict(value: Value) -> dict:
    """The report's JSON `value` section."""
    rec = None
    if value.reconciliation is not None:
        rec = asdict(value.reconciliation)
        rec["ran_at"] = _iso(value.reconciliation.ran_at)
    return {
        "quarter_since": _iso(value.quarter_since),
        "reconciliation": rec,
        "services_leads": value.services_leads,
        "beta_candidates": value.beta_candidates,
        "references_delivered": value.references_delivered,
        "thank_yous_sent": value.thank_yous_sent,
        "thank_yous_owed": value.thank_yous_owed,
        "facts_confirmed": dict(value.facts_confirmed),
        "facts_confirmed_total": value.facts_confirmed_total,
    }


def money(amount: float | None) -> str:
    """An amount as the text report and the board show it: 12,345.50."""
    if amount is None:
        return "—"
    return f"{amount:,.2f}"


def text_lines(value: Value) -> list[str]:
    """The text report's "value" section (without its heading)."""
    lines = []
    rec = value.reconciliation
    if rec is None:
        lines.append("  billing: never reconciled (run `callers reconcile BILLING.csv`)")
    else:
        lines.append(f"  billing, reconciled {rec.ran_at:%Y-%m-%d %H:%M} UTC by {rec.ran_by}"
                     f" ({rec.billing_rows:,} billing rows, {rec.customers:,} customers):")
        lines.append(f"    unbilled customers   {rec.unbilled:>10,}" + _amount_note(
            rec.unbilled_amount, rec.unbilled_with_amount, "their cancelled accounts billed"))
        lines.append(f"    unknown accounts     {rec.unknown:>10,}" + _amount_note(
            rec.unknown_amount, rec.unknown_with_amount, "billed to customers nobody calls"))
        if rec.ambiguous:
            lines.append(f"    ambiguous            {rec.ambiguous:>10,}")
        if rec.amounts_unread:
            lines.append(f"    ({rec.amounts_unread:,} amounts are not numbers: not summed)")
    lines += [
        f"  services leads       {value.services_leads:>10,}  (stalled or not started, now)",
        f"  beta candidates      {value.beta_candidates:>10,}  (live and referenceable, now)",
        f"  references delivered {value.references_delivered:>10,}  (since {value.quarter_since:%Y-%m-%d})",
        f"  thank-yous sent      {value.thank_yous_sent:>10,}  ({value.thank_yous_owed:,} owed now)",
        f"  facts confirmed      {value.facts_confirmed_total:>10,}  ("
        + ", ".join(f"{fact} {n:,}" for fact, n in value.facts_confirmed.items()) + ")",
    ]
    return lines


def _amount_note(amount: float | None, covered: int, what: str) -> str:
    if amount is None:
        return "  (no amount column)"
    if not covered:
        return "  (no amounts)"
    return f"  {money(amount)} {what} ({covered:,} with an amount)"
