"""Importing the customer list from a support-desk or CRM export.

`import_file(path, region=..., maps=[...], dry_run=...)` recognises the export
(Zendesk, Freshdesk, HubSpot, Salesforce, a generic account/contact CSV, or
any file with `--map COLUMN=FIELD`), puts every phone number through
`callers.phones`, groups rows into customers (account id, else the company
name's key), dedupes contacts (source contact id, E.164 phone or e-mail within
a customer) and writes in batches. Every row ends as exactly one of created,
updated, unchanged, duplicate, rejected (with a reason) or skipped (with a
reason); re-importing creates nothing twice.

Rules worth knowing:
- A value in the file overwrites the stored one; an empty cell never erases.
  Within one file, the first non-empty value for a customer fact wins.
- Do-not-call is only ever set by an import, never cleared (a "do not call"
  said on a call outlives an old export).
- A row that changes only its customer (e.g. a new industry) counts as updated.
- A customer list (`callers export customers`: no phone column) creates and
  updates customers only; each row is one customer.
- Implementation state and referenceability (a customer list's columns) fill
  only what is unknown: an import never overwrites what a call found.
- An import stopped part-way (the connection dropped, the disk filled up)
  raises `ImportStopped`, which says how many rows were written; every batch
  is its own transaction, and importing the file again is safe.
"""

from __future__ import annotations

import contextlib
import errno
import gc
import re
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Callable, Iterable


import peewee

from callers import clock, countries, csvout, names, phones, queue
from callers.errors import CallersError, failure_cause
from callers.tabular import Table, Unreadable, normalise_header, open_table
from models.db import batch_size, connection, database, max_variables, write_transaction
from models.tables import (DUE_NEVER_REACHED, IMPLEMENTATION_STATES, REFERENCE_ANSWERS, REFERENCE_KINDS,
                           Contact, Customer)

# The fields a column can be mapped to, and what they mean.
FIELDS = {
    "customer": "the customer's (company's) name",
    "external_id": "the customer's account id in the source",
    "name": "the contact's full name",
    "first_name": "the contact's first name",
    "last_name": "the contact's last name",
    "title": "the contact's job title",
    "role": "buyer / user / other",
    "phone": "the number to call",
    "extension": "the phone's extension",
    "mobile": "an alternate (mobile) number",
    "alt_extension": "the alternate number's extension",
    "email": "the contact's e-mail",
    "country": "country code or name, for numbers without +",
    "industry": "the customer's industry",
    "employees": "the customer's number of employees",
    "account_manager": "the customer's account manager",
    "do_not_call": "yes/true/1: do not call this contact",
    "customer_do_not_call": "yes/true/1: do not call this customer at all",
    "implementation_state": "not_started / in_progress / live / stalled (fills an unknown state only)",
    "referenceability": "e.g. 'prospect_call=yes; press=no' (fills unknown answers only)",
    "contact_id": "the contact's id in the source",
    "tags": "tags; 'do_not_call' or 'dnc' marks the contact do-not-call",
    "desk_role": "the help desk's role; agent/admin rows are staff and skipped",
    "ignore": "(leave this column out)",
}

OUTCOMES = ("created", "updated", "unchanged", "duplicate", "rejected", "skipped")

# Columns of a generic account/contact CSV, by normalised header.
GENERIC = {
    "accountid": "external_id", "accountnumber": "external_id", "accountno": "external_id",
    "customerid": "external_id", "customernumber": "external_id", "customerno": "external_id",
    "companyid": "external_id", "externalaccountid": "external_id",
    "accountname": "customer", "account": "customer", "company": "customer",
    "companyname": "customer", "customer": "customer", "customername": "customer",
    "organization": "customer", "organisation": "customer", "organizationname": "customer",
    "organisationname": "customer", "client": "customer",
    "contactname": "name", "contact": "name", "name": "name", "fullname": "name",
    "contactperson": "name", "person": "name",
    "firstname": "first_name", "givenname": "first_name", "forename": "first_name",
    "lastname": "last_name", "surname": "last_name", "familyname": "last_name",
    "title": "title", "jobtitle": "title", "position": "title", "function": "title",
    "role": "role", "contactrole": "role", "contacttype": "role",
    "phone": "phone", "phonenumber": "phone", "telephone": "phone", "tel": "phone",
    "telephonenumber": "phone", "workphone": "phone", "businessphone": "phone",
    "officephone": "phone", "directphone": "phone", "directdial": "phone",
    "mobile": "mobile", "mobilephone": "mobile", "mobilenumber": "mobile", "cell": "mobile",
    "cellphone": "mobile", "mobilephonenumber": "mobile",
    "extension": "extension", "ext": "extension", "phoneextension": "extension",
    "email": "email", "emailaddress": "email", "mail": "email",
    "country": "country", "countrycode": "country", "countryregion": "country",
    "mailingcountry": "country", "billingcountry": "country",
    "industry": "industry", "sector": "industry",
    "employees": "employees", "numberofemployees": "employees", "employeecount": "employees",
    "noofemployees": "employees", "headcount": "employees", "companysize": "employees",
    "accountmanager": "account_manager", "accountowner": "account_manager",
    "contactowner": "account_manager", "owner": "account_manager",
    "donotcall": "do_not_call", "dnc": "do_not_call", "donotphone": "do_not_call",
    "contactid": "contact_id", "tags": "tags", "externalid": "external_id",
    "altphone": "mobile", "alternatephone": "mobile", "otherphone": "mobile",
    "altextension": "alt_extension", "alternateextension": "alt_extension", "mobileextension": "alt_extension",
    "customerdonotcall": "customer_do_not_call",
    "implementationstate": "implementation_state", "implementation": "implementation_state",
    "referenceability": "referenceability",
}
_PHONE_COLUMNS = frozenset(key for key, name in GENERIC.items() if name in ("phone", "mobile"))


@dataclass(frozen=True)
class Layout:
    kind: str
    columns: dict  # normalised header -> field
    test: Callable[[set], bool]


