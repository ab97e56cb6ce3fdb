"""PostgreSQL roles that mirror callers' roles, so the rules hold even in psql.

`create_roles()` makes four NOLOGIN group roles (callers_caller,
callers_department, callers_supervisor, callers_requester), grants each what
its people need on the current schema and nothing more, and turns on
row-level security with the policies below. In psql as in callers:

- a caller changes only its own calls and their answers, and only the
  customer it holds the claim on (with its contacts and features); it takes
  a claim only through the claim functions (SECURITY DEFINER, made by
  `callers.due`), which name the claim after the login, never after a name
  the client gives;
- a department sees and changes only its own department's forwards and
  their events, and only the customers and contacts those forwards are about;
- a requester reads the reference tables and, of the customers, only those
  references need (referenceable, or already in the reference log);
- a requester or a supervisor logs references (and marks thank-yous sent)
  only under its own user's name (`logged_by`);
- a supervisor reads everything and changes no call.

Who a login is: the app user whose `login` is `session_user`, looked up once
per statement (an uncorrelated sub-select, planned as an InitPlan), so every
policy is a column compared with a constant. The schema's owner and
superusers are not subject to row-level security; that is the administrator.
`create_login()` makes a person's login, member of one group.

Longer than 500 lines because every grant and row-level-security policy of
every role is in one place, where a security review reads them together.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
import tempfile
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

import peewee

from models.db import database, is_postgres
from models.vocabulary import REFERENCE_KINDS

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
    },
}

# The report's tallies (models/tallies.py) are appended to by triggers that
# run as whoever writes the table they count: each role may append to the
# tallies its writes feed. Supervisors read them and fold them (compaction
# deletes and inserts rows).
_TALLIES = ("tally_customer", "tally_customer_day", "tally_feature", "tally_call", "tally_call_local", "tally_call_length",
            "tally_forward", "tally_forward_done", "tally_count")
_GRANTS["caller"].update(dict.fromkeys(_TALLIES, "INSERT"))
_GRANTS["department"].update(dict.fromkeys(("tally_forward", "tally_forward_done"), "INSERT"))
# (0010) The step tallies count calls when they end: callers end calls.
_TALLIES += ("tally_step_time", "tally_step_longest")
_GRANTS["caller"].update(dict.fromkeys(_TALLIES, "INSERT"))
_GRANTS["supervisor"].update(dict.fromkeys((*_TALLIES, "tally_mark"), "SELECT, INSERT, DELETE"))
# (0014) The "was it fixed?" answers: callers give them, departments add other
# events to forward_event (the trigger's INSERT runs, adding nothing), a
# supervisor who sends a forward on moves its answers.
_GRANTS["caller"]["tally_forward_answer"] = "INSERT"
_GRANTS["department"]["tally_forward_answer"] = "INSERT"
_GRANTS["supervisor"]["tally_forward_answer"] = "SELECT, INSERT, DELETE"

# Webhooks (callers/webhooks.py): whoever records a forward event queues its
# delivery, so callers and departments learn which departments listen (the
# column department_id, never a URL or a secret: a Slack or Teams URL is
# itself a secret) and add rows to the outbox (RETURNING id needs its id).
# Only supervisors read the URLs and secrets and deliver: their screens and
# `callers departments hooks --retry` (cron, as a supervisor or the
# administrator). Other screens' delivery workers stop at the first refusal.
for _role in ("caller", "department"):
    _GRANTS[_role].update({"department_webhook": "SELECT (department_id)", "webhook_delivery": "INSERT, SELECT (id)"})
_GRANTS["supervisor"].update(dict.fromkeys(("department_webhook", "webhook_delivery"), "SELECT, INSERT, UPDATE, DELETE"))

# What the function earns (callers/value.py): the last reconciliation, which
# `callers reconcile` replaces and the report reads; both are supervisors' commands.
_GRANTS["supervisor"].update(dict.fromkeys(("reconciliation", "reconciliation_finding"), "SELECT, INSERT, DELETE"))

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.@-]{0,62}$")
LOGIN_RULE = "a letter or _ first, then letters, digits, _ . @ or -, at most 63 characters"


# ---- row-level security ----------------------------------------------------------


# session_user is of type name, whose collation is "C": in the column's
# collation, the comparison can use app_user's unique index on login.
_LOGIN = '(session_user::text COLLATE "default")'


def me(role: str) -> str:
    """SQL: the name of the app user of this connection's login, if it has
    `role` (NULL otherwise). A sub-select that reads nothing from the row:
    PostgreSQL runs it once per statement, one index probe."""
    return f"(SELECT u.name FROM app_user u WHERE u.login = {_LOGIN} AND u.role = '{role}')"


def member(role: str) -> str:
    """SQL: this connection's login is a user of `role`."""
    return f"{me(role)} IS NOT NULL"


