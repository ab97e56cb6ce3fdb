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

The statements themselves, each engine's own, are in models/queue.py; this
module decides when to run them and keeps what they found.

Customers out of the queue have `next_due_at` NULL (do not call, needs a
number). Customers unreachable this cycle are parked at `due_rank =
DUE_PARKED` with `next_due_at` = when their next cycle starts, so that putting
them back (`start_new_cycles`) is an index range too.
"""

from __future__ import annotations

import threading
import time as _time
from datetime import datetime, timedelta, timezone
from typing import NamedTuple

from callers import clock, hours, phones, settings
from models import engine, queue
from models.db import connection, database, raw, write_transaction
from models.queue import CONTACT_COLUMNS, QUEUE_RANKS, definer_functions  # noqa: F401 (callers.due's names)
from models.tables import Contact, Customer
from models.vocabulary import (  # noqa: F401 (callers.due's names)
    DUE_CALLBACK,
    DUE_NEVER_REACHED,
    DUE_OVERDUE,
    DUE_PARKED,
    DUE_REASONS,
)

# The due queue's index (call_tz, due_rank, next_due_at, id): one seek in it per
# (zone key, rank) answers every due query.
_DUE_INDEX = queue.DUE_INDEX
ZONE_KEYS_TTL = 60.0  # seconds of wall time between refreshes of the zone keys
# How long a process trusts the settings it read: a change made in this process
# is seen at once, another process's within this many seconds.
SETTINGS_TTL = 2.0
NEW_CYCLE_EVERY = timedelta(minutes=1)
_NEVER = datetime.max.replace(tzinfo=timezone.utc)


class DueContact(NamedTuple):
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


class DueCustomer(NamedTuple):
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




def zone_keys() -> tuple[str, ...]:
    """The distinct zone keys of the customers (cached per process): loaded
    again every ZONE_KEYS_TTL seconds, and when a customer was added (a new
    customer may bring a new zone key), which is looked at every SETTINGS_TTL
    seconds, and at once after `forget_zone_keys` (this process's imports)."""
    cache = _cache()
    mono = _time.monotonic()
    max_id = cache.keys_max_id
    if mono - cache.max_id_checked > SETTINGS_TTL:
        max_id, cache.max_id_checked = queue.max_customer_id(), mono
    if mono - cache.keys_loaded > ZONE_KEYS_TTL or max_id != cache.keys_max_id:
        cache.keys = queue.load_zone_keys()
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


# ---- the queue (its statements: models/queue.py) -------------------------------


def _picked(found: Customer | None) -> Customer | None:
    """The pick with its call contact as `prefetched_contact`."""
    if found is not None and found.ct_id is not None:
        found.prefetched_contact = DueContact(*(getattr(found, f"ct_{name}") for name in CONTACT_COLUMNS))
    return found


def _pick(keys: tuple[str, ...], now_db: datetime, caller: str | None, max_attempts: int,
          lock: bool = False) -> Customer | None:
    """The caller's own live claim, else the best due customer among the open
    zone keys (models.queue.pick), with its call contact."""
    return _picked(queue.pick(keys, now_db, caller, max_attempts, lock))


def hold(customer_id: int, caller: str, until: datetime, now_db: datetime) -> None:
    """Keep (or take back) `caller`'s lease on the customer until `until`,
    unless another caller holds a live one."""
    queue.hold(customer_id, caller, until, now_db)


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
        found = _picked(queue.claim(keys, now_db, caller, attempts, until))
        return as_due(found) if found else None


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
    """A next_due_at from a MIN(), as an aware UTC datetime."""
    return clock.from_db(engine.aggregate_datetime(value))


def _earliest_parked() -> datetime:
    return _due_at(queue.earliest_parked()) or _NEVER


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
    with connection():
        cache.parked_until = _earliest_parked()
        if now < cache.parked_until:
            return 0
        back = queue.start_new_cycles(now_db)
        cache.parked_until = _earliest_parked()
        return back


# ---- when will somebody be due -------------------------------------------------


def _earliest_per_key(keys: tuple[str, ...]) -> list[tuple[str, datetime]]:
    """For each key, the earliest next_due_at in the queue (one seek per rank)."""
    found: dict[str, datetime] = {}
    for key, at in queue.earliest_per_key(keys):
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
