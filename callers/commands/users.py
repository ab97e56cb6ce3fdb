"""`callers users [add|remove]`: people and their roles."""

from __future__ import annotations

import json

from callers import access
from callers.cli import add_command, current_user, open_db
from callers.errors import CallersError

ORDER = 80


def run_users(args) -> int:
    open_db(args)
    me = getattr(args, "caller", None) or current_user()
    action = args.action or "list"
    if action == "list":
        people = access.users()
        if args.format == "json":
            print(json.dumps([{"name": p.name, "role": p.role, "department": p.department} for p in people], indent=2))
        elif not people:
            print("No users: single-user mode (whoever runs callers may do everything).")
        else:
            for p in people:
                print(f"{p.name:<24} {p.role:<11} {p.department or ''}".rstrip())
        return 0
    if not args.name:
        raise CallersError(f"`callers users {action}` needs a NAME")
    if access.single_user():
        if action == "add" and args.role != "supervisor":
            raise CallersError(
                "the first user must be a supervisor (who then adds everyone else): "
                f"callers users add {current_user()} --role supervisor"
            )
    else:
        access.require(me, "admin")
    if action == "add":
        if not args.role:
            raise CallersError("`callers users add` needs --role caller|department|supervisor|requester")
        who = access.add_user(args.name, args.role, args.department)
        line = f"{who.name} is {access.ROLE_LABELS[who.role]}" + (f" in {who.department}" if who.department else "")
        if args.login:
            from models import roles

            try:
                roles.create_login(who.name, who.role, args.password)
            except roles.RolesUnsupported as exc:
                raise CallersError(str(exc)) from None
            except ValueError as exc:
                raise CallersError(str(exc)) from None
            line += f"; database login {who.name} created (member of {roles.GROUPS[who.role]})"
        print(line)
        return 0
    if not access.remove_user(args.name):
        raise CallersError(f"no user named {args.name!r}")
    print(f"{args.name} removed")
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
                   help="PostgreSQL: also create the person's database login in their role's group")
    p.add_argument("--password", metavar="TEXT", help="with --login: set the login's password")
    p.add_argument("--as", dest="caller", metavar="NAME", help="who is doing this (default: the OS user name)")
    p.add_argument("--format", choices=["text", "json"], default="text")
