"""PostgreSQL schemas and databases of their own, for tests and benchmarks:
every run works in a schema (or a database) nobody else uses, so parallel runs
never see each other's rows."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from urllib.parse import quote, urlparse, urlunparse


def schema_url(base: str, schema: str) -> str:
    """`base` (a postgresql:// URL) with its search_path set to `schema`.

    Tests commit without waiting for the server's WAL flush
    (`synchronous_commit=off`): what one connection commits is seen by every
    other at once, as always; only a crash of the server itself could lose
    the last commits, which no test does. Thousands of commits stop waiting
    on the disk."""
    options = f"-c search_path={schema} -c synchronous_commit=off"
    return f"{base}{'&' if '?' in base else '?'}options={quote(options)}"


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
        admin.close_all()  # closed now, not whenever its pool is collected
    return schema_url(base, schema)


def drop(base: str, schema: str) -> None:
    admin = _admin(base)
    try:
        admin.execute_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    finally:
        admin.close_all()


@contextlib.contextmanager
def scratch(base: str, prefix: str = "t") -> Iterator[str]:
    """A new empty schema for the block, dropped afterwards; yields its URL."""
    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    url = create(base, schema)
    try:
        yield url
    finally:
        _close_open()
        drop(base, schema)


def _close_open() -> None:
    """Close every connection the test left open (a pool keeps its
    connections until collected: hundreds of tests would use up the server's)."""
    from models.db import database

    current = database.obj
    if current is not None:
        with contextlib.suppress(Exception):
            current.close_all() if hasattr(current, "close_all") else current.close()


def reachable(base: str | None) -> bool:
    """Whether a PostgreSQL server answers at `base`."""
    if not base:
        return False
    try:
        _admin(base).close_all()
    except Exception:
        return False
    return True


# ---- schemas copied from a migrated template -----------------------------------
# Migrating a new schema costs a PostgreSQL test more than its own work. A
# template schema is migrated once per session and dumped (pg_dump: tables,
# sequences and where they stand, indexes, triggers, functions, row-level
# security and its policies, grants, the schema version table and the seeded
# rows); every test replays the dump, under its own schema name, in one
# transaction. (`CREATE DATABASE … TEMPLATE` is no faster here: the copy is
# written through the log and DROP DATABASE waits for a checkpoint, seconds
# on a busy disk. A schema cannot be copied table by table either: functions
# made with `SET search_path FROM CURRENT` name the schema they were made in.)


def dump(base: str, prepare, prefix: str = "callers_tpl") -> tuple[str, str] | None:
    """(template schema name, SQL) of a schema prepared by `prepare(url)`
    (which closes what it opened), or None when pg_dump is missing or
    cannot dump from this server (then each test prepares its own)."""
    import shutil
    import subprocess

    pg_dump = shutil.which("pg_dump")
    if pg_dump is None:
        return None
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    url = create(base, name)
    try:
        prepare(url)
        done = subprocess.run([pg_dump, "--dbname", base, "--schema", name, "--inserts", "--no-comments"],
                              capture_output=True, text=True, timeout=120)
    finally:
        drop(base, name)
    if done.returncode != 0:
        return None
    # psql's own commands (\restrict …) are not SQL.
    sql = "\n".join(line for line in done.stdout.splitlines() if not line.startswith("\\"))
    return name, sql


@contextlib.contextmanager
def replayed(base: str, template: tuple[str, str], prefix: str = "t") -> Iterator[str]:
    """A new schema made from `template` (as `dump` returns it) for the
    block, dropped afterwards; yields its URL."""
    name, sql = template
    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = _admin(base)
    try:
        with admin.connection().cursor() as cursor:  # no parameters: a % in the dump stays a %
            cursor.execute(f"BEGIN;\n{sql.replace(name, schema)}\nCOMMIT;")
    finally:
        admin.close_all()  # the dump set this connection's search_path and more
    try:
        yield schema_url(base, schema)
    finally:
        _close_open()
        drop(base, schema)
