"""Billing reconciliation: every supported customer billed, every billed one known.

`reconcile(path)` reads a billing system's account export (id, name, plan,
amount, status; columns recognised by their headers, or `--map COLUMN=FIELD`)
and sorts it against the customers:

- matched: a billing account that is a customer, by account id (the
  customer's `external_id`, or a billing id stored earlier with `--link`),
  else by name key (`callers.names.name_key`: case, punctuation, accents and
  legal forms ignored, so 'ACME, Inc.' is 'Acme Inc').
- unbilled: customers with no active billing account (revenue leak). Every
  customer in the database is supported, do-not-call ones included (asking
  not to be phoned does not end a contract); they are flagged. A customer
  whose only billing accounts are cancelled/inactive is unbilled, with that
  account and its status shown. Customers that are candidates of an
  ambiguous billing row are not listed as unbilled (they may be billed).
- unknown: active billing accounts matching no customer (nobody calls them).
- ambiguous: an active billing row whose name fits several customers (and
  whose id fits none); one item per candidate, never guessed.

Billing rows with a status of cancelled, inactive, closed, terminated,
churned, expired, ended or deleted are not billing anyone: they never count
as matched, and when they match no customer they are left out of unknown (a
former customer nobody needs to call).

A billing line that cannot be read as a row (a quote never closed, a cell
over the size limit: `callers.tabular`) is listed as unreadable, with its
line and why, never silently dropped.

Reading is one pass over the file and one query per table (customers,
billing links): no query per row or per customer. `reconcile()` writes
nothing unless `link=True`, which stores the matched billing ids
(idempotent); `callers reconcile` then keeps what it found for the report's
"value" section (`callers.value.record_reconciliation`).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from callers import clock, names
from callers.errors import CallersError
from callers.tabular import Unreadable, normalise_header, open_table
from models.db import batch_size, connection, write_transaction
from models.tables import BillingLink, Customer

BILLING_FIELDS = ("id", "name", "plan", "amount", "status")

# Normalised header -> field, in order of preference within each field.
ALIASES: dict[str, tuple[str, ...]] = {
    "id": ("billingid", "billingaccountid", "billingaccount", "accountid", "accountnumber", "accountno",
           "customerid", "customernumber", "customerno", "externalid", "externalaccountid", "companyid",
           "clientid", "id"),
    "name": ("accountname", "customername", "companyname", "billingname", "billtoname", "customer", "company",
             "account", "organization", "organisation", "organizationname", "organisationname", "client",
             "clientname", "name"),
    "plan": ("plan", "planname", "product", "productname", "subscription", "subscriptionplan", "tier",
             "edition", "package"),
    "amount": ("amount", "mrr", "arr", "monthlyamount", "annualamount", "price", "total", "fee", "value",
               "revenue", "billedamount"),
    "status": ("status", "accountstatus", "subscriptionstatus", "billingstatus", "state"),
}
# What people may write after --map COLUMN= (besides the field names).
FIELD_SYNONYMS = {
    "external_id": "id", "account_id": "id", "billing_id": "id", "customer": "name", "company": "name",
    "account_name": "name", "product": "plan", "mrr": "amount", "price": "amount", "state": "status",
    "ignore": "ignore",
}
INACTIVE = frozenset({"cancelled", "canceled", "cancel", "inactive", "closed", "terminated", "churned",
                      "expired", "ended", "deleted"})

CSV_COLUMNS = ("category", "external_id", "name", "billing_id", "billing_name", "plan", "amount", "status",
               "matched_by", "note")


@dataclass(frozen=True)
class BillingRow:
    line: int
    billing_id: str | None
    name: str | None
    plan: str | None
    amount: str | None
    status: str | None

    @property
    def active(self) -> bool:
        return not (set(names.fold(self.status or "").split()) & INACTIVE)


@dataclass
class Result:
    matched: list[dict] = field(default_factory=list)
    unbilled: list[dict] = field(default_factory=list)
    unknown: list[dict] = field(default_factory=list)
    ambiguous: list[dict] = field(default_factory=list)
    rows: int = 0  # billing rows read
    skipped: list[int] = field(default_factory=list)  # lines with neither id nor name
    unreadable: list[dict] = field(default_factory=list)  # {"line", "reason"}: records not read as rows
    inactive_ignored: int = 0  # cancelled/inactive accounts matching no customer
    customers: int = 0
    linked: int = 0
    already_linked: int = 0
    amounts: int = 0  # billing rows with an amount (0: no amount column, or an empty one)

    def as_dict(self) -> dict:
        return {"matched": self.matched, "unbilled": self.unbilled, "unknown": self.unknown,
                "ambiguous": self.ambiguous, "unreadable": self.unreadable}

    def csv_rows(self):
        for category in ("matched", "unbilled", "unknown", "ambiguous"):
            for item in getattr(self, category):
                note = item.get("reason") or ""
                if category == "ambiguous":
                    note = f"{item['candidates']} candidates for billing line {item['line']}"
                yield (category, item.get("external_id") or "", item.get("name") or "",
                       item.get("billing_id") or "", item.get("billing_name") or "", item.get("plan") or "",
                       item.get("amount") or "", item.get("status") or item.get("billing_status") or "",
                       item.get("matched_by") or "", note)
        for item in self.unreadable:
            yield ("unreadable", "", "", "", "", "", "", "", "", item["reason"])

    def text_lines(self):
        yield (f"{self.rows} billing accounts, {self.customers} customers: {len(self.matched)} matched, "
               f"{len(self.unbilled)} unbilled, {len(self.unknown)} unknown, "
               f"{len({a['line'] for a in self.ambiguous})} ambiguous")
        if self.inactive_ignored:
            yield f"({self.inactive_ignored} cancelled or inactive billing accounts match no customer: ignored)"
        for item in self.unreadable:
            yield f"(not read: {item['reason']})"
        if self.skipped:
            yield f"(lines with neither id nor name, skipped: {', '.join(map(str, self.skipped[:20]))}" + \
                  (" ..." if len(self.skipped) > 20 else "") + ")"
        yield ""
        yield f"Unbilled: supported customers with no active billing account ({len(self.unbilled)})"
        for item in self.unbilled:
            extra = f"  [{item['reason']}: {item['billing_id']}]" if item.get("billing_id") else ""
            dnc = "  (do not call)" if item.get("do_not_call") else ""
            yield f"  {item['external_id'] or '-'}  {item['name']}{extra}{dnc}"
        yield ""
        yield f"Unknown: billed accounts matching no customer ({len(self.unknown)})"
        for item in self.unknown:
            yield f"  {item['external_id'] or '-'}  {item['name'] or '-'}  {item.get('plan') or ''}".rstrip()
        yield ""
        groups: dict[int, list[dict]] = defaultdict(list)
        for item in self.ambiguous:
            groups[item["line"]].append(item)
        yield f"Ambiguous: billing accounts fitting several customers ({len(groups)})"
        for line, items in groups.items():
            first = items[0]
            yield f"  line {line}: {first['billing_id'] or '-'}  {first['billing_name']}  could be:"
            for item in items:
                yield f"      {item['external_id'] or '-'}  {item['name']}"
        yield ""
        yield f"Matched ({len(self.matched)})"
        for item in self.matched:
            yield (f"  {item['external_id'] or '-'}  {item['name']}  <-  {item['billing_id'] or '-'}  "
                   f"{item['billing_name'] or ''}  (by {item['matched_by']})")


def parse_map(specs: list[str]) -> dict[str, str]:
    """--map COLUMN=FIELD values as {column: field}."""
    out: dict[str, str] = {}
    for spec in specs:
        column, sep, target = spec.partition("=")
        column, target = column.strip(), target.strip()
        if not sep or not column or not target:
            raise CallersError(f"--map {spec!r}: write COLUMN=FIELD, e.g. --map \"Konto=id\"")
        key = target.lower().replace("-", "_").replace(" ", "_")
        fieldname = key if key in BILLING_FIELDS else FIELD_SYNONYMS.get(key)
        if fieldname is None:
            raise CallersError(f"--map {spec!r}: unknown field {target!r}; fields: {', '.join(BILLING_FIELDS)}, "
                               "ignore")
        out[column] = fieldname
    return out


def detect(columns: list[str], mapping: dict[str, str] | None = None) -> dict[str, int]:
    """Which column holds which billing field: {field: column index}."""
    keys = [normalise_header(c) for c in columns]
    chosen: dict[str, int] = {}
    taken: set[int] = set()
    for column, fieldname in (mapping or {}).items():
        idx = [i for i, c in enumerate(columns) if c == column] or \
              [i for i, k in enumerate(keys) if k and k == normalise_header(column)]
        if not idx:
            found = ", ".join(repr(c) for c in columns if c)
            raise CallersError(f"--map {column}={fieldname}: no column {column!r} in the file; columns found: {found}")
        taken.add(idx[0])
        if fieldname != "ignore":
            chosen[fieldname] = idx[0]
    for fieldname in BILLING_FIELDS:
        if fieldname in chosen:
            continue
        for alias in ALIASES[fieldname]:
            idx = next((i for i, k in enumerate(keys) if k == alias and i not in taken), None)
            if idx is not None:
                chosen[fieldname] = idx
                taken.add(idx)
                break
    if "id" not in chosen and "name" not in chosen:
        found = ", ".join(repr(c) for c in columns if c) or "(none)"
        raise CallersError(
            f"no account id or customer name column in the billing file. Columns found: {found}. "
            'Map columns with --map COLUMN=FIELD (fields: id, name, plan, amount, status), e.g. --map "Konto=id"'
        )
    return chosen


def read_billing(path, mapping: dict[str, str] | None = None, unreadable: list | None = None):
    """(rows, skipped line numbers) from a billing export; records that
    cannot be read as rows go to `unreadable` ({"line", "reason"})."""
    rows: list[BillingRow] = []
    skipped: list[int] = []
    with open_table(path) as table:
        cols = detect(table.columns, mapping)

        def cell(cells: list[str], name: str) -> str | None:
            i = cols.get(name)
            if i is None or i >= len(cells):
                return None
            return cells[i].strip() or None

        for line, cells in table.rows:
            if cells.__class__ is Unreadable:
                if unreadable is not None:
                    unreadable.append({"line": line, "reason": cells.reason})
                continue
            row = BillingRow(line, cell(cells, "id"), cell(cells, "name"), cell(cells, "plan"),
                             cell(cells, "amount"), cell(cells, "status"))
            if row.billing_id is None and row.name is None:
                skipped.append(line)
                continue
            rows.append(row)
    return rows, skipped


def reconcile(path, mapping: dict[str, str] | None = None, link: bool = False) -> Result:
    unreadable: list[dict] = []
    billing, skipped = read_billing(path, mapping, unreadable)
    result = Result(rows=len(billing) + len(skipped) + len(unreadable), skipped=skipped, unreadable=unreadable,
                    amounts=sum(1 for row in billing if row.amount))
    with connection():
        customers = {cid: (ext, name, dnc, am) for cid, ext, name, dnc, am in Customer.select(
            Customer.id, Customer.external_id, Customer.name, Customer.do_not_call,
            Customer.account_manager).tuples().iterator()}
        links = dict(BillingLink.select(BillingLink.billing_id, BillingLink.customer).tuples())
    result.customers = len(customers)
    by_ext = {ext: cid for cid, (ext, *_rest) in customers.items() if ext}
    by_key: dict[str, list[int]] = defaultdict(list)
    for cid, (_ext, name, *_rest) in customers.items():
        by_key[names.name_key(name)].append(cid)

    billed: set[int] = set()
    maybe: set[int] = set()  # candidates of ambiguous rows
    inactive: dict[int, BillingRow] = {}
    to_link: dict[str, int] = {}

    def who(cid: int) -> dict:
        ext, name, _dnc, _am = customers[cid]
        return {"external_id": ext, "name": name}

    for row in billing:
        cid, how, candidates = None, None, []
        if row.billing_id and row.billing_id in links:
            cid, how = links[row.billing_id], "link"
        elif row.billing_id and row.billing_id in by_ext:
            cid, how = by_ext[row.billing_id], "id"
        elif row.name:
            candidates = by_key.get(names.name_key(row.name), [])
            if len(candidates) == 1:
                cid, how = candidates[0], "name"
        billing_side = {"billing_id": row.billing_id, "billing_name": row.name, "plan": row.plan,
                        "amount": row.amount, "status": row.status, "line": row.line}
        if cid is not None:
            if not row.active:
                inactive.setdefault(cid, row)
                continue
            billed.add(cid)
            result.matched.append({**who(cid), **billing_side, "matched_by": how})
            if row.billing_id and how != "link" and row.billing_id not in to_link:
                to_link[row.billing_id] = cid
        elif not row.active:
            result.inactive_ignored += 1
        elif len(candidates) > 1:
            maybe.update(candidates)
            for c in sorted(candidates, key=lambda c: (customers[c][1], c)):
                result.ambiguous.append({**who(c), "billing_id": row.billing_id, "billing_name": row.name,
                                         "plan": row.plan, "amount": row.amount, "status": row.status,
                                         "line": row.line, "candidates": len(candidates)})
        else:
            result.unknown.append({"external_id": row.billing_id, "name": row.name, "plan": row.plan,
                                   "amount": row.amount, "status": row.status, "line": row.line})

    for cid in sorted((c for c in customers if c not in billed and c not in maybe),
                      key=lambda c: (customers[c][1].casefold(), c)):
        ext, name, dnc, am = customers[cid]
        item = {"customer_id": cid, "external_id": ext, "name": name, "do_not_call": bool(dnc),
                "account_manager": am, "reason": "no billing account", "billing_id": None,
                "billing_status": None, "amount": None}
        gone = inactive.get(cid)
        if gone is not None:  # what the cancelled account billed: the revenue that stopped
            item.update(reason=f"billing account {gone.status}", billing_id=gone.billing_id,
                        billing_status=gone.status, amount=gone.amount)
        result.unbilled.append(item)
    result.matched.sort(key=lambda m: (m["name"].casefold(), m["line"]))

    result.already_linked = sum(1 for m in result.matched if m["matched_by"] == "link")
    if link:
        result.linked = _link(to_link, links)
    return result


def _link(to_link: dict[str, int], existing: dict[str, int]) -> int:
    """Store the billing ids of matched accounts not stored yet; how many were new."""
    new = [{"customer": cid, "billing_id": bid, "linked_at": clock.db_now()}
           for bid, cid in to_link.items() if bid not in existing]
    if not new:
        return 0
    with connection(), write_transaction():
        before = BillingLink.select().count()
        size = batch_size(3)
        for at in range(0, len(new), size):
            BillingLink.insert_many(new[at:at + size]).on_conflict_ignore().execute()
        after = BillingLink.select().count()
    return after - before
