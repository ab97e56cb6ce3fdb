"""Tallies: the supervisor's counts, kept by the database itself.

A tally is a small table of key columns and a count `n`. Triggers on the
tables the counts come from append rows to it: when a row's contribution
changes, a row of -1 for its old key and a row of +1 for its new one. Nothing
ever updates a tally row in place, so writers never wait for one another on
a counter (on PostgreSQL: no hot rows, no deadlocks between callers), and
every write path (the desk, an import, a department's queue, a script in
psql) keeps the counts right inside its own transaction. Reading a tally is
`SUM(n) ... GROUP BY` its keys; `compact()` now and then folds the appended
rows into one row per key.

What each tally counts (the report's definitions, see callers/report.py):

- `tally_customer`: customers by (do_not_call, unreachable, needs_number,
  never reached, implementation state, which reference kinds are "yes" as a
  bit mask in REFERENCE_KINDS order).
- `tally_customer_day`: customers we call (not do-not-call) by the UTC day of
  each dated fact: last reached, contacts / referenceability / implementation
  / features confirmed.
- `tally_feature`: features in production by the customer's implementation state.
- `tally_call`: calls by hour (answered: the hour they started; not
  answered: the hour they were given an outcome), caller, outcome ('' while
  running) and whether answered.
- `tally_call_length`: answered calls that have ended, by the UTC day they
  started, caller and length in whole seconds.
- `tally_forward`: forwards by department, hour and kind: `created` and
  `kept` (not withdrawn) and `open` (open or acknowledged) by the hour
  created; `done`, `returned`, `withdrawn` by the hour resolved.
- `tally_forward_done`: forwards done by department, UTC day done and whole
  days from forward to done (-1: done before it was made). The median to done
  is found in it to the day, then to the second among that day's forwards
  alone, through the expression index `forward_done_seconds`.

Counts are by the hour where a report's period starts and ends at any
minute (the part-hours at either end are counted from the rows, a few
hundred at most); call lengths are by the day (an hour's rows would be as
many as the calls), with the part-days counted from the calls.
- `tally_count`: plain counts (`contacts`).
- `tally_step_time` (0010): answered calls that ended, by the UTC day they
  started, caller, script step and the step's seconds on screen in the call
  (the sum of its answers' `seconds`; forwards: of the forward events made
  on the call), one row per timed step. Counted when the call ends, from
  the answers then saved (a call takes no answers once it has ended).
- `tally_step_longest` (0010): the same calls, by day, the step that
  took most of the call's time and the call's length in whole seconds.
  Both count a call's -1 BEFORE it is deleted (its answers go with it), and
  a customer's calls are deleted before its forwards and their events.

The trigger SQL of both engines is generated from the one description below
(`TALLIES`); `rebuild()` counts from scratch with the same expressions and
`check()` compares the two.

Longer than 500 lines because one description generates both engines'
triggers, the rebuild and the check: kept together so they cannot drift apart.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import peewee

from models.db import database, is_postgres, write_transaction
from models.engine import POSTGRES, SQLITE, Dialect, dialect  # noqa: F401

from models.vocabulary import FORWARD_OPEN as OPEN_STATUSES
from models.vocabulary import FORWARD_RESOLVED as RESOLVED_STATUSES
from models.vocabulary import FORWARD_ANSWERS, REFERENCE_KINDS

DAY_FACTS = {
    "reached": "last_reached_at",
    "contacts": "contacts_confirmed_at",
    "referenceability": "referenceability_confirmed_at",
    "implementation": "implementation_confirmed_at",
    "features": "features_confirmed_at",
}
MARK_TABLE = "tally_mark"
COMPACT_AFTER = 2000  # appended rows before `compact_if_needed` folds a tally


def _in(values: tuple[str, ...]) -> str:
    return "(" + ", ".join(f"'{v}'" for v in values) + ")"


# ---- what is counted ----------------------------------------------------------

Expr = Callable[[str, Dialect], str]


@dataclass(frozen=True)
class Part:
    """One way rows of `source` contribute to a tally.

    `keys(r, d)`: the key values for the row `r` (NEW, OLD or an alias);
    `when(r, d)`: whether it counts; `join`: another table (with alias) the
    values also read, and how it meets `r`; `watch`: the columns of `source`
    whose change can change the contribution; `events`: which changes fire
    it; `rebuild`: whether `rebuild()` counts from this part (a part that only
    moves counts between keys, like a customer's state change for its
    features, is counted by another part)."""

    name: str
    source: str
    keys: Callable[[str, Dialect], list[str]]
    watch: tuple[str, ...]
    when: Expr | None = None
    join: tuple[str, Callable[[str], str]] | None = None
    events: tuple[str, ...] = ("insert", "update", "delete")
    rebuild: bool = True
    # The row's contribution reads other tables' rows that a cascade deletes
    # with it (a call's answers): its -1 is counted BEFORE the row is deleted.
    delete_before: bool = False

    def select(self, r: str, d: Dialect, count: str) -> str:
        """SELECT <keys>, <count> [FROM join] [WHERE ...] for the row r."""
        sql = "SELECT " + ", ".join([*self.keys(r, d), count])
        conditions = []
        if self.join is not None:
            table, on = self.join
            sql += f" FROM {table}"
            conditions.append(on(r))
        if self.when is not None:
            conditions.append(self.when(r, d))
        if conditions:
            sql += " WHERE " + " AND ".join(f"({c})" for c in conditions)
        return sql

    def counted(self, d: Dialect, columns: int, where: str | None = None) -> str:
        """Every row's contribution, grouped: for `rebuild` and `check`
        (`where`: only the rows `r` it holds for, e.g. the part-days of a report)."""
        sql = "SELECT " + ", ".join([*self.keys("r", d), "COUNT(*)"]) + f' FROM "{self.source}" AS r'
        if self.join is not None:
            table, on = self.join
            sql += f" JOIN {table} ON {on('r')}"
        conditions = [c for c in ((self.when("r", d) if self.when is not None else None), where) if c]
        if conditions:
            sql += " WHERE " + " AND ".join(f"({c})" for c in conditions)
        return sql + " GROUP BY " + ", ".join(str(i) for i in range(1, columns + 1))


@dataclass(frozen=True)
class Tally:
    table: str
    keys: tuple[str, ...]
    parts: tuple[Part, ...]
    # (parent, child, column): before a parent row is deleted its child rows
    # are, so the child's triggers still see the parent (a cascade would
    # delete them after the parent is gone).
    cascades: tuple[tuple[str, str, str], ...] = field(default_factory=tuple)


def _ref_mask(r: str, d: Dialect) -> str:
    return "(" + " + ".join(f"CASE WHEN {r}.ref_{kind} = 'yes' THEN {1 << i} ELSE 0 END"
                            for i, kind in enumerate(REFERENCE_KINDS)) + ")"


_CUSTOMER = Tally(
    "tally_customer",
    ("do_not_call", "unreachable", "needs_number", "never_reached", "implementation_state", "ref_yes"),
    (Part("all", "customer",
          lambda r, d: [f"{r}.do_not_call", f"{r}.unreachable", f"{r}.needs_number",
                        f"({r}.last_reached_at IS NULL)", f"COALESCE({r}.implementation_state, '')",
                        _ref_mask(r, d)],
          watch=("do_not_call", "unreachable", "needs_number", "last_reached_at", "implementation_state",
                 *(f"ref_{kind}" for kind in REFERENCE_KINDS))),),
)


def _day_fact(fact: str, column: str) -> Part:
    return Part(fact, "customer",
                lambda r, d: [f"'{fact}'", d.day(f"{r}.{column}")],
                watch=(column, "do_not_call"),
                when=lambda r, d: f"{r}.do_not_call = {d.false} AND {r}.{column} IS NOT NULL")


_CUSTOMER_DAY = Tally("tally_customer_day", ("fact", "day"),
                      tuple(_day_fact(fact, column) for fact, column in DAY_FACTS.items()))

_FEATURE = Tally(
    "tally_feature",
    ("feature_id", "implementation_state"),
    (Part("row", "customer_feature",
          lambda r, d: [f"{r}.feature_id", "COALESCE(c.implementation_state, '')"],
          watch=("customer_id", "feature_id", "in_production"),
          when=lambda r, d: f"{r}.in_production = {d.true}",
          join=('"customer" AS c', lambda r: f"c.id = {r}.customer_id")),
     Part("state", "customer",
          lambda r, d: ["cf.feature_id", f"COALESCE({r}.implementation_state, '')"],
          watch=("implementation_state",),
          when=lambda r, d: f"cf.in_production = {d.true}",
          join=('"customer_feature" AS cf', lambda r: f"cf.customer_id = {r}.id"),
          events=("update",), rebuild=False)),
    cascades=(("customer", "customer_feature", "customer_id"),),
)

_CALL = Tally(
    "tally_call",
    ("hour", "caller", "outcome", "answered"),
    (Part("all", "call",
          lambda r, d: [d.hour(f"COALESCE({r}.started_at, {r}.ended_at)"), f"{r}.caller",
                        f"COALESCE({r}.outcome, '')", f"({r}.started_at IS NOT NULL)"],
          watch=("caller", "outcome", "started_at", "ended_at"),
          when=lambda r, d: f"{r}.started_at IS NOT NULL OR {r}.ended_at IS NOT NULL"),),
)

# Finished attempts by UTC hour, where they went and whether anyone answered:
# the report's answer rate by the customer's local hour (schema 11). The hour
# is when the number was dialled, else when someone answered, else when the
# customer was shown.
_CALL_LOCAL = Tally(
    "tally_call_local",
    ("hour", "zone", "country", "answered"),
    (Part("all", "call",
          lambda r, d: [d.hour(f"COALESCE({r}.dialled_at, {r}.started_at, {r}.shown_at, {r}.ended_at)"),
                        f"COALESCE({r}.zone, '')", f"COALESCE({r}.country, '')", f"({r}.started_at IS NOT NULL)"],
          watch=("dialled_at", "started_at", "shown_at", "ended_at", "zone", "country", "outcome"),
          when=lambda r, d: f"{r}.outcome IS NOT NULL"),),
)

_CALL_LENGTH = Tally(
    "tally_call_length",
    ("day", "caller", "seconds"),
    (Part("all", "call",
          lambda r, d: [d.day(f"{r}.started_at"), f"{r}.caller", d.seconds(f"{r}.started_at", f"{r}.ended_at")],
          watch=("caller", "started_at", "ended_at"),
          when=lambda r, d: f"{r}.started_at IS NOT NULL AND {r}.ended_at IS NOT NULL"),),
)

_FORWARD = Tally(
    "tally_forward",
    ("hour", "department_id", "kind"),
    (Part("created", "forward", lambda r, d: [d.hour(f"{r}.created_at"), f"{r}.department_id", "'created'"],
          watch=("created_at", "department_id")),
     Part("kept", "forward", lambda r, d: [d.hour(f"{r}.created_at"), f"{r}.department_id", "'kept'"],
          watch=("created_at", "department_id", "status"),
          when=lambda r, d: f"{r}.status <> 'withdrawn'"),
     Part("open", "forward", lambda r, d: [d.hour(f"{r}.created_at"), f"{r}.department_id", "'open'"],
          watch=("created_at", "department_id", "status"),
          when=lambda r, d: f"{r}.status IN {_in(OPEN_STATUSES)}"),
     Part("resolved", "forward", lambda r, d: [d.hour(f"{r}.resolved_at"), f"{r}.department_id", f"{r}.status"],
          watch=("resolved_at", "department_id", "status"),
          when=lambda r, d: f"{r}.status IN {_in(RESOLVED_STATUSES)} AND {r}.resolved_at IS NOT NULL")),
)

def days_to_done(r: str, d: Dialect) -> str:
    """Whole days from a forward to its resolution; -1 when negative."""
    seconds = d.seconds(f"{r}.created_at", f"{r}.resolved_at")
    return f"CASE WHEN {seconds} < 0 THEN -1 ELSE {seconds} / 86400 END"


_FORWARD_DONE = Tally(
    "tally_forward_done",
    ("day", "department_id", "days_to_done"),
    (Part("done", "forward", lambda r, d: [d.day(f"{r}.resolved_at"), f"{r}.department_id", days_to_done(r, d)],
          watch=("status", "resolved_at", "created_at", "department_id"),
          when=lambda r, d: f"{r}.status = 'done' AND {r}.resolved_at IS NOT NULL"),),
)

# Forwards done, by department and their time to done in seconds: the median's
# last step reads one department's forwards of one day-bucket from it. An
# expression index, so made by the migration per engine (`done_seconds_index`).
DONE_SECONDS_INDEX = "forward_done_seconds"


def done_seconds_index(db: peewee.Database | None = None) -> str:
    d = dialect(db)
    return (f'CREATE INDEX "{DONE_SECONDS_INDEX}" ON "forward" '
            f"(department_id, ({d.seconds('created_at', 'resolved_at')}), resolved_at) WHERE status = 'done'")


# ---- where a call's time goes (0010) --------------------------------------------
# A step's seconds in a call: the sum of its answers' `seconds` (call_answer;
# the words step is the "comment" answers), and for "forwards" of the forward
# events made on the call (filing a forward, "was it fixed?"). Counted when an
# answered call ends, so each call adds one row per timed step.

STEP_SOURCES = (("contacts", "contacts"), ("references", "referenceability"), ("implementation", "implementation"),
                ("features", "features"), ("words", "comment"), ("forwards", None))
STEP_NAMES = tuple(step for step, _source in STEP_SOURCES)


def _steps_table(alias: str) -> str:
    """SQL: the steps as a table (step, ord, src): the answers' step, '' for forwards."""
    return "(" + " UNION ALL ".join(
        f"SELECT '{step}' AS step, {i} AS ord, " + (f"'{source}'" if source else "''") + " AS src"
        for i, (step, source) in enumerate(STEP_SOURCES)) + f") AS {alias}"


