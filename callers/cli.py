"""The `callers` command line.

Every command takes `--db URL` (or the CALLERS_DB variable). Errors print one
line to stderr and exit non-zero; set CALLERS_DEBUG=1 to see a traceback.
"""

from __future__ import annotations

import argparse
import getpass
import importlib
import os
import pkgutil
import sys
from pathlib import Path

import peewee

import callers.commands
from callers import __version__
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
    """--db, else CALLERS_DB, else the fallback, else the user's database."""
    return getattr(args, "db", None) or os.environ.get(ENV_DB) or fallback or default_db_url()


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


def open_db(args: argparse.Namespace, fallback: str | None = None):
    """Open and upgrade the database named for this command."""
    from callers import database

    return database.open(db_url(args, fallback))


def _common() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--db",
        metavar="URL",
        default=argparse.SUPPRESS,
        help=f"database: a file path, sqlite:///path or postgresql://user@host/name "
        f"(default: ${ENV_DB}, else {default_db_url()})",
    )
    return common


def build_parser() -> argparse.ArgumentParser:
    common = _common()
    parser = argparse.ArgumentParser(
        prog="callers",
        parents=[common],
        description="Call every customer every cycle: the caller's desk, imports, "
        "forwards to departments, and the supervisor's figures.",
        epilog=f"With no command, opens the caller's desk. Database now: {describe_default()}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"callers {__version__}")
    parser.add_argument("--as", dest="caller", metavar="NAME", default=argparse.SUPPRESS,
                        help=AS_HELP)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    modules = []
    for info in pkgutil.iter_modules(callers.commands.__path__):
        module = importlib.import_module(f"callers.commands.{info.name}")
        if hasattr(module, "register"):
            modules.append(module)
    for module in sorted(modules, key=lambda m: (getattr(m, "ORDER", 50), m.__name__)):
        module.register(sub, common)
    return parser


def describe_default() -> str:
    from models.db import describe

    url = os.environ.get(ENV_DB)
    return f"{describe(url)} (from ${ENV_DB})" if url else default_db_url()


def _run(argv: list[str] | None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        from callers.commands.desk import run_desk

        return run_desk(args)
    return args.handler(args)


def main(argv: list[str] | None = None) -> int:
    from models.db import DatabaseUnavailable, DatabaseURLError, first_line
    from models.schema import SchemaTooNew

    try:
        return _run(argv)
    except KeyboardInterrupt:
        print("callers: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except CallersError as exc:
        return _fail(str(exc), exc.exit_code)
    except (DatabaseURLError, DatabaseUnavailable, SchemaTooNew) as exc:
        return _fail(str(exc), 2)
    except peewee.OperationalError as exc:
        return _fail(f"database error: {first_line(exc)}", 2)
    except peewee.DatabaseError as exc:
        return _fail(f"database error: {first_line(exc)}", 2)
    except OSError as exc:
        name = f" {exc.filename}" if getattr(exc, "filename", None) else ""
        return _fail(f"cannot use{name}: {exc.strerror or exc}", 2)
    except Exception as exc:  # the last line of defence: never a traceback
        if os.environ.get("CALLERS_DEBUG"):
            raise
        return _fail(
            f"unexpected {exc.__class__.__name__}: {first_line(exc)} "
            "(run with CALLERS_DEBUG=1 for details)",
            70,
        )


def _fail(message: str, code: int) -> int:
    if os.environ.get("CALLERS_DEBUG"):
        import traceback

        traceback.print_exc()
    print(f"callers: error: {message}", file=sys.stderr)
    return code


def add_command(sub, common, name: str, handler, help: str, **kwargs) -> argparse.ArgumentParser:
    """A subcommand that also takes --db (after the command name too)."""
    parser = sub.add_parser(name, parents=[common], help=help, description=help, **kwargs)
    parser.set_defaults(handler=handler)
    return parser


def output_path(value: str | None) -> Path | None:
    return Path(value).expanduser() if value else None
