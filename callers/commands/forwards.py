"""`callers forwards`, `callers queue DEPARTMENT`, `callers departments`."""

from __future__ import annotations

import argparse
import json
import sys

from callers import access, csvout, departments, forwards, webhooks
from callers.errors import CallersError
from callers.invocation import acting_user, add_command, open_db
from callers.forwards import as_json
from callers.printable import data_stream

ORDER = 30


def _me(args) -> str:
    return acting_user(args)


# `callers forwards --format csv`: the JSON keys, in order.
CSV_FIELDS = ("id", "customer", "customer_id", "external_id", "contact", "phone", "department", "assignee",
              "note", "status", "caller", "created_at", "acknowledged_at", "acknowledged_by", "resolved_at",
              "resolved_by", "resolution")


def _department_of(forward_id: int) -> str:
    return forwards.get(forward_id).department


def run_forwards(args) -> int:
    open_db(args)
    me = _me(args)
    if args.action is None:
        if args.id is not None:
            raise CallersError("give an action before the id: callers forwards done|ack|return ID")
        dept = departments.department(args.department).name if args.department else None
        if dept is None:  # a department member's listing is their department's
            dept = access.person(me).department
        access.require(me, "forwards", dept)
        items = forwards.listing(dept, args.status)
        if args.format == "csv":
            csvout.write_dicts(data_stream(sys.stdout), CSV_FIELDS, (as_json(i) for i in items))
            return 0
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
            if i.resolution and i.status in forwards.FINISHED:
                print(f"       {forwards.STATUS_LABELS[i.status]}: {i.resolution} ({i.resolved_by})")
        return 0
    if args.id is None:
        raise CallersError(f"`callers forwards {args.action}` needs the forward's ID")
    # The role first: only those who may see forwards look one up.
    access.require(me, "forwards", access.person(me).department)
    if args.action == "send":
        return _send_on(args, me)
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


def _send_on(args, me: str) -> int:
    """`callers forwards send ID --department D`: a returned forward goes on (supervisors)."""
    access.require(me, "supervise")
    if not args.department:
        raise CallersError("`callers forwards send ID` needs --department D (where the forward goes now)")
    sent = forwards.send_on(args.id, args.department, me, note=args.note)
    print(f"Forward {sent.id} sent on from {sent.from_department}: {sent.message}")
    return 0


def run_queue(args) -> int:
    open_db(args)
    me = _me(args)
    dept = departments.department(args.department)
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
        added = departments.add_department(args.name, key=args.key, kind=args.kind)
        key = f" on {added.key.upper()}" if added.key else " (no desk key)"
        print(f"Department {added.name} added{key}")
        return 0
    if args.action == "set":
        return _set_webhook(args)
    if args.action == "hooks":
        return _hooks(args)
    if args.name:
        raise CallersError("to add a department: callers departments add NAME [--key F8]")
    items = departments.departments()
    # Webhook URLs are secrets (a Slack or Teams URL is its own key): only
    # supervisors see where they point.
    see_hooks = access.allowed(access.person(_me(args)), "supervise")
    hooks = webhooks.hooks() if see_hooks else {}
    if args.format == "json":
        print(json.dumps([{"id": d.id, "name": d.name, "kind": d.kind, "key": d.key,
                           **({"webhook": _hook_json(hooks.get(d.id))} if see_hooks else {})} for d in items],
                         indent=2, ensure_ascii=False))
        return 0
    for d in items:
        hook = hooks.get(d.id)
        line = f"{(d.key or '-').upper():<4} {d.name:<30} {d.kind}"
        if hook:
            line = f"{line:<56} webhook {hook.shown}" + (" (signed)" if hook.signed else "")
        print(line)
    return 0


def _hook_json(hook: webhooks.Hook | None) -> dict | None:
    return None if hook is None else {"url": hook.shown, "signed": hook.signed}


def _set_webhook(args) -> int:
    """`callers departments set NAME --webhook URL [--secret S]`, `--no-webhook`."""
    me = _me(args)
    if not args.name:
        raise CallersError("`callers departments set` needs the department's NAME")
    access.require(me, "admin")
    if args.no_webhook and args.webhook is not None:
        raise CallersError("give --webhook URL or --no-webhook, not both")
    url = "" if args.no_webhook else args.webhook
    secret = args.secret
    if url is None and secret is None:
        raise CallersError("say what to set: --webhook URL [--secret S], --secret S, or --no-webhook")
    if url == "" and secret:
        raise CallersError("--secret goes with a webhook; removing the webhook removes its secret too")
    if secret == "-":
        secret = sys.stdin.readline().rstrip("\r\n")
        if not secret:
            raise CallersError("--secret -: no secret on standard input (an empty line)")
    dept = departments.department(args.name)
    hook, dropped = webhooks.set_hook(dept.id, url, me, secret=secret)
    if hook is None:
        waiting = f"; {dropped} undelivered event(s) dropped" if dropped else ""
        print(f"{dept.name} has no webhook now{waiting}")
    else:
        signed = "signed with its secret (X-Callers-Signature)" if hook.signed else "not signed (no --secret)"
        print(f"{dept.name}: forward events are POSTed to {hook.url}, {signed}")
    return 0


def _waiting_json(w: webhooks.Waiting) -> dict:
    return {"id": w.id, "delivery_id": w.delivery_id, "department": w.department, "url": w.url,
            "event": w.event, "forward_id": w.forward_id, "event_id": w.event_id, "state": w.state,
            "created_at": w.created_at.isoformat(), "attempts": w.attempts,
            "last_attempt_at": w.last_attempt_at.isoformat() if w.last_attempt_at else None,
            "next_attempt_at": w.next_attempt_at.isoformat(), "last_error": w.last_error}