def step_seconds(r: str, s: str = "s") -> str:
    """SQL: the seconds the step `s` took in the call `r` (NULL: not timed)."""
    return (f"(CASE WHEN {s}.step = 'forwards' THEN (SELECT SUM(e.seconds) FROM forward_event e "
            f"WHERE e.call_id = {r}.id AND e.seconds IS NOT NULL) ELSE (SELECT SUM(a.seconds) FROM call_answer a "
            f"WHERE a.call_id = {r}.id AND a.step = {s}.src AND a.seconds IS NOT NULL) END)")


def _answered_and_ended(r: str, d: Dialect) -> str:
    return f"{r}.started_at IS NOT NULL AND {r}.ended_at IS NOT NULL"


def _longest_step(r: str) -> str:
    """SQL: the step that took most of the call's time (the earlier in the
    script on a tie), NULL when no step was timed. (Found as the largest of
    seconds * 10 + 9 - its place: SQLite cannot see the call from an ORDER BY
    two subqueries down.)"""
    packed = f"(SELECT MAX({step_seconds(r, 't')} * 10 + 9 - t.ord) FROM {_steps_table('t')})"
    cases = " ".join(f"WHEN {9 - i} THEN '{step}'" for i, step in enumerate(STEP_NAMES))
    return f"(CASE {packed} - {packed} / 10 * 10 {cases} END)"  # (no %: psycopg2's placeholder)


