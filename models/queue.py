"""The due queue's statements: each engine's way of finding, claiming and
holding the next customer to call (callers/due.py decides when, and keeps the
caches; this module only writes and runs the SQL).

Apart from models/engine.py because it is one idea of its own and some 400
lines: PostgreSQL picks in one prepared statement (an array of open zone keys,
a LATERAL seek per key, FOR UPDATE SKIP LOCKED, the lease in the same
UPDATE ... RETURNING, or SECURITY DEFINER functions for a caller's login);
SQLite, which has no LATERAL, seeks by scalar subqueries under BEGIN IMMEDIATE.
"""

from __future__ import annotations

import functools
import re
from datetime import datetime

from models.db import (
    database,
    execute_prepared,
    is_postgres,
    models_from,
    row_security,
    skip_locked_clause,
    use_index,
    write_transaction,
)
from models.tables import Customer
from models.vocabulary import DUE_CALLBACK, DUE_NEVER_REACHED, DUE_OVERDUE, DUE_PARKED

QUEUE_RANKS = (DUE_CALLBACK, DUE_NEVER_REACHED, DUE_OVERDUE)

_TABLE = Customer._meta.table_name
# The due queue's index: (call_tz, due_rank, next_due_at, id). Every due query is
# one seek per (zone key, rank) in it, whatever other indexes exist.
DUE_INDEX = "customer_call_tz_due_rank_next_due_at_id"


def load_zone_keys() -> tuple[str, ...]:
    """Every distinct call_tz, by a loose index scan (one seek per key)."""
    sql = (
        f"WITH RECURSIVE z(tz) AS ("
        f" SELECT MIN(call_tz) FROM {_TABLE}"
        f" UNION ALL"
        f" SELECT (SELECT MIN(c.call_tz) FROM {_TABLE} c WHERE c.call_tz > z.tz) FROM z WHERE z.tz IS NOT NULL"
        f") SELECT tz FROM z WHERE tz IS NOT NULL"
    )
    return tuple(row[0] for row in database.execute_sql(sql).fetchall() if row[0])


def max_customer_id() -> int | None:
    row = database.execute_sql(f"SELECT MAX(id) FROM {_TABLE}").fetchone()
    return row[0] if row else None


# ---- the pick ------------------------------------------------------------------


def _seek(p: str, rank: int, caller: str | None, lock: bool, columns: str) -> str:
    """One index seek for the earliest due customer of the zone key
    `k.column1` and `rank`: the conditions every due customer meets. With
    `lock` (claiming, inside the write transaction) the seek also locks its
    row, stepping over rows another caller is claiming right now (PostgreSQL
    FOR UPDATE SKIP LOCKED), so eight callers at once each get a different
    customer instead of all racing for the same best one."""
    holder = f"OR c.claim_holder = {p} " if caller else ""
    return (
        f"SELECT {columns} FROM {_TABLE} c{use_index(DUE_INDEX)}"
        f" WHERE c.call_tz = k.column1 AND c.due_rank = {int(rank)} AND c.next_due_at <= {p}"
        f" AND c.do_not_call = {p} AND c.needs_number = {p} AND c.unreachable = {p}"
        f" AND c.attempts < {p}"
        f" AND (c.claim_holder IS NULL OR c.claim_expires_at <= {p} {holder})"
        f" ORDER BY c.next_due_at, c.id LIMIT 1{skip_locked_clause() if lock else ''}"
    )


# The contact's columns beside the customer's, so that the pick brings both.
CONTACT_COLUMNS = ("id", "name", "role", "title", "phone", "extension", "timezone")



@functools.lru_cache(maxsize=None)
def _customer_columns() -> str:
    """The customer's columns by name: a prepared statement cannot say c.*
    (it would fail once a migration adds a column)."""
    return ", ".join(f"c.{field.column_name}" for field in Customer._meta.sorted_fields)


