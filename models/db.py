"""The one database seam: a peewee `DatabaseProxy` and everything that differs
between SQLite and PostgreSQL. Nothing outside `models/` asks which engine runs.

Longer than 500 lines because it is every way callers reaches a database
(the URL, SQLite's pragmas and checkpointer, PostgreSQL's pool, connections
and transactions, errors that mean "unreachable", compiled query shapes):
what a connection is, in one place.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
import threading
import weakref
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlparse

import peewee
from peewee import DatabaseProxy, PostgresqlDatabase, SqliteDatabase
from playhouse.pool import PooledPostgresqlDatabase

from models import driver

database = DatabaseProxy()

SQLITE_PRAGMAS = {
    "journal_mode": "wal",
    "foreign_keys": 1,
    "busy_timeout": 10000,
    "synchronous": "normal",
    "cache_size": -32000,
}


class DatabaseURLError(ValueError):
    """The --db / CALLERS_DB value cannot be understood (or names an engine
    this installation cannot use)."""


POSTGRESQL_MISSING = "PostgreSQL support is not installed: pip install 'callers[postgresql]'"


class DatabaseUnavailable(RuntimeError):
    """The database could not be opened or reached."""


def describe(url: str) -> str:
    """A URL fit for messages: the password, if any, hidden."""
    parsed = urlparse(url)
    if parsed.password:
        netloc = parsed.netloc.replace(f":{parsed.password}@", ":***@")
        return parsed._replace(netloc=netloc).geturl()
    return url


def sqlite_path(url: str) -> Path | None:
    """The file behind a SQLite URL or plain path, or None for PostgreSQL."""
    if "://" not in url:
        return Path(url).expanduser()
    parsed = urlparse(url)
    if parsed.scheme in ("sqlite", "sqlite3"):
        # Everything after "sqlite://" is the path: sqlite:///tmp/x.db is
        # /tmp/x.db, sqlite://x.db is x.db in the current folder.
        path = unquote(url.split("://", 1)[1].split("?", 1)[0])
        while path.startswith("//"):
            path = path[1:]
        if not path:
            raise DatabaseURLError(f"no file named in {url!r}")
        return Path(path).expanduser()
    return None


def make_database(url: str) -> peewee.Database:
    """Build (but do not open) the database a URL names."""
    if not url or not url.strip():
        raise DatabaseURLError("the database URL is empty")
    url = url.strip()
    path = sqlite_path(url) if ("://" not in url or url.startswith("sqlite")) else None
    if path is not None:
        return SqliteDatabase(
            str(path), pragmas=SQLITE_PRAGMAS, timeout=10, check_same_thread=False
        )
    parsed = urlparse(url)
    if parsed.scheme in ("postgres", "postgresql", "postgresql+psycopg2", "psql"):
        if not driver.load_postgresql():
            raise DatabaseURLError(POSTGRESQL_MISSING)
        name = unquote(parsed.path.lstrip("/"))
        if not name:
            raise DatabaseURLError(f"no database name in {describe(url)!r}")
        kwargs: dict = {"connect_timeout": 5, "application_name": "callers"}
        if parsed.hostname:
            kwargs["host"] = parsed.hostname
        if parsed.port:
            kwargs["port"] = parsed.port
        if parsed.username:
            kwargs["user"] = unquote(parsed.username)
        if parsed.password:
            kwargs["password"] = unquote(parsed.password)
        for key, value in parse_qsl(parsed.query):
            kwargs[key] = value
        # Prepared statements (`execute_prepared`) are planned once.
        kwargs["options"] = f"{kwargs.get('options', '')} -c plan_cache_mode=force_generic_plan".strip()
        # Pooled: every thread worker takes a connection and gives it back,
        # and a connection the server dropped is discarded, not reused.
        return PooledPostgresqlDatabase(name, max_connections=32, stale_timeout=300,
                                        timeout=10, autoconnect=True, **kwargs)
    raise DatabaseURLError(
        f"cannot use database URL {describe(url)!r}: give a file path, "
        "sqlite:///path/to/file.db or postgresql://user@host:5432/name"
    )


def connect(url: str) -> peewee.Database:
    """Point the proxy at the database a URL names and open it."""
    db = make_database(url)
    if isinstance(db, SqliteDatabase):
        path = Path(db.database)
        if path.exists() and path.is_dir():
            raise DatabaseUnavailable(f"{path} is a directory, not a database file")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise DatabaseUnavailable(f"cannot create {path.parent}: {exc.strerror}") from None
        if path.exists() and path.stat().st_size > 0:
            with open(path, "rb") as fh:
                if fh.read(16) != b"SQLite format 3\x00":
                    raise DatabaseUnavailable(f"{path} is not a SQLite database")
    database.initialize(db)
    try:
        db.connect(reuse_if_open=True)
    except peewee.OperationalError as exc:
        raise DatabaseUnavailable(
            f"cannot open {describe(url)}: {first_line(exc)}"
        ) from None
    return db


def reconnect() -> None:
    """After a dropped connection: forget this thread's connection (and any
    pooled ones the server closed), then open a fresh one. Raises
    DatabaseUnavailable while the database is still away."""
    db = database.obj
    try:
        if not db.is_closed():
            db.close()
    except Exception:  # the old connection is already gone; that is the point
        pass
    if hasattr(db, "close_idle"):
        db.close_idle()
    try:
        db.connect(reuse_if_open=True)
    except (peewee.OperationalError, peewee.InterfaceError) as exc:
        raise DatabaseUnavailable(f"database unreachable: {first_line(exc)}") from None


def first_line(exc: BaseException) -> str:
    text = str(exc).strip() or exc.__class__.__name__
    return text.splitlines()[0]


def is_postgres(db: peewee.Database | None = None) -> bool:
    db = db or database.obj
    return isinstance(db, PostgresqlDatabase)


def engine_name(db: peewee.Database | None = None) -> str:
    return "postgresql" if is_postgres(db) else "sqlite"


def write_transaction(db: peewee.Database | None = None):
    """A write transaction that takes its lock up front.

    SQLite: BEGIN IMMEDIATE, so two processes never both read-then-write and
    deadlock. PostgreSQL: an ordinary transaction (row locks do the work).
    """
    db = db or database.obj
    if isinstance(db, SqliteDatabase):
        return db.atomic("IMMEDIATE")
    return db.atomic()


def lock_rows(query: peewee.SelectQuery) -> peewee.SelectQuery:
    """Rows another caller must not take at the same time.

    PostgreSQL: FOR UPDATE SKIP LOCKED (a row someone else is claiming is
    passed over, not waited for). SQLite: nothing to add; the surrounding
    `write_transaction()` already holds the only write lock.
    """
    if is_postgres():
        return query.for_update(skip_locked=True)
    return query


def lock_key(kind: str, key: int) -> None:
    """Inside a write transaction: wait for, then hold until it ends, the lock
    named (`kind`, `key`), so that a check-then-write on one thing (a
    customer's uses as a reference, the last supervisor) never runs twice at
    once. PostgreSQL: a transaction-level advisory lock (it needs no right on
    any row, so a login that may only read a table can take it). SQLite:
    nothing to add, the surrounding `write_transaction()` already holds the
    only write lock."""
    if is_postgres():
        database.obj.execute_sql("SELECT pg_advisory_xact_lock(hashtext(%s), %s)", (kind, int(key)))


def skip_locked_clause() -> str:
    """SQL to append to a raw SELECT ... LIMIT n that claims rows: on
    PostgreSQL the rows another transaction is claiming are stepped over (the
    next row in the index is taken instead); SQLite's write transaction
    already excludes every other writer, so nothing is needed there."""
    return " FOR UPDATE SKIP LOCKED" if is_postgres() else ""


def use_index(index: str) -> str:
    """SQL after a table name in a raw query that must read through `index`.

    SQLite (`INDEXED BY`): its planner, short of statistics for a newer index
    (a database that was never ANALYZEd, right after a migration), can take
    a poor index and turn a one-row seek into a scan and a sort. PostgreSQL
    keeps its own statistics and has no such clause: nothing is added."""
    return "" if is_postgres() else f" INDEXED BY {index}"


def max_variables() -> int:
    """How many bound parameters one statement may carry."""
    return 30000 if is_postgres() else 32000


def batch_size(columns: int) -> int:
    """Rows per bulk INSERT for a table of so many columns."""
    return max(1, min(1000, max_variables() // max(1, columns)))


@contextlib.contextmanager
def statement_journals_in_memory(db: peewee.Database | None = None):
    """SQLite, on the open connection: statement journals kept in memory
    while the block runs (`PRAGMA temp_store = MEMORY`), the old setting back
    after. A statement that writes many rows inside a transaction (a bulk
    INSERT into a table with triggers and foreign keys) keeps the pages it
    changes in a statement journal, so that it alone can be undone; past
    64 KiB SQLite spills that journal into a temporary file: for an import,
    some 7 MB of small writes to /var/tmp per batch, which nobody ever
    reads. The journal of one statement is a few MB at most. PostgreSQL:
    nothing to do. (Changing temp_store drops the connection's temporary
    tables; callers makes none. SQLite refuses the change inside a
    transaction once temporary storage is open: then the block runs as it
    would have.)"""
    db = db or database.obj
    if not isinstance(db, SqliteDatabase):
        yield
        return
    old = db.execute_sql("PRAGMA temp_store").fetchone()[0]
    try:
        db.execute_sql("PRAGMA temp_store = MEMORY")
    except (peewee.OperationalError, sqlite3.OperationalError):
        yield
        return
    try:
        yield
    finally:
        with contextlib.suppress(peewee.PeeweeException, sqlite3.Error):
            db.execute_sql(f"PRAGMA temp_store = {int(old)}")


@contextlib.contextmanager
def connection(keep: bool = False):
    """An open connection for the current thread (workers, CLI commands).

    `keep`: leave it open for the thread's next job (a screen's worker
    threads are reused; opening a SQLite connection, with its pragmas, costs
    milliseconds a key press cannot spare). A connection error closes it, so
    the next job opens a fresh one."""
    db = database.obj
    if db is None:
        raise DatabaseUnavailable("no database is open")
    if not db.is_closed():
        yield db
    elif keep:
        db.connect(reuse_if_open=True)
        try:
            yield db
        except (peewee.OperationalError, peewee.InterfaceError):
            with contextlib.suppress(Exception):
                db.close()
            raise
    else:
        with db.connection_context():
            yield db


class Checkpointer:
    """SQLite: a thread of its own copies the write-ahead log back into the
    database file (`PRAGMA wal_checkpoint(PASSIVE)` on its own connection),
    so that no commit of the desk has to. Left to SQLite, the commit that
    pushes the log past `wal_autocheckpoint` pages does the copy and its
    fsync before it returns: every tenth call or so, 25 ms more between the
    outcome key and the next customer (half a second while the disk is
    busy). A passive checkpoint never waits for, nor blocks, a reader or a
    writer, and the sqlite3 module lets go of the GIL while it runs.

    While it runs, this process's connections (those opened after `start`)
    leave checkpoints to it (`wal_autocheckpoint=0`); other processes keep
    their own. It looks every `every` seconds and checkpoints when the log
    has changed since."""

    def __init__(self, db: SqliteDatabase, every: float = 1.0) -> None:
        self.db = db
        self.every = every
        self.checkpoints = 0  # how many ran (for tests and curiosity)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._autocheckpoint = None

    @property
    def _wal(self) -> Path:
        return Path(f"{self.db.database}-wal")

    def start(self) -> Checkpointer:
        pragmas = dict(self.db._pragmas or ())
        self._autocheckpoint = pragmas.get("wal_autocheckpoint")
        pragmas["wal_autocheckpoint"] = 0
        self.db._pragmas = list(pragmas.items())  # peewee applies these on every new connection
        self._thread = threading.Thread(target=self._run, name="sqlite-checkpoint", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        pragmas = dict(self.db._pragmas or ())
        if self._autocheckpoint is None:
            pragmas.pop("wal_autocheckpoint", None)
        else:
            pragmas["wal_autocheckpoint"] = self._autocheckpoint
        self.db._pragmas = list(pragmas.items())

    def _stamp(self) -> tuple[int, int] | None:
        try:
            found = self._wal.stat()
        except OSError:
            return None
        return found.st_mtime_ns, found.st_size

    def checkpoint(self, conn: sqlite3.Connection) -> None:
        conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        self.checkpoints += 1

    def _run(self) -> None:
        conn = None
        seen = None  # a log left by an earlier process is copied back at the first look
        try:
            while not self._stop.wait(self.every):
                stamp = self._stamp()
                if stamp is None or stamp == seen:
                    continue
                try:
                    if conn is None:
                        conn = sqlite3.connect(self.db.database, timeout=0, check_same_thread=False)
                    self.checkpoint(conn)
                    seen = self._stamp()
                except sqlite3.Error as exc:  # the file went away, a lock: try again later
                    logging.getLogger(__name__).info("checkpoint skipped: %s", exc)
                    if conn is not None:
                        with contextlib.suppress(Exception):
                            conn.close()
                    conn = None
        finally:
            if conn is not None:
                with contextlib.suppress(Exception):
                    conn.close()


def default_data_dir() -> Path:
    """Where callers keeps its files when nobody says otherwise."""
    override = os.environ.get("CALLERS_HOME")
    if override:
        return Path(override).expanduser()
    if os.name == "nt":
        base = Path(os.environ.get("APPDATA") or Path.home() / "AppData" / "Roaming")
    elif os.uname().sysname == "Darwin":
        base = Path.home() / "Library" / "Application Support"
    else:
        base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return base / "callers"


def seconds_between(start, end):
    """An SQL expression: whole seconds from `start` to `end` (two datetime
    columns or expressions), rounded to the nearest second, as an integer.
    NULL when either is NULL. (SQLite keeps times as text; PostgreSQL as
    timestamps.) Used by the supervisor's figures for call lengths and
    forward ages."""
    if is_postgres():
        return peewee.fn.ROUND(peewee.fn.date_part("epoch", end - start)).cast("INTEGER")
    return peewee.fn.ROUND((peewee.fn.julianday(end) - peewee.fn.julianday(start)) * 86400).cast("INTEGER")


class _IndexedBy(peewee.Node):
    def __init__(self, model, index: str) -> None:
        super().__init__()
        self.model, self.index = model, index

    def __sql__(self, ctx):
        ctx.sql(self.model)
        if not is_postgres():
            ctx.literal(f' INDEXED BY "{self.index}"')
        return ctx


def indexed_by(model, index: str) -> peewee.Node:
    """A query's FROM that reads `model` through `index`: `.from_(indexed_by(Call, "..."))`.

    The peewee form of `use_index`: SQLite's planner cannot tell from its
    statistics that `started_at IS NULL` holds for half the calls, and
    statistics of indexes added by a migration are missing until the next
    ANALYZE; PostgreSQL plans from its own statistics (nothing is added)."""
    return _IndexedBy(model, index)


# ---- query shapes compiled once ---------------------------------------------------
# peewee builds a query's SQL in Python on every run, which on the desk's
# hot path (a customer shown after every outcome) cost more than running the
# queries. A shape is built once per engine and name, then run with new values.

_COMPILED: dict[tuple[str, str], tuple[str, int]] = {}


def compiled(name: str, build) -> tuple[str, int]:
    """(SQL, how many parameters) of `build()`'s query, made once per engine."""
    key = (name, database.obj.param)
    found = _COMPILED.get(key)
    if found is None:
        sql, params = build().sql()
        found = _COMPILED[key] = (sql, len(params))
    return found


