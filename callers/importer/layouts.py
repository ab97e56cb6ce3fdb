"""The layouts an import recognises: which export a file is (Zendesk,
Freshdesk, HubSpot, Salesforce, a customer list, a generic account/contact
CSV) and which column holds which field, `--map COLUMN=FIELD` on top.

    mapping = detect(table.columns, ["Firma=customer"])
    mapping.kind, mapping.fields  # "mapped", {"customer": [0], "phone": [3], ...}
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable

from callers.errors import CallersError
from callers.tabular import normalise_header
from models.vocabulary import IMPLEMENTATION_STATES, ROLES

# The fields a column can be mapped to, and what they mean.
FIELDS = {
    "customer": "the customer's (company's) name",
    "external_id": "the customer's account id in the source",
    "name": "the contact's full name",
    "first_name": "the contact's first name",
    "last_name": "the contact's last name",
    "title": "the contact's job title",
    "role": " / ".join(ROLES),
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
    "gone": "yes/true/1: the contact has left the customer (kept, never called; an import never brings one back)",
    "implementation_state": f"{' / '.join(IMPLEMENTATION_STATES)} (fills an unknown state only)",
    "referenceability": "e.g. 'prospect_call=yes; press=no' (fills unknown answers only)",
    "contact_id": "the contact's id in the source",
    "tags": "tags; 'do_not_call' or 'dnc' marks the contact do-not-call",
    "desk_role": "the help desk's role; agent/admin rows are staff and skipped",
    "ignore": "(leave this column out)",
}

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
    "customerdonotcall": "customer_do_not_call", "gone": "gone", "contactgone": "gone",
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
