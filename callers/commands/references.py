"""`callers references`, `callers leads`, `callers reconcile`: the database at work."""

from __future__ import annotations

import argparse
import json
import os
import sys

from callers import access, csvout
from callers.errors import CallersError
from callers.invocation import acting_user, add_command, open_db
from callers.printable import data_stream

ORDER = 50

REF_ACTIONS = ("find", "use", "thanks", "thanked", "log", "browse")


def _me(args) -> str:
    return acting_user(args)


def _date(value) -> str:
    return value.date().isoformat() if value is not None else "-"


def _csv(fields, items) -> int:
    """A list as CSV on standard output (`callers.csvout`: formula-safe cells)."""
    csvout.write_dicts(data_stream(sys.stdout), fields, (i.as_dict() for i in items))
    return 0


# ---- references -------------------------------------------------------------


def run_references(args) -> int:
    from callers import references as refs

    action = args.action
    if action is None and not getattr(args, "format_given", False) and sys.stdout.isatty() \
            and not _any_filter(args):
        action = "browse"
    action = action or "find"
    if action == "thanked" and args.target is None:
        raise CallersError("`callers references thanked` needs the thank-you ID")
    if action not in ("use", "thanked") and args.target is not None:
        raise CallersError(f"unexpected {args.target!r}; actions are {', '.join(REF_ACTIONS)}")
    open_db(args)
    me = _me(args)
    access.require(me, "references")
    if action == "browse":
        from callers.app import CallersApp
        from screens.references import references_screen

        refs.criteria(args.type, args.industry, args.size, args.country, args.feature, args.state)  # checks
        filters = {"type": refs.parse_type(args.type), "state": refs.parse_state(args.state) or refs.ANY_STATE,
                   "industry": args.industry, "size": args.size, "country": args.country,
                   "features": ",".join(args.feature or [])}
        CallersApp(caller=me, first=references_screen(filters)).run()
        return 0
    return {"find": _find, "use": _use, "thanks": _thanks, "thanked": _thanked, "log": _log}[action](args, me)


def _listed(args, items: list, fields, empty: str, text) -> int:
    """A list in the format asked for: CSV (`fields`, formula-safe cells),
    JSON (each item's `as_dict()`), or text (`text(items)`; `empty` when none)."""
    if args.format == "csv":
        return _csv(fields, items)
    if args.format == "json":
        print(json.dumps([item.as_dict() for item in items], indent=2, ensure_ascii=False))
    elif not items:
        print(empty)
    else:
        text(items)
    return 0


def _one_item(args) -> None:
    """`use` and `thanked` answer with one item: no CSV."""
    if args.format == "csv":
        raise CallersError("--format csv is for lists: references find, thanks or log")


def _thanks(args, me: str) -> int:
    from callers import references as refs

    def text(owed) -> None:
        for t in owed:
            print(f"{t.id:>5}  owed since {_date(t.owed_since)}  {t.name}"
                  f"{' (' + t.external_id + ')' if t.external_id else ''}  {t.ref_type}"
                  f"{' for ' + t.prospect if t.prospect else ''}, asked by {t.requested_by}")
            if t.gift_restriction:
                print(f"       gift restriction: {t.gift_restriction}")

    return _listed(args, refs.thanks_owed(), refs.THANKS_CSV, "No thank-yous owed.", text)


def _thanked(args, me: str) -> int:
    from callers import references as refs

    _one_item(args)
    try:
        ident = int(str(args.target).strip())
    except ValueError:
        raise CallersError(f"{args.target!r} is not a thank-you id (a number from `callers references thanks`)") \
            from None
    by = args.by or me
    thanks, new = refs.mark_thanked(ident, by, logged_by=me)
    if args.format == "json":
        print(json.dumps(thanks.as_dict(), indent=2, ensure_ascii=False))
    elif new:
        print(f"Thank-you {thanks.id} to {thanks.name} marked sent by {by}.")
    else:
        print(f"Thank-you {thanks.id} to {thanks.name} was already sent on {_date(thanks.sent_at)}"
              f" by {thanks.sent_by}.")
    return 0