@functools.lru_cache(maxsize=None)
def _pick_columns() -> str:
    """The customer's columns and its contact's."""
    return _customer_columns() + ", " + ", ".join(f"ct.{name} AS ct_{name}" for name in CONTACT_COLUMNS)


def _own_seek(caller: str, now: str) -> str:
    """The caller's own live claim (the latest, should there be two)."""
    return (f"SELECT c.id FROM {_TABLE} c WHERE c.claim_holder = {caller} AND c.claim_expires_at > {now}"
            f" ORDER BY c.claim_expires_at DESC LIMIT 1")


def _by_rank(best_of_rank, own: str | None, claim: tuple[str, str] | None = None) -> str:
    """The caller's own live claim (`own`), then the ranks in order, each the
    best of its seeks (`best_of_rank(rank)`, None to leave a rank out): the
    first that has anyone wins. `UNION ALL ... LIMIT 1` runs its branches one
    after the other and stops at the first row, so a caller with a claim
    seeks nothing else, and when callbacks are due the other ranks are never
    sought (a third of the seeks); ranks strictly order the queue, so the
    first rank's best is the best.

    With `claim` (PostgreSQL: the holder's and the lease's parameters) the
    winner is leased in the same statement (UPDATE ... RETURNING), which is
    its own transaction: one round trip instead of BEGIN, pick, UPDATE and
    COMMIT."""
    union = _union(best_of_rank, own)
    if claim:
        holder, until = claim
        return (f"WITH claimed AS ({_lease(union, holder, until, _customer_columns())})"
                f" SELECT {_pick_columns()} FROM claimed c LEFT JOIN contact ct ON ct.id = c.call_contact")
    return (f"SELECT {_pick_columns()} FROM {_TABLE} c LEFT JOIN contact ct ON ct.id = c.call_contact"
            f" WHERE c.id = ({union} LIMIT 1)")


def _union(best_of_rank, own: str | None) -> str:
    """The pick's branches (see `_by_rank`), each giving at most one id."""
    branches = [(f"SELECT id FROM ({sql}) AS r{rank}") for rank, sql in
                ((rank, best_of_rank(rank)) for rank in QUEUE_RANKS) if sql]
    if own:
        branches.insert(0, f"SELECT id FROM ({own}) AS mine")
    return " UNION ALL ".join(branches)


def _lease(union: str, holder: str, until: str, returning: str) -> str:
    """The claim: lease the pick's winner to `holder` until `until`."""
    return (f"UPDATE {_TABLE} c SET claim_holder = {holder}, claim_expires_at = {until}"
            f" WHERE c.id = ({union} LIMIT 1) RETURNING {returning}")


_PG_PICK_TYPES = ("text[]", "timestamp", "boolean", "boolean", "boolean", "int", "timestamp", "text")


def _pg_best_of_rank(caller: bool, lock: bool):
    def best_of_rank(rank: int) -> str:
        numbers = iter(range(2, 2 + len(_PG_PICK_TYPES)))  # $1: the keys
        seek = re.sub("%s", lambda _: f"${next(numbers)}",
                      _seek("%s", rank, "caller" if caller else None, lock, "c.id, c.next_due_at"))
        return (f"SELECT c.id FROM unnest($1::text[]) AS k(column1) CROSS JOIN LATERAL ({seek}) AS c"
                f" ORDER BY c.next_due_at, c.id LIMIT 1")
    return best_of_rank


@functools.lru_cache(maxsize=None)
def _pg_pick_sql(caller: bool, lock: bool, claim: bool = False) -> str:
    """PostgreSQL: the pick as one statement to prepare. The open keys come
    as one array ($1; empty is fine), so the statement is the same whatever
    their number; a LATERAL join seeks once per key. $2 is now, the caller
    the last parameter of _PG_PICK_TYPES, then (`claim`) the lease's end."""
    holder = f"${len(_PG_PICK_TYPES)}"
    return _by_rank(_pg_best_of_rank(caller, lock), _own_seek(holder, "$2") if caller else None,
                    (holder, f"${len(_PG_PICK_TYPES) + 1}") if claim else None)