MY_DEPARTMENT = ("(SELECT u.department_id FROM app_user u "
                 f"WHERE u.login = {_LOGIN} AND u.role = 'department')")


_REFERENCE_ROLES = ("supervisor", "requester")
# A use answers a request (its customer and outcome); a thank-you is marked sent.
_REFERENCE_GRANTS = {
    "reference_request": "SELECT, INSERT, UPDATE (customer_id, outcome)",
    "reference_use": "SELECT, INSERT",
    "thank_you": "SELECT, INSERT, UPDATE (sent_at, sent_by, logged_by)",
}
for _role in _REFERENCE_ROLES:
    _GRANTS[_role].update(_REFERENCE_GRANTS)


@dataclass(frozen=True)
class Policy:
    table: str
    role: str
    command: str  # SELECT, INSERT, UPDATE, DELETE or ALL
    using: str | None = None
    check: str | None = None
    label: str | None = None  # a second policy of the same role and command (permissive: either allows)

    @property
    def name(self) -> str:
        return f"callers_{self.role}_{self.command.lower()}" + (f"_{self.label}" if self.label else "")

    def ddl(self) -> str:
        sql = f'CREATE POLICY {self.name} ON "{self.table}" FOR {self.command} TO {GROUPS[self.role]}'
        if self.using is not None:
            sql += f" USING ({self.using})"
        if self.check is not None:
            sql += f" WITH CHECK ({self.check})"
        return sql


def _held(customer_column: str) -> str:
    """The customer in `customer_column` is claimed by this caller."""
    return (f"EXISTS (SELECT 1 FROM customer h WHERE h.id = {customer_column} "
            f"AND h.claim_holder = {me('caller')})")


def _forwarded_here(customer_column: str) -> str:
    """The customer has a forward to this login's department."""
    return (f"EXISTS (SELECT 1 FROM forward f WHERE f.customer_id = {customer_column} "
            f"AND f.department_id = {MY_DEPARTMENT})")


_REFERENCEABLE = " OR ".join(f"ref_{kind} = 'yes'" for kind in REFERENCE_KINDS)
_IN_REFERENCE_LOG = ("EXISTS (SELECT 1 FROM reference_use r WHERE r.customer_id = customer.id) "
                     "OR EXISTS (SELECT 1 FROM reference_request q WHERE q.customer_id = customer.id)")
_VISIBLE_CUSTOMER = "EXISTS (SELECT 1 FROM customer v WHERE v.id = {column})"  # through the reader's own policy

