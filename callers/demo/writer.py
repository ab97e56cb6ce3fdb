"""Writing the demo: `generate()` fills an open, empty database, one write
transaction per chunk of customers (the generator's rows written with
multi-row INSERTs, `models.engine.insert_rows`); `clear()` empties it again.
For a big load the plain indexes and the tallies are built once, afterwards,
instead of row by row; memory stays flat whatever the size."""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass
from typing import Callable

from callers import clock, due
from callers.demo.generator import FORWARDS_PER_CUSTOMER, Generator
from callers.demo.vocabulary import FEATURES
from models import tallies
from models.db import connection, database, write_transaction
from models.engine import insert_rows, reset_sequences
from models.tables import (BillingLink, Call, CallAnswer, Contact, Customer, CustomerFeature, Department, Feature,
                           Forward, ForwardEvent, Reconciliation, ReconciliationFinding, ReferenceRequest,
                           ReferenceUse, ThankYou)

CHUNK = 5000  # customers per write transaction
DEFER_INDEXES_FROM = 10_000  # customers: from here, plain indexes are built after the load


@dataclass(frozen=True)
class DemoResult:
    customers: int
    contacts: int
    calls: int
    forwards: int
    seconds: float
    setup_seconds: float = 0.0  # of which before the first customer (phone-number pools, features)

    def summary(self, where: str) -> str:
        return (f"{self.customers} customers, {self.calls} calls, {self.forwards} forwards "
                f"in {where} in {self.seconds:.1f} s")


DATA_TABLES = [ReconciliationFinding, Reconciliation, ThankYou, ReferenceUse, ReferenceRequest, BillingLink,
               ForwardEvent, Forward, CallAnswer, Call, CustomerFeature, Contact, Customer]


def customer_count() -> int:
    with connection():
        return Customer.select().count()


def clear() -> None:
    """Delete every customer and what hangs off them (departments, features,
    users and settings stay)."""
    with connection(), write_transaction():
        for model in DATA_TABLES:
            model.delete().execute()


@contextlib.contextmanager
def _indexes_deferred(models):
    """Drop the plain (non-unique) indexes of these tables for a bulk load and
    build them again afterwards, from the very statements that made them:
    one sorted build is many times cheaper than a million index updates."""
    db = database.obj
    saved = []
    for model in models:
        for index in db.get_indexes(model._meta.table_name):
            if not index.unique and index.sql:
                saved.append(index)
    with write_transaction():
        for index in saved:
            db.execute_sql(f'DROP INDEX "{index.name}"')
    try:
        yield
    finally:
        with write_transaction():
            for index in saved:
                db.execute_sql(index.sql)


def _next_id(model) -> int:
    value = model.select(model.id).order_by(model.id.desc()).limit(1).scalar()
    return (value or 0) + 1


CUSTOMER_COLUMNS = (
    "id", "external_id", "name", "name_key", "industry", "employees", "country", "account_manager",
    "do_not_call", "purchased_at", "source", "gift_restriction", "created_at", "updated_at",
    "implementation_state", "implementation_changed_at", "implementation_confirmed_at",
    "ref_prospect_call", "ref_case_study", "ref_press", "ref_analyst", "ref_site_visit", "ref_condition",
    "referenceability_confirmed_at", "features_confirmed_at", "contacts_confirmed_at",
    "next_due_at", "due_rank", "callback_at", "call_contact", "call_tz", "attempts", "cycle_started_at",
    "last_call_at", "last_reached_at", "needs_number", "unreachable", "claim_holder", "claim_expires_at",
)
CONTACT_COLUMNS = (
    "id", "customer_id", "name", "role", "title", "phone", "extension", "alt_phone", "alt_extension",
    "email", "timezone", "external_id", "do_not_call", "active", "unreachable", "confirmed_at",
    "created_at", "updated_at",
)
CALL_COLUMNS = ("id", "customer_id", "contact_id", "caller", "shown_at", "started_at", "ended_at",
                "outcome", "callback_at", "note", "skip_reason", "zone", "country")
FEATURE_COLUMNS = ("id", "customer_id", "feature_id", "in_production", "confirmed_at")
FORWARD_COLUMNS = ("id", "customer_id", "call_id", "contact_id", "caller", "department_id", "assignee",
                   "note", "status", "created_at", "acknowledged_at", "acknowledged_by", "resolved_at",
                   "resolved_by", "resolution", "reopened")