_STEP_TIME = Tally(
    "tally_step_time",
    ("day", "caller", "step", "seconds"),
    (Part("all", "call",
          lambda r, d: [d.day(f"{r}.started_at"), f"{r}.caller", "s.step", step_seconds(r)],
          watch=("caller", "started_at", "ended_at"),
          when=lambda r, d: f"{_answered_and_ended(r, d)} AND {step_seconds(r)} IS NOT NULL",
          join=(_steps_table("s"), lambda r: "1 = 1"), delete_before=True),),
    # A customer's calls go before its forwards (and their events, the
    # forwards step): each call's -1 still sees everything it counted.
    cascades=(("customer", "call", "customer_id"),),
)

_STEP_LONGEST = Tally(
    "tally_step_longest",
    ("day", "step", "call_seconds"),
    (Part("all", "call",
          lambda r, d: [d.day(f"{r}.started_at"), _longest_step(r),
                        d.seconds(f"{r}.started_at", f"{r}.ended_at")],
          watch=("caller", "started_at", "ended_at"),
          when=lambda r, d: f"{_answered_and_ended(r, d)} AND {_longest_step(r)} IS NOT NULL",
          delete_before=True),),
    cascades=(("customer", "call", "customer_id"),),
)

# The customers' answers to "Was it fixed?" (forward events fixed / partly_fixed
# / reopened) by UTC hour, the department the forward is in and the answer
# (schema 14): the report's confirmed-fixed figures read a few hundred rows,
# not a month of events and their forwards. A forward sent on to another
# department takes its answers with it, as the count from the rows does.
_FORWARD_ANSWER = Tally(
    "tally_forward_answer",
    ("hour", "department_id", "status"),
    (Part("answer", "forward_event", lambda r, d: [d.hour(f"{r}.at"), "f.department_id", f"{r}.status"],
          watch=("status", "at", "forward_id"),
          when=lambda r, d: f"{r}.status IN {_in(FORWARD_ANSWERS)}",
          join=('"forward" AS f', lambda r: f"f.id = {r}.forward_id")),
     Part("moved", "forward", lambda r, d: [d.hour("e.at"), f"{r}.department_id", "e.status"],
          watch=("department_id",), events=("update",), rebuild=False,
          join=('"forward_event" AS e', lambda r: f"e.forward_id = {r}.id AND e.status IN {_in(FORWARD_ANSWERS)}"))),
    # A forward's events go before it (a customer's forwards go with the
    # customer): each event's -1 still sees the forward's department.
    cascades=(("forward", "forward_event", "forward_id"),),
)