POLICIES: tuple[Policy, ...] = (
    # customer
    Policy("customer", "caller", "SELECT", member("caller")),
    Policy("customer", "caller", "UPDATE", f"claim_holder = {me('caller')}",
           f"claim_holder IS NULL OR claim_holder = {me('caller')}"),
    Policy("customer", "department", "SELECT", _forwarded_here("customer.id")),
    Policy("customer", "supervisor", "ALL", member("supervisor"), member("supervisor")),
    Policy("customer", "requester", "SELECT",
           f"{member('requester')} AND ({_REFERENCEABLE} OR {_IN_REFERENCE_LOG})"),
    # contact
    Policy("contact", "caller", "SELECT", member("caller")),
    Policy("contact", "caller", "INSERT", None, _held("customer_id")),
    Policy("contact", "caller", "UPDATE", _held("customer_id"), _held("customer_id")),
    Policy("contact", "department", "SELECT", _forwarded_here("contact.customer_id")),
    Policy("contact", "supervisor", "ALL", member("supervisor"), member("supervisor")),
    Policy("contact", "requester", "SELECT", _VISIBLE_CUSTOMER.format(column="contact.customer_id")),
    # customer_feature
    Policy("customer_feature", "caller", "SELECT", member("caller")),
    Policy("customer_feature", "caller", "INSERT", None, _held("customer_id")),
    Policy("customer_feature", "caller", "UPDATE", _held("customer_id"), _held("customer_id")),
    Policy("customer_feature", "caller", "DELETE", _held("customer_id")),
    Policy("customer_feature", "supervisor", "ALL", member("supervisor"), member("supervisor")),
    Policy("customer_feature", "requester", "SELECT",
           _VISIBLE_CUSTOMER.format(column="customer_feature.customer_id")),
    # call
    Policy("call", "caller", "SELECT", member("caller")),
    Policy("call", "caller", "INSERT", None, f"caller = {me('caller')}"),
    Policy("call", "caller", "UPDATE", f"caller = {me('caller')}", f"caller = {me('caller')}"),
    Policy("call", "supervisor", "SELECT", member("supervisor")),
    # call_answer
    Policy("call_answer", "caller", "SELECT", member("caller")),
    Policy("call_answer", "caller", "INSERT", None,
           f"EXISTS (SELECT 1 FROM call k WHERE k.id = call_id AND k.caller = {me('caller')})"),
    Policy("call_answer", "supervisor", "SELECT", member("supervisor")),
    # forward
    Policy("forward", "caller", "SELECT", member("caller")),
    Policy("forward", "caller", "INSERT", None, f"caller = {me('caller')}"),
    Policy("forward", "caller", "UPDATE", f"caller = {me('caller')}", f"caller = {me('caller')}"),
    Policy("forward", "department", "SELECT", f"department_id = {MY_DEPARTMENT}"),
    Policy("forward", "department", "UPDATE", f"department_id = {MY_DEPARTMENT}",
           f"department_id = {MY_DEPARTMENT}"),
    Policy("forward", "supervisor", "ALL", member("supervisor"), member("supervisor")),
    # forward_event: the trail names the login's own user
    Policy("forward_event", "caller", "SELECT", member("caller")),
    Policy("forward_event", "caller", "INSERT", None,
           f"by = {me('caller')} AND EXISTS (SELECT 1 FROM forward f WHERE f.id = forward_id "
           f"AND f.caller = {me('caller')})"),
    Policy("forward_event", "department", "SELECT",
           f"EXISTS (SELECT 1 FROM forward f WHERE f.id = forward_id AND f.department_id = {MY_DEPARTMENT})"),
    Policy("forward_event", "department", "INSERT", None,
           f"by = {me('department')} AND EXISTS (SELECT 1 FROM forward f WHERE f.id = forward_id "
           f"AND f.department_id = {MY_DEPARTMENT})"),
    # closing the loop (callers/loop.py): on a call, the caller records the
    # customer's "was it fixed?" about a done forward of the customer it
    # holds, whoever filed it, and a "no" opens that forward again
    Policy("forward_event", "caller", "INSERT", None,
           f"by = {me('caller')} AND status IN ('fixed', 'partly_fixed', 'reopened') AND EXISTS (SELECT 1 FROM "
           f"forward f WHERE f.id = forward_id AND {_held('f.customer_id')})", label="loop"),
    Policy("forward", "caller", "UPDATE", f"status = 'done' AND {_held('customer_id')}",
           f"status = 'open' AND {_held('customer_id')}", label="reopen"),
    Policy("forward_event", "supervisor", "SELECT", member("supervisor")),
    Policy("forward_event", "supervisor", "INSERT", None, f"by = {me('supervisor')}"),
    # The reference log (callers/references): who has it reads all of it; a
    # request or a use is logged under the login's own name, a thank-you is
    # owed (no one marked it) when made and marked sent under that name. Who
    # asked (`requested_by`) and who sent the thanks (`sent_by`) are facts
    # given, any name. Updates are limited to those columns by the grants.
    *(policy for role in _REFERENCE_ROLES for policy in (
        Policy("reference_request", role, "SELECT", member(role)),
        Policy("reference_request", role, "INSERT", None, f"logged_by = {me(role)}"),
        Policy("reference_request", role, "UPDATE", member(role), member(role)),
        Policy("reference_use", role, "SELECT", member(role)),
        Policy("reference_use", role, "INSERT", None, f"logged_by = {me(role)}"),
        Policy("thank_you", role, "SELECT", member(role)),
        Policy("thank_you", role, "INSERT", None, "logged_by IS NULL AND sent_at IS NULL"),
        Policy("thank_you", role, "UPDATE", member(role), f"logged_by = {me(role)}"),
    )),
)
RLS_TABLES = tuple(dict.fromkeys(p.table for p in POLICIES))


