"""Keeping a customer's place in the due queue right.

`Customer.call_contact` / `call_tz` name the contact to dial and its time
zone(s), so that finding the next due customer never joins contacts. Whoever
changes contacts (import, the desk, the demo) calls `refresh_contact()`.
"""

from __future__ import annotations

from models.tables import Contact, Customer

ROLE_ORDER = {"buyer": 0, "user": 1, "other": 2}


def callable_contacts(customer_id: int) -> list[Contact]:
    """Contacts that may be dialled, best first: buyers, then users, then others."""
    rows = (Contact.select()
            .where(Contact.customer == customer_id,
                   Contact.active == True,  # noqa: E712
                   Contact.do_not_call == False,  # noqa: E712
                   Contact.unreachable == False,  # noqa: E712
                   Contact.phone.is_null(False)))
    return sorted(rows, key=lambda c: (ROLE_ORDER.get(c.role, 3), c.id))


def refresh_contact(customer_id: int) -> Contact | None:
    """Point the customer at its best callable contact (or none). Returns it."""
    best = next(iter(callable_contacts(customer_id)), None)
    (Customer.update(call_contact=best.id if best else None,
                     call_tz=(best.timezone or None) if best else None)
     .where(Customer.id == customer_id).execute())
    return best