_COUNT = Tally("tally_count", ("name",),
               (Part("contacts", "contact", lambda r, d: ["'contacts'"], watch=(), events=("insert", "delete")),))

TALLIES: tuple[Tally, ...] = (_CUSTOMER, _CUSTOMER_DAY, _FEATURE, _CALL, _CALL_LOCAL, _CALL_LENGTH, _FORWARD,
                               _FORWARD_DONE, _COUNT, _STEP_TIME, _STEP_LONGEST, _FORWARD_ANSWER)
BY_TABLE = {t.table: t for t in TALLIES}


# ---- the triggers -------------------------------------------------------------


def _insert(tally: Tally, part: Part, r: str, d: Dialect, sign: int) -> str:
    return f'INSERT INTO "{tally.table}" ({", ".join(tally.keys)}, n) {part.select(r, d, str(sign))}'


def _changed(part: Part, d: Dialect) -> str:
    return " OR ".join(d.differs(f"OLD.{c}", f"NEW.{c}") for c in part.watch)


def _name(tally: Tally, part: Part) -> str:
    return f"{tally.table}_{part.name}"


def _sqlite_ddl(tally: Tally) -> list[tuple[str, str]]:
    """(trigger name, CREATE TRIGGER ...) for SQLite."""
    d, out = SQLITE, []
    for part in tally.parts:
        name, src = _name(tally, part), f'"{part.source}"'
        if "insert" in part.events:
            out.append((f"{name}_ins", f"CREATE TRIGGER {name}_ins AFTER INSERT ON {src} "
                        f"BEGIN {_insert(tally, part, 'NEW', d, 1)}; END"))
        if "delete" in part.events:
            when = "BEFORE" if part.delete_before else "AFTER"
            out.append((f"{name}_del", f"CREATE TRIGGER {name}_del {when} DELETE ON {src} "
                        f"BEGIN {_insert(tally, part, 'OLD', d, -1)}; END"))
        if "update" in part.events and part.watch:
            out.append((f"{name}_upd", f"CREATE TRIGGER {name}_upd AFTER UPDATE OF {', '.join(part.watch)} "
                        f"ON {src} WHEN {_changed(part, d)} "
                        f"BEGIN {_insert(tally, part, 'OLD', d, -1)}; {_insert(tally, part, 'NEW', d, 1)}; END"))
    for parent, child, column in tally.cascades:
        name = f"{tally.table}_{parent}_deletes_{child}"
        out.append((name, f'CREATE TRIGGER {name} BEFORE DELETE ON "{parent}" '
                    f'BEGIN DELETE FROM "{child}" WHERE {column} = OLD.id; END'))
    return out


