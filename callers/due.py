"""Who to call next. Plain values in, plain values out; no UI here.

How it stays fast (the same cost on 1,000 or 1,000,000 customers):

* The zone keys (`Customer.call_tz`) are few. Each process keeps them, per
  database, refreshed every minute (or when a customer is added) by a loose
  index scan: one index seek per distinct key.
* Which keys are inside calling hours *now* is pure Python (`callers.hours`).
* One statement seeks the index `(call_tz, due_rank, next_due_at, id)` once for
  each open key for the earliest due row (LIMIT 1) of the first rank
  (callbacks); the best of those few rows wins and comes back with its call
  contact (`_pick`). Only when no callback is due are the never-reached
  sought, and only when none of those, the overdue.
* The settings are read again every SETTINGS_TTL seconds, and whether a new
  cycle has put parked customers back, once a minute.

Customers out of the queue have `next_due_at` NULL (do not call, needs a
number). Customers unreachable this cycle are parked at `due_rank =
DUE_PARKED` with `next_due_at` = when their next cycle starts, so that putting
them back (`start_new_cycles`) is an index range too.
"""

from __future__ import annotations

import functools
import re
import threading
import time as _time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from callers import clock, hours, phones, settings
from models.db import (
    connection,
    database,
    execute_prepared,
    is_postgres,
    models_from,
    raw,
    row_security,
    skip_locked_clause,
    use_index,
    write_transaction,
)
from models.tables import (
    DUE_CALLBACK,
    DUE_NEVER_REACHED,
    DUE_OVERDUE,
    DUE_REASONS,
    Contact,
    Customer,
)

# Unreachable this cycle: parked until the next cycle starts (next_due_at).
DUE_PARKED = 3
QUEUE_RANKS = (DUE_CALLBACK, DUE_NEVER_REACHED, DUE_OVERDUE)
ZONE_KEYS_TTL = 60.0  # seconds of wall time between refreshes of the zone keys
# How long a process trusts the settings it read: a change made in this process
# is seen at once, another process's within this many seconds.
SETTINGS_TTL = 2.0
NEW_CYCLE_EVERY = timedelta(minutes=1)
_NEVER = datetime.max.replace(tzinfo=timezone.utc)


@dataclass(frozen=True)
class DueContact:
    id: int
    name: str
    role: str
    title: str | None
    phone: str | None  # E.164
    extension: str | None
    timezone: str | None

    @property
    def phone_international(self) -> str:
        return phones.international(self.phone, self.extension)

    @property
    def phone_national(self) -> str:
        return phones.national(self.phone, self.extension)

    def local_time(self, now: datetime | None = None) -> datetime:
        """The contact's local time (the first zone of several)."""
        return hours.local_time(self.timezone, now or clock.now())


@dataclass(frozen=True)
class DueCustomer:
    id: int
    external_id: str | None
    name: str
    industry: str | None
    employees: int | None
    country: str | None
    account_manager: str | None
    reason: str  # "callback" | "never reached" | "overdue"
    due_since: datetime | None  # aware UTC
    contact: DueContact | None
    call_tz: str | None = None  # the zone key the customer is called in
    claimed_until: datetime | None = None  # this caller's lease, when claimed


# The hot path's fixed queries are compiled once per engine (models.db.raw):
# compiling a 40-column SELECT costs more than running it.
def _by_id(model, row_id: int):
    return next(iter(raw(model, f"{model.__name__}-by-id", lambda: model.select().where(model.id == 0), row_id)),
                None)


def _settings() -> dict:
    """The settings (`settings.get_all()`), read at most every SETTINGS_TTL
    seconds, and again at once after this process changed one."""
    cache = _cache()
    mono = _time.monotonic()
    if (cache.settings is None or mono - cache.settings_loaded > SETTINGS_TTL
            or cache.settings_version != settings.version()):
        version = settings.version()
        cache.settings, cache.settings_loaded, cache.settings_version = settings.get_all(), mono, version
    return dict(cache.settings)


