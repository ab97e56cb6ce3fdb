"""What every command shares: which database it opens (--db, --demo,
CALLERS_DB, else the user's own), who it works for (--as, the connection's
login, the OS user), and how it is declared (`add_command`).

The command modules (callers/commands/) import these from here, and
callers/cli.py builds the parser and runs them: the commands never import the
CLI that loads them.
"""

from __future__ import annotations

import argparse
import getpass
import os
from pathlib import Path

from callers.errors import CallersError

ENV_DB = "CALLERS_DB"
AS_HELP = ("who is doing this (default: the OS user name); on PostgreSQL the connection's login decides, "
           "and only the administrator's connection may name a supervisor")


def default_db_url() -> str:
    from models.db import default_data_dir

    return str(default_data_dir() / "callers.db")


def demo_db_url() -> str:
    from models.db import default_data_dir

    return str(default_data_dir() / "demo.db")


def db_url(args: argparse.Namespace, fallback: str | None = None) -> str:
    """--db (or --demo), else CALLERS_DB, else the fallback, else the user's database."""
    if getattr(args, "demo", False):
        if getattr(args, "db", None):
            raise CallersError("give --db or --demo, not both")
        return demo_db_url()
    return getattr(args, "db", None) or os.environ.get(ENV_DB) or fallback or default_db_url()


def _named(args: argparse.Namespace) -> str | None:
    """How the database was named, when it was (--db, --demo or CALLERS_DB)."""
    if getattr(args, "demo", False):
        return "--demo"
    if getattr(args, "db", None):
        return "--db"
    return f"${ENV_DB}" if os.environ.get(ENV_DB) else None


def current_user() -> str:
    """The OS user name (who works on SQLite when --as is not given)."""
    try:
        return getpass.getuser()
    except Exception:  # no user name in the environment (containers)
        return "caller"


def acting_user(args: argparse.Namespace) -> str:
    """Who this command works for, once the database is open: on PostgreSQL
    with users, the user of the connection's login (--as may only repeat
    it; the administrator's connection names a supervisor with it); else
    --as, or the OS user name. See callers.access.identify."""
    from callers import access

    return access.identify(getattr(args, "caller", None), current_user())


def open_db(args: argparse.Namespace, fallback: str | None = None, create: bool = False):
    """Open and upgrade the database named for this command. A database file
    named by --db, --demo or CALLERS_DB must exist unless `create` (the
    commands that make one: `db init`, `import`, `demo`)."""
    from callers import database

    url = db_url(args, fallback)
    if not create:
        refuse_missing(args, url)
    return database.open(url)


def refuse_missing(args: argparse.Namespace, url: str) -> None:
    """A named SQLite file that does not exist is a mistake (a typo would
    otherwise make a new, empty database, folders and all): say so."""
    from models.db import DatabaseURLError, sqlite_path

    how = _named(args)
    if how is None:
        return  # the user's own database: made on first use
    try:
        path = sqlite_path(url.strip())
    except DatabaseURLError:
        return  # make_database says what is wrong with it
    if path is None or path.exists():
        return
    if how == "--demo":
        raise CallersError(f"no demo database at {path}; `callers demo` makes one")
    raise CallersError(f"no database at {path} (from {how}); `callers import FILE` or "
                       f"`callers --db {path} db init` creates one")


def describe_default() -> str:
    from models.db import describe

    url = os.environ.get(ENV_DB)
    return f"{describe(url)} (from ${ENV_DB})" if url else default_db_url()


def add_command(sub, common, name: str, handler, help: str, example: str | list[str] | None = None,
                **kwargs) -> argparse.ArgumentParser:
    """A subcommand that also takes --db and --demo (after the command name
    too); `example`: one or more command lines shown at the end of its --help."""
    if example:
        lines = [example] if isinstance(example, str) else list(example)
        kwargs.setdefault("epilog", "example" + ("s" if len(lines) > 1 else "") + ":\n"
                          + "\n".join(f"  {line}" for line in lines))
        kwargs.setdefault("formatter_class", argparse.RawDescriptionHelpFormatter)
    parser = sub.add_parser(name, parents=[common], help=help, description=help, **kwargs)
    parser.set_defaults(handler=handler)
    return parser


def output_path(value: str | None) -> Path | None:
    return Path(value).expanduser() if value else None