LAYOUTS = (
    Layout("zendesk", {
        "name": "name", "email": "email", "externalid": "contact_id", "phone": "phone",
        "role": "desk_role", "organization": "customer", "tags": "tags",
        "details": "ignore", "notes": "ignore", "restriction": "ignore",
    }, lambda h: {"name", "email", "role", "restriction", "organization"} <= h),
    Layout("freshdesk", {
        "name": "name", "email": "email", "jobtitle": "title", "company": "customer",
        "workphone": "phone", "mobilephone": "mobile", "uniqueexternalid": "contact_id",
        "tags": "tags", "twitterid": "ignore", "language": "ignore", "timezone": "ignore",
    }, lambda h: {"company", "workphone", "mobilephone"} <= h),
    Layout("hubspot", {
        "recordidcontact": "contact_id", "firstname": "first_name", "lastname": "last_name",
        "email": "email", "phonenumber": "phone", "mobilephonenumber": "mobile",
        "contactowner": "account_manager", "companyname": "customer",
        "countryregion": "country", "industry": "industry", "jobtitle": "title",
        "numberofemployees": "employees",
    }, lambda h: "recordidcontact" in h or {"contactowner", "companyname", "phonenumber"} <= h),
    Layout("salesforce", {
        "contactid": "contact_id", "id": "contact_id", "accountid": "external_id",
        "accountname": "customer", "firstname": "first_name", "lastname": "last_name",
        "title": "title", "phone": "phone", "mobile": "mobile", "mobilephone": "mobile",
        "email": "email", "mailingcountry": "country", "donotcall": "do_not_call",
        "accountowner": "account_manager", "contactowner": "account_manager",
    }, lambda h: ({"firstname", "lastname"} <= h
                  and bool(h & {"contactid", "mailingcountry", "donotcall", "mobilephone"}))),
    # `callers export customers`: a customer list, one customer a row, no contacts.
    Layout("customers", {
        "externalid": "external_id", "name": "customer", "industry": "industry", "employees": "employees",
        "country": "country", "accountmanager": "account_manager", "donotcall": "customer_do_not_call",
        "implementationstate": "implementation_state", "referenceability": "referenceability",
        "nextdue": "ignore",
    }, lambda h: {"externalid", "name", "implementationstate", "referenceability"} <= h
        and not h & _PHONE_COLUMNS),
)

_TRUE = {"1", "true", "yes", "y", "x", "t", "dnc", "donotcall", "wahr", "ja", "oui", "si", "checked", "on"}
_NUMBER = re.compile(r"\d[\d,.' \u00a0]*")
_STAFF = {"agent", "admin", "administrator", "lightagent", "owner"}
ROW_BATCH = 2000
_NEUTRALISED = ("=", "+", "-", "@", "\t", "\r")


@dataclass
class Mapping:
    kind: str  # zendesk / freshdesk / hubspot / salesforce / customers / generic / mapped
    fields: dict  # field -> [column index, ...]
    columns: list

    def describe(self) -> str:
        parts = []
        for name, idxs in self.fields.items():
            parts.append(f"{'+'.join(self.columns[i] for i in idxs)}={name}")
        return ", ".join(parts)


@dataclass
class ImportResult:
    rows: int = 0
    customers_created: int = 0
    customers_updated: int = 0
    contacts_created: int = 0
    contacts_updated: int = 0
    unchanged: int = 0
    duplicates: int = 0
    rejected: int = 0
    skipped: int = 0
    rejects_file: str | None = None
    kind: str = ""
    encoding: str = ""
    delimiter: str = ""
    dry_run: bool = False
    reasons: Counter = field(default_factory=Counter)  # "rejected: ..." / "skipped: ..."
    # (line, outcome, reason) of rejected and skipped rows (first 1000).
    problems: list = field(default_factory=list)

    JSON_KEYS = ("rows", "customers_created", "customers_updated", "contacts_created",
                 "contacts_updated", "unchanged", "duplicates", "rejected", "skipped",
                 "rejects_file")

    def as_json(self) -> dict:
        return {key: getattr(self, key) for key in self.JSON_KEYS}

    def summary(self, name: str) -> str:
        head = "Dry run (nothing written): " if self.dry_run else "Imported "
        if self.kind == "customers":
            return (f"{head}{name} (customers, {self.encoding}, {self.delimiter}): {self.rows:,} rows: "
                    f"{self.customers_created:,} customers created, {self.customers_updated:,} updated, "
                    f"{self.unchanged:,} unchanged, {self.duplicates:,} duplicates, "
                    f"{self.rejected:,} rejected, {self.skipped:,} skipped")
        return (f"{head}{name} ({self.kind}, {self.encoding}, {self.delimiter}): {self.rows:,} rows: "
                f"{self.contacts_created:,} contacts created, {self.contacts_updated:,} updated, "
                f"{self.unchanged:,} unchanged, {self.duplicates:,} duplicates, "
                f"{self.rejected:,} rejected, {self.skipped:,} skipped; "
                f"customers: {self.customers_created:,} created, {self.customers_updated:,} updated")


# ---- Recognising the layout ----------------------------------------------


def expected_fields() -> str:
    return ", ".join(f for f in FIELDS if f not in ("ignore", "desk_role"))


def _unknown(columns: list[str], missing: list[str]) -> CallersError:
    found = ", ".join(repr(c) for c in columns if c) or "(none)"
    return CallersError(
        f"unknown layout: no column for {' or '.join(missing)}. Columns found: {found}. "
        f"Fields expected: {expected_fields()} (customer and phone or mobile are needed). "
        'Map columns with --map COLUMN=FIELD, e.g. --map "Firma=customer" --map "Telefon=phone"'
    )


def _field_name(text: str) -> str | None:
    key = text.strip().lower().replace("-", "_").replace(" ", "_")
    if key in FIELDS:
        return key
    return GENERIC.get(normalise_header(text))


def detect(columns: list[str], maps: Iterable[str] = ()) -> Mapping:
    """Which export this is and which column holds which field."""
    keys = [normalise_header(c) for c in columns]
    present = {k for k in keys if k}
    layout = next((lay for lay in LAYOUTS if lay.test(present)), None)
    by_column: dict[int, str] = {}
    for i, key in enumerate(keys):
        if not key:
            continue
        if layout and key in layout.columns:
            by_column[i] = layout.columns[key]
        elif key in GENERIC:
            by_column[i] = GENERIC[key]
    maps = list(maps or ())
    detected = set(by_column.values())
    for spec in maps:
        column, sep, target = spec.partition("=")
        column, target = column.strip(), target.strip()
        if not sep or not column or not target:
            raise CallersError(f"--map {spec!r}: write COLUMN=FIELD, e.g. --map \"Firma=customer\"")
        fieldname = _field_name(target)
        if fieldname is None:
            raise CallersError(f"--map {spec!r}: unknown field {target!r}; fields: {expected_fields()}, ignore")
        idx = [i for i, c in enumerate(columns) if c == column]
        if not idx:
            idx = [i for i, k in enumerate(keys) if k and k == normalise_header(column)]
        if not idx:
            found = ", ".join(repr(c) for c in columns if c)
            raise CallersError(f"--map {spec!r}: no column {column!r} in the file; columns found: {found}")
        for i in idx:
            by_column[i] = fieldname
    fields: dict[str, list[int]] = {}
    for i in sorted(by_column):
        name = by_column[i]
        if name != "ignore":
            fields.setdefault(name, []).append(i)
    missing = []
    if "customer" not in fields:
        missing.append("customer")
    customer_list = layout is not None and layout.kind == "customers"
    if "phone" not in fields and "mobile" not in fields and not customer_list:
        missing.append("phone")
    if missing:
        raise _unknown(columns, missing)
    if layout is not None:
        kind = layout.kind
    elif "customer" in detected and detected & {"phone", "mobile"}:
        kind = "generic"
    else:
        kind = "mapped"
    return Mapping(kind, fields, list(columns))