def _contact(customer: Customer) -> DueContact | None:
    contact = None
    if customer.call_contact:
        contact = _by_id(Contact, customer.call_contact)
    if contact is None:
        contact = (Contact.select()
                   .where(Contact.customer == customer.id, Contact.active == True,  # noqa: E712
                          Contact.do_not_call == False, Contact.unreachable == False,  # noqa: E712
                          Contact.phone.is_null(False))
                   .order_by(Contact.role, Contact.id).first())
    if contact is None:
        return None
    return DueContact(contact.id, contact.name, contact.role, contact.title,
                      contact.phone, contact.extension, contact.timezone)


def base_rank(customer: Customer) -> int:
    """Never reached, or overdue: the rank outside callbacks."""
    return DUE_NEVER_REACHED if customer.last_reached_at is None else DUE_OVERDUE


def as_due(customer: Customer) -> DueCustomer:
    rank = customer.due_rank
    reason = DUE_REASONS.get(rank) or DUE_REASONS[base_rank(customer)]
    claimed = clock.from_db(customer.claim_expires_at) if customer.claim_holder else None
    return DueCustomer(
        id=customer.id,
        external_id=customer.external_id,
        name=customer.name,
        industry=customer.industry,
        employees=customer.employees,
        country=customer.country,
        account_manager=customer.account_manager,
        reason=reason,
        due_since=clock.from_db(customer.next_due_at),
        contact=getattr(customer, "prefetched_contact", None) or _contact(customer),
        call_tz=customer.call_tz,
        claimed_until=claimed,
    )


# ---- per-process caches, kept on the database object ---------------------------

_lock = threading.Lock()


class _Cache:
    def __init__(self) -> None:
        self.keys: tuple[str, ...] = ()
        self.keys_loaded = -1e18  # monotonic time of the last load
        self.keys_max_id: int | None = None
        self.max_id_checked = -1e18  # monotonic time of the last look at MAX(id)
        self.settings: dict | None = None
        self.settings_loaded = -1e18
        self.settings_version = -1
        self.open_for: tuple | None = None  # (minute, hours, keys) the open set was computed for
        self.open_keys: tuple[str, ...] = ()
        self.cycles_checked_at: datetime | None = None  # `now` of the last start_new_cycles
        self.cycles_checked_mono = -1e18
        self.parked_until = _NEVER  # the earliest parked customer's next cycle, at the last check


def _cache() -> _Cache:
    db = database.obj
    cache = getattr(db, "_callers_due_cache", None)
    if cache is None:
        with _lock:
            cache = getattr(db, "_callers_due_cache", None)
            if cache is None:
                cache = _Cache()
                db._callers_due_cache = cache
    return cache


def forget_zone_keys() -> None:
    """Make the next look-up reload what it keeps of the queue: the zone keys
    and whether parked customers are due back (after adding customers, the
    demo's parked ones among them, or changing a `call_tz` in this process)."""
    if database.obj is not None:
        cache = _cache()
        cache.keys_loaded = -1e18
        cache.max_id_checked = -1e18
        cache.open_for = None
        cache.cycles_checked_mono = -1e18


_TABLE = Customer._meta.table_name
# The due queue's index: (call_tz, due_rank, next_due_at, id). Every due query is
# one seek per (zone key, rank) in it, whatever other indexes exist.
_DUE_INDEX = "customer_call_tz_due_rank_next_due_at_id"


def _load_zone_keys() -> tuple[str, ...]:
    """Every distinct call_tz, by a loose index scan (one seek per key)."""
    sql = (
        f"WITH RECURSIVE z(tz) AS ("
        f" SELECT MIN(call_tz) FROM {_TABLE}"
        f" UNION ALL"
        f" SELECT (SELECT MIN(c.call_tz) FROM {_TABLE} c WHERE c.call_tz > z.tz) FROM z WHERE z.tz IS NOT NULL"
        f") SELECT tz FROM z WHERE tz IS NOT NULL"
    )
    return tuple(row[0] for row in database.execute_sql(sql).fetchall() if row[0])


