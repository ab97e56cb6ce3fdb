"""`callers users [list|add|remove]`: people, their roles and (PostgreSQL) their logins."""

from __future__ import annotations

import getpass
import json
import sys

from callers import access
from callers.errors import CallersError
from callers.invocation import acting_user, add_command, current_user, open_db

ORDER = 80


def _password(args) -> str | None:
    """--password, else (with --login on PostgreSQL, on a terminal, for a
    name that can be a login) asked for twice."""
    from models import engine, roles

    if args.password is not None or not args.login or not sys.stdin.isatty() or not engine.supports_logins():
        return args.password
    try:
        roles.check_login_name(args.name.strip())
    except ValueError:
        return None  # refused with the reason by access.add_user, before anything is asked
    first = getpass.getpass(f"password for the login {args.name.strip()} (empty: none): ")
    if first and getpass.getpass("the same again: ") != first:
        raise CallersError("the two passwords differ; nothing was saved")
    return first or None


def run_users(args) -> int:
    open_db(args)
    action = args.action or "list"
    if access.single_user():
        if action == "add" and args.name and args.role != "supervisor":
            raise CallersError(
                "the first user must be a supervisor (who then adds everyone else): "
                f"callers users add {current_user()} --role supervisor"
            )
    else:
        me = access.person(acting_user(args))  # every command once users exist: a user
        if action != "list":
            access.require(me.name, "admin")
    if action == "list":
        people = access.users()
        if args.format == "json":
            print(json.dumps([{"name": p.name, "role": p.role, "department": p.department, "login": p.login}
                              for p in people], indent=2, ensure_ascii=False))
        elif not people:
            print("No users: single-user mode (whoever runs callers may do everything).")
        else:
            for p in people:
                login = f"login {p.login}" if p.login else ""
                print(f"{p.name:<24} {p.role:<11} {p.department or '':<20} {login}".rstrip())
        return 0
    if args.name is None:
        raise CallersError(f"`callers users {action}` needs a NAME")
    if action == "add":
        if not args.role:
            raise CallersError("`callers users add` needs --role caller|department|supervisor|requester")
        if args.password is not None and not args.login:
            raise CallersError("--password goes with --login (it is the database login's password)")
        who = access.add_user(args.name, args.role, args.department, login=args.login,
                              password=_password(args))
        line = f"{who.name} is {access.ROLE_LABELS[who.role]}" + (f" in {who.department}" if who.department else "")
        if args.login:
            from models.roles import GROUPS

            line += f"; database login {who.login} (member of {GROUPS[who.role]})"
        print(line)
        return 0
    name = access.check_name(args.name)
    if not access.remove_user(name):
        raise CallersError(f"no user named {name!r}")
    print(f"{name} removed")
    return 0


def register(sub, common) -> None:
    p = add_command(sub, common, "users", run_users,
                    "list, add or remove the people who use callers, and their roles",
                    example=["callers users add ana --role supervisor", "callers users add ben --role caller"])
    p.add_argument("action", nargs="?", choices=["list", "add", "remove"], help="default: list")
    p.add_argument("name", nargs="?", metavar="NAME")
    p.add_argument("--role", choices=list(access.ROLES))
    p.add_argument("--department", metavar="NAME", help="the department of a department member")
    p.add_argument("--login", action="store_true",
                   help="PostgreSQL: also create the person's database login, named as they are, in their "
                   "role's group (together with the user, or neither)")
    p.add_argument("--password", metavar="TEXT",
                   help="with --login: the login's password (asked for on a terminal when left out)")
    p.add_argument("--as", dest="caller", metavar="NAME",
                   help="who is doing this (SQLite; on PostgreSQL the connection's login decides)")
    p.add_argument("--format", choices=["text", "json"], default="text")