# ---- Reading one row --------------------------------------------------------


@dataclass(slots=True)
class CustomerRow:
    """A row's customer: all a row of a customer list holds."""

    line: int
    cells: list
    customer: str
    external_id: str | None
    key: str
    industry: str | None
    employees: int | None
    country: str | None
    account_manager: str | None
    customer_dnc: bool
    implementation: str | None
    references: dict | None
    phone_region: str | None


@dataclass(slots=True)
class Row(CustomerRow):
    """A row of a contact export: its customer, and the contact."""

    contact_id: str | None
    name: str
    role: str | None
    title: str | None
    phone: str
    extension: str | None
    alt_phone: str | None
    alt_extension: str | None
    email: str | None
    timezone: str | None
    do_not_call: bool


class Rejected(Exception):
    pass


class ImportStopped(CallersError):
    """An import that stopped part-way; its message says what was written."""

    def __init__(self, message: str, exit_code: int = 2) -> None:
        super().__init__(message)
        self.exit_code = exit_code


class Skipped(Exception):
    pass


@lru_cache(maxsize=4096)
def _int(text: str | None) -> int | None:
    if not text:
        return None
    match = _NUMBER.search(text)
    if not match:
        return None
    digits = re.sub(r"\D", "", match.group(0))
    if not digits or len(digits) > 9:
        return None
    return int(digits)


@lru_cache(maxsize=1024)
def _role(text: str | None) -> str | None:
    if not text:
        return None
    key = normalise_header(text)
    if key in ("buyer", "user", "other"):
        return key
    if any(word in key for word in ("buy", "decision", "sign", "purchas", "procure", "econom")):
        return "buyer"
    if "user" in key:
        return "user"
    return "other"


@lru_cache(maxsize=1024)
def _true(value: str) -> bool:
    return normalise_header(value) in _TRUE


_STATES = {normalise_header(state): state for state in IMPLEMENTATION_STATES} | {"liveinproduction": "live"}
_ANSWERS = {normalise_header(answer): answer for answer in REFERENCE_ANSWERS}
_KINDS = {normalise_header(kind): kind for kind in REFERENCE_KINDS}
# What an export writes for a fact nobody gave: no fact.
_NOT_GIVEN = {"", "unknown", "notasked", "none", "null"}


def _implementation(text: str | None) -> str | None:
    if not text or normalise_header(text) in _NOT_GIVEN:
        return None
    state = _STATES.get(normalise_header(text))
    if state is None:
        raise Rejected(f"implementation_state {text!r} is not one of {', '.join(IMPLEMENTATION_STATES)}")
    return state


def _references(text: str | None) -> dict | None:
    """'prospect_call=yes; press=no' as {kind: answer}; unknown answers left out."""
    if not text:
        return None
    found = {}
    for part in re.split(r"[;,]", text):
        if not part.strip():
            continue
        kind, sep, answer = part.partition("=")
        key = _KINDS.get(normalise_header(kind))
        if not sep or key is None:
            raise Rejected(f"referenceability {part.strip()!r}: write KIND=ANSWER "
                           f"(kinds: {', '.join(REFERENCE_KINDS)})")
        if normalise_header(answer) in _NOT_GIVEN:
            continue
        value = _ANSWERS.get(normalise_header(answer))
        if value is None:
            raise Rejected(f"referenceability {part.strip()!r}: the answer is one of "
                           f"{', '.join(REFERENCE_ANSWERS)}")
        found.setdefault(key, value)
    return found or None


def _unmark(value: str) -> str:
    """A cell our CSV writer protected ("'+44...", "''=x"), as it was."""
    if value.lstrip("'")[:1] in _NEUTRALISED:
        return value[1:]
    return value


def _dnc(value: str | None, tags: str | None) -> bool:
    if value and _true(value):
        return True
    if tags:
        for tag in re.split(r"[,;\s]+", tags):
            if normalise_header(tag) in ("donotcall", "dnc"):
                return True
    return False


# The longest value each field may hold (PostgreSQL refuses longer ones).
_LIMITS = {
    "customer": Customer.name.max_length, "external_id": Customer.external_id.max_length,
    "industry": Customer.industry.max_length, "account_manager": Customer.account_manager.max_length,
    "name": Contact.name.max_length, "title": Contact.title.max_length, "email": Contact.email.max_length,
    "extension": Contact.extension.max_length, "contact_id": Contact.external_id.max_length,
}


