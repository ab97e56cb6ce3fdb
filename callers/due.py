"""Who to call next. Plain values in, plain values out; no UI here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from callers import clock, phones
from models.db import connection
from models.tables import DUE_REASONS, Contact, Customer


@dataclass(frozen=True)
class DueContact:
    id: int
    name: str
    role: str
    title: str | None
    phone: str | None  # E.164
    extension: str | None
    timezone: str | None

    @property
    def phone_international(self) -> str:
        return phones.international(self.phone, self.extension)

    @property
    def phone_national(self) -> str:
        return phones.national(self.phone, self.extension)


@dataclass(frozen=True)
class DueCustomer:
    id: int
    external_id: str | None
    name: str
    industry: str | None
    employees: int | None
    country: str | None
    account_manager: str | None
    reason: str  # "callback" | "never reached" | "overdue"
    due_since: datetime | None  # aware UTC
    contact: DueContact | None


def _contact(customer: Customer) -> DueContact | None:
    contact = None
    if customer.call_contact:
        contact = Contact.get_or_none(Contact.id == customer.call_contact)
    if contact is None:
        contact = (Contact.select()
                   .where(Contact.customer == customer.id, Contact.active == True,  # noqa: E712
                          Contact.do_not_call == False, Contact.unreachable == False,  # noqa: E712
                          Contact.phone.is_null(False))
                   .order_by(Contact.role, Contact.id).first())
    if contact is None:
        return None
    return DueContact(contact.id, contact.name, contact.role, contact.title,
                      contact.phone, contact.extension, contact.timezone)


def as_due(customer: Customer) -> DueCustomer:
    return DueCustomer(
        id=customer.id,
        external_id=customer.external_id,
        name=customer.name,
        industry=customer.industry,
        employees=customer.employees,
        country=customer.country,
        account_manager=customer.account_manager,
        reason=DUE_REASONS.get(customer.due_rank, "overdue"),
        due_since=clock.from_db(customer.next_due_at),
        contact=_contact(customer),
    )


def next_due(now: datetime | None = None) -> DueCustomer | None:
    """The next customer to call: callbacks, then never reached, then most overdue."""
    now_db = clock.to_db(now or clock.now())
    with connection():
        customer = (Customer.select()
                    .where(Customer.next_due_at.is_null(False),
                           Customer.next_due_at <= now_db,
                           Customer.do_not_call == False)  # noqa: E712
                    .order_by(Customer.due_rank, Customer.next_due_at, Customer.id)
                    .first())
        return as_due(customer) if customer else None