EVENT_COLUMNS = ("id", "forward_id", "status", "at", "by", "note", "call_id")


def generate(customers: int = 300, seed: int = 1, *, calls_per_customer: float = 3.0,
             forwards: int | None = None, chunk: int = CHUNK,
             defer_indexes: bool | None = None,
             progress: Callable[[int, int], None] | None = None) -> DemoResult:
    """Fill the open database (which must have no customers) with demo data."""
    if customers < 1:
        raise ValueError("customers must be at least 1")
    started = time.perf_counter()
    now = clock.now().replace(microsecond=0)
    if forwards is None:
        forwards = round(customers * FORWARDS_PER_CUSTOMER)
    with connection():
        gen = Generator(customers, seed, calls_per_customer, forwards, now)
        with write_transaction():
            gen.feature_ids = _features()
            gen.departments = _departments()
        gen.ids = {"customer": _next_id(Customer), "contact": _next_id(Contact), "call": _next_id(Call),
                   "customer_feature": _next_id(CustomerFeature), "forward": _next_id(Forward),
                   "forward_event": _next_id(ForwardEvent)}
        first_ids = dict(gen.ids)
        setup = time.perf_counter() - started
        tables = [Customer, Contact, Call, CustomerFeature, Forward, ForwardEvent]
        if defer_indexes is None:
            defer_indexes = customers >= DEFER_INDEXES_FROM
        # A big load: no index updates and no tally triggers row by row; the
        # indexes built and the tallies counted once, afterwards.
        with tallies.deferred() if defer_indexes else contextlib.nullcontext(), \
                _indexes_deferred(tables) if defer_indexes else contextlib.nullcontext():
            _fill(gen, customers, chunk, progress)
        gen.chunk_rows = {}
        reset_sequences([Customer, Contact, Call, CustomerFeature, Forward, ForwardEvent, Feature])
    due.forget_zone_keys()  # new zone keys: the desk in this process must see them
    return DemoResult(
        customers=customers,
        contacts=gen.ids["contact"] - first_ids["contact"],
        calls=gen.ids["call"] - first_ids["call"],
        forwards=gen.ids["forward"] - first_ids["forward"],
        seconds=time.perf_counter() - started,
        setup_seconds=setup,
    )


def _fill(gen: Generator, customers: int, chunk: int, progress) -> None:
    done = 0
    while done < customers:
        size = min(chunk, customers - done)
        gen.chunk_rows = {name: [] for name in
                          ("customer", "contact", "call", "customer_feature", "forward", "forward_event")}
        for _ in range(size):
            gen.customer()
        done += size
        if done == customers and gen.last_completed:
            # Whatever the steady share left over goes to the last customer reached.
            cid, am, call = gen.last_completed
            while gen.forwards_left > 0:
                gen._forward(cid, am, call)
                gen.forwards_left -= 1
        rows = gen.chunk_rows
        with write_transaction():
            insert_rows("customer", CUSTOMER_COLUMNS, rows["customer"])
            insert_rows("contact", CONTACT_COLUMNS, rows["contact"])
            insert_rows("call", CALL_COLUMNS, rows["call"])
            insert_rows("customer_feature", FEATURE_COLUMNS, rows["customer_feature"])
            insert_rows("forward", FORWARD_COLUMNS, rows["forward"])
            insert_rows("forward_event", EVENT_COLUMNS, rows["forward_event"])
        if progress:
            progress(done, customers)


def _features() -> list[int]:
    """The product's feature list (kept if already there), ids in list order."""
    existing = {f.name: f.id for f in Feature.select(Feature.id, Feature.name)}
    for position, (name, description) in enumerate(FEATURES, start=1):
        if name not in existing:
            existing[name] = Feature.insert(name=name, description=description, position=position,
                                            active=True).execute()
    return [existing[name] for name, _ in FEATURES]


def _departments() -> dict[str, int]:
    """Department id by kind (billing, support, account_manager), from the seeded defaults."""
    found: dict[str, int] = {}
    for dept in Department.select().order_by(Department.position, Department.id):
        found.setdefault(dept.kind, dept.id)
    if not found:
        from callers import bootstrap

        bootstrap.seed()
        return _departments()
    return found
