"""What a newcomer reads on an empty database: how to fill it, and where the
demo database is when they made one and are looking at their own.

    empty_database_message()   # None once there is a customer

No customers yet. Import your customer list:
`callers import customers.csv`
(...)

The demo database is at /home/me/.local/share/callers/demo.db:
open it with `callers --demo`
"""

from __future__ import annotations

from pathlib import Path

from models import engine
from models.db import connection, database, default_data_dir
from models.tables import Customer

IMPORT_HINT = ("No customers yet. Import your customer list:\n"
               "`callers import customers.csv`\n"
               "(a Zendesk, Freshdesk, HubSpot or Salesforce export, or any CSV with\n"
               "company and phone columns; `callers import --help` maps other columns)")


def _same(a: Path, b: Path) -> bool:
    try:
        return a.expanduser().resolve() == b.expanduser().resolve()
    except OSError:
        return False


def demo_database() -> Path | None:
    """The demo file, when it exists and the database open is the user's own
    default one (`callers.db` in the data directory)."""
    db = database.obj
    if db is None or not engine.is_file_database(db):
        return None
    home = default_data_dir()
    demo = home / "demo.db"
    if not demo.exists() or not _same(Path(db.database), home / "callers.db"):
        return None
    return demo


def empty_database_message() -> str | None:
    """How to fill a database with no customers (None when it has some)."""
    with connection():
        if Customer.select(Customer.id).limit(1).exists():
            return None
    demo = demo_database()
    if demo is None:
        return IMPORT_HINT
    return f"{IMPORT_HINT}\n\nThe demo database is at {demo}:\nopen it with `callers --demo`"