_ROW_PLANS: dict = {}


def models_from(model, cursor, shape: str | None = None) -> list:
    """The cursor's rows as instances of `model`, as peewee's `Model.raw`
    makes them (each column through its field's `python_value`; a column that
    is no field, such as a joined alias, becomes a plain attribute), at a
    tenth of the cost: peewee works out which column is which field for
    every query, here once per model and column list (or per `shape`, the
    name of a query whose columns never change)."""
    key = (model, shape or tuple(column[0] for column in cursor.description))
    plan = _ROW_PLANS.get(key)
    if plan is None:
        by_column = {field.column_name: field for field in model._meta.sorted_fields}
        plan = _ROW_PLANS[key] = tuple(
            (by_column[name].name, by_column[name].python_value) if name in by_column else (name, None)
            for name in (column[0] for column in cursor.description))
    found = []
    for row in cursor.fetchall():
        instance = model(__no_default__=1)
        data = instance.__data__
        for (name, convert), value in zip(plan, row):
            if convert is None:
                setattr(instance, name, value)
            else:
                data[name] = convert(value)
        found.append(instance)
    return found


def _shape_sql(name: str, build, params: tuple) -> str:
    """The compiled shape's SQL, checked to take as many parameters as given."""
    sql, count = compiled(name, build)
    if len(params) != count:
        raise ValueError(f"query {name!r} takes {count} parameters, not {len(params)}")
    return sql


