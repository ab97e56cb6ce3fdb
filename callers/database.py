"""Opening the database the way every command and screen does."""

from __future__ import annotations

import peewee

from callers import bootstrap
from models import open_database


def open(url: str) -> peewee.Database:  # noqa: A001
    """Connect, refuse a newer schema, upgrade an older one, seed defaults."""
    db = open_database(url)
    bootstrap.seed()
    return db
