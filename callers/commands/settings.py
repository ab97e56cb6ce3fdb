"""`callers settings [nps on|off]`: the company's settings, and the one
optional question (NPS) turned on or off."""

from __future__ import annotations

import json

from callers import access, settings
from callers.cli import acting_user, add_command, open_db
from callers.errors import CallersError

ORDER = 85
SWITCHES = {"on": True, "off": False}


def run_settings(args) -> int:
    open_db(args)
    who = acting_user(args)
    if args.name is None:
        access.require(who, "supervise")
        values = settings.get_all()
        if args.format == "json":
            print(json.dumps(values, indent=2))
        else:
            for key, value in values.items():
                shown = ("on" if value else "off") if isinstance(value, bool) else value
                print(f"{key:<24} {shown}")
        return 0
    if args.name != "nps":
        raise CallersError(f"unknown setting {args.name!r}; `callers settings nps on|off` is the one set here")
    if args.value is None:
        access.require(who, "supervise")
        print("nps " + ("on" if settings.get("nps") else "off"))
        return 0
    value = args.value.strip().lower()
    if value not in SWITCHES:
        raise CallersError(f"nps is on or off, not {args.value!r}")
    access.require(who, "admin")
    settings.put("nps", SWITCHES[value])
    print("nps " + value + (": the desk asks one 0-10 \"would you recommend us\" at the end of the words step"
                            if SWITCHES[value] else ": the desk does not ask it"))
    return 0


def register(sub, common) -> None:
    p = add_command(sub, common, "settings", run_settings,
                    "show the company's settings; turn the optional recommendation question (NPS) on or off",
                    example=["callers settings", "callers settings nps on"])
    p.add_argument("name", nargs="?", metavar="NAME", help="nps")
    p.add_argument("value", nargs="?", metavar="on|off")
    p.add_argument("--as", dest="caller", metavar="NAME",
                   help="who is doing this (SQLite; on PostgreSQL the connection's login decides)")
    p.add_argument("--format", choices=["text", "json"], default="text")