def raw(model, name: str, build, *params) -> list:
    """Rows of `model` from the compiled shape `name`, with `params` in the
    order the shape takes them (checked)."""
    return models_from(model, database.obj.execute_sql(_shape_sql(name, build, params), params), shape=name)


_PREPARED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # connection -> names


def execute_prepared(name: str, types: tuple[str, ...], sql: str, params):
    """PostgreSQL: run `sql` (parameters $1..$n of `types`) as the prepared
    statement `name` of this connection, planned once per connection instead
    of on every call. For a hot statement whose planning costs more than its
    run (a LATERAL join over a table with many indexes: 1.1 ms of planning).
    The SQL must name its columns: a prepared `SELECT *` fails once a
    migration adds one. A pooled connection the server dropped is a new
    connection here, and prepares again.

    Every connection plans its prepared statements once, generically
    (`plan_cache_mode`, set in `make_database`): left to choose, PostgreSQL
    re-plans each call because the generic plan's estimate looks worse,
    though it is the same plan. Only statements whose best plan does not hang
    on their parameters' values belong here. (The only other statements
    planned once per session are the tally triggers', which insert one row or
    delete by key: indifferent.)"""
    db = database.obj
    conn = db.connection()
    names = _PREPARED.get(conn)
    if names is None:
        names = _PREPARED[conn] = set()
    if name not in names:
        db.execute_sql(f"PREPARE {name} ({', '.join(types)}) AS {sql}")
        names.add(name)
    return db.execute_sql(f"EXECUTE {name} ({', '.join(db.param for _ in params)})", list(params))


_ROW_SECURITY: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # connection -> {table: bool}


def row_security(table: str) -> bool:
    """Whether row-level security holds this connection's login on `table`
    (PostgreSQL with `callers db roles` applied, connected as a team
    member's login rather than the administrator's). Asked once per
    connection: a login's standing does not change while it is connected."""
    db = database.obj
    if not is_postgres(db):
        return False
    conn = db.connection()
    known = _ROW_SECURITY.get(conn)
    if known is None:
        known = _ROW_SECURITY[conn] = {}
    if table not in known:
        known[table] = bool(db.execute_sql("SELECT row_security_active(%s)", (table,)).fetchone()[0])
    return known[table]


def execute(name: str, build, *params):
    """Run a compiled shape that returns no rows (an UPDATE, a DELETE)."""
    return database.obj.execute_sql(_shape_sql(name, build, params), params)
