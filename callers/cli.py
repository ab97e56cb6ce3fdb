"""The `callers` command line.

Every command takes `--db URL` (or the CALLERS_DB variable), or `--demo` for
the demo database. A database named that way must exist, except for the
commands that create one (`db init`, `import`, `demo`); without either, the
user's own database is used (and made on first use). Errors print one line
to stderr and exit non-zero; set CALLERS_DEBUG=1 to see a traceback. A
mistyped command or flag gets "did you mean", and a subcommand's mistake
that subcommand's usage. Everything printed goes through
`callers.printable`: text from outside never drives the terminal.
"""

from __future__ import annotations

import argparse
import difflib
import importlib
import os
import pkgutil
import re
import sys

import peewee

import callers.commands
from callers import __version__, collector
from callers.errors import CallersError, failure_cause, is_disk_full, root_error
from callers.invocation import (  # noqa: F401 (also callers.cli's names, as before)
    AS_HELP,
    ENV_DB,
    acting_user,
    add_command,
    current_user,
    db_url,
    default_db_url,
    demo_db_url,
    describe_default,
    open_db,
    output_path,
    refuse_missing,
)
from callers.printable import safe_output

def _common() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--db",
        metavar="URL",
        default=argparse.SUPPRESS,
        help=f"database: a file path, sqlite:///path or postgresql://user@host/name "
        f"(default: ${ENV_DB}, else {default_db_url()}); it must exist, except for db init, import and demo",
    )
    common.add_argument("--demo", action="store_true", default=argparse.SUPPRESS,
                        help=f"use the demo database ({demo_db_url()}, made by `callers demo`)")
    return common


# ---- a parser that helps a person who mistypes ----------------------------------

_INVALID_CHOICE = re.compile(r"invalid choice: '(?P<word>[^']*)' \(choose from (?P<choices>.*)\)")
_UNRECOGNIZED = "unrecognized arguments: "


def _did_you_mean(word: str, candidates) -> str | None:
    found = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.6)
    if not found and word.startswith("--"):  # a prefix of a flag: --rej for --rejects
        found = [c for c in candidates if c.startswith(word)][:1]
    return found[0] if found else None


class Parser(argparse.ArgumentParser):
    """argparse with "did you mean 'import'?" for a mistyped command, choice
    or flag."""

    def error(self, message: str):
        match = _INVALID_CHOICE.search(message)
        if match:
            choices = [c.strip().strip("'") for c in match.group("choices").split(",")]
            guess = _did_you_mean(match.group("word"), choices)
            if guess:
                at = match.start("choices") - len(" (choose from ")
                message = f"{message[:at]}: did you mean '{guess}'?{message[at:]}"
        elif message.startswith(_UNRECOGNIZED):
            flags = [o for action in self._actions for o in action.option_strings if o.startswith("--")]
            hints = [f"{word} (did you mean {guess}?)" if (guess := _did_you_mean(word.split("=")[0], flags))
                     else word for word in message[len(_UNRECOGNIZED):].split(" ")]
            message = _UNRECOGNIZED + " ".join(hints)
        super().error(message)


class CommandParser(Parser):
    """A subcommand's parser: its unknown flags are its own mistake, reported
    with its own usage (argparse would hand them up to the top level's)."""

    def parse_known_args(self, args=None, namespace=None):
        parsed, extras = super().parse_known_args(args, namespace)
        if extras:
            self.error(_UNRECOGNIZED + " ".join(extras))
        return parsed, extras


def build_parser() -> argparse.ArgumentParser:
    common = _common()
    parser = Parser(
        prog="callers",
        parents=[common],
        description="Call every customer every cycle: the caller's desk, imports, "
        "forwards to departments, and the supervisor's figures.",
        epilog=f"With no command, opens the caller's desk. Database now: {describe_default()}\n\n"
        "examples:\n  callers demo\n  callers import contacts.csv --region DE\n  callers --demo next",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"callers {__version__}")
    parser.add_argument("--as", dest="caller", metavar="NAME", default=argparse.SUPPRESS,
                        help=AS_HELP)
    parser.add_argument("--dialer", metavar="URL", default=argparse.SUPPRESS,
                        help="the desk's dialler: manual, tel, baresip://HOST:PORT?to=..., ami://USER:SECRET@HOST:5038?"
                        "channel=... (default: $CALLERS_DIALER, else your `callers dialer` setting, else manual)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=CommandParser)
    modules = []
    for info in pkgutil.iter_modules(callers.commands.__path__):
        module = importlib.import_module(f"callers.commands.{info.name}")
        if hasattr(module, "register"):
            modules.append(module)
    for module in sorted(modules, key=lambda m: (getattr(m, "ORDER", 50), m.__name__)):
        module.register(sub, common)
    return parser


def _run(argv: list[str] | None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    # The command's own work runs with the collector (callers.app holds it
    # again while a screen starts).
    collector.end_start()
    if not getattr(args, "command", None):
        from callers.commands.desk import run_desk

        return run_desk(args)
    return args.handler(args)


def main(argv: list[str] | None = None) -> int:
    with safe_output():
        return _main(argv)


def _main(argv: list[str] | None) -> int:
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
    except (peewee.DatabaseError, peewee.InterfaceError) as exc:
        if is_disk_full(exc):
            return _fail(f"disk full: {failure_cause(exc)[1]}", 2)
        return _fail(f"database error: {first_line(root_error(exc))}", 2)
    except OSError as exc:
        if is_disk_full(exc):
            return _fail(f"disk full: {exc.filename or failure_cause(exc)[1]}", 2)
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
