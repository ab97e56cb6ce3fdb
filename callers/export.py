"""`callers export customers|contacts|calls|forwards`: the data, out again.

Rows are streamed from the database (iterators, never one big list). In
every export `customer` is the customer's name as imported and `external_id`
its account id; times are ISO 8601 in UTC.

CSV is safe to open in a spreadsheet: a cell that begins with `=`, `+`, `-`,
`@`, a tab or a carriage return gets a leading `'` (OWASP CSV injection; see
`callers.csvout`). JSON keeps every text exactly.

`callers import` reads the contacts and the customers exports back: every
field it knows is here (the contact's alternate number and source id, the
customer's facts and do-not-call), so an export imported into an empty
database exports again as the same rows, ids and due times aside.
"""

from __future__ import annotations

import errno
import json
import sys
from datetime import datetime
from pathlib import Path
from typing import Iterator, TextIO

from peewee import JOIN

from callers import clock, csvout
from callers.errors import CallersError
from models.db import connection
from models.tables import REFERENCE_KINDS, Call, Contact, Customer, Department, Forward

FIELDS = {
    "customers": ("external_id", "name", "industry", "employees", "country", "account_manager",
                  "do_not_call", "implementation_state", "referenceability", "next_due"),
    "contacts": ("customer", "external_id", "name", "title", "role", "phone", "extension", "email",
                 "timezone", "do_not_call", "contact_id", "alternate_phone", "alternate_extension",
                 "industry", "employees", "country", "account_manager", "customer_do_not_call", "gone"),
    "calls": ("customer", "contact", "caller", "started_at", "ended_at", "outcome", "callback_at",
              "dialled_at", "answered_at", "ring_seconds", "hangup_cause", "zone", "country"),
    "forwards": ("customer", "department", "assignee", "note", "status", "created_at",
                 "resolved_at", "resolution"),
}
KINDS = tuple(FIELDS)
FORMULA_START = csvout.FORMULA_START
_PAGE = 2000


def iso(value: datetime | None) -> str | None:
    """A stored (naive UTC) time as ISO 8601 UTC, e.g. 2026-11-23T09:30:00+00:00."""
    if value is None:
        return None
    return clock.from_db(value).isoformat(timespec="seconds")


def neutralise(value) -> str:
    """A CSV cell a spreadsheet will not run as a formula (`callers.csvout.cell`)."""
    return csvout.cell(value)


def _referenceability(row: dict) -> dict:
    """Every kind: yes, no, not_now, or unknown (nobody has said; never "no")."""
    return {kind: row.get(f"ref_{kind}") or "unknown" for kind in REFERENCE_KINDS}


def _paged(query, key) -> Iterator[dict]:
    """All rows of a query in id order, page by page (keyset), as dicts."""
    last = None
    while True:
        page = query if last is None else query.where(key > last)
        rows = list(page.order_by(key).limit(_PAGE).dicts())
        if not rows:
            return
        yield from rows
        last = rows[-1]["_key"]
        if len(rows) < _PAGE:
            return


def customers() -> Iterator[dict]:
    query = Customer.select(Customer.id.alias("_key"), Customer.external_id, Customer.name,
                            Customer.industry, Customer.employees, Customer.country,
                            Customer.account_manager, Customer.do_not_call,
                            Customer.implementation_state, Customer.next_due_at,
                            *[getattr(Customer, f"ref_{k}") for k in REFERENCE_KINDS])
    for row in _paged(query, Customer.id):
        yield {"external_id": row["external_id"], "name": row["name"], "industry": row["industry"],
               "employees": row["employees"], "country": row["country"],
               "account_manager": row["account_manager"], "do_not_call": bool(row["do_not_call"]),
               "implementation_state": row["implementation_state"],
               "referenceability": _referenceability(row), "next_due": iso(row["next_due_at"])}


def contacts() -> Iterator[dict]:
    query = (Contact.select(Contact.id.alias("_key"), Customer.name.alias("customer"),
                            Customer.external_id, Contact.name, Contact.title, Contact.role,
                            Contact.phone, Contact.extension, Contact.email, Contact.timezone,
                            Contact.do_not_call, Contact.external_id.alias("contact_id"),
                            Contact.alt_phone, Contact.alt_extension, Customer.industry,
                            Customer.employees, Customer.country, Customer.account_manager,
                            Customer.do_not_call.alias("customer_do_not_call"), Contact.active)
             .join(Customer))
    for row in _paged(query, Contact.id):
        yield {"customer": row["customer"], "external_id": row["external_id"], "name": row["name"],
               "title": row["title"], "role": row["role"], "phone": row["phone"],
               "extension": row["extension"], "email": row["email"], "timezone": row["timezone"],
               "do_not_call": bool(row["do_not_call"]), "contact_id": row["contact_id"],
               "alternate_phone": row["alt_phone"], "alternate_extension": row["alt_extension"],
               "industry": row["industry"], "employees": row["employees"], "country": row["country"],
               "account_manager": row["account_manager"],
               "customer_do_not_call": bool(row["customer_do_not_call"]), "gone": not row["active"]}