def _max_customer_id() -> int | None:
    row = database.execute_sql(f"SELECT MAX(id) FROM {_TABLE}").fetchone()
    return row[0] if row else None


def zone_keys() -> tuple[str, ...]:
    """The distinct zone keys of the customers (cached per process): loaded
    again every ZONE_KEYS_TTL seconds, and when a customer was added (a new
    customer may bring a new zone key), which is looked at every SETTINGS_TTL
    seconds, and at once after `forget_zone_keys` (this process's imports)."""
    cache = _cache()
    mono = _time.monotonic()
    max_id = cache.keys_max_id
    if mono - cache.max_id_checked > SETTINGS_TTL:
        max_id, cache.max_id_checked = _max_customer_id(), mono
    if mono - cache.keys_loaded > ZONE_KEYS_TTL or max_id != cache.keys_max_id:
        cache.keys = _load_zone_keys()
        cache.keys_loaded = mono
        cache.keys_max_id = max_id
        cache.open_for = None
    return cache.keys


def open_keys(now: datetime, rules: hours.Hours) -> tuple[str, ...]:
    """The zone keys inside calling hours at `now` (all zones of each key)."""
    keys = zone_keys()
    cache = _cache()
    minute = now.replace(second=0, microsecond=0)
    stamp = (minute, rules, keys)
    if cache.open_for != stamp:
        cache.open_keys = tuple(k for k in keys if hours.inside(k, minute, rules))
        cache.open_for = stamp
    return cache.open_keys


# ---- the queue -----------------------------------------------------------------


def _seek(p: str, rank: int, caller: str | None, lock: bool, columns: str) -> str:
    """One index seek for the earliest due customer of the zone key
    `k.column1` and `rank`: the conditions every due customer meets. With
    `lock` (claiming, inside the write transaction) the seek also locks its
    row, stepping over rows another caller is claiming right now (PostgreSQL
    FOR UPDATE SKIP LOCKED), so eight callers at once each get a different
    customer instead of all racing for the same best one."""
    holder = f"OR c.claim_holder = {p} " if caller else ""
    return (
        f"SELECT {columns} FROM {_TABLE} c{use_index(_DUE_INDEX)}"
        f" WHERE c.call_tz = k.column1 AND c.due_rank = {int(rank)} AND c.next_due_at <= {p}"
        f" AND c.do_not_call = {p} AND c.needs_number = {p} AND c.unreachable = {p}"
        f" AND c.attempts < {p}"
        f" AND (c.claim_holder IS NULL OR c.claim_expires_at <= {p} {holder})"
        f" ORDER BY c.next_due_at, c.id LIMIT 1{skip_locked_clause() if lock else ''}"
    )


# The contact's columns beside the customer's, so that the pick brings both.
_CONTACT_COLUMNS = ("id", "name", "role", "title", "phone", "extension", "timezone")


def _picked(cursor) -> Customer | None:
    found = next(iter(models_from(Customer, cursor, shape="due-pick")), None)
    if found is not None and found.ct_id is not None:
        found.prefetched_contact = DueContact(*(getattr(found, f"ct_{name}") for name in _CONTACT_COLUMNS))
    return found


@functools.lru_cache(maxsize=None)
def _customer_columns() -> str:
    """The customer's columns by name: a prepared statement cannot say c.*
    (it would fail once a migration adds a column)."""
    return ", ".join(f"c.{field.column_name}" for field in Customer._meta.sorted_fields)


@functools.lru_cache(maxsize=None)
def _pick_columns() -> str:
    """The customer's columns and its contact's."""
    return _customer_columns() + ", " + ", ".join(f"ct.{name} AS ct_{name}" for name in _CONTACT_COLUMNS)


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
    columns += [f"(r.contact_row).{name} AS ct_{name}" for name in _CONTACT_COLUMNS]
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


