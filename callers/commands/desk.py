"""`callers` and `callers desk`: open the caller's desk."""

from __future__ import annotations

import argparse

from callers.invocation import acting_user, add_command, open_db

ORDER = 10


def run_desk(args) -> int:
    open_db(args)
    from callers import access
    from callers.app import CallersApp, Desk

    caller = acting_user(args)
    access.require(caller, "call")
    dialer = _dialer(args, caller)
    CallersApp(caller=caller, first=Desk(dialer)).run()
    return 0


def _dialer(args, caller: str):
    """The dialler that F2 places calls through, None for manual. A bad URL
    stops here with one line naming what is wrong and where it came from."""
    from callers.commands.dial import chosen, dialer_for

    dialer = dialer_for(chosen(args, caller))
    return dialer if dialer.places_calls else None


def register(sub, common) -> None:
    p = add_command(sub, common, "desk", run_desk, "open the caller's desk (the default)",
                    example=["callers", "callers --demo", "callers desk --db postgresql://me@db.example/callers"])
    p.add_argument("--as", dest="caller", metavar="NAME", help="who is calling (default: the OS user name)")
    p.add_argument("--dialer", metavar="URL", default=argparse.SUPPRESS,
                   help="F2 dials through it: manual, tel, baresip://HOST:PORT?to=sip:{number}@PROXY, "
                   "ami://USER:SECRET@HOST:5038?channel=PJSIP/{extension}&context=... "
                   "(default: $CALLERS_DIALER, else your `callers dialer` setting, else manual)")
