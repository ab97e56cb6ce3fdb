"""`callers forwards`, `callers queue DEPARTMENT`, `callers departments`."""

from __future__ import annotations

import argparse
import json

from callers import access, forwards
from callers.cli import acting_user, add_command, open_db
from callers.errors import CallersError

ORDER = 30


def _me(args) -> str:
    return acting_user(args)


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def as_json(item: forwards.QueueItem) -> dict:
    return {
        "id": item.id,
        "customer": item.customer,
        "customer_id": item.customer_id,
        "external_id": item.external_id,
        "contact": item.contact,
        "phone": item.phone or None,
        "department": item.department,
        "assignee": item.assignee,
        "note": item.note,
        "status": item.status,
        "caller": item.caller,
        "created_at": _iso(item.created_at),
        "acknowledged_at": _iso(item.acknowledged_at),
        "acknowledged_by": item.acknowledged_by,
        "resolved_at": _iso(item.resolved_at),
        "resolved_by": item.resolved_by,
        "resolution": item.resolution,
    }


def _department_of(forward_id: int) -> str:
    return forwards.get(forward_id).department


def run_forwards(args) -> int:
    open_db(args)
    me = _me(args)
    if args.action is None:
        if args.id is not None:
            raise CallersError("give an action before the id: callers forwards done|ack|return ID")
        dept = forwards.department(args.department).name if args.department else None
        if dept is None:  # a department member's listing is their department's
            dept = access.person(me).department
        access.require(me, "forwards", dept)
        items = forwards.listing(dept, args.status)
        if args.format == "json":
            print(json.dumps([as_json(i) for i in items], indent=2, ensure_ascii=False))
            return 0
        if not items:
            print("No forwards.")
            return 0
        for i in items:
            who_for = f" → {i.assignee}" if i.assignee else ""
            line = (f"#{i.id:<5} {i.created_at:%Y-%m-%d %H:%M}  {forwards.STATUS_LABELS[i.status]:<12} "
                    f"{i.department}{who_for}  {i.customer}")
            if i.contact:
                line += f", {i.contact} {i.phone}".rstrip()
            line += f"  ({i.caller})"
            print(line)
            if i.note:
                print(f"       note: {i.note}")
            if i.resolution and i.status in ("done", "returned"):
                print(f"       {forwards.STATUS_LABELS[i.status]}: {i.resolution} ({i.resolved_by})")
        return 0
    if args.id is None:
        raise CallersError(f"`callers forwards {args.action}` needs the forward's ID")
    # The role first: only those who may see forwards look one up.
    access.require(me, "forwards", access.person(me).department)
    access.require(me, "forwards", _department_of(args.id))
    if args.action == "ack":
        forwards.acknowledge(args.id, me)
        print(f"Forward {args.id} acknowledged by {me}")
    elif args.action == "done":
        if args.note is None:
            raise CallersError("`callers forwards done ID` needs --note TEXT (the one-line resolution)")
        forwards.done(args.id, me, args.note)
        print(f"Forward {args.id} done: {forwards.get(args.id).resolution}")
    elif args.action == "return":
        if args.reason is None:
            raise CallersError("`callers forwards return ID` needs --reason TEXT")
        forwards.return_(args.id, me, args.reason)
        print(f"Forward {args.id} returned as not ours, back to the supervisor")
    return 0


def run_queue(args) -> int:
    open_db(args)
    me = _me(args)
    dept = forwards.department(args.department)
    access.require(me, "queue", dept.name)
    from callers.app import CallersApp
    from screens.queue import QueueScreen

    CallersApp(caller=me, first=lambda user: QueueScreen(dept.name, user, assignee=args.assignee)).run()
    return 0


def run_departments(args) -> int:
    open_db(args)
    if args.action == "add":
        if not args.name:
            raise CallersError("`callers departments add` needs a NAME")
        access.require(_me(args), "admin")
        added = forwards.add_department(args.name, key=args.key, kind=args.kind)
        key = f" on {added.key.upper()}" if added.key else " (no desk key)"
        print(f"Department {added.name} added{key}")
        return 0
    if args.name:
        raise CallersError("to add a department: callers departments add NAME [--key F8]")
    items = forwards.departments()
    if args.format == "json":
        print(json.dumps([{"id": d.id, "name": d.name, "kind": d.kind, "key": d.key} for d in items],
                         indent=2, ensure_ascii=False))
        return 0
    for d in items:
        print(f"{(d.key or '-').upper():<4} {d.name:<30} {d.kind}")
    return 0


def register(sub, common) -> None:
    p = add_command(sub, common, "forwards", run_forwards,
                    "list forwards, or acknowledge / mark done / return one (for scripting)")
    p.add_argument("action", nargs="?", choices=["ack", "done", "return"],
                   help="ack, done (with --note) or return (with --reason); none: list")
    p.add_argument("id", nargs="?", type=int, metavar="ID", help="the forward's id")
    p.add_argument("--department", metavar="D", help="only this department (name or kind)")
    p.add_argument("--status", metavar="S",
                   help="only this status: open, acknowledged, done, returned, withdrawn, pending")
    p.add_argument("--format", choices=["text", "json"], default="text")
    p.add_argument("--note", metavar="TEXT", help="done: the one-line resolution note")
    p.add_argument("--reason", metavar="TEXT", help="return: why it is not ours")
    p.add_argument("--as", dest="caller", metavar="NAME", default=argparse.SUPPRESS,
                   help="who acts (default: the OS user name)")

    q = add_command(sub, common, "queue", run_queue, "open a department's queue of forwarded problems")
    q.add_argument("department", metavar="DEPARTMENT", help="e.g. Billing, Support, 'Account management'")
    q.add_argument("--assignee", metavar="NAME", help="account management: one account manager's forwards")
    q.add_argument("--as", dest="caller", metavar="NAME", default=argparse.SUPPRESS,
                   help="who works the queue (default: the OS user name)")

    d = add_command(sub, common, "departments", run_departments,
                    "list the departments forwards go to, with their desk keys, or add one")
    d.add_argument("action", nargs="?", choices=["list", "add"], default="list")
    d.add_argument("name", nargs="?", metavar="NAME")
    d.add_argument("--key", metavar="F8", help="the desk key that forwards to it (F1-F4 and F9-F12 are the desk's)")
    d.add_argument("--kind", choices=list(forwards.KINDS), default="other",
                   help="account_manager: forwards go to the customer's account manager")
    d.add_argument("--format", choices=["text", "json"], default="text")
    d.add_argument("--as", dest="caller", metavar="NAME", default=argparse.SUPPRESS,
                   help="who adds it (default: the OS user name; must be a supervisor once users exist)")