def calls() -> Iterator[dict]:
    query = (Call.select(Call.id.alias("_key"), Customer.name.alias("customer"),
                         Contact.name.alias("contact"), Call.caller, Call.started_at,
                         Call.ended_at, Call.outcome, Call.callback_at, Call.dialled_at,
                         Call.answered_at, Call.hangup_cause, Call.zone, Call.country)
             .join(Customer).switch(Call).join(Contact, JOIN.LEFT_OUTER))
    for row in _paged(query, Call.id):
        yield {"customer": row["customer"], "contact": row["contact"], "caller": row["caller"],
               "started_at": iso(row["started_at"]), "ended_at": iso(row["ended_at"]),
               "outcome": row["outcome"], "callback_at": iso(row["callback_at"]),
               "dialled_at": iso(row["dialled_at"]), "answered_at": iso(row["answered_at"]),
               "ring_seconds": ring_seconds(row["dialled_at"], row["answered_at"], row["ended_at"]),
               "hangup_cause": row["hangup_cause"], "zone": row["zone"], "country": row["country"]}


def ring_seconds(dialled: datetime | None, answered: datetime | None, ended: datetime | None) -> int | None:
    """Whole seconds the call rang: dialled to answered, or to the end when
    nobody answered; None when no dialler placed it."""
    until = answered or ended
    if dialled is None or until is None:
        return None
    dialled, until = clock.from_db(dialled), clock.from_db(until)
    return max(0, round((until - dialled).total_seconds()))


def forwards() -> Iterator[dict]:
    query = (Forward.select(Forward.id.alias("_key"), Customer.name.alias("customer"),
                            Department.name.alias("department"), Forward.assignee, Forward.note,
                            Forward.status, Forward.created_at, Forward.resolved_at,
                            Forward.resolution)
             .join(Customer).switch(Forward).join(Department))
    for row in _paged(query, Forward.id):
        yield {"customer": row["customer"], "department": row["department"],
               "assignee": row["assignee"], "note": row["note"], "status": row["status"],
               "created_at": iso(row["created_at"]), "resolved_at": iso(row["resolved_at"]),
               "resolution": row["resolution"]}


ROWS = {"customers": customers, "contacts": contacts, "calls": calls, "forwards": forwards}


def rows(what: str) -> Iterator[dict]:
    if what not in ROWS:
        raise CallersError(f"cannot export {what!r}: choose one of {', '.join(KINDS)}")
    return ROWS[what]()


def write_csv(out: TextIO, what: str, items) -> int:
    return csvout.write_dicts(out, FIELDS[what], items)


def write_json(out: TextIO, items) -> int:
    """A JSON array, written one object at a time."""
    count = 0
    out.write("[")
    for item in items:
        out.write(",\n  " if count else "\n  ")
        out.write(json.dumps(item, ensure_ascii=False))
        count += 1
    out.write("\n]\n" if count else "]\n")
    return count


def export(what: str, fmt: str = "csv", path: Path | None = None, out: TextIO | None = None) -> int:
    """Write one export to path (or out, or stdout). Returns the number of rows."""
    if fmt not in ("csv", "json"):
        raise CallersError(f"unknown format {fmt!r}: use csv or json")
    with connection():
        items = rows(what)
        if path is not None:
            # A BOM so spreadsheets read UTF-8 CSV right; JSON stays plain UTF-8.
            encoding = "utf-8-sig" if fmt == "csv" else "utf-8"
            tmp = Path(str(path) + ".part")
            try:
                with open(tmp, "w", encoding=encoding, newline="") as handle:
                    count = write_csv(handle, what, items) if fmt == "csv" else write_json(handle, items)
                tmp.replace(path)
            except OSError as exc:
                raise _cannot_write(path, exc) from None
            finally:
                tmp.unlink(missing_ok=True)
            return count
        if out is None:
            from callers.printable import data_stream

            out = data_stream(sys.stdout)
        return write_csv(out, what, items) if fmt == "csv" else write_json(out, items)


def _cannot_write(path: Path, exc: OSError) -> CallersError:
    """The one line for an export file that could not be written (nothing is
    left behind: the part written so far is removed)."""
    if exc.errno == errno.ENOSPC:
        return CallersError(f"disk full: {path} not written (nothing of it is left behind)")
    return CallersError(f"cannot write {path}: {exc.strerror or exc} (nothing of it is left behind)")