@dataclass(frozen=True)
class Function:
    """A SECURITY DEFINER function some groups may execute (the claim
    functions of callers.due): `ddl` is its CREATE OR REPLACE FUNCTION
    (without SECURITY DEFINER and search_path, added here)."""

    name: str
    arguments: str  # the argument types, e.g. "integer, text"
    ddl: str
    roles: tuple[str, ...]

    @property
    def signature(self) -> str:
        return f"{self.name}({self.arguments})"


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


def _ensure_role(db: peewee.Database, name: str, login: bool) -> None:
    """CREATE ROLE unless it exists; a role made meanwhile by another
    transaction (two schemas set up at once share the group roles) is fine."""
    kind = "LOGIN" if login else "NOLOGIN"
    db.execute_sql(
        f"DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = {_literal(name)}) THEN "
        f"CREATE ROLE {_quote(name)} {kind}; END IF; "
        f"EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$")


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _definer(function: Function, schema: str) -> str:
    """The function's DDL made SECURITY DEFINER with a fixed search_path (a
    definer function must not find tables through the caller's path)."""
    head, body = function.ddl.split(" AS ", 1)
    return f"{head} SECURITY DEFINER SET search_path = pg_catalog, {schema}, pg_temp AS {body}"


def create_roles(db: peewee.Database | None = None, functions: Sequence[Function] = ()) -> list[str]:
    """Create or refresh the four group roles, their grants, the definer
    `functions` and row-level security with its policies, in one
    transaction. Run by the schema's owner. Returns lines done."""
    db = db or database.obj
    _require_postgres(db)
    schema = _quote(current_schema(db))
    done = []
    with db.atomic():
        db.execute_sql(f"REVOKE CREATE ON SCHEMA {schema} FROM PUBLIC")
        db.execute_sql(f"REVOKE ALL ON ALL TABLES IN SCHEMA {schema} FROM PUBLIC")
        db.execute_sql(f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA {schema} FROM PUBLIC")
        for role, group in GROUPS.items():
            _ensure_role(db, group, login=False)
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
        for function in functions:
            db.cursor().execute(_definer(function, schema))  # no parameters: its % are plpgsql's
            db.execute_sql(f"REVOKE ALL ON FUNCTION {schema}.{function.signature} FROM PUBLIC")
            for role in function.roles:
                db.execute_sql(f"GRANT EXECUTE ON FUNCTION {schema}.{function.signature} TO {GROUPS[role]}")
        if functions:
            done.append("claims through " + ", ".join(f.name for f in functions) + " (SECURITY DEFINER)")
        for table in RLS_TABLES:
            for (name,) in db.execute_sql(
                    "SELECT policyname FROM pg_policies WHERE schemaname = current_schema() AND tablename = %s",
                    (table,)).fetchall():
                db.execute_sql(f"DROP POLICY {_quote(name)} ON {schema}.{_quote(table)}")
            db.execute_sql(f"ALTER TABLE {schema}.{_quote(table)} ENABLE ROW LEVEL SECURITY")
        for policy in POLICIES:
            db.execute_sql(policy.ddl())
        done.append(f"row-level security: {len(POLICIES)} policies on {', '.join(RLS_TABLES)}")
    return done


def installed(db: peewee.Database | None = None) -> bool:
    """Whether `create_roles` has run on this schema: one of the group roles
    holds a grant on one of its tables (PUBLIC's rights, which every role
    has, do not count)."""
    db = db or database.obj
    if not is_postgres(db):
        return False
    row = db.execute_sql(
        "SELECT 1 FROM pg_class c CROSS JOIN LATERAL aclexplode(c.relacl) a JOIN pg_roles r ON r.oid = a.grantee "
        "WHERE c.relnamespace = to_regnamespace(current_schema()) AND r.rolname = ANY(%s) LIMIT 1",
        (list(GROUPS.values()),)).fetchone()
    return row is not None


def check_login_name(name: str) -> None:
    if not _NAME.match(name):
        raise ValueError(f"{name!r} cannot be a database login name ({LOGIN_RULE})")


def scram_verifier(password: str, iterations: int = 4096, salt: bytes | None = None) -> str:
    """The SCRAM-SHA-256 verifier PostgreSQL stores for `password`, made
    here so that the password itself is never sent to the server (nor
    written to its log). ASCII passwords only (others need SASLprep: the
    server makes theirs)."""
    salt = salt if salt is not None else os.urandom(16)
    salted = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations)
    client_key = hmac.new(salted, b"Client Key", "sha256").digest()
    stored_key = hashlib.sha256(client_key).digest()
    server_key = hmac.new(salted, b"Server Key", "sha256").digest()
    b64 = lambda raw: base64.b64encode(raw).decode()  # noqa: E731
    return f"SCRAM-SHA-256${iterations}:{b64(salt)}${b64(stored_key)}:{b64(server_key)}"


