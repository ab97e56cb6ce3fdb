"""What every database has from its first open: the three departments the
desk forwards to. (Features and customers come from imports or the demo.)"""

from __future__ import annotations

from models.db import connection
from models.tables import Department

DEFAULT_DEPARTMENTS = [
    # name, kind, desk key
    ("Billing", "billing", "f5"),
    ("Support", "support", "f6"),
    ("Account management", "account_manager", "f7"),
]


def seed() -> None:
    with connection():
        if Department.select().exists():
            return
        for position, (name, kind, key) in enumerate(DEFAULT_DEPARTMENTS, start=1):
            Department.get_or_create(name=name, defaults={"kind": kind, "key": key, "position": position})