def _postgres_ddl(tally: Tally) -> list[tuple[str, str, str]]:
    """(trigger name, table, DDL) for PostgreSQL: a function per part and its triggers."""
    d, out = POSTGRES, []
    for part in tally.parts:
        name, src = _name(tally, part), f'"{part.source}"'
        body = (f"BEGIN "
                f"IF TG_OP IN ('UPDATE', 'DELETE') THEN {_insert(tally, part, 'OLD', d, -1)}; END IF; "
                f"IF TG_OP IN ('UPDATE', 'INSERT') THEN {_insert(tally, part, 'NEW', d, 1)}; END IF; "
                f"IF TG_WHEN = 'BEFORE' THEN RETURN OLD; END IF; RETURN NULL; END")
        out.append((name, part.source, f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql "
                    f"SET search_path FROM CURRENT AS $body$ {body} $body$"))
        row_events = [e.upper() for e in ("insert", "delete") if e in part.events
                      and not (e == "delete" and part.delete_before)]
        if "delete" in part.events and part.delete_before:
            out.append((f"{name}_del", part.source, f"CREATE TRIGGER {name}_del BEFORE DELETE "
                        f"ON {src} FOR EACH ROW EXECUTE FUNCTION {name}()"))
        if row_events:
            out.append((f"{name}_row", part.source, f"CREATE TRIGGER {name}_row AFTER {' OR '.join(row_events)} "
                        f"ON {src} FOR EACH ROW EXECUTE FUNCTION {name}()"))
        if "update" in part.events and part.watch:
            out.append((f"{name}_upd", part.source, f"CREATE TRIGGER {name}_upd AFTER UPDATE OF "
                        f"{', '.join(part.watch)} ON {src} FOR EACH ROW WHEN ({_changed(part, d)}) "
                        f"EXECUTE FUNCTION {name}()"))
    for parent, child, column in tally.cascades:
        name = f"{tally.table}_{parent}_deletes_{child}"
        out.append((name, parent, f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql "
                    f"SET search_path FROM CURRENT AS $body$ BEGIN "
                    f'DELETE FROM "{child}" WHERE {column} = OLD.id; RETURN OLD; END $body$'))
        out.append((f"{name}_row", parent, f'CREATE TRIGGER {name}_row BEFORE DELETE ON "{parent}" '
                    f"FOR EACH ROW EXECUTE FUNCTION {name}()"))
    return out


