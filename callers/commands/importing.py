"""`callers import FILE` and `callers export customers|contacts|calls|forwards`."""

from __future__ import annotations

import json
import sys
import time

from callers.invocation import acting_user, add_command, open_db, output_path
from callers.printable import unwrap

ORDER = 20

# A progress bar only for files this big (a few thousand rows) on a terminal.
PROGRESS_BYTES = 256 * 1024


def _progress_factory(bars: list):
    """A progress callback on stderr, or None when stderr is not a terminal.
    Bars started are appended to `bars` so the caller can always stop them."""
    if not sys.stderr.isatty():
        return None

    def factory(table):
        if table.size < PROGRESS_BYTES:
            return None
        from rich.console import Console
        from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

        progress = Progress(
            TextColumn("importing"), BarColumn(), TextColumn("{task.percentage:>3.0f}%"),
            TextColumn("{task.fields[rows]:,} rows, {task.fields[rate]:,.0f} rows/s"),
            # The terminal's own stream: the bar's escape sequences are ours, not data.
            TimeRemainingColumn(), console=Console(file=unwrap(sys.stderr)), transient=True,
        )
        task = progress.add_task("import", total=max(1, table.size), rows=0, rate=0.0)
        started = time.perf_counter()
        progress.start()
        bars.append(progress)

        def update(rows: int) -> None:
            done = table.bytes_read
            elapsed = max(1e-6, time.perf_counter() - started)
            progress.update(task, completed=min(done, table.size), rows=rows, rate=rows / elapsed)
            if done >= table.size:
                progress.stop()

        return update

    return factory


def run_import(args) -> int:
    from callers import access, importer

    open_db(args, create=True)
    access.require(acting_user(args), "admin")
    bars: list = []
    factory = None if args.json else _progress_factory(bars)
    try:
        result = importer.import_file(args.file, region=args.region, maps=args.map or (),
                                      dry_run=args.dry_run, rejects_path=args.rejects,
                                      progress=factory)
    finally:
        for bar in bars:
            bar.stop()
    if args.json:
        print(json.dumps(result.as_json()))
        return 0
    print(result.summary(args.file))
    for reason, count in result.reasons.most_common(10):
        print(f"  {count:>7,}  {reason}")
    if len(result.reasons) > 10:
        print(f"  ... and {len(result.reasons) - 10} other reasons")
    if result.rejects_file:
        print(f"Rejected rows, with a reason column: {result.rejects_file}")
    return 0


def run_export(args) -> int:
    from callers import access, export

    open_db(args)
    access.require(acting_user(args), "admin")
    path = output_path(args.output)
    count = export.export(args.what, args.format, path)
    if path is not None:
        print(f"{count:,} {args.what} written to {path}", file=sys.stderr)
    return 0


def register(sub, common) -> None:
    p = add_command(sub, common, "import", run_import,
                    "import customers and contacts from a support-desk or CRM export (CSV), "
                    "or a customer list (callers export customers)",
                    example=["callers import contacts.csv --region DE",
                             'callers import kunden.csv --map "Firma=customer" --map "Telefon=phone"',
                             "callers import contacts.csv --dry-run --rejects rejects.csv"])
    p.add_argument("file", metavar="FILE", help="the export: Zendesk, Freshdesk, HubSpot, "
                   "Salesforce, or any CSV with account/contact columns")
    p.add_argument("--region", metavar="CC",
                   help="country for numbers written without +country code when the row has none "
                   "(e.g. DE, US, Germany)")
    p.add_argument("--map", metavar="COLUMN=FIELD", action="append",
                   help="read COLUMN as FIELD (repeatable), e.g. --map \"Firma=customer\"; "
                   "fields: customer, external_id, name, first_name, last_name, title, role, "
                   "phone, extension, mobile, alt_extension, email, country, industry, employees, "
                   "account_manager, do_not_call, customer_do_not_call, contact_id, tags, "
                   "implementation_state, referenceability, ignore")
    p.add_argument("--dry-run", action="store_true",
                   help="report what would happen; write nothing to the database")
    p.add_argument("--rejects", metavar="PATH",
                   help="write the rejected rows, as they were, plus a reason column, to PATH")
    p.add_argument("--json", action="store_true", help="print one JSON object with the counts")
    p.add_argument("--as", dest="caller", metavar="NAME", help="who is importing (default: the OS user name)")

    p = add_command(sub, common, "export", run_export,
                    "export customers, contacts, calls or forwards as CSV or JSON",
                    example=["callers export contacts -o contacts.csv", "callers export customers --format json"])
    p.add_argument("what", choices=["customers", "contacts", "calls", "forwards"])
    p.add_argument("--format", choices=["csv", "json"], default="csv", help="default: csv")
    p.add_argument("-o", "--output", metavar="FILE", help="write to FILE (default: standard output)")
    p.add_argument("--as", dest="caller", metavar="NAME", help="who is exporting (default: the OS user name)")
