"""PostgreSQL schemas of their own, for tests and benchmarks: every run works
in a schema nobody else uses, so parallel runs never see each other's rows."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from urllib.parse import quote


def schema_url(base: str, schema: str) -> str:
    """`base` (a postgresql:// URL) with its search_path set to `schema`."""
    return f"{base}{'&' if '?' in base else '?'}options={quote(f'-c search_path={schema}')}"


def _admin(base: str):
    from models.db import make_database

    admin = make_database(base)
    admin.connect()
    return admin


def create(base: str, schema: str, replace: bool = False) -> str:
    admin = _admin(base)
    try:
        if replace:
            admin.execute_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        admin.execute_sql(f'CREATE SCHEMA "{schema}"')
    finally:
        admin.close()
    return schema_url(base, schema)


def drop(base: str, schema: str) -> None:
    admin = _admin(base)
    try:
        admin.execute_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    finally:
        admin.close()


@contextlib.contextmanager
def scratch(base: str, prefix: str = "t") -> Iterator[str]:
    """A new empty schema for the block, dropped afterwards; yields its URL."""
    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    url = create(base, schema)
    try:
        yield url
    finally:
        from models.db import database

        if database.obj is not None and not database.obj.is_closed():
            database.obj.close()
        drop(base, schema)


def reachable(base: str | None) -> bool:
    """Whether a PostgreSQL server answers at `base`."""
    if not base:
        return False
    try:
        _admin(base).close()
    except Exception:
        return False
    return True
