"""`callers report` (the supervisor's figures as text, JSON or CSV) and
`callers supervisor` (the live dashboard)."""

from __future__ import annotations

import argparse
import json
import sys

from callers import access
from callers.invocation import acting_user, add_command, open_db
from callers.printable import data_stream

ORDER = 40


def _who(args) -> str:
    return acting_user(args)


def run_report(args) -> int:
    open_db(args)
    from callers import report

    access.require(_who(args), "supervise")
    if args.what == "features":
        rows, live = report.feature_figures()
        if args.format == "json":
            print(json.dumps({"live_customers": live, "features": [
                {"name": f.name, "customers": f.customers, "share": f.share} for f in rows]}, indent=2))
        elif args.format == "csv":
            data_stream(sys.stdout).write(report.features_csv(rows))
        else:
            print(report.features_text(rows, live), end="")
        return 0
    period = report.parse_period(args.since, args.until)
    figures = report.build(period)
    if args.format == "json":
        print(report.to_json(figures))
    elif args.format == "csv":
        data_stream(sys.stdout).write(report.to_csv(figures))
    else:
        print(report.to_text(figures), end="")
    return 0


def run_supervisor(args) -> int:
    open_db(args)
    who = _who(args)
    access.require(who, "supervise")
    from callers.app import CallersApp
    from screens.supervisor import SupervisorScreen

    CallersApp(caller=who, first=lambda user: SupervisorScreen(user=user, period=args.period)).run()
    return 0


def register(sub, common) -> None:
    p = add_command(sub, common, "report", run_report,
                    "the supervisor's figures (departments, coverage, calls, freshness) for e-mail or spreadsheets",
                    example=["callers report --since 2026-11-01 --until 2026-11-30",
                             "callers report --format csv > figures.csv", "callers report features"])
    p.add_argument("what", nargs="?", choices=["features"],
                   help="features: only the features in production, among live customers")
    p.add_argument("--since", metavar="DATE", help="first day (YYYY-MM-DD, UTC) or an ISO time; default 30 days ago")
    p.add_argument("--until", metavar="DATE", help="last day, included (YYYY-MM-DD, UTC), or an ISO time "
                   "(excluded); default now")
    p.add_argument("--format", choices=["text", "json", "csv"], default="text")
    p.add_argument("--as", dest="caller", metavar="NAME", default=argparse.SUPPRESS,
                   help="who is asking (default: the OS user name)")
    s = add_command(sub, common, "supervisor", run_supervisor,
                    "the supervisor's live dashboard: departments, coverage, calls, freshness, what the calls found",
                    example=["callers supervisor", "callers supervisor --period 7"])
    s.add_argument("--period", choices=["today", "7", "30", "90"], default="30",
                   help="the period shown first (keys t, 7, 3, 9 change it); default 30 days")
    s.add_argument("--as", dest="caller", metavar="NAME", default=argparse.SUPPRESS,
                   help="who is watching (default: the OS user name)")
