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
    """Point the customer at its best callable contact. With none left (every
    number wrong, every contact gone), the customer goes on the supervisor's
    "needs a number" list instead of silently never coming up; a customer
    whose contacts all asked not to be called is do-not-call, not that."""
    best = next(iter(callable_contacts(customer_id)), None)
    update = {Customer.call_contact: best.id if best else None,
              Customer.call_tz: (best.timezone or None) if best else None}
    if best is not None:
        update[Customer.needs_number] = False
    else:
        reachable_but_dnc = (Contact.select().where(
            Contact.customer == customer_id, Contact.active == True,  # noqa: E712
            Contact.unreachable == False, Contact.phone.is_null(False),  # noqa: E712
            Contact.do_not_call == True).exists())  # noqa: E712
        update[Customer.needs_number] = not reachable_but_dnc
    Customer.update(update).where(Customer.id == customer_id).execute()
    return best
