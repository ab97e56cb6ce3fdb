"""Keeping a customer's place in the due queue right.

`Customer.call_contact` / `call_tz` name the contact to dial and its time
zone(s), so that finding the next due customer never joins contacts. Whoever
changes contacts (import, the desk, the demo) calls `refresh_contact()`.
"""

from __future__ import annotations

from models.tables import Contact, Customer

ROLE_ORDER = {"buyer": 0, "user": 1, "other": 2}


def _dialable(c) -> bool:
    return bool(c.active and not c.do_not_call and not c.unreachable and c.phone)


def choose(contacts):
    """The contact to dial among a customer's contacts (best first: buyers,
    then users, then others; lowest id), and whether the customer needs a
    number. With none left to dial (every number wrong, every contact gone)
    the customer goes on the supervisor's "needs a number" list instead of
    silently never coming up; a customer whose reachable contacts all asked
    not to be called is do-not-call, not that. `contacts` are Contact rows or
    anything with the same attributes (the import's in-memory contacts).
    Returns (contact or None, needs_number)."""
    best = min((c for c in contacts if _dialable(c)), key=lambda c: (ROLE_ORDER.get(c.role, 3), c.id),
               default=None)
    if best is not None:
        return best, False
    only_do_not_call = any(c.active and not c.unreachable and c.phone and c.do_not_call for c in contacts)
    return None, not only_do_not_call


def callable_contacts(customer_id: int) -> list[Contact]:
    """Contacts that may be dialled, best first: buyers, then users, then others."""
    rows = Contact.select().where(Contact.customer == customer_id)
    return sorted((c for c in rows if _dialable(c)), key=lambda c: (ROLE_ORDER.get(c.role, 3), c.id))


def refresh_contact(customer_id: int) -> Contact | None:
    """Point the customer at its best callable contact, and put it on or take
    it off the "needs a number" list (see `choose`). Returns the contact."""
    best, needs_number = choose(list(Contact.select().where(Contact.customer == customer_id)))
    (Customer.update(call_contact=best.id if best else None,
                     call_tz=(best.timezone or None) if best else None,
                     needs_number=needs_number)
     .where(Customer.id == customer_id).execute())
    return best