def _log(args, me: str) -> int:
    from callers import references as refs

    def text(lines) -> None:
        for line in lines:
            who = f"{line.customer}" if line.customer else "-"
            extra = f"  override: {line.override_reason}" if line.override_reason else ""
            if line.logged_by and line.logged_by != line.requested_by:
                extra = f", logged by {line.logged_by}{extra}"
            print(f"{line.requested_at:%Y-%m-%d %H:%M}  {line.ref_type:<13} {line.outcome or '-':<10} "
                  f"{who}  for {line.prospect or '-'}, asked by {line.requested_by}{extra}")

    return _listed(args, refs.request_log(limit=args.limit or None), refs.REQUEST_CSV, "No reference requests yet.",
                   text)


def _any_filter(args) -> bool:
    return any(getattr(args, name, None) for name in ("type", "industry", "size", "country", "feature", "state",
                                                      "prospect"))


def _find(args, me: str) -> int:
    from callers import references as refs

    crit = refs.criteria(args.type, args.industry, args.size, args.country, args.feature, args.state)
    found = refs.find(crit, limit=args.limit or None)
    if args.prospect:
        offered = next((c for c in found.candidates if not c.resting), None)
        refs.log_request(crit, args.requested_by or me, args.prospect, offered, logged_by=me)

    def text(candidates) -> None:
        print(f"{found.offered} offered, {found.total - found.offered} resting "
              f"(cap {found.cap} uses in {found.window_days} days)"
              + (f"; showing {len(candidates)}" if len(candidates) < found.total else ""))
        for n, c in enumerate(candidates, start=1):
            size = f"{c.employees:,} emp" if c.employees is not None else "size ?"
            status = f"RESTING until {_date(c.resting_until)}" if c.resting else "offered"
            print(f"{n:>3}. {c.name}  {c.external_id or ''}  {c.industry or '-'} · {size} · {c.country or '??'}"
                  f" · {c.implementation_state or 'state ?'}  [{status}]")
            print(f"     why: {'; '.join(c.why)}")
            confirmed = _date(c.confirmed_at) + (" (STALE)" if c.stale else "")
            print(f"     confirmed {confirmed}; uses in window {c.uses_in_window}; last used {_date(c.last_used)}")
            if c.features:
                print(f"     features: {', '.join(c.features)}")
            if c.condition:
                print(f"     condition: {c.condition}")
            if c.gift_restriction:
                print(f"     gift restriction: {c.gift_restriction}")
            for person in c.contacts:
                reach = ", ".join(x for x in (person.phone, person.email) if x)
                print(f"     {person.role}: {person.name}{', ' + person.title if person.title else ''}"
                      f"{'  ' + reach if reach else ''}")

    return _listed(args, found.candidates, refs.CANDIDATE_CSV, "No referenceable customer fits.", text)


def _use(args, me: str) -> int:
    from callers import references as refs

    _one_item(args)
    if not args.target:
        raise CallersError("`callers references use` needs a CUSTOMER (account id or name)")
    if not args.type:
        raise CallersError(f"`callers references use` needs --type {'|'.join(refs.REF_TYPES)}")
    logged = refs.log_use(args.target, args.type, args.prospect, args.requested_by or me,
                          override_reason=args.override, request_id=args.request, logged_by=me)
    if args.format == "json":
        print(json.dumps({
            "use_id": logged.use_id, "request_id": logged.request_id, "thank_you_id": logged.thank_you_id,
            "name": logged.customer, "external_id": logged.external_id, "type": logged.ref_type,
            "prospect": logged.prospect, "used_at": logged.used_at.isoformat(),
            "override_reason": logged.override_reason, "uses_in_window": logged.uses_in_window,
            "gift_restriction": logged.gift_restriction,
        }, indent=2, ensure_ascii=False))
        return 0
    line = (f"Logged: {logged.customer} for {logged.prospect or 'an unnamed prospect'} ({logged.ref_type}); "
            f"{logged.uses_in_window} use(s) in the window; thank-you {logged.thank_you_id} owed.")
    if logged.override_reason:
        line += f" Override: {logged.override_reason}"
    print(line)
    if logged.gift_restriction:
        print(f"Gift restriction: {logged.gift_restriction}")
    return 0