def _hooks(args) -> int:
    """`callers departments hooks [--retry] [--format json]`: what waits; deliver what is due."""
    access.require(_me(args), "supervise")
    if args.name:
        raise CallersError("`callers departments hooks` takes no NAME: it shows every department's deliveries")
    if args.retry:
        run = webhooks.deliver_due()
        if args.format == "json":
            print(json.dumps({"delivered": run.delivered, "failed": run.failed, "waiting": run.waiting,
                              "failing": run.failing}, indent=2))
        else:
            print(f"delivered {run.delivered}, failed {run.failed}; still waiting {run.waiting} "
                  f"({run.failing} failing)")
        if run.failing:
            print(f"callers: {run.failing} webhook event(s) still failing: "
                  "`callers departments hooks` shows why", file=sys.stderr)
            return 1
        return 0
    items = webhooks.pending()
    if args.format == "json":
        print(json.dumps([_waiting_json(w) for w in items], indent=2, ensure_ascii=False))
        return 0
    if not items:
        print("No webhook events waiting.")
        return 0
    department = None
    for w in items:
        if w.department != department:
            department = w.department
            count = sum(1 for i in items if i.department == department)
            print(f"{department} → {w.url}: {count} waiting")
        line = (f"  #{w.id:<6} {w.event:<12} forward {w.forward_id:<6} queued "
                f"{w.created_at:%Y-%m-%d %H:%M:%S}  {w.state}")
        if w.state == "failing":
            line += (f": {w.attempts} attempt(s), last {w.last_attempt_at:%H:%M:%S}: {w.last_error}; "
                     f"next {w.next_attempt_at:%H:%M:%S}")
        print(line)
    return 0


def register(sub, common) -> None:
    p = add_command(sub, common, "forwards", run_forwards,
                    "list forwards, or acknowledge / mark done / return one, or send a returned one on",
                    example=["callers forwards --department Billing --status open --format csv",
                             'callers forwards done 42 --note "refund sent"',
                             "callers forwards send 42 --department Support"])
    p.add_argument("action", nargs="?", choices=["ack", "done", "return", "send"],
                   help="ack, done (with --note), return (with --reason), or send a returned forward on "
                   "(with --department, supervisors); none: list")
    p.add_argument("id", nargs="?", type=int, metavar="ID", help="the forward's id")
    p.add_argument("--department", metavar="D",
                   help="list: only this department (name or kind); send: the department it goes to")
    p.add_argument("--status", metavar="S",
                   help="only this status: open, acknowledged, done, returned, withdrawn, pending")
    p.add_argument("--format", choices=["text", "json", "csv"], default="text",
                   help="csv and json: for the list")
    p.add_argument("--note", metavar="TEXT",
                   help="done: the one-line resolution note; send: an optional line for the new department")
    p.add_argument("--reason", metavar="TEXT", help="return: why it is not ours")
    p.add_argument("--as", dest="caller", metavar="NAME", default=argparse.SUPPRESS,
                   help="who acts (default: the OS user name)")

    q = add_command(sub, common, "queue", run_queue, "open a department's queue of forwarded problems",
                    example=["callers queue Billing", 'callers queue "Account management" --assignee "Ana Ruiz"'])
    q.add_argument("department", metavar="DEPARTMENT", help="e.g. Billing, Support, 'Account management'")
    q.add_argument("--assignee", metavar="NAME", help="account management: one account manager's forwards")
    q.add_argument("--as", dest="caller", metavar="NAME", default=argparse.SUPPRESS,
                   help="who works the queue (default: the OS user name)")

    d = add_command(sub, common, "departments", run_departments,
                    "list the departments forwards go to, with their desk keys and webhooks; add one; "
                    "set a webhook; show or retry webhook deliveries",
                    example=["callers departments", "callers departments add Legal --key f8",
                             "callers departments set Billing --webhook https://hooks.example/billing --secret -",
                             "callers departments hooks --retry"])
    d.add_argument("action", nargs="?", choices=["list", "add", "set", "hooks"], default="list",
                   help="list; add NAME; set NAME --webhook URL; hooks [--retry]")
    d.add_argument("name", nargs="?", metavar="NAME")
    d.add_argument("--key", metavar="F8", help="the desk key that forwards to it (F1-F4 and F9-F12 are the desk's)")
    d.add_argument("--kind", choices=list(departments.KINDS), default="other",
                   help="account_manager: forwards go to the customer's account manager")
    d.add_argument("--webhook", metavar="URL",
                   help="set: POST every forward event of the department to this http(s) URL ('' removes it)")
    d.add_argument("--no-webhook", action="store_true",
                   help="set: remove the webhook (and drop the events still waiting for it)")
    d.add_argument("--secret", metavar="S",
                   help="set: sign each POST with HMAC-SHA256 of this secret ('-' reads it from standard "
                   "input; '' stops signing)")
    d.add_argument("--retry", action="store_true",
                   help="hooks: deliver what is due now (for cron); exit 1 while some still fail")
    d.add_argument("--format", choices=["text", "json"], default="text")
    d.add_argument("--as", dest="caller", metavar="NAME", default=argparse.SUPPRESS,
                   help="who does it (default: the OS user name; must be a supervisor once users exist)")
