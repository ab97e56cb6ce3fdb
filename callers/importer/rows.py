"""One row of an import file turned into clean values: a `Row` (a contact
export's customer and contact) or a `CustomerRow` (a customer list's row),
or `Rejected` / `Skipped` with the reason.

    reader = RowReader(mapping, region="DE")
    row = reader.read(line, cells)  # phone as E.164, its time zones, the customer's key
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from callers import countries, names, phones
from callers.importer.layouts import Mapping
from callers.tabular import normalise_header
from models.tables import Contact, Customer
from models.vocabulary import IMPLEMENTATION_STATES, REFERENCE_ANSWERS, REFERENCE_KINDS, ROLES

_TRUE = {"1", "true", "yes", "y", "x", "t", "dnc", "donotcall", "wahr", "ja", "oui", "si", "checked", "on"}
_NUMBER = re.compile(r"\d[\d,.' \u00a0]*")
_STAFF = {"agent", "admin", "administrator", "lightagent", "owner"}
_NEUTRALISED = ("=", "+", "-", "@", "\t", "\r")


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
    gone: bool = False  # the contact has left (callers export contacts' `gone` column)


class Rejected(Exception):
    pass


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
    if key in ROLES:
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
            _true(get("gone") or ""),
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
