"""A team of real PostgreSQL logins, for tests and benchmarks: one login per
person (with a password), each member of its role's group, on a schema with
`callers db roles` applied. Logins are cluster-wide: their names carry a
random suffix, and they are dropped afterwards."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import quote, urlparse, urlunparse


def login_url(url: str, login: str, password: str | None) -> str:
    """`url` (a postgresql:// URL) connecting as `login` instead."""
    parsed = urlparse(url)
    host = parsed.hostname or ""
    netloc = quote(login, safe="") + (f":{quote(password, safe='')}" if password else "") + f"@{host}"
    if parsed.port:
        netloc += f":{parsed.port}"
    return urlunparse(parsed._replace(netloc=netloc))


@dataclass(frozen=True)
class Member:
    name: str  # the app user's name, which is also the login's
    role: str
    password: str
    url: str  # the database, connecting as this login


def unique(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:8]}"


def apply_roles() -> None:
    """`callers db roles` on the open (administrator's) database."""
    from callers import due
    from models import roles

    roles.create_roles(functions=due.definer_functions())


def add(url: str, name: str, role: str, department: str | None = None) -> Member:
    """A user and their login (through the open administrator's database)."""
    from callers import access

    password = f"pw-{uuid.uuid4().hex[:12]}"
    access.add_user(name, role, department, login=True, password=password)
    return Member(name, role, password, login_url(url, name, password))


def drop(names: list[str]) -> None:
    """Drop logins made for a test (through the open administrator's database)."""
    from models.db import database

    for name in names:
        if database.obj.execute_sql("SELECT 1 FROM pg_roles WHERE rolname = %s", (name,)).fetchone():
            database.obj.execute_sql(f'DROP OWNED BY "{name}"')
            database.obj.execute_sql(f'DROP ROLE "{name}"')


@contextlib.contextmanager
def team(url: str, people: dict[str, tuple[str, str | None]], roles: bool = True) -> Iterator[dict[str, Member]]:
    """`people`: key -> (role, department). Yields key -> Member; the
    administrator's database (`url`) must be open (models.database) and
    stays the one open afterwards. `roles`: apply `callers db roles` first
    (False: the database was copied from a template that has them)."""
    from models.db import database

    admin = database.obj
    if roles:
        apply_roles()
    made: dict[str, Member] = {}
    try:
        for key, (role, department) in people.items():
            made[key] = add(url, unique(key), role, department)
        yield made
    finally:
        close_others(admin)
        drop([m.name for m in made.values()])


def close_others(admin) -> None:
    """Point the database proxy back at the administrator's database (a
    command run as a login pointed it at its own)."""
    from models.db import database

    current = database.obj
    if current is not admin and current is not None:
        with contextlib.suppress(Exception):
            current.close_all() if hasattr(current, "close_all") else current.close()
    database.initialize(admin)
    admin.connect(reuse_if_open=True)
