"""The thank-yous a reference earns: owed, and marked sent."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from callers import clock
from callers.errors import CallersError
from callers.references.finding import _iso
from models.db import connection, write_transaction
from models.tables import Customer, ReferenceUse, ThankYou

THANKS_CSV = ("id", "name", "external_id", "owed_since", "type", "prospect", "requested_by",
              "gift_restriction", "sent_at", "sent_by", "logged_by")


@dataclass(frozen=True)
class Thanks:
    id: int
    name: str
    external_id: str | None
    owed_since: datetime
    ref_type: str
    prospect: str | None
    requested_by: str
    gift_restriction: str | None
    sent_at: datetime | None = None
    sent_by: str | None = None
    logged_by: str | None = None  # who marked it sent (the person logged in)

    def as_dict(self) -> dict:
        return {"id": self.id, "name": self.name, "external_id": self.external_id,
                "owed_since": _iso(self.owed_since), "type": self.ref_type, "prospect": self.prospect,
                "requested_by": self.requested_by, "gift_restriction": self.gift_restriction,
                "sent_at": _iso(self.sent_at), "sent_by": self.sent_by, "logged_by": self.logged_by}


def _thanks(row) -> Thanks:
    return Thanks(row.id, row.customer.name, row.customer.external_id, clock.from_db(row.owed_since),
                  row.use.ref_type, row.use.prospect, row.use.requested_by, row.customer.gift_restriction,
                  clock.from_db(row.sent_at), row.sent_by, row.logged_by)


def thanks_owed() -> list[Thanks]:
    """Thank-yous not yet sent, oldest first."""
    with connection():
        rows = (ThankYou.select(ThankYou, ReferenceUse, Customer)
                .join(ReferenceUse).switch(ThankYou).join(Customer)
                .where(ThankYou.sent_at.is_null())
                .order_by(ThankYou.owed_since.asc(), ThankYou.id.asc()))
        return [_thanks(r) for r in rows]


def mark_thanked(thank_you_id: int, by: str, now: datetime | None = None,
                 logged_by: str | None = None) -> tuple[Thanks, bool]:
    """Mark a thank-you sent (`by`: who sent it, a name given; `logged_by`: who
    marks it, the person logged in). Returns it and whether it was newly marked."""
    at = clock.to_db(now or clock.now())
    with connection(), write_transaction():
        row = (ThankYou.select(ThankYou, ReferenceUse, Customer)
               .join(ReferenceUse).switch(ThankYou).join(Customer)
               .where(ThankYou.id == thank_you_id).first())
        if row is None:
            raise CallersError(f"no thank-you {thank_you_id}; `callers references thanks` lists those owed")
        if row.sent_at is not None:
            return _thanks(row), False
        row.sent_at, row.sent_by, row.logged_by = at, by, logged_by
        ThankYou.update(sent_at=at, sent_by=by, logged_by=logged_by).where(ThankYou.id == row.id).execute()
    return _thanks(row), True