def _pick(keys: tuple[str, ...], now_db: datetime, caller: str | None, max_attempts: int,
          lock: bool = False, claim_until: datetime | None = None) -> Customer | None:
    """The caller's own live claim, else the best due customer among the
    open zone keys (lowest rank, then earliest due, then id), or None, in one
    statement: rank by rank, one index seek per open key, the best of those
    few rows, then its row and its call contact (as `prefetched_contact`). A
    round trip to a server costs as much as the seeks, and building a model
    per candidate ten times more.

    `claim_until` (PostgreSQL only, with `caller` and `lock`): the same
    statement leases the customer to `caller` until then."""
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


def next_due(caller: str, now: datetime | None = None, claim: bool = True) -> DueCustomer | None:
    """The next customer `caller` should call, or None.

    The caller's own live claim comes back first; then callbacks whose time has
    come, then never-reached customers, then the most overdue, among customers
    whose contact is inside calling hours now, not claimed by another caller.
    With `claim`, the customer is leased to `caller` for `claim_minutes`.
    """
    now = (now or clock.now()).astimezone(timezone.utc)
    now_db = clock.to_db(now)
    with connection():
        values = _settings()
        rules = hours.Hours.from_settings(values)
        start_new_cycles(now)
        keys = open_keys(now, rules)
        attempts = int(values["max_attempts"])
        if not claim:
            found = _pick(keys, now_db, caller, attempts)
            return as_due(found) if found else None
        until = clock.to_db(now + timedelta(minutes=float(values["claim_minutes"])))
        if is_postgres():
            # One statement: the pick (own claim first; candidates locked FOR
            # UPDATE SKIP LOCKED, their conditions re-checked on the latest
            # version) and the lease.
            found = _pick(keys, now_db, caller, attempts, lock=True, claim_until=until)
            return as_due(found) if found else None
        with write_transaction():
            # SQLite: the caller's own claim comes back (its lease renewed);
            # else the candidates are read under the write lock (BEGIN
            # IMMEDIATE), so the best of them is still due, unclaimed, and
            # ours to take.
            found = _pick(keys, now_db, caller, attempts, lock=True)
            if found is None:
                return None
            (Customer.update(claim_holder=caller, claim_expires_at=until)
             .where(Customer.id == found.id).execute())
            found.claim_holder, found.claim_expires_at = caller, until
            return as_due(found)


def release(customer_id: int, caller: str) -> None:
    """Drop `caller`'s claim on the customer (another caller's claim stays)."""
    with connection(), write_transaction():
        (Customer.update(claim_holder=None, claim_expires_at=None)
         .where(Customer.id == customer_id, Customer.claim_holder == caller).execute())


def parked(until: datetime) -> None:
    """A customer was parked until `until` in this process (its new cycle)."""
    if database.obj is not None:
        cache = _cache()
        cache.parked_until = min(cache.parked_until, until.astimezone(timezone.utc))


def _due_at(value) -> datetime | None:
    """A next_due_at from a MIN() (text on SQLite, whose MIN() loses the
    column's type), as an aware UTC datetime."""
    return clock.from_db(Customer.next_due_at.python_value(value))


def _earliest_parked() -> datetime:
    row = database.execute_sql(
        f"SELECT MIN(next_due_at) FROM {_TABLE} WHERE due_rank = {database.obj.param}", (DUE_PARKED,)).fetchone()
    return _due_at(row[0] if row else None) or _NEVER


