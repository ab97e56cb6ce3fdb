"""PostgreSQL roles that mirror callers' roles, so the rules hold even in psql.

`create_roles()` makes four NOLOGIN group roles (callers_caller,
callers_department, callers_supervisor, callers_requester) and grants each what
its people need on the current schema, and nothing more. In particular only
callers and supervisors can read `call` and `call_answer` (call notes and
answers); supervisors read them but cannot change them.
`create_login()` makes a person's login role, member of one group.
"""

from __future__ import annotations

import re

import peewee

from models.db import database, is_postgres

GROUPS = {
    "caller": "callers_caller",
    "department": "callers_department",
    "supervisor": "callers_supervisor",
    "requester": "callers_requester",
}

# Tables every role reads to open the database at all.
_EVERYONE_READS = ["schema_migration", "app_user", "department", "setting", "feature"]

# table -> privileges, per role.
_GRANTS: dict[str, dict[str, str]] = {
    "caller": {
        "customer": "SELECT, UPDATE",
        "contact": "SELECT, INSERT, UPDATE",
        "customer_feature": "SELECT, INSERT, UPDATE, DELETE",
        "call": "SELECT, INSERT, UPDATE",
        "call_answer": "SELECT, INSERT",
        "forward": "SELECT, INSERT, UPDATE",
        "forward_event": "SELECT, INSERT",
    },
    "department": {
        "customer": "SELECT",
        "contact": "SELECT",
        "forward": "SELECT, UPDATE",
        "forward_event": "SELECT, INSERT",
    },
    "supervisor": {
        "customer": "SELECT, INSERT, UPDATE",
        "contact": "SELECT, INSERT, UPDATE",
        "customer_feature": "SELECT",
        "call": "SELECT",
        "call_answer": "SELECT",
        "forward": "SELECT, UPDATE",
        "forward_event": "SELECT, INSERT",
        "reference_request": "SELECT, INSERT, UPDATE",
        "reference_use": "SELECT, INSERT, UPDATE",
        "thank_you": "SELECT, INSERT, UPDATE",
        "billing_link": "SELECT, INSERT, UPDATE, DELETE",
        "app_user": "SELECT, INSERT, UPDATE, DELETE",
        "department": "SELECT, INSERT, UPDATE",
        "setting": "SELECT, INSERT, UPDATE",
        "feature": "SELECT, INSERT, UPDATE",
    },
    "requester": {
        "customer": "SELECT",
        "contact": "SELECT",
        "customer_feature": "SELECT",
        "reference_request": "SELECT, INSERT, UPDATE",
        "reference_use": "SELECT, INSERT, UPDATE",
        "thank_you": "SELECT, INSERT, UPDATE",
    },
}

# The report's tallies (models/tallies.py) are appended to by triggers that
# run as whoever writes the table they count: each role may append to the
# tallies its writes feed. Supervisors read them and fold them (compaction
# deletes and inserts rows).
_TALLIES = ("tally_customer", "tally_customer_day", "tally_feature", "tally_call", "tally_call_length",
            "tally_forward", "tally_forward_done", "tally_count")
_GRANTS["caller"].update(dict.fromkeys(_TALLIES, "INSERT"))
_GRANTS["department"].update(dict.fromkeys(("tally_forward", "tally_forward_done"), "INSERT"))
_GRANTS["supervisor"].update(dict.fromkeys((*_TALLIES, "tally_mark"), "SELECT, INSERT, DELETE"))

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.@-]{0,62}$")


class RolesUnsupported(RuntimeError):
    """Database roles exist on PostgreSQL only."""


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _require_postgres(db: peewee.Database) -> None:
    if not is_postgres(db):
        raise RolesUnsupported(
            "database roles need PostgreSQL; a SQLite file is protected by its file permissions"
        )


def current_schema(db: peewee.Database | None = None) -> str:
    db = db or database.obj
    return db.execute_sql("SELECT current_schema()").fetchone()[0]


def create_roles(db: peewee.Database | None = None) -> list[str]:
    """Create or refresh the four group roles and their grants. Returns lines done."""
    db = db or database.obj
    _require_postgres(db)
    schema = _quote(current_schema(db))
    done = []
    with db.atomic():
        for role, group in GROUPS.items():
            exists = db.execute_sql("SELECT 1 FROM pg_roles WHERE rolname = %s", (group,)).fetchone()
            if not exists:
                db.execute_sql(f"CREATE ROLE {_quote(group)} NOLOGIN")
            db.execute_sql(f"GRANT USAGE ON SCHEMA {schema} TO {_quote(group)}")
            db.execute_sql(f"REVOKE ALL ON ALL TABLES IN SCHEMA {schema} FROM {_quote(group)}")
            tables = dict.fromkeys(_EVERYONE_READS, "SELECT")
            for table, privileges in _GRANTS[role].items():
                tables[table] = privileges
            for table, privileges in tables.items():
                db.execute_sql(f"GRANT {privileges} ON {schema}.{_quote(table)} TO {_quote(group)}")
            db.execute_sql(
                f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {schema} TO {_quote(group)}"
            )
            done.append(f"{group}: {', '.join(sorted(tables))}")
    return done


def create_login(name: str, role: str, password: str | None = None,
                 db: peewee.Database | None = None) -> None:
    """A person's own login, member of the group for their role."""
    db = db or database.obj
    _require_postgres(db)
    if role not in GROUPS:
        raise ValueError(f"unknown role {role!r}")
    if not _NAME.match(name):
        raise ValueError(f"{name!r} cannot be a database login name")
    with db.atomic():
        exists = db.execute_sql("SELECT 1 FROM pg_roles WHERE rolname = %s", (name,)).fetchone()
        if not exists:
            db.execute_sql(f"CREATE ROLE {_quote(name)} LOGIN")
        for other in GROUPS.values():
            if other != GROUPS[role]:
                member = db.execute_sql(
                    "SELECT 1 FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid "
                    "JOIN pg_roles u ON u.oid = m.member WHERE g.rolname = %s AND u.rolname = %s",
                    (other, name)).fetchone()
                if member:
                    db.execute_sql(f"REVOKE {_quote(other)} FROM {_quote(name)}")
        db.execute_sql(f"GRANT {_quote(GROUPS[role])} TO {_quote(name)}")
        if password:
            db.execute_sql(f"ALTER ROLE {_quote(name)} PASSWORD %s", (password,))