class RowReader:
    """Turns the cells of one row into a `Row`, or raises Rejected/Skipped."""

    def __init__(self, mapping: Mapping, region: str | None):
        self.fields = mapping.fields
        self.width = len(mapping.columns)
        self.region = region
        self._keys: dict[str, str] = {}
        self._countries: dict[str, str | None] = {}
        # (field, column indexes, longest value allowed), in the mapping's order.
        self._plan = tuple((name, tuple(idxs), _LIMITS.get(name)) for name, idxs in self.fields.items())
        # Columns most files lack: their reading is skipped, not done per row for nothing.
        self.profile = "implementation_state" in self.fields or "referenceability" in self.fields
        self.customer_dnc = "customer_do_not_call" in self.fields

    def values(self, cells: list, limits: bool = False) -> dict:
        """field -> the first non-empty cell mapped to it (stripped). With
        limits, raises Rejected for a value longer than its field holds."""
        out = {}
        width = len(cells)
        for name, idxs, limit in self._plan:
            for i in idxs:
                if i >= width:
                    continue
                value = cells[i].strip()
                if not value:
                    continue
                if "\x00" in value:  # never meaningful; PostgreSQL refuses it
                    value = value.replace("\x00", "").strip()
                    if not value:
                        continue
                if value[0] == "'":
                    value = _unmark(value)  # a cell our CSV export protected
                if limits and limit and len(value) > limit:
                    raise Rejected(f"{name} longer than {limit} characters")
                out[name] = value
                break
        return out

    def _fits(self, cells: list) -> None:
        if len(cells) > self.width and any(c.strip() for c in cells[self.width:]):
            raise Rejected(f"{len(cells)} cells but the header has {self.width} columns "
                           f"(an unquoted delimiter?)")

    def read(self, line: int, cells: list) -> Row:
        self._fits(cells)
        found = self.values(cells, limits=True)
        get = found.get
        desk_role = get("desk_role")
        if desk_role and normalise_header(desk_role) in _STAFF:
            raise Skipped(f"help-desk staff ({desk_role.lower()})")
        customer = get("customer")
        if not customer:
            raise Rejected("no company (customer name)")
        country_text = get("country")
        country = None
        if country_text:
            if country_text not in self._countries:
                self._countries[country_text] = countries.country_code(country_text)
            country = self._countries[country_text]
        region = country or self.region
        raw_phone, raw_mobile = get("phone"), get("mobile")
        main = alt = None
        error = None
        for raw in (raw_phone, raw_mobile):
            if not raw:
                continue
            try:
                parsed = phones.parse(raw, region)
            except phones.PhoneError as exc:
                error = error or str(exc)
                continue
            if main is None:
                main = parsed
            elif parsed.e164 != main.e164 or parsed.extension != main.extension:
                alt = parsed
        if main is None:
            if error is None:
                raise Rejected("no phone number")
            if country_text and country is None:
                error += f" (country {country_text!r} not recognised)"
            raise Rejected(error)
        extension = get("extension")
        if extension:
            extension = extension.lstrip("#xX. ").strip() or None
        alt_extension = alt.extension if alt else None
        if alt and get("alt_extension"):
            alt_extension = get("alt_extension").lstrip("#xX. ").strip() or alt_extension
        name = get("name")
        if not name:
            name = " ".join(p for p in (get("first_name"), get("last_name")) if p)
        key = self._keys.get(customer)
        if key is None:
            key = self._keys[customer] = names.name_key(customer) or customer.casefold()
        # Positional (a hot path): the order of Row's fields (CustomerRow's first).
        return Row(
            line, cells, customer, get("external_id"), key,
            get("industry"), _int(get("employees")), country, get("account_manager"),
            self.customer_dnc and _true(get("customer_do_not_call") or ""),
            _implementation(get("implementation_state")) if self.profile else None,
            _references(get("referenceability")) if self.profile else None,
            main.region,
            get("contact_id"), name, _role(get("role")), get("title"),
            main.e164, extension or main.extension,
            alt.e164 if alt else None, alt_extension,
            get("email"), main.timezone or None,
            _dnc(get("do_not_call"), get("tags")),
        )

    def read_customer(self, line: int, cells: list) -> CustomerRow:
        """A row of a customer list (no contact in it)."""
        self._fits(cells)
        found = self.values(cells, limits=True)
        get = found.get
        customer = get("customer")
        if not customer:
            raise Rejected("no company (customer name)")
        country_text = get("country")
        country = countries.country_code(country_text) if country_text else None
        if country_text and country is None:
            raise Rejected(f"country {country_text!r} not recognised")
        key = names.name_key(customer) or customer.casefold()
        return CustomerRow(line, cells, customer, get("external_id"), key, get("industry"),
                           _int(get("employees")), country, get("account_manager"),
                           _true(get("customer_do_not_call") or ""),
                           _implementation(get("implementation_state")), _references(get("referenceability")),
                           None)


# ---- Writing ----------------------------------------------------------------

_CUSTOMER_COLS = (Customer.id, Customer.external_id, Customer.name, Customer.name_key,
                  Customer.industry, Customer.employees, Customer.country,
                  Customer.account_manager, Customer.do_not_call, Customer.source)
_CONTACT_COLS = (Contact.id, Contact.customer, Contact.name, Contact.role, Contact.title,
                 Contact.phone, Contact.extension, Contact.alt_phone, Contact.alt_extension,
                 Contact.email, Contact.timezone, Contact.external_id, Contact.do_not_call,
                 Contact.unreachable, Contact.active)
_CUSTOMER_FACTS = ("industry", "employees", "country", "account_manager")


class _Cust:
    __slots__ = ("id", "external_id", "name", "name_key", "industry", "employees", "country",
                 "account_manager", "do_not_call", "source", "new", "changes")

    def __init__(self, row=None, **values):
        if row is not None:
            (self.id, self.external_id, self.name, self.name_key, self.industry, self.employees,
             self.country, self.account_manager, self.do_not_call, self.source) = row
            self.new = False
        else:
            self.id = None
            self.new = True
            self.do_not_call = False
            for k, v in values.items():
                setattr(self, k, v)
        self.changes = {}


class _Person:
    __slots__ = ("id", "customer_id", "name", "role", "title", "phone", "extension", "alt_phone",
                 "alt_extension", "email", "timezone", "external_id", "do_not_call",
                 "unreachable", "active", "cust")

    def __init__(self, row=None):
        if row is not None:
            (self.id, self.customer_id, self.name, self.role, self.title, self.phone,
             self.extension, self.alt_phone, self.alt_extension, self.email, self.timezone,
             self.external_id, self.do_not_call, self.unreachable, self.active) = row
        self.cust = None


def _select_in(model, columns: tuple, column: str, values: list) -> list[tuple]:
    """SELECT columns FROM model WHERE column IN values, as plain tuples, the
    SQL written directly (no peewee query building or row conversion: text,
    integers and booleans come back as the driver gives them; SQLite's 0/1
    compare equal to False/True)."""
    if not values:
        return []
    db = database.obj
    fields = model._meta.fields
    names = ", ".join(f'"{c.column_name}"' for c in columns)
    marks = ", ".join([db.param] * len(values))
    sql = (f'SELECT {names} FROM "{model._meta.table_name}" '
           f'WHERE "{fields[column].column_name}" IN ({marks})')
    return db.execute_sql(sql, values).fetchall()


def _chunks(items: list, size: int):
    for i in range(0, len(items), size):
        yield items[i:i + size]