# ---- claims under row-level security -------------------------------------------
# A caller's login (PostgreSQL, `callers db roles`) may change only the
# customer it holds the claim on. Taking a claim goes through these
# functions, SECURITY DEFINER (they run as the schema's owner): each checks
# that the claim is made for the login's own user, and reads "now" as no
# later than the server's clock, so no login claims for someone else or
# steals a live lease by naming a time to come. The administrator's
# connection (not held by row-level security) runs the same SQL directly.

_NOT_ME = ("IF p_holder IS DISTINCT FROM {me} THEN RAISE EXCEPTION 'connected as %, who may not claim "
           "customers for %', session_user, p_holder USING ERRCODE = 'insufficient_privilege'; END IF; ")
_SERVER_NOW = "p_now := least(p_now, (now() AT TIME ZONE 'UTC')::timestamp); "
_LEASE_LIMIT = "p_until := least(p_until, p_now + interval '1 day'); "


def _hold_sql(customer: str, holder: str, until: str, now: str) -> str:
    return (f"UPDATE {_TABLE} SET claim_holder = {holder}, claim_expires_at = {until} WHERE id = {customer}"
            f" AND (claim_holder IS NULL OR claim_holder = {holder} OR claim_expires_at <= {now})")


def _new_cycles_sql(now: str) -> str:
    return (f"UPDATE {_TABLE} SET unreachable = false, attempts = 0, cycle_started_at = next_due_at,"
            f" due_rank = CASE WHEN last_reached_at IS NULL THEN {DUE_NEVER_REACHED} ELSE {DUE_OVERDUE} END,"
            f" updated_at = {now} WHERE due_rank = {DUE_PARKED} AND next_due_at <= {now}")


def definer_functions() -> list:
    """The claim functions, for `models.roles.create_roles` to install."""
    from models.roles import Function, me

    check = _NOT_ME.format(me=me("caller"))
    claim_args = ("p_keys text[], p_now timestamp, p_do_not_call boolean, p_needs_number boolean, "
                  "p_unreachable boolean, p_attempts integer, p_now_again timestamp, p_holder text, "
                  "p_until timestamp")
    claim = Function(
        "callers_claim", "text[], timestamp, boolean, boolean, boolean, integer, timestamp, text, timestamp",
        f"CREATE OR REPLACE FUNCTION callers_claim({claim_args}) RETURNS TABLE (customer_row {_TABLE},"
        f" contact_row contact) LANGUAGE plpgsql ROWS 1 AS $body$ BEGIN {check}{_SERVER_NOW}p_now_again := p_now; "
        f"{_LEASE_LIMIT}p_do_not_call := false; p_needs_number := false; p_unreachable := false; "
        f"RETURN QUERY WITH claimed AS ({_pg_claim_update()}) SELECT claimed.c, ct FROM claimed"
        " LEFT JOIN contact ct ON ct.id = (claimed.c).call_contact; END $body$",
        ("caller",))
    hold = Function(
        "callers_hold", "integer, text, timestamp, timestamp",
        "CREATE OR REPLACE FUNCTION callers_hold(p_customer integer, p_holder text, p_until timestamp,"
        f" p_now timestamp) RETURNS boolean LANGUAGE plpgsql AS $body$ BEGIN {check}{_SERVER_NOW}{_LEASE_LIMIT}"
        f"{_hold_sql('p_customer', 'p_holder', 'p_until', 'p_now')}; RETURN FOUND; END $body$",
        ("caller",))
    cycles = Function(
        "callers_start_new_cycles", "timestamp",
        "CREATE OR REPLACE FUNCTION callers_start_new_cycles(p_now timestamp) RETURNS integer LANGUAGE plpgsql"
        f" AS $body$ DECLARE n integer; BEGIN IF {me('caller')} IS NULL THEN RAISE EXCEPTION"
        " 'connected as %, who is no caller', session_user USING ERRCODE = 'insufficient_privilege'; END IF; "
        f"{_SERVER_NOW}{_new_cycles_sql('p_now')}; GET DIAGNOSTICS n = ROW_COUNT; RETURN n; END $body$",
        ("caller",))
    return [claim, hold, cycles]


