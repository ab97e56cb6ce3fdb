"""A customer's contacts as the import matches them: a row is the contact
with the same source id, else the same number (main or alternate), else the
same e-mail; `contact_changes` says what the row changes on it."""

from __future__ import annotations

from callers.importer.rows import Row


class Person:
    """A contact as the import holds it: the columns it reads and writes, in
    `writer._CONTACT_COLS` order, and (for a new one) its customer."""

    __slots__ = ("id", "customer_id", "name", "role", "title", "phone", "extension", "alt_phone",
                 "alt_extension", "email", "timezone", "external_id", "do_not_call",
                 "unreachable", "active", "cust")

    def __init__(self, row=None):
        if row is not None:
            (self.id, self.customer_id, self.name, self.role, self.title, self.phone,
             self.extension, self.alt_phone, self.alt_extension, self.email, self.timezone,
             self.external_id, self.do_not_call, self.unreachable, self.active) = row
        self.cust = None


def _same_email(a: str | None, b: str | None) -> bool:
    return bool(a) and bool(b) and a.casefold() == b.casefold()


def _put(table: dict, key: str, p: Person) -> None:
    bucket = table.get(key)
    if bucket is None:
        table[key] = [p]
    elif p not in bucket:
        bucket.append(p)


class People:
    """One customer's contacts, indexed by source id, number and e-mail, so a
    customer with thousands of contacts is matched in constant time per row."""

    __slots__ = ("all", "by_ext", "by_phone", "by_email")

    def __init__(self):
        self.all: list[Person] = []
        self.by_ext: dict[str, list[Person]] = {}
        self.by_phone: dict[str, list[Person]] = {}
        self.by_email: dict[str, list[Person]] = {}

    def add(self, p: Person) -> None:
        self.all.append(p)
        self.index(p)

    def index(self, p: Person) -> None:
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

    def match(self, row: Row) -> Person | None:
        """The contact a row describes: same source id, else same number, else same e-mail."""
        contact_id = row.contact_id
        if contact_id:
            for p in self.by_ext.get(contact_id, ()):
                if p.external_id == contact_id:
                    return p
        numbers = (row.phone, row.alt_phone) if row.alt_phone else (row.phone,)
        for number in numbers:
            for p in self.by_phone.get(number, ()):
                if (p.phone == number or p.alt_phone == number) and _compatible(p, contact_id):
                    return p
        if row.email:
            for p in self.by_email.get(row.email.casefold(), ()):
                if _same_email(p.email, row.email) and _compatible(p, contact_id):
                    return p
        return None


def _compatible(p: Person, contact_id: str | None) -> bool:
    """A contact the row may be: not one the source knows by another id."""
    return not (contact_id and p.external_id and p.external_id != contact_id)


def contact_changes(p: Person, row: Row) -> dict:
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
    if row.gone and p.active:  # set by an import, never cleared by one (as do-not-call)
        put("active", False)
    return changes
