"""PostgreSQL's driver, imported only when a PostgreSQL database is made.

peewee imports psycopg2 the moment peewee itself is imported (7-9 ms at every
start, and more than a tenth of what the desk adds to a bare Textual app),
though a desk on a SQLite file never touches it. `import_peewee()` imports
peewee as if psycopg2 were absent; `load_postgresql()` imports it the first
time a PostgreSQL URL is opened and hands peewee what peewee's own import
would have set (the module, its extensions, Json, the UUID adapter and the
adapter's transaction states).

`models/__init__.py` calls `import_peewee()` before anything imports peewee,
and `callers/__init__.py` imports `models` first, so every entry point
(the CLI, the app, tests, benchmarks) goes through here. Where peewee was
imported before (a script importing peewee itself), nothing is hidden and
psycopg2 is there already.
"""

from __future__ import annotations

import sys

DRIVER = "psycopg2"


def import_peewee():
    """peewee, imported now without psycopg2 unless it is imported already."""
    if "peewee" in sys.modules:
        return sys.modules["peewee"]
    hide = DRIVER not in sys.modules
    if hide:
        sys.modules[DRIVER] = None  # `import psycopg2` fails at once: peewee sets it None
    try:
        import peewee
    finally:
        if hide and DRIVER in sys.modules and sys.modules[DRIVER] is None:
            del sys.modules[DRIVER]
    return peewee


def load_postgresql() -> bool:
    """Make peewee's PostgreSQL support ready; False when no driver is installed
    (the `postgresql` extra)."""
    import peewee

    if peewee.psycopg2 is not None:
        return True
    try:
        import psycopg2
        from psycopg2 import extensions
        from psycopg2.extras import Json, register_uuid
    except ImportError:
        return peewee.psycopg is not None  # peewee's psycopg 3 support, when that is installed
    # What peewee's own `import psycopg2` block does, in the same order.
    register_uuid()
    peewee.psycopg2 = psycopg2
    peewee.pg_extensions = extensions
    peewee.pg_register_uuid = register_uuid
    peewee.Json_pg2 = Json
    adapter = peewee.Psycopg2Adapter
    adapter.txn_idle = extensions.TRANSACTION_STATUS_IDLE
    adapter.txn_inerror = extensions.TRANSACTION_STATUS_INERROR
    adapter.txn_unknown = extensions.TRANSACTION_STATUS_UNKNOWN
    return True