class Importer:
    """One run of an import over an open table."""

    def __init__(self, table: Table, mapping: Mapping, region: str | None, dry_run: bool,
                 rejects: csvout.CsvWriter | None = None, progress: Callable[[int], None] | None = None,
                 rejects_handle=None):
        self.table = table
        self.mapping = mapping
        self.reader = RowReader(mapping, region)
        self.dry_run = dry_run
        self.rejects = rejects
        self.rejects_handle = rejects_handle  # flushed after every batch: a full disk is found early
        self.progress = progress
        self.read = 0  # data rows read so far
        self.written = 0  # data rows read up to the last batch committed (final, whatever comes)
        self.customers_met: set[int] = set()  # a customer list: customer ids met
        self.result = ImportResult(kind=mapping.kind, encoding=table.encoding,
                                   delimiter=table.delimiter_name, dry_run=dry_run)
        self.now = clock.db_now()
        self.touched: set[int] = set()  # contact ids this import has met
        self.created_customers: set[int] = set()
        self.updated_customers: set[int] = set()
        self.assigned: dict[int, set] = {}  # customer id -> facts set by this import
        self.width = len(mapping.columns)

    # -- outcomes
    def _problem(self, line: int, outcome: str, reason: str, cells: list | None) -> None:
        res = self.result
        if outcome == "rejected":
            res.rejected += 1
            if self.rejects is not None and cells:
                # As it was: the header's columns, the reason, then any cells beyond the header.
                try:
                    self.rejects.row([*cells[:self.width], reason, *cells[self.width:]])
                except OSError as exc:
                    exc.callers_rejects = True  # (for the message: which file failed)
                    raise
        else:
            res.skipped += 1
        res.reasons[f"{outcome}: {reason}"] += 1
        if len(res.problems) < 1000:
            res.problems.append((line, outcome, reason))

    def run(self) -> ImportResult:
        failure: BaseException | None = None
        try:
            with connection(), _fewer_collections():
                try:
                    if self.dry_run:
                        try:
                            with write_transaction():
                                self._run()
                                raise _Rollback
                        except _Rollback:
                            pass
                    else:
                        self._run()
                except (peewee.PeeweeException, OSError, KeyboardInterrupt) as exc:
                    failure = exc
        except (peewee.PeeweeException, OSError) as exc:  # closing a connection that is gone
            failure = failure or exc
        if failure is not None:
            raise self._stopped(failure) from failure
        res = self.result
        res.customers_created = len(self.created_customers)
        res.customers_updated = len(self.updated_customers - self.created_customers)
        if self.mapping.kind == "customers":
            res.rows = (res.customers_created + res.customers_updated + res.unchanged + res.duplicates
                        + res.rejected + res.skipped)
        else:
            res.rows = (res.contacts_created + res.contacts_updated + res.unchanged + res.duplicates
                        + res.rejected + res.skipped)
        return res

    def _stopped(self, exc: BaseException) -> ImportStopped:
        """What was written before `exc` stopped the import, in one line."""
        name = self.table.path or "the file"
        if isinstance(exc, KeyboardInterrupt):
            done = "nothing written (a dry run)" if self.dry_run else f"{self.written:,} rows of {name} written"
            return ImportStopped(f"interrupted: {done}, the rest not; importing the file again is safe "
                                 "(rows already written come out unchanged)", exit_code=130)
        in_rejects = getattr(exc, "callers_rejects", False)
        of = ""
        if in_rejects or isinstance(exc, peewee.PeeweeException):  # the file itself reads on
            try:
                of = f" of {self.read + sum(1 for _ in self.table.rows):,}"  # the rest counted, not written
            except Exception:
                of = ""
        what, where = failure_cause(exc, file=str(self.rejects_handle.name) if in_rejects else None)
        done = ("nothing written (a dry run)" if self.dry_run
                else f"{self.written:,}{of} rows of {name} written")
        again = "importing the file again is safe (rows already written come out unchanged)"
        if what == "disk full":
            return ImportStopped(f"disk full: {where}: {done} before it filled up; {again} once there is room")
        return ImportStopped(f"{done} before {what}; {again}")

    def _run(self) -> None:
        table = self.table
        customer_list = self.mapping.kind == "customers"
        read_row = self.reader.read_customer if customer_list else self.reader.read
        write = self._write_customers if customer_list else self._write_batch
        batch: list = []
        seen_blank = 0
        for line, cells in table.rows:
            self.read += 1
            while seen_blank < table.blank_lines:
                self._problem(table.blank_line_numbers[seen_blank]
                              if seen_blank < len(table.blank_line_numbers) else 0,
                              "skipped", "empty line", None)
                seen_blank += 1
            if cells.__class__ is Unreadable:
                self._problem(line, "rejected", cells.reason, cells)
            else:
                try:
                    batch.append(read_row(line, cells))
                except Rejected as exc:
                    self._problem(line, "rejected", str(exc), cells)
                except Skipped as exc:
                    self._problem(line, "skipped", str(exc), cells)
            if len(batch) >= ROW_BATCH:
                self._write(batch, write)
                batch = []
                if self.progress:
                    self.progress(self._rows_so_far())
        if batch:
            self._write(batch, write)
        self.written = self.read
        while seen_blank < table.blank_lines:
            self._problem(table.blank_line_numbers[seen_blank]
                          if seen_blank < len(table.blank_line_numbers) else 0,
                          "skipped", "empty line", None)
            seen_blank += 1
        if self.progress:
            self.progress(self._rows_so_far())

    def _rows_so_far(self) -> int:
        r = self.result
        return r.contacts_created + r.contacts_updated + r.unchanged + r.duplicates + r.rejected + r.skipped

    # -- one batch, in one transaction
    def _write(self, batch: list, write: Callable[[list], None]) -> None:
        with write_transaction():
            write(batch)
        if not self.dry_run:
            self.written = self.read
        if self.rejects_handle is not None:
            try:
                self.rejects_handle.flush()
            except OSError as exc:
                exc.callers_rejects = True
                raise

    def _load_customers(self, batch: list[Row]):
        ext_ids = list({r.external_id for r in batch if r.external_id})
        keys = list({r.key for r in batch})
        by_ext: dict[str, _Cust] = {}
        by_key: dict[str, list[_Cust]] = {}
        seen: dict[int, _Cust] = {}
        step = max(1, max_variables() // 2)
        rows: list[tuple] = []
        for column, values in (("external_id", ext_ids), ("name_key", keys)):
            for chunk in _chunks(values, step):
                rows.extend(_select_in(Customer, _CUSTOMER_COLS, column, chunk))
        rows.sort(key=lambda r: r[0])
        for row in rows:
            if row[0] in seen:
                continue
            cust = seen[row[0]] = _Cust(row)
            if cust.external_id:
                by_ext[cust.external_id] = cust
            by_key.setdefault(cust.name_key, []).append(cust)
        return by_ext, by_key

    def _customer_for(self, row: Row, by_ext, by_key) -> tuple[_Cust, bool]:
        """The customer a row belongs to; True if it was matched by account id."""
        if row.external_id:
            cust = by_ext.get(row.external_id)
            if cust is not None:
                return cust, True
            cust = next((c for c in by_key.get(row.key, ()) if not c.external_id), None)
            if cust is not None:
                cust.external_id = row.external_id
                cust.changes["external_id"] = row.external_id
                by_ext[row.external_id] = cust
                return cust, True
        else:
            custs = by_key.get(row.key)
            if custs:
                return custs[0], False
        cust = _Cust(external_id=row.external_id, name=row.customer, name_key=row.key,
                     industry=None, employees=None, country=None, account_manager=None,
                     source=self.mapping.kind)
        if row.external_id:
            by_ext[row.external_id] = cust
        by_key.setdefault(row.key, []).append(cust)
        return cust, True

    def _apply_customer_facts(self, cust: _Cust, row: Row, by_id: bool) -> bool:
        """Copy the row's customer facts; True if that changed an existing customer."""
        assigned = self.assigned.setdefault(("new", id(cust)) if cust.id is None else cust.id, set())
        changed = False
        if by_id and "name" not in assigned:
            assigned.add("name")
            if cust.name != row.customer:
                cust.name = row.customer
                cust.name_key = row.key
                cust.changes["name"] = row.customer
                cust.changes["name_key"] = row.key
                changed = True
        for fact in _CUSTOMER_FACTS:
            value = getattr(row, fact)
            if value is None or fact in assigned:
                continue
            assigned.add(fact)
            if getattr(cust, fact) != value:
                setattr(cust, fact, value)
                cust.changes[fact] = value
                changed = True
        if cust.country is None and row.phone_region and "country" not in assigned:
            cust.country = row.phone_region
            cust.changes["country"] = row.phone_region
            changed = True
        if row.customer_dnc and not cust.do_not_call:  # set by an import, never cleared by one
            cust.do_not_call = True
            cust.changes["do_not_call"] = True
            changed = True
        return changed and not cust.new

    def _insert_customers(self, new_custs: list, stamp: str, needs_number: bool = False) -> None:
        """New customers, in bulk, their ids back through RETURNING. A
        customer list's have no contact yet: they need a number."""
        if not new_custs:
            return
        cols = ("external_id", "name", "name_key", "industry", "employees", "country",
                "account_manager", "do_not_call", "source", "created_at", "updated_at",
                "next_due_at", "due_rank", "needs_number")
        values = [(c.external_id, c.name, c.name_key, c.industry, c.employees, c.country,
                   c.account_manager, c.do_not_call, c.source, stamp, stamp, stamp, DUE_NEVER_REACHED,
                   needs_number)
                  for c in new_custs]
        by_ext_new = {c.external_id: c for c in new_custs if c.external_id}
        by_key_new = {c.name_key: c for c in new_custs if not c.external_id}
        for new_id, ext, key in _insert_returning(Customer, cols, values, ("id", "external_id", "name_key")):
            cust = by_ext_new[ext] if ext else by_key_new[key]
            assigned = self.assigned.pop(("new", id(cust)), set())
            cust.id = new_id
            self.assigned[new_id] = assigned
            self.created_customers.add(new_id)
        for cust in new_custs:
            cust.changes = {}

    def _update_customers(self, custs) -> None:
        """Write the facts the batch changed on existing customers."""
        for cust in custs:
            if cust.changes:
                Customer.update(**cust.changes, updated_at=self.now).where(Customer.id == cust.id).execute()
                if cust.id not in self.created_customers:
                    self.updated_customers.add(cust.id)
                cust.changes = {}

    def _fill_profile(self, placed: list) -> set[int]:
        """Implementation state and referenceability from the file, where the
        customer's are unknown (a call's answer is never overwritten; within
        the file the first value wins). Returns the customers filled."""
        wanted = [(row, cust) for row, cust in placed if row.implementation or row.references]
        if not wanted:
            return set()
        columns = (Customer.id, Customer.implementation_state,
                   *(getattr(Customer, f"ref_{kind}") for kind in REFERENCE_KINDS))
        names_ = [c.name for c in columns[1:]]
        current: dict[int, dict] = {}
        for chunk in _chunks(list({cust.id for _, cust in wanted}), max(1, max_variables() - 10)):
            for row in _select_in(Customer, columns, "id", chunk):
                current[row[0]] = dict(zip(names_, row[1:]))
        groups: dict[tuple[str, str], list[int]] = {}
        filled: set[int] = set()
        for row, cust in wanted:
            known = current[cust.id]
            facts = [("implementation_state", row.implementation)] if row.implementation else []
            facts += [(f"ref_{kind}", answer) for kind, answer in (row.references or {}).items()]
            for column, value in facts:
                if known[column] is None:
                    known[column] = value  # taken: a later row of the file does not change it
                    groups.setdefault((column, value), []).append(cust.id)
                    filled.add(cust.id)
        for (column, value), ids in groups.items():
            field_ = getattr(Customer, column)
            for chunk in _chunks(ids, max(1, max_variables() - 10)):
                (Customer.update({field_: value, Customer.updated_at: self.now})
                 .where(Customer.id.in_(chunk) & field_.is_null()).execute())
        return filled

    def _write_customers(self, batch: list[CustomerRow]) -> None:
        """A batch of a customer list: each row creates, updates or leaves one customer."""
        res = self.result
        by_ext, by_key = self._load_customers(batch)
        placed: list[tuple[CustomerRow, _Cust, bool]] = []
        met_here: set[int] = set()
        for row in batch:
            cust, by_id = self._customer_for(row, by_ext, by_key)
            if id(cust) in met_here or (cust.id is not None and cust.id in self.customers_met):
                res.duplicates += 1
                continue
            met_here.add(id(cust))
            placed.append((row, cust, self._apply_customer_facts(cust, row, by_id)))
        self._insert_customers([cust for _, cust, _ in placed if cust.new], str(self.now), needs_number=True)
        filled = self._fill_profile([(row, cust) for row, cust, _ in placed])
        for row, cust, changed in placed:
            self.customers_met.add(cust.id)
            if cust.new:
                cust.new = False
            elif changed or cust.id in filled:
                self.updated_customers.add(cust.id)
            else:
                res.unchanged += 1
        self._update_customers(cust for _, cust, _ in placed)

    def _write_batch(self, batch: list[Row]) -> None:
        now = self.now
        # The time as the text both drivers bind for a timestamp column (what
        # sqlite3's adapter would produce, once instead of for every value).
        stamp = str(now)
        res = self.result
        by_ext, by_key = self._load_customers(batch)
        placed: list[tuple[Row, _Cust, bool]] = []
        for row in batch:
            cust, by_id = self._customer_for(row, by_ext, by_key)
            changed_customer = self._apply_customer_facts(cust, row, by_id)
            placed.append((row, cust, changed_customer))

        # New customers, in bulk, ids back through RETURNING.
        new_custs = []
        seen_new = set()
        for _, cust, _ in placed:
            if cust.new and id(cust) not in seen_new:
                seen_new.add(id(cust))
                new_custs.append(cust)
        self._insert_customers(new_custs, stamp)
        filled = self._fill_profile([(row, cust) for row, cust, _ in placed]) if self.reader.profile else set()

        # Existing contacts of these customers.
        cust_ids = list({cust.id for _, cust, _ in placed if id(cust) not in seen_new})
        people: dict[int, _People] = {}
        for chunk in _chunks(cust_ids, max(1, max_variables() - 10)):
            for row in _select_in(Contact, _CONTACT_COLS, "customer", chunk):
                person = _Person(row)
                mine = people.get(person.customer_id)
                if mine is None:
                    mine = people[person.customer_id] = _People()
                mine.add(person)

        new_people: list[_Person] = []
        updates: dict[int, dict] = {}
        queue_changed: set[int] = set()  # customers whose callable contacts changed
        for row, cust, changed_customer in placed:
            mine = people.get(cust.id)
            if mine is None:
                mine = people[cust.id] = _People()
            person = mine.match(row) if mine.all else None
            if person is None:
                # In _CONTACT_COLS order: a new, active, reachable contact.
                person = _Person((None, cust.id, row.name, row.role or "user", row.title, row.phone,
                                  row.extension, row.alt_phone, row.alt_extension, row.email,
                                  row.timezone, row.contact_id, row.do_not_call, False, True))
                person.cust = cust
                mine.add(person)
                new_people.append(person)
                res.contacts_created += 1
                queue_changed.add(cust.id)
                if cust.id not in self.created_customers:
                    self.updated_customers.add(cust.id)
                continue
            if person.id is None or person.id in self.touched:
                res.duplicates += 1
                continue
            self.touched.add(person.id)
            changes = _contact_changes(person, row)
            if changes:
                mine.index(person)
                updates[person.id] = changes
                if changes.keys() & {"phone", "do_not_call", "role", "timezone", "unreachable"}:
                    queue_changed.add(cust.id)
            if changes or changed_customer or (cust.id in filled and cust.id not in self.created_customers):
                res.contacts_updated += 1
                self.updated_customers.add(cust.id)
            else:
                res.unchanged += 1

        # Customers changed by their facts.
        self._update_customers({id(c): c for _, c, _ in placed}.values())
        self.updated_customers.update(c for c in filled if c not in self.created_customers)

        if new_people:
            cols = ("customer", "name", "role", "title", "phone", "extension", "alt_phone",
                    "alt_extension", "email", "timezone", "external_id", "do_not_call", "active",
                    "unreachable", "created_at", "updated_at")
            values = [(p.cust.id, p.name, p.role, p.title, p.phone, p.extension, p.alt_phone,
                       p.alt_extension, p.email, p.timezone, p.external_id, p.do_not_call, True,
                       False, stamp, stamp) for p in new_people]
            # (customer, phone) is unique among a batch's new contacts: dedupe saw to it.
            by_phone = {(p.cust.id, p.phone): p for p in new_people}
            for new_id, customer_id, phone in _insert_returning(Contact, cols, values,
                                                                ("id", "customer", "phone")):
                person = by_phone[(customer_id, phone)]
                person.id = new_id
                person.customer_id = customer_id
                self.touched.add(new_id)
        for contact_id, changes in updates.items():
            Contact.update(**changes, updated_at=now).where(Contact.id == contact_id).execute()

        if queue_changed:
            self._customers_do_not_call({c.id: c for _, c, _ in placed if c.id in queue_changed},
                                        people)
            self._point_at_contacts({cid: people[cid].all if cid in people else ()
                                     for cid in queue_changed})

    def _point_at_contacts(self, contacts: dict) -> None:
        """`queue.refresh_contact` for many customers at once: the same choice
        (`queue.choose`), made from the contacts this batch already holds,
        written in one go."""
        values = []
        for customer_id, people in contacts.items():
            best, needs_number = queue.choose(people)
            values.append((best.id if best else None, (best.timezone or None) if best else None,
                           needs_number, customer_id))
        db = database.obj
        sql = (f'UPDATE "{Customer._meta.table_name}" SET "call_contact" = {db.param}, '
               f'"call_tz" = {db.param}, "needs_number" = {db.param} WHERE "id" = {db.param}')
        cursor = db.cursor()
        cursor.executemany(sql, values)

    def _customers_do_not_call(self, custs: dict, people: dict) -> None:
        """A customer all of whose (active) contacts are do-not-call is
        do-not-call. Decided from the contacts this batch holds: every contact
        of these customers was loaded (or created) by the batch."""
        all_dnc = []
        for customer_id, cust in custs.items():
            if cust.do_not_call:
                continue
            mine = people.get(customer_id)
            active = [p for p in mine.all if p.active] if mine is not None else []
            if active and all(p.do_not_call for p in active):
                all_dnc.append(customer_id)
                cust.do_not_call = True
        if all_dnc:
            for chunk in _chunks(all_dnc, max(1, max_variables() - 10)):
                (Customer.update(do_not_call=True, updated_at=self.now)
                 .where(Customer.id.in_(chunk)).execute())
            self.updated_customers.update(c for c in all_dnc if c not in self.created_customers)


@contextlib.contextmanager
def _fewer_collections():
    """An import allocates a great many short-lived, acyclic objects (rows,
    contacts, tuples), which reference counting frees; the cyclic collector
    would keep scanning them every 700 allocations. Run it rarely meanwhile
    (about 10% of an import's time); the old thresholds come back after."""
    old = gc.get_threshold()
    gc.set_threshold(max(old[0], 100_000), *old[1:])
    try:
        yield
    finally:
        gc.set_threshold(*old)


class _Rollback(Exception):
    pass


def _insert_returning(model, columns: tuple, values: list, returning: tuple) -> list:
    """Multi-row INSERT ... RETURNING, built once per chunk (both engines)."""
    db = database.obj
    fields = model._meta.fields
    # Python-side defaults peewee would have filled in (e.g. attempts=0).
    extra = [(name, f.default() if callable(f.default) else f.default) for name, f in fields.items()
             if name not in columns and f.default is not None and not f.primary_key]
    if extra:
        columns = tuple(columns) + tuple(name for name, _ in extra)
        tail = tuple(value for _, value in extra)
        values = [row + tail for row in values]
    table = f'"{model._meta.table_name}"'
    cols = ", ".join(f'"{fields[c].column_name}"' for c in columns)
    back = ", ".join(f'"{fields[c].column_name}"' for c in returning)
    one = "(" + ", ".join([db.param] * len(columns)) + ")"
    out = []
    for chunk in _chunks(values, batch_size(len(columns))):
        sql = f"INSERT INTO {table} ({cols}) VALUES {', '.join([one] * len(chunk))} RETURNING {back}"
        out.extend(db.execute_sql(sql, [v for row in chunk for v in row]).fetchall())
    return out


def _same_email(a: str | None, b: str | None) -> bool:
    return bool(a) and bool(b) and a.casefold() == b.casefold()


def _put(table: dict, key: str, p: _Person) -> None:
    bucket = table.get(key)
    if bucket is None:
        table[key] = [p]
    elif p not in bucket:
        bucket.append(p)


class _People:
    """One customer's contacts, indexed by source id, number and e-mail, so a
    customer with thousands of contacts is matched in constant time per row."""

    __slots__ = ("all", "by_ext", "by_phone", "by_email")

    def __init__(self):
        self.all: list[_Person] = []
        self.by_ext: dict[str, list[_Person]] = {}
        self.by_phone: dict[str, list[_Person]] = {}
        self.by_email: dict[str, list[_Person]] = {}

    def add(self, p: _Person) -> None:
        self.all.append(p)
        self.index(p)

    def index(self, p: _Person) -> None:
        """(Re-)index a contact under its current id, numbers and e-mail."""
        put = _put
        if p.external_id:
            put(self.by_ext, p.external_id, p)
        if p.phone:
            put(self.by_phone, p.phone, p)
        if p.alt_phone:
            put(self.by_phone, p.alt_phone, p)
        if p.email:
            put(self.by_email, p.email.casefold(), p)

    def match(self, row: Row) -> _Person | None:
        """The contact a row describes: same source id, else same number, else same e-mail."""
        def compatible(p: _Person) -> bool:
            return not (row.contact_id and p.external_id and p.external_id != row.contact_id)

        if row.contact_id:
            for p in self.by_ext.get(row.contact_id, ()):
                if p.external_id == row.contact_id:
                    return p
        numbers = (row.phone, row.alt_phone) if row.alt_phone else (row.phone,)
        for number in numbers:
            for p in self.by_phone.get(number, ()):
                if (p.phone == number or p.alt_phone == number) and compatible(p):
                    return p
        if row.email:
            for p in self.by_email.get(row.email.casefold(), ()):
                if _same_email(p.email, row.email) and compatible(p):
                    return p
        return None


def _contact_changes(p: _Person, row: Row) -> dict:
    changes: dict = {}

    def put(name, value):
        if getattr(p, name) != value:
            changes[name] = value
            setattr(p, name, value)

    if row.name and row.name != p.name:
        put("name", row.name)
    if row.role:
        put("role", row.role)
    if row.title:
        put("title", row.title)
    if row.email and not _same_email(row.email, p.email):
        put("email", row.email)
    if row.phone != p.phone:
        put("phone", row.phone)
        put("extension", row.extension)
        put("timezone", row.timezone)
        put("unreachable", False)
    elif row.extension:
        put("extension", row.extension)
    if row.alt_phone and row.alt_phone != p.alt_phone:
        put("alt_phone", row.alt_phone)
        put("alt_extension", row.alt_extension)
    elif row.alt_extension:
        put("alt_extension", row.alt_extension)
    if row.contact_id and not p.external_id:
        put("external_id", row.contact_id)
    if row.do_not_call and not p.do_not_call:
        put("do_not_call", True)
    return changes


# ---- The entry point ----------------------------------------------------------


def import_file(path, *, region: str | None = None, maps: Iterable[str] = (), dry_run: bool = False,
                rejects_path=None, progress: Callable[[Table], Callable[[int], None]] | None = None
                ) -> ImportResult:
    """Import one export file. Raises CallersError (writing nothing) when the
    file cannot be read, its layout is unknown or the rejects file cannot be
    written; ImportStopped when it stops part-way (saying what was written)."""
    if region:
        code = countries.country_code(region)
        if code is None:
            raise CallersError(f"--region {region!r} is not a country code or name (e.g. DE, US, Germany)")
        region = code
    with open_table(path) as table:
        mapping = detect(table.columns, maps)
        rejects_handle = _open_rejects(rejects_path, path, table) if rejects_path else None
        writer = None
        if rejects_handle is not None:
            # The rows as they were: same delimiter, cells not neutralised.
            writer = csvout.CsvWriter(rejects_handle, [*table.columns, "reason"], delimiter=table.delimiter,
                                      neutralise=False)
            _flush_or_refuse(rejects_handle)
        importer = Importer(table, mapping, region, dry_run, writer,
                            progress(table) if progress else None, rejects_handle=rejects_handle)
        try:
            result = importer.run()
        except BaseException:
            if rejects_handle is not None:
                with contextlib.suppress(OSError):
                    rejects_handle.close()
            raise
        finally:
            if not dry_run:
                from callers import due

                due.forget_zone_keys()  # new customers and numbers: the desk in this process must see them
        if rejects_handle is not None:
            _close_rejects(rejects_handle, importer)
        result.rejects_file = str(rejects_path) if rejects_path else None
        return result


# ---- The rejects file -----------------------------------------------------------


def _open_rejects(rejects_path, source, table: Table):
    """The --rejects file, opened (created) before anything is imported: a
    path that cannot be written stops the import before it starts."""
    rejects_path = Path(rejects_path)
    if rejects_path.exists() and rejects_path.resolve() == Path(source).resolve():
        raise CallersError(f"--rejects {rejects_path} is the file being imported; name another file")
    if rejects_path.is_dir():
        raise CallersError(f"--rejects {rejects_path} is a directory; name a file")
    encoding = table.encoding if table.encoding != "utf-16" else "utf-8-sig"
    try:
        return open(rejects_path, "w", encoding=encoding, errors="replace", newline="")
    except OSError as exc:
        raise CallersError(f"--rejects {rejects_path} cannot be written ({exc.strerror or exc}); "
                           "nothing was imported") from None


def _flush_or_refuse(handle) -> None:
    """Write the header out now: a full disk refuses the file before any row is imported."""
    try:
        handle.flush()
    except OSError as exc:
        name = handle.name
        with contextlib.suppress(OSError):
            handle.close()
        if exc.errno == errno.ENOSPC:
            raise CallersError(f"disk full: --rejects {name} cannot be written; nothing was imported") from None
        raise CallersError(f"--rejects {name} cannot be written ({exc.strerror or exc}); "
                           "nothing was imported") from None


def _close_rejects(handle, importer: Importer) -> None:
    """Close the rejects file; a failure then (its last rows did not fit)
    is said with what the import did write."""
    try:
        handle.close()
    except OSError as exc:
        exc.callers_rejects = True
        raise importer._stopped(exc) from exc