# ---- leads --------------------------------------------------------------------


def run_leads(args) -> int:
    from callers import leads

    open_db(args)
    access.require(_me(args), "supervise")
    if args.kind == "professional-services":
        items = leads.professional_services(limit=args.limit or None)
        if args.format == "csv":
            return _csv(leads.SERVICES_CSV, items)
        if args.format == "json":
            print(json.dumps([i.as_dict() for i in items], indent=2, ensure_ascii=False))
        elif not items:
            print("No stalled or not-started implementations.")
        else:
            for i in items:
                since = f"{i.days} days since {i.since_what}" if i.days is not None else f"{i.since_what} date unknown"
                print(f"{i.name}  {i.external_id or ''}  {i.implementation_state.replace('_', ' ')}: {since}")
                if i.buyer:
                    reach = ", ".join(x for x in (i.buyer.phone, i.buyer.email) if x)
                    print(f"    buyer: {i.buyer.name}{'  ' + reach if reach else ''}")
                else:
                    print("    buyer: none on file")
                if i.last_note:
                    print(f"    last note ({_date(i.last_note_at)}): {i.last_note}")
        return 0
    items = leads.beta_candidates(limit=args.limit or None)
    if args.format == "csv":
        return _csv(leads.BETA_CSV, items)
    if args.format == "json":
        print(json.dumps([i.as_dict() for i in items], indent=2, ensure_ascii=False))
    elif not items:
        print("No live, referenceable customer with features in production.")
    else:
        for n, i in enumerate(items, start=1):
            fresh = "fresh" if i.fresh else "stale"
            print(f"{n:>3}. {i.name}  {i.external_id or ''}  {i.feature_count} features ({fresh}, "
                  f"confirmed {_date(i.features_confirmed_at)}): {', '.join(i.features)}")
    return 0


# ---- reconcile ------------------------------------------------------------------


def run_reconcile(args) -> int:
    from callers import reconcile

    open_db(args)
    access.require(_me(args), "supervise")
    result = reconcile.reconcile(args.billing, mapping=reconcile.parse_map(args.map or []), link=args.link)
    from callers import value

    value.record_reconciliation(result, os.path.basename(str(args.billing)), _me(args))  # the report's "value"
    if args.format == "json":
        print(json.dumps(result.as_dict(), indent=2, ensure_ascii=False))
    elif args.format == "csv":
        csvout.write(data_stream(sys.stdout), reconcile.CSV_COLUMNS, result.csv_rows())
    else:
        for line in result.text_lines():
            print(line)
    if args.link:
        print(f"Linked {result.linked} new billing account(s); "
              f"{result.already_linked} were already linked.", file=sys.stderr)
    return 0


