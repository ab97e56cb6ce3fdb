"""The data: peewee models, the database seam and schema versions.

Knows nothing of screens or of the CLI.
"""

from models.driver import import_peewee

import_peewee()  # before anything imports peewee: PostgreSQL's driver only when used (models.driver)

from models.db import (
    DatabaseUnavailable,
    DatabaseURLError,
    connect,
    database,
    engine_name,
    is_postgres,
    lock_rows,
    write_transaction,
)
from models.schema import SchemaTooNew, ensure_current
from models.tables import *  # noqa: F401,F403
from models.tables import ALL_MODELS

__all__ = [
    "ALL_MODELS",
    "DatabaseURLError",
    "DatabaseUnavailable",
    "SchemaTooNew",
    "connect",
    "database",
    "engine_name",
    "ensure_current",
    "is_postgres",
    "lock_rows",
    "open_database",
    "write_transaction",
]


def open_database(url: str, upgrade: bool = True):
    """Connect, refuse a newer schema, upgrade an older one. Returns the db."""
    db = connect(url)
    if upgrade:
        ensure_current(db)
    return db