def trigger_names(db: peewee.Database | None = None) -> list[str]:
    """The triggers `install_triggers` makes on this engine."""
    db = db or database.obj
    if is_postgres(db):
        return [name for t in TALLIES for name, _table, sql in _postgres_ddl(t) if "CREATE TRIGGER" in sql]
    return [name for t in TALLIES for name, _sql in _sqlite_ddl(t)]


def installed_triggers(db: peewee.Database | None = None) -> set[str]:
    db = db or database.obj
    if is_postgres(db):
        rows = db.execute_sql("SELECT tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                              "JOIN pg_namespace n ON n.oid = c.relnamespace "
                              "WHERE n.nspname = current_schema() AND NOT t.tgisinternal").fetchall()
    else:
        rows = db.execute_sql("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall()
    return {name for (name,) in rows if name.startswith("tally_")}


def _run(db: peewee.Database, statements: list[str]) -> None:
    """Statements in order; on PostgreSQL in one round trip (a new schema
    makes forty of them)."""
    if not statements:
        return
    if is_postgres(db):
        db.execute_sql(";\n".join(statements))
    else:
        for sql in statements:
            db.execute_sql(sql)


def install_triggers(db: peewee.Database | None = None, tables: tuple[str, ...] | None = None) -> None:
    """(Re)create the tally triggers (of `tables`, default all) inside the
    caller's transaction."""
    db = db or database.obj
    drop_triggers(db, tables)
    chosen = [t for t in TALLIES if tables is None or t.table in tables]
    if is_postgres(db):
        _run(db, [sql for tally in chosen for _name_, _table, sql in _postgres_ddl(tally)])
    else:
        _run(db, [sql for tally in chosen for _name_, sql in _sqlite_ddl(tally)])


def drop_triggers(db: peewee.Database | None = None, tables: tuple[str, ...] | None = None) -> None:
    """Drop the tally triggers (of `tables`, default all; on SQLite with no
    `tables`, every trigger named tally_*, old ones included)."""
    db = db or database.obj
    chosen = [t for t in TALLIES if tables is None or t.table in tables]
    if is_postgres(db):
        ddl = [item for tally in chosen for item in _postgres_ddl(tally)]
        _run(db, [f'DROP TRIGGER IF EXISTS {name} ON "{table}"' for name, table, sql in ddl if "CREATE TRIGGER" in sql]
             + [f"DROP FUNCTION IF EXISTS {name}()" for name, _table, sql in ddl if "CREATE OR REPLACE FUNCTION" in sql])
    else:
        names = installed_triggers(db) if tables is None else {n for t in chosen for n, _sql in _sqlite_ddl(t)}
        _run(db, [f"DROP TRIGGER IF EXISTS {name}" for name in sorted(names)])


# ---- counting from scratch, checking, compacting --------------------------------


def _mark(db: peewee.Database, table: str, upto: int) -> None:
    p = db.param
    db.execute_sql(f'DELETE FROM "{MARK_TABLE}" WHERE name = {p}', (table,))
    db.execute_sql(f'INSERT INTO "{MARK_TABLE}" (name, upto) VALUES ({p}, {p})', (table, upto))


def _max_id(db: peewee.Database, table: str) -> int:
    return db.execute_sql(f'SELECT MAX(id) FROM "{table}"').fetchone()[0] or 0


def rebuild(db: peewee.Database | None = None, tables: tuple[str, ...] | None = None) -> None:
    """Count every tally again from its source tables (inside the caller's
    transaction; for a new schema, after a bulk load without triggers, or to
    mend a tally `check()` found wrong)."""
    db = db or database.obj
    d = dialect(db)
    chosen = [t for t in TALLIES if tables is None or t.table in tables]
    statements = []
    for tally in chosen:
        statements.append(f'DELETE FROM "{tally.table}"')
        columns = ", ".join(tally.keys)
        statements += [f'INSERT INTO "{tally.table}" ({columns}, n) {part.counted(d, len(tally.keys))}'
                       for part in tally.parts if part.rebuild]
    statements.append(f'DELETE FROM "{MARK_TABLE}" WHERE name IN ({", ".join(repr(t.table) for t in chosen)})')
    statements += [f'INSERT INTO "{MARK_TABLE}" (name, upto) SELECT \'{t.table}\', COALESCE(MAX(id), 0) '
                   f'FROM "{t.table}"' for t in chosen]
    _run(db, statements)


def _normal(value):
    """Keys compared across engines and drivers (booleans as 0/1, days as text)."""
    if isinstance(value, bool):
        return int(value)
    if hasattr(value, "hour"):  # a datetime: an hour of a tally
        return value.isoformat(" ")[:19]
    if hasattr(value, "isoformat"):
        return value.isoformat()[:10]
    if isinstance(value, str) and len(value) >= 19 and value[10] in " T":
        return value[:10] + " " + value[11:19]
    return value


def totals(tally: Tally, db: peewee.Database | None = None) -> dict[tuple, int]:
    """{key: count} as the tally has it now (keys whose count is 0 left out)."""
    db = db or database.obj
    columns = ", ".join(tally.keys)
    rows = db.execute_sql(f'SELECT {columns}, SUM(n) FROM "{tally.table}" GROUP BY {columns}').fetchall()
    return {tuple(_normal(v) for v in row[:-1]): int(row[-1]) for row in rows if int(row[-1])}


def counted(tally: Tally, db: peewee.Database | None = None) -> dict[tuple, int]:
    """{key: count} counted from the source tables now."""
    db = db or database.obj
    d = dialect(db)
    out: dict[tuple, int] = {}
    for part in tally.parts:
        if part.rebuild:
            for row in db.execute_sql(part.counted(d, len(tally.keys))).fetchall():
                key = tuple(_normal(v) for v in row[:-1])
                out[key] = out.get(key, 0) + int(row[-1])
    return {k: v for k, v in out.items() if v}


def check(db: peewee.Database | None = None) -> list[str]:
    """Lines naming every tally key whose count differs from a fresh count
    (and every missing trigger or index); empty when all is right."""
    db = db or database.obj
    installed = installed_triggers(db)
    problems = [f"trigger {name} is missing" for name in trigger_names(db) if name not in installed]
    if DONE_SECONDS_INDEX not in {i.name for i in db.get_indexes("forward")}:
        problems.append(f"index {DONE_SECONDS_INDEX} is missing")
    for tally in TALLIES:
        have, want = totals(tally, db), counted(tally, db)
        for key in sorted(set(have) | set(want), key=repr):
            if have.get(key, 0) != want.get(key, 0):
                problems.append(f"{tally.table} {key}: {have.get(key, 0)} counted, {want.get(key, 0)} in the data")
    return problems


def compact(tally: Tally, db: peewee.Database | None = None) -> int:
    """Fold the rows appended since the last compaction into one row per key.
    Returns how many rows were folded. Counts never change."""
    db = db or database.obj
    p = db.param
    row = db.execute_sql(f'SELECT upto FROM "{MARK_TABLE}" WHERE name = {p}', (tally.table,)).fetchone()
    since = row[0] if row else 0
    upto = _max_id(db, tally.table)
    if upto <= since:
        return 0
    columns = ", ".join(tally.keys)
    touched = f'SELECT {columns} FROM "{tally.table}" WHERE id > {p} AND id <= {p}'
    if is_postgres(db):
        # One statement: exactly the rows deleted are summed, whatever other
        # transactions append meanwhile.
        db.execute_sql(
            f'WITH gone AS (DELETE FROM "{tally.table}" WHERE id <= {p} AND ({columns}) IN ({touched}) '
            f"RETURNING {columns}, n) "
            f'INSERT INTO "{tally.table}" ({columns}, n) SELECT {columns}, SUM(n) FROM gone '
            f"GROUP BY {columns} HAVING SUM(n) <> 0", (upto, since, upto))
    else:
        # SQLite: the write transaction around this excludes every other writer.
        sums = db.execute_sql(f'SELECT {columns}, SUM(n) FROM "{tally.table}" WHERE id <= {p} '
                              f"AND ({columns}) IN ({touched}) GROUP BY {columns}", (upto, since, upto)).fetchall()
        db.execute_sql(f'DELETE FROM "{tally.table}" WHERE id <= {p} AND ({columns}) IN ({touched})',
                       (upto, since, upto))
        marks = ", ".join([p] * (len(tally.keys) + 1))
        db.cursor().executemany(f'INSERT INTO "{tally.table}" ({columns}, n) VALUES ({marks})',
                                [row for row in sums if row[-1]])
    _mark(db, tally.table, _max_id(db, tally.table))
    return upto - since


def compact_if_needed(db: peewee.Database | None = None, threshold: int | None = None) -> int:
    """Compact every tally that has `threshold` (default COMPACT_AFTER) or
    more rows appended since its last compaction (one transaction each).
    Returns rows folded."""
    db = db or database.obj
    threshold = COMPACT_AFTER if threshold is None else threshold
    marks = dict(db.execute_sql(f'SELECT name, upto FROM "{MARK_TABLE}"').fetchall())
    folded = 0
    for tally in TALLIES:
        if _max_id(db, tally.table) - (marks.get(tally.table) or 0) >= threshold:
            with write_transaction(db):
                if is_postgres(db):  # one compaction of a tally at a time
                    db.execute_sql("SELECT pg_advisory_xact_lock(hashtext(%s))", (tally.table,))
                folded += compact(tally, db)
    return folded


@contextlib.contextmanager
def deferred(db: peewee.Database | None = None) -> Iterator[None]:
    """For a bulk load into a database nobody else writes meanwhile (the
    demo): no triggers during the load, one count from scratch after it."""
    db = db or database.obj
    with write_transaction(db):
        drop_triggers(db)
    try:
        yield
    finally:
        with write_transaction(db):
            rebuild(db)
            install_triggers(db)
