"""`callers demo`: fill a database with customers that look real, then open the desk."""

from __future__ import annotations

import argparse
import os
import shlex
import sys

import peewee

from callers.invocation import acting_user, add_command, demo_db_url
from callers.errors import CallersError, failure_cause
from callers.printable import unwrap

ORDER = 15


def _positive(text: str) -> int:
    try:
        value = int(text.replace("_", "").replace(",", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError("give at least 1 customer")
    return value


def _same_file(url: str, other: str) -> bool:
    from models.db import sqlite_path

    try:
        a, b = sqlite_path(url), sqlite_path(other)
    except ValueError:
        return False
    if a is None or b is None:
        return False
    return os.path.abspath(a.expanduser()) == os.path.abspath(b.expanduser())


def _remove_sqlite_file(url: str) -> None:
    from models.db import sqlite_path
    from models.engine import database_files

    for target in database_files(sqlite_path(url)):
        if target.exists():
            target.unlink()


def run_demo(args) -> int:
    from callers import access, database, demo
    from models.db import describe, sqlite_path

    url = getattr(args, "db", None) or demo_db_url()
    is_demo_file = _same_file(url, demo_db_url())
    if is_demo_file:
        _remove_sqlite_file(url)  # the demo file is always made afresh
    database.open(url)
    if not access.administrator():
        raise CallersError("the demo rebuilds tables: fill a PostgreSQL database through the administrator's "
                           "connection (the schema's owner), not a team member's login")
    caller = acting_user(args)
    count = demo.customer_count()
    if count:
        if not args.replace:
            raise CallersError(
                f"{describe(url)} already has {count} customers; the demo fills only an empty database "
                "(add --replace to delete them and their calls and forwards, or leave out --db "
                "to use the separate demo file)")
        access.require(caller, "admin")
        demo.clear()
    elif not is_demo_file:
        access.require(caller, "admin")

    written = [0]  # customers in committed chunks

    def progress(done: int, total: int) -> None:
        written[0] = done
        if total >= 50_000 and sys.stderr.isatty():
            # (the terminal's own stream: the carriage return is ours, not data)
            print(f"\r  {done:,} / {total:,} customers", end="", file=unwrap(sys.stderr), flush=True)

    try:
        result = demo.generate(args.customers, seed=args.seed, progress=progress)
    except (peewee.PeeweeException, OSError) as exc:
        raise _stopped(exc, written[0], args.customers, url, is_demo_file) from exc
    if args.customers >= 50_000 and sys.stderr.isatty():
        print(file=sys.stderr)
    path = sqlite_path(url) if "://" not in url or url.startswith("sqlite") else None
    where = str(path) if path is not None else describe(url)
    again = "callers --demo" if is_demo_file else f"callers --db {shlex.quote(describe(url))}"
    print(f"{result.summary(where)}; open it again with `{again}`", flush=True)
    if args.no_ui:
        return 0
    from callers.app import CallersApp

    CallersApp(caller=caller).run()
    return 0


def _stopped(exc: BaseException, written: int, total: int, url: str, is_demo_file: bool) -> CallersError:
    """The demo stopped part-way: what is in the database, and how to start again."""
    from models.db import describe

    what, where = failure_cause(exc)
    again = ("`callers demo` starts afresh" if is_demo_file
             else f"`callers --db {shlex.quote(describe(url))} demo --replace` fills it again")
    if what == "disk full":
        error = CallersError(f"disk full: {where}: {written:,} of {total:,} demo customers written before it "
                             f"filled up; {again}")
    else:
        error = CallersError(f"{written:,} of {total:,} demo customers written to {describe(url)} before {what}; "
                             f"{again}")
    error.exit_code = 2
    return error


def register(sub, common) -> None:
    p = add_command(
        sub, common, "demo", run_demo,
        "fill a database with demo customers, calls and forwards, then open the desk "
        f"(without --db: the separate demo file {demo_db_url()}, never your real database "
        "and never $CALLERS_DB)",
        example=["callers demo", "callers demo --customers 5000 --seed 42 --no-ui",
                 "callers --db /tmp/try.db demo --customers 500 --no-ui"])
    p.add_argument("--customers", type=_positive, default=300, metavar="N",
                   help="how many customers (default 300)")
    p.add_argument("--seed", type=int, default=1, metavar="S",
                   help="random seed: the same seed gives the same rows (default 1)")
    p.add_argument("--no-ui", action="store_true", help="only fill the database; do not open the desk")
    p.add_argument("--replace", action="store_true",
                   help="with --db: delete the customers already there (and their calls and forwards) first")
    p.add_argument("--as", dest="caller", metavar="NAME", default=argparse.SUPPRESS,
                   help="who opens the desk afterwards (default: the OS user name)")
