"""Small builders for hand-made test data (real rows, real databases)."""

from __future__ import annotations

from datetime import datetime, timedelta

from callers import clock, phones
from callers.due import forget_zone_keys
from models.tables import Contact, Customer, DUE_NEVER_REACHED, DUE_OVERDUE


def customer(name: str = "Acme Ltd", *, external_id: str | None = None, phone: str | None = "+442079460958",
             contact_name: str = "Jane Doe", role: str = "buyer", due: datetime | None = None,
             rank: int | None = None, elsewhere: bool = False, **fields) -> Customer:
    """A customer with its call contact, added as this process's importer
    adds one (the desk here sees it, and its zone, at once); `elsewhere`: as
    another process would, which the desk here learns of within its TTLs."""
    at = clock.db_now()
    values = dict(name=name, name_key=name.lower(), external_id=external_id,
                  created_at=at, updated_at=at,
                  next_due_at=clock.to_db(due) if due else at - timedelta(days=1),
                  due_rank=rank if rank is not None else (DUE_OVERDUE if due else DUE_NEVER_REACHED))
    values.update(fields)
    row = Customer.create(**values)
    if phone:
        parsed = phones.parse(phone)
        person = Contact.create(customer=row, name=contact_name, role=role, phone=parsed.e164,
                                extension=parsed.extension, timezone=parsed.timezone,
                                created_at=at, updated_at=at)
        row.call_contact = person.id
        row.call_tz = person.timezone
        row.save()
    if not elsewhere:
        forget_zone_keys()
    return row