def register(sub, common) -> None:
    # The kinds as the CLI spells them (callers.references.REF_TYPES' keys),
    # from the shared vocabulary: registering every command on every start
    # (the desk too) must not import the references module.
    from models.tables import REFERENCE_KINDS

    REF_TYPES = [kind.replace("_", "-") for kind in REFERENCE_KINDS]
    p = add_command(
        sub, common, "references", run_references,
        "find referenceable customers (or open the references screen), log uses, thank-yous, the request log",
        example=["callers references find --industry Retail --country DACH --for 'Prospect GmbH'",
                 "callers references use ACC-0042 --type case-study --for 'Prospect GmbH'",
                 "callers references thanks --format csv"],
    )
    p.add_argument("action", nargs="?", choices=REF_ACTIONS, metavar="ACTION",
                   help="find (default when not a terminal), browse (the screen; default on a terminal "
                        "with no options), use CUSTOMER, thanks, thanked ID, log")
    p.add_argument("target", nargs="?", metavar="CUSTOMER|ID",
                   help="use: the customer's account id or name; thanked: the thank-you id")
    p.add_argument("--type", metavar="T", help=f"kind of reference: {', '.join(REF_TYPES)}")
    p.add_argument("--industry", metavar="I", help="industry (any case)")
    p.add_argument("--size", metavar="MIN-MAX", help="employees: 100-500, 1000- (at least), -50 (at most)")
    p.add_argument("--country", metavar="CC", help="country code or name, or a region (EMEA, APAC, AMER, "
                                                    "DACH, Nordics, EU...); comma lists allowed")
    p.add_argument("--feature", metavar="F", nargs="+", action="extend",
                   help="features in production (at least one; more matched ranks higher)")
    p.add_argument("--state", metavar="S", help="implementation state (default live; any for all)")
    p.add_argument("--for", dest="prospect", metavar="PROSPECT",
                   help="who the reference is for (find: logs the request; use: recorded with the use)")
    p.add_argument("--requested-by", metavar="NAME", help="who asked (default: --as, else the OS user)")
    p.add_argument("--override", metavar="REASON", help="use: use a resting customer anyway, for this reason")
    p.add_argument("--request", type=int, metavar="ID", help="use: the logged request this use answers")
    p.add_argument("--by", metavar="NAME", help="thanked: who sent it (default: --as, else the OS user)")
    p.add_argument("--limit", type=int, default=50, metavar="N", help="most rows listed (default 50; 0: all)")
    p.add_argument("--format", choices=["text", "json", "csv"], default=None,
                   help="csv: for find, thanks and log")
    p.add_argument("--as", dest="caller", metavar="NAME", default=argparse.SUPPRESS,
                   help="who is asking (default: the OS user name)")
    p.set_defaults(handler=_with_format(run_references))

    p = add_command(sub, common, "leads", run_leads,
                    "professional-services leads (stalled or not started) and beta-site candidates",
                    example=["callers leads professional-services", "callers leads beta --format csv"])
    p.add_argument("kind", choices=["professional-services", "beta"])
    p.add_argument("--limit", type=int, default=0, metavar="N", help="most rows listed (default: all)")
    p.add_argument("--format", choices=["text", "json", "csv"], default="text")
    p.add_argument("--as", dest="caller", metavar="NAME", default=argparse.SUPPRESS,
                   help="who is asking (default: the OS user name)")

    p = add_command(sub, common, "reconcile", run_reconcile,
                    "match a billing system's account export against the customers: matched, unbilled, "
                    "unknown, ambiguous",
                    example=["callers reconcile billing.csv", 'callers reconcile --map "Konto=id" konten.csv',
                             "callers reconcile billing.csv --format csv --link"])
    p.add_argument("billing", metavar="BILLING.csv")
    p.add_argument("--format", choices=["text", "json", "csv"], default="text")
    p.add_argument("--map", metavar="COLUMN=FIELD", action="append",
                   help="read COLUMN as FIELD (repeatable), e.g. --map \"Konto=id\"; "
                   "fields: id, name, plan, amount, status, ignore")
    p.add_argument("--link", action="store_true", help="store the matched billing ids (changes nothing else)")
    p.add_argument("--as", dest="caller", metavar="NAME", default=argparse.SUPPRESS,
                   help="who is asking (default: the OS user name)")


def _with_format(handler):
    """Remember whether --format was given, then default it to text."""

    def run(args) -> int:
        args.format_given = args.format is not None
        args.format = args.format or "text"
        return handler(args)

    return run
