"""`callers next`: who the desk would show now, for scripts and dialers."""

from __future__ import annotations

import json

from callers.invocation import acting_user, add_command, open_db

ORDER = 12


def as_json(found, now) -> dict | None:
    """The JSON shape of `callers next` (None: nobody is due)."""
    if found is None:
        return None
    contact = found.contact
    return {
        "customer": {"id": found.id, "external_id": found.external_id, "name": found.name},
        "contact": None if contact is None else {
            "name": contact.name,
            "phone": contact.phone,
            "timezone": contact.timezone,
            "local_time": contact.local_time(now).isoformat(timespec="seconds"),
        },
        "reason": found.reason,
        "due_since": found.due_since.isoformat(timespec="seconds") if found.due_since else None,
    }


def as_text(found, now, caller: str) -> str:
    from callers import due

    if found is None:
        return due.nobody_due_message(now)
    lines = [f"{found.name}  ({found.external_id or 'no account id'}, id {found.id})",
             f"due: {found.reason}" + (f" since {found.due_since:%Y-%m-%d %H:%M} UTC" if found.due_since else "")]
    contact = found.contact
    if contact is None:
        lines.append("no callable contact")
    else:
        role = contact.role + (f", {contact.title}" if contact.title else "")
        lines.append(f"call: {contact.name} ({role})")
        lines.append(f"      {contact.phone_international}   national {contact.phone_national}")
        lines.append(f"      their time {contact.local_time(now):%a %H:%M} ({contact.timezone or 'zone unknown'})")
    if found.claimed_until:
        lines.append(f"held for {caller} until {found.claimed_until:%H:%M} UTC")
    return "\n".join(lines)


def run(args) -> int:
    from callers import clock, due

    open_db(args)
    caller = acting_user(args)
    from callers import access

    access.require(caller, "call")
    now = clock.now()
    found = due.next_due(caller, now=now, claim=bool(args.claim))
    if args.format == "json":
        print(json.dumps(as_json(found, now), ensure_ascii=False))
    else:
        print(as_text(found, now, caller))
    return 0


def register(sub, common) -> None:
    p = add_command(sub, common, "next", run,
                    "print the next due customer (what the desk would show), as text or JSON",
                    example=["callers next", "callers next --claim --format json"])
    p.add_argument("--as", dest="caller", metavar="NAME", help="who is calling (default: the OS user name)")
    p.add_argument("--claim", action="store_true",
                   help="hold the customer for this caller for the claim lease (default 15 minutes)")
    p.add_argument("--format", choices=("text", "json"), default="text", help="output format (default text)")
