"""`callers` and `callers desk`: open the caller's desk."""

from __future__ import annotations

from callers.invocation import acting_user, add_command, open_db

ORDER = 10


def run_desk(args) -> int:
    open_db(args)
    from callers import access
    from callers.app import CallersApp

    caller = acting_user(args)
    access.require(caller, "call")
    CallersApp(caller=caller).run()
    return 0


def register(sub, common) -> None:
    p = add_command(sub, common, "desk", run_desk, "open the caller's desk (the default)",
                    example=["callers", "callers --demo", "callers desk --db postgresql://me@db.example/callers"])
    p.add_argument("--as", dest="caller", metavar="NAME", help="who is calling (default: the OS user name)")