def _group_members(db: peewee.Database, login: str) -> set[str]:
    rows = db.execute_sql(
        "SELECT g.rolname FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid "
        "JOIN pg_roles u ON u.oid = m.member WHERE u.rolname = %s AND g.rolname = ANY(%s)",
        (login, list(GROUPS.values()))).fetchall()
    return {name for (name,) in rows}


def create_login(name: str, role: str, password: str | None = None,
                 db: peewee.Database | None = None) -> None:
    """A person's own login (made, or an existing one reused), member of the
    group for their role and of no other callers group. Inside the caller's
    transaction when there is one (CREATE ROLE is transactional)."""
    db = db or database.obj
    _require_postgres(db)
    if role not in GROUPS:
        raise ValueError(f"unknown role {role!r}")
    check_login_name(name)
    with db.atomic():
        _ensure_role(db, name, login=True)
        set_group(name, role, db)
        if password:
            secret = scram_verifier(password) if password.isascii() else password
            db.execute_sql(f"ALTER ROLE {_quote(name)} LOGIN PASSWORD %s", (secret,))


def set_group(login: str, role: str | None, db: peewee.Database | None = None) -> None:
    """Make the login a member of its role's group only (`role` None: of none)."""
    db = db or database.obj
    _require_postgres(db)
    for group in _group_members(db, login):
        if group != GROUPS.get(role):
            db.execute_sql(f"REVOKE {_quote(group)} FROM {_quote(login)}")
    if role is not None:
        db.execute_sql(f"GRANT {_quote(GROUPS[role])} TO {_quote(login)}")


def role_exists(name: str, db: peewee.Database | None = None) -> bool:
    db = db or database.obj
    return db.execute_sql("SELECT 1 FROM pg_roles WHERE rolname = %s", (name,)).fetchone() is not None


# ---- who is connected --------------------------------------------------------------


@dataclass(frozen=True)
class Session:
    login: str  # session_user
    admin: bool  # superuser, or owner of the schema or of its tables


def session(db: peewee.Database | None = None) -> Session:
    """This connection's login, and whether it is the administrator's: a
    superuser or the owner of the schema or of its tables, whom row-level
    security does not hold."""
    db = db or database.obj
    _require_postgres(db)
    row = db.execute_sql(
        "SELECT session_user::text, r.rolsuper OR pg_has_role(session_user, n.nspowner, 'USAGE') "
        "OR COALESCE(pg_has_role(session_user, c.relowner, 'USAGE'), false) "
        "FROM pg_roles r JOIN pg_namespace n ON n.nspname = current_schema() "
        "LEFT JOIN pg_class c ON c.oid = to_regclass('app_user') "
        "WHERE r.rolname = session_user").fetchone()
    return Session(row[0], bool(row[1]))


# ---- the server's posture (`callers db check`) ---------------------------------------


def posture(db: peewee.Database | None = None, functions: Sequence[Function] = (),
            probe: dict | None = None) -> list[str]:
    """Warnings about how safely the database is set up: a login let in
    without a password, row-level security or a policy missing (or one that
    is not callers' own), PUBLIC with rights it should not have. `probe`:
    connection parameters to try without a password (default: this
    connection's)."""
    db = db or database.obj
    _require_postgres(db)
    warnings = _password_warnings(db, probe)
    if not installed(db):
        warnings.append("the database roles are not set up (`callers db roles`): any login that may open "
                        "these tables reads and changes every row")
    else:
        warnings += _rls_warnings(db, functions)
    warnings += _public_warnings(db, functions)
    return warnings