def start_new_cycles(now: datetime | None = None, *, force: bool = False) -> int:
    """Put customers unreachable last cycle back in the queue once their new
    cycle has begun. An index seek on (due_rank, next_due_at); at most once a
    minute per process (unless `force`), and not at all while `now` is before
    the earliest parked customer's new cycle. Returns how many came back."""
    now = (now or clock.now()).astimezone(timezone.utc)
    cache = _cache()
    mono = _time.monotonic()
    if (not force and cache.cycles_checked_at is not None
            and mono - cache.cycles_checked_mono < NEW_CYCLE_EVERY.total_seconds()
            and (abs(now - cache.cycles_checked_at) < NEW_CYCLE_EVERY or now < cache.parked_until)):
        return 0
    cache.cycles_checked_at = now
    cache.cycles_checked_mono = mono
    now_db = clock.to_db(now)
    db = database.obj
    with connection():
        cache.parked_until = _earliest_parked()
        if now < cache.parked_until:
            return 0
        with write_transaction():
            if row_security(_TABLE):  # a caller's login: through callers_start_new_cycles
                back = db.execute_sql("SELECT callers_start_new_cycles(%s)", (now_db,)).fetchone()[0]
            else:
                back = db.execute_sql(_new_cycles_sql(db.param), (now_db, now_db)).rowcount
        cache.parked_until = _earliest_parked()
        return back


# ---- when will somebody be due -------------------------------------------------


def _earliest_per_key(keys: tuple[str, ...]) -> list[tuple[str, datetime]]:
    """For each key, the earliest next_due_at in the queue (one seek per rank)."""
    if not keys:
        return []
    db = database.obj
    p = db.param
    pairs = [(key, rank) for key in keys for rank in QUEUE_RANKS]
    values = ", ".join(f"({p}, {p})" for _ in pairs)
    sql = (
        f"SELECT k.column1, (SELECT MIN(c.next_due_at) FROM {_TABLE} c{use_index(_DUE_INDEX)}"
        f" WHERE c.call_tz = k.column1 AND c.due_rank = k.column2 AND c.next_due_at IS NOT NULL)"
        f" FROM (VALUES {values}) AS k"
    )
    params: list = []
    for key, rank in pairs:
        params.extend((key, rank))
    found: dict[str, datetime] = {}
    for key, at in db.execute_sql(sql, params).fetchall():
        at = _due_at(at)
        if at is None:
            continue
        if key not in found or at < found[key]:
            found[key] = at
    return list(found.items())


def _next_due(now: datetime) -> tuple[datetime, str] | None:
    with connection():
        rules = hours.Hours.load()
        best: tuple[datetime, str] | None = None
        for key, at in _earliest_per_key(zone_keys()):
            opens = hours.next_open(key, max(at, now), rules)
            if opens is not None and (best is None or opens < best[0]):
                best = (opens, key)
        return best


def next_due_time(now: datetime | None = None) -> datetime | None:
    """When somebody next becomes due (inside their calling hours), or None."""
    now = (now or clock.now()).astimezone(timezone.utc)
    found = _next_due(now)
    return found[0] if found else None


def nobody_due_message(now: datetime | None = None, caller_zone: str | None = None) -> str:
    """'Nobody is due until Mon 09:00 local' (local: the customer's time), with
    the caller's own time added when a caller zone is given and differs."""
    now = (now or clock.now()).astimezone(timezone.utc)
    found = _next_due(now)
    if found is None:
        from callers.welcome import empty_database_message

        return empty_database_message() or "Nobody is due: the queue is empty"
    at, key = found
    if at <= now:
        return "Nobody is due right now: the due customers are held by other callers"
    theirs = hours.local_time(key, at)
    days = (theirs.date() - now.astimezone(theirs.tzinfo).date()).days
    when = f"{theirs:%a %H:%M}" if days <= 6 else f"{theirs:%a} {theirs.day} {theirs:%b %H:%M}"
    text = f"Nobody is due until {when} local"
    if caller_zone:
        mine = at.astimezone(hours.first_zone(caller_zone))
        if mine.utcoffset() != theirs.utcoffset():
            text += f" ({mine:%a %H:%M} yours)"
    return text