def _pg_claim_update() -> str:
    """The claim's UPDATE (parameters as `_pg_pick_sql`'s), returning the
    customer's row whole: the body of callers_claim, which adds its contact."""
    holder = f"${len(_PG_PICK_TYPES)}"
    return _lease(_union(_pg_best_of_rank(True, True), _own_seek(holder, "$2")), holder,
                  f"${len(_PG_PICK_TYPES) + 1}", "c")


@functools.lru_cache(maxsize=None)
def _pg_claim_through_function() -> str:
    """The claim by a caller's login: callers_claim's customer and contact,
    as the columns `_pick_columns()` names. The statement reads no table
    itself, so its plan is the same for every login."""
    params = ", ".join(f"${n}" for n in range(1, len(_PG_PICK_TYPES) + 2))
    columns = [f"(r.customer_row).{field.column_name}" for field in Customer._meta.sorted_fields]
    columns += [f"(r.contact_row).{name} AS ct_{name}" for name in CONTACT_COLUMNS]
    return f"SELECT {', '.join(columns)} FROM callers_claim({params}) r"


def hold(customer_id: int, caller: str, until: datetime, now_db: datetime) -> None:
    """Keep (or take back) `caller`'s lease on the customer until `until`,
    unless another caller holds a live one."""
    db = database.obj
    if row_security(_TABLE):
        db.execute_sql("SELECT callers_hold(%s, %s, %s, %s)", (customer_id, caller, until, now_db))
        return
    p = db.param
    db.execute_sql(_hold_sql(p, p, p, p), (caller, until, customer_id, caller, now_db))


def _picked(cursor) -> Customer | None:
    """The pick's row as a Customer, its call contact's columns as `ct_*`."""
    return next(iter(models_from(Customer, cursor, shape="due-pick")), None)


def pick(keys: tuple[str, ...], now_db: datetime, caller: str | None, max_attempts: int,
         lock: bool = False, claim_until: datetime | None = None) -> Customer | None:
    """The caller's own live claim, else the best due customer among the
    open zone keys (lowest rank, then earliest due, then id), or None, in one
    statement: rank by rank, one index seek per open key, the best of those
    few rows, then its row and its call contact. A
    round trip to a server costs as much as the seeks, and building a model
    per candidate ten times more.

    `claim_until` (PostgreSQL only, with `caller` and `lock`): the same
    statement leases the customer to `caller` until then.

    The customer comes back with its call contact's columns as `ct_<name>`
    (CONTACT_COLUMNS; `ct_id` None when it has none)."""
    if not keys and not caller:
        return None
    db = database.obj
    p = db.param
    seek_params: list = [now_db, False, False, False, max_attempts, now_db] + ([caller] if caller else [])
    if is_postgres():
        # Planning this join costs more than running it (1.1 ms against the
        # customer table's many indexes): prepared once per connection.
        params = [list(keys)] + seek_params
        if claim_until is not None:
            assert caller and lock, "a claim is made by a caller, under lock"
            if row_security(_TABLE):  # a caller's login: through callers_claim
                return _picked(execute_prepared("callers_due_claim_rls", (*_PG_PICK_TYPES, "timestamp"),
                                                _pg_claim_through_function(), params + [claim_until]))
            return _picked(execute_prepared("callers_due_claim", (*_PG_PICK_TYPES, "timestamp"),
                                            _pg_pick_sql(True, True, claim=True), params + [claim_until]))
        name = f"callers_due_pick_{'c' if caller else 'n'}{'l' if lock else 'r'}"
        types = _PG_PICK_TYPES if caller else _PG_PICK_TYPES[:-1]
        return _picked(execute_prepared(name, types, _pg_pick_sql(bool(caller), lock), params))
    # SQLite has no LATERAL: each seek is a scalar subquery, its row found by
    # rowid.
    values = ", ".join(f"({p})" for _ in keys)

    def best_of_rank(rank: int) -> str | None:
        if not keys:  # SQLite has no empty VALUES
            return None
        return (f"SELECT d.id FROM (VALUES {values}) AS k"
                f" JOIN {_TABLE} d ON d.id = ({_seek(p, rank, caller, lock, 'c.id')})"
                f" ORDER BY d.next_due_at, d.id LIMIT 1")
    params = ([caller, now_db] if caller else []) + (list(keys) + seek_params) * (len(QUEUE_RANKS) if keys else 0)
    return _picked(db.execute_sql(_by_rank(best_of_rank, _own_seek(p, p) if caller else None), params))