def _rls_warnings(db: peewee.Database, functions: Sequence[Function]) -> list[str]:
    out = []
    secured = dict(db.execute_sql(
        "SELECT relname, relrowsecurity FROM pg_class WHERE relnamespace = to_regnamespace(current_schema()) "
        "AND relname = ANY(%s)", (list(RLS_TABLES),)).fetchall())
    for table in RLS_TABLES:
        if not secured.get(table):
            out.append(f"row-level security is off on {table}: run `callers db roles`")
    found = {(t, n) for t, n in db.execute_sql(
        "SELECT tablename, policyname FROM pg_policies WHERE schemaname = current_schema() "
        "AND tablename = ANY(%s)", (list(RLS_TABLES),)).fetchall()}
    wanted = {(p.table, p.name) for p in POLICIES}
    for table, name in sorted(wanted - found):
        out.append(f"policy {name} on {table} is missing: run `callers db roles`")
    for table, name in sorted(found - wanted):
        out.append(f"policy {name} on {table} is not callers' own: it may let a role see or change more")
    definers = {name: definer for name, definer in db.execute_sql(
        "SELECT proname, prosecdef FROM pg_proc WHERE pronamespace = to_regnamespace(current_schema()) "
        "AND proname = ANY(%s)", ([f.name for f in functions],)).fetchall()}
    for function in functions:
        if function.name not in definers:
            out.append(f"function {function.name} is missing: callers cannot claim customers; "
                       "run `callers db roles`")
    return out


def _public_warnings(db: peewee.Database, functions: Sequence[Function]) -> list[str]:
    out = []
    if db.execute_sql("SELECT has_schema_privilege('public', current_schema(), 'CREATE')").fetchone()[0]:
        out.append("PUBLIC may create objects in the schema: REVOKE CREATE ON SCHEMA ... FROM PUBLIC "
                   "(`callers db roles` does)")
    rows = db.execute_sql(
        "SELECT c.relname, string_agg(DISTINCT a.privilege_type, ', ') FROM pg_class c "
        "CROSS JOIN LATERAL aclexplode(c.relacl) a "
        "WHERE c.relnamespace = to_regnamespace(current_schema()) AND c.relkind IN ('r', 'p', 'v', 'S') "
        "AND a.grantee = 0 GROUP BY c.relname ORDER BY c.relname").fetchall()
    for name, privileges in rows:
        out.append(f"PUBLIC has {privileges} on {name}: every login may use it (`callers db roles` revokes it)")
    if functions:
        rows = db.execute_sql(
            "SELECT p.proname FROM pg_proc p WHERE p.pronamespace = to_regnamespace(current_schema()) "
            "AND p.proname = ANY(%s) AND has_function_privilege('public', p.oid, 'EXECUTE') ORDER BY 1",
            ([f.name for f in functions],)).fetchall()
        for (name,) in rows:
            out.append(f"PUBLIC may execute {name}: any login could claim customers "
                       "(`callers db roles` revokes it)")
    return out


def _password_warnings(db: peewee.Database, probe: dict | None) -> list[str]:
    """Whether the server lets this login in without a password, for the
    address in use: tried by connecting with none (and no password file)."""
    import psycopg2

    params = dict(probe if probe is not None else db.connect_params)
    params.pop("password", None)
    params["passfile"] = os.path.join(tempfile.gettempdir(), f"callers-no-passfile-{uuid.uuid4().hex}")
    params["connect_timeout"] = 5
    login = db.execute_sql("SELECT session_user::text").fetchone()[0]
    params["user"] = login
    name = params.pop("database", None) or db.database
    where = f"{params.get('host') or 'the local socket'}" + (f":{params['port']}" if params.get("port") else "")
    saved = {key: os.environ.pop(key) for key in ("PGPASSWORD", "PGPASSFILE") if key in os.environ}
    try:
        conn = psycopg2.connect(dbname=name, **{k: v for k, v in params.items() if k not in ("options",)})
    except psycopg2.Error:
        return []
    else:
        conn.close()
    finally:
        os.environ.update(saved)
    rules = _trust_rules(db)
    return [f"the server let {login} in at {where} without a password: pg_hba.conf trusts this address"
            f"{' (' + rules + ')' if rules else ''}; use scram-sha-256 and give every login a password"]


def _trust_rules(db: peewee.Database) -> str:
    """pg_hba.conf's trust lines, when this login may read them (superusers)."""
    try:
        with db.atomic():
            rows = db.execute_sql(
                "SELECT line_number, type, array_to_string(database, ','), array_to_string(user_name, ','), "
                "address FROM pg_hba_file_rules WHERE auth_method = 'trust' ORDER BY line_number").fetchall()
    except peewee.DatabaseError:
        return ""
    return "; ".join(f"line {n}: {kind} {dbs} {users}{' ' + address if address else ''} trust"
                     for n, kind, dbs, users, address in rows)