def claim(keys: tuple[str, ...], now_db: datetime, caller: str, max_attempts: int,
          until: datetime) -> Customer | None:
    """Pick (as `pick`) and lease the customer to `caller` until `until`,
    so that callers claiming at the same time each get a different one."""
    if is_postgres():
        # One statement: the pick (own claim first; candidates locked FOR
        # UPDATE SKIP LOCKED, their conditions re-checked on the latest
        # version) and the lease.
        return pick(keys, now_db, caller, max_attempts, lock=True, claim_until=until)
    with write_transaction():
        # SQLite: the caller's own claim comes back (its lease renewed);
        # else the candidates are read under the write lock (BEGIN
        # IMMEDIATE), so the best of them is still due, unclaimed, and
        # ours to take.
        found = pick(keys, now_db, caller, max_attempts, lock=True)
        if found is None:
            return None
        (Customer.update(claim_holder=caller, claim_expires_at=until)
         .where(Customer.id == found.id).execute())
        found.claim_holder, found.claim_expires_at = caller, until
        return found


# ---- parked customers and new cycles -------------------------------------------


def earliest_parked():
    """The earliest next_due_at of the parked, as the database hands it (an
    aggregate: text on SQLite), or None."""
    row = database.execute_sql(
        f"SELECT MIN(next_due_at) FROM {_TABLE} WHERE due_rank = {database.obj.param}", (DUE_PARKED,)).fetchone()
    return row[0] if row else None


def start_new_cycles(now_db: datetime) -> int:
    """Put the parked whose new cycle has begun back in the queue; how many."""
    db = database.obj
    with write_transaction():
        if row_security(_TABLE):  # a caller's login: through callers_start_new_cycles
            return db.execute_sql("SELECT callers_start_new_cycles(%s)", (now_db,)).fetchone()[0]
        return db.execute_sql(_new_cycles_sql(db.param), (now_db, now_db)).rowcount


# ---- when will somebody be due -------------------------------------------------


def earliest_per_key(keys: tuple[str, ...]) -> list[tuple[str, object]]:
    """For each key and rank, the earliest next_due_at in the queue (one seek
    each), as (key, the aggregate as the database hands it: text on SQLite)."""
    if not keys:
        return []
    db = database.obj
    p = db.param
    pairs = [(key, rank) for key in keys for rank in QUEUE_RANKS]
    values = ", ".join(f"({p}, {p})" for _ in pairs)
    sql = (
        f"SELECT k.column1, (SELECT MIN(c.next_due_at) FROM {_TABLE} c{use_index(DUE_INDEX)}"
        f" WHERE c.call_tz = k.column1 AND c.due_rank = k.column2 AND c.next_due_at IS NOT NULL)"
        f" FROM (VALUES {values}) AS k"
    )
    params: list = []
    for key, rank in pairs:
        params.extend((key, rank))
    return [(key, at) for key, at in db.execute_sql(sql, params).fetchall()]
