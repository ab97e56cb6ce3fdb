"""One run of an import: the file read row by row, every row given its
outcome (rejects to the --rejects file), batches handed to the writer one
transaction each, and a run stopped part-way said in one line."""

from __future__ import annotations

import contextlib
import errno
import gc
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

import peewee

from callers import clock, countries, csvout
from callers.errors import CallersError, failure_cause
from callers.importer.layouts import Mapping, detect
from callers.importer.rows import Rejected, RowReader, Skipped
from callers.tabular import Table, Unreadable, open_table
from callers.importer.writer import BatchWriter
from models.db import connection, statement_journals_in_memory, write_transaction

OUTCOMES = ("created", "updated", "unchanged", "duplicate", "rejected", "skipped")
ROW_BATCH = 2000


@dataclass
class ImportResult:
    rows: int = 0
    customers_created: int = 0
    customers_updated: int = 0
    contacts_created: int = 0
    contacts_updated: int = 0
    unchanged: int = 0
    duplicates: int = 0
    rejected: int = 0
    skipped: int = 0
    rejects_file: str | None = None
    kind: str = ""
    encoding: str = ""
    delimiter: str = ""
    dry_run: bool = False
    reasons: Counter = field(default_factory=Counter)  # "rejected: ..." / "skipped: ..."
    # (line, outcome, reason) of rejected and skipped rows (first 1000).
    problems: list = field(default_factory=list)

    JSON_KEYS = ("rows", "customers_created", "customers_updated", "contacts_created",
                 "contacts_updated", "unchanged", "duplicates", "rejected", "skipped",
                 "rejects_file")

    def as_json(self) -> dict:
        return {key: getattr(self, key) for key in self.JSON_KEYS}

    def summary(self, name: str) -> str:
        head = "Dry run (nothing written): " if self.dry_run else "Imported "
        if self.kind == "customers":
            return (f"{head}{name} (customers, {self.encoding}, {self.delimiter}): {self.rows:,} rows: "
                    f"{self.customers_created:,} customers created, {self.customers_updated:,} updated, "
                    f"{self.unchanged:,} unchanged, {self.duplicates:,} duplicates, "
                    f"{self.rejected:,} rejected, {self.skipped:,} skipped")
        return (f"{head}{name} ({self.kind}, {self.encoding}, {self.delimiter}): {self.rows:,} rows: "
                f"{self.contacts_created:,} contacts created, {self.contacts_updated:,} updated, "
                f"{self.unchanged:,} unchanged, {self.duplicates:,} duplicates, "
                f"{self.rejected:,} rejected, {self.skipped:,} skipped; "
                f"customers: {self.customers_created:,} created, {self.customers_updated:,} updated")


class ImportStopped(CallersError):
    """An import that stopped part-way; its message says what was written."""

    def __init__(self, message: str, exit_code: int = 2) -> None:
        super().__init__(message)
        self.exit_code = exit_code


class Importer:
    """One run of an import over an open table."""

    def __init__(self, table: Table, mapping: Mapping, region: str | None, dry_run: bool,
                 rejects: csvout.CsvWriter | None = None, progress: Callable[[int], None] | None = None,
                 rejects_handle=None):
        self.table = table
        self.mapping = mapping
        self.reader = RowReader(mapping, region)
        self.dry_run = dry_run
        self.rejects = rejects
        self.rejects_handle = rejects_handle  # flushed after every batch: a full disk is found early
        self.progress = progress
        self.read = 0  # data rows read so far
        self.written = 0  # data rows read up to the last batch committed (final, whatever comes)
        self.result = ImportResult(kind=mapping.kind, encoding=table.encoding,
                                   delimiter=table.delimiter_name, dry_run=dry_run)
        self.writer = BatchWriter(self.result, mapping.kind, self.reader.profile, clock.db_now())
        self.width = len(mapping.columns)

    # -- outcomes
    def _problem(self, line: int, outcome: str, reason: str, cells: list | None) -> None:
        res = self.result
        if outcome == "rejected":
            res.rejected += 1
            if self.rejects is not None and cells:
                # As it was: the header's columns, the reason, then any cells beyond the header.
                try:
                    self.rejects.row([*cells[:self.width], reason, *cells[self.width:]])
                except OSError as exc:
                    exc.callers_rejects = True  # (for the message: which file failed)
                    raise
        else:
            res.skipped += 1
        res.reasons[f"{outcome}: {reason}"] += 1
        if len(res.problems) < 1000:
            res.problems.append((line, outcome, reason))

    def run(self) -> ImportResult:
        failure: BaseException | None = None
        try:
            with connection(), _fewer_collections(), statement_journals_in_memory():
                try:
                    if self.dry_run:
                        try:
                            with write_transaction():
                                self._run()
                                raise _Rollback
                        except _Rollback:
                            pass
                    else:
                        self._run()
                except (peewee.PeeweeException, OSError, KeyboardInterrupt) as exc:
                    failure = exc
        except (peewee.PeeweeException, OSError) as exc:  # closing a connection that is gone
            failure = failure or exc
        if failure is not None:
            raise self._stopped(failure) from failure
        res = self.result
        res.customers_created = len(self.writer.created_customers)
        res.customers_updated = len(self.writer.updated_customers - self.writer.created_customers)
        if self.mapping.kind == "customers":
            res.rows = (res.customers_created + res.customers_updated + res.unchanged + res.duplicates
                        + res.rejected + res.skipped)
        else:
            res.rows = (res.contacts_created + res.contacts_updated + res.unchanged + res.duplicates
                        + res.rejected + res.skipped)
        return res

    def _stopped(self, exc: BaseException) -> ImportStopped:
        """What was written before `exc` stopped the import, in one line."""
        name = self.table.path or "the file"
        if isinstance(exc, KeyboardInterrupt):
            done = "nothing written (a dry run)" if self.dry_run else f"{self.written:,} rows of {name} written"
            return ImportStopped(f"interrupted: {done}, the rest not; importing the file again is safe "
                                 "(rows already written come out unchanged)", exit_code=130)
        in_rejects = getattr(exc, "callers_rejects", False)
        of = ""
        if in_rejects or isinstance(exc, peewee.PeeweeException):  # the file itself reads on
            try:
                of = f" of {self.read + sum(1 for _ in self.table.rows):,}"  # the rest counted, not written
            except Exception:
                of = ""
        what, where = failure_cause(exc, file=str(self.rejects_handle.name) if in_rejects else None)
        done = ("nothing written (a dry run)" if self.dry_run
                else f"{self.written:,}{of} rows of {name} written")
        again = "importing the file again is safe (rows already written come out unchanged)"
        if what == "disk full":
            return ImportStopped(f"disk full: {where}: {done} before it filled up; {again} once there is room")
        return ImportStopped(f"{done} before {what}; {again}")

    def _run(self) -> None:
        table = self.table
        customer_list = self.mapping.kind == "customers"
        read_row = self.reader.read_customer if customer_list else self.reader.read
        write = self.writer.write_customers if customer_list else self.writer.write_batch
        batch: list = []
        seen_blank = 0
        for line, cells in table.rows:
            self.read += 1
            while seen_blank < table.blank_lines:
                self._problem(table.blank_line_numbers[seen_blank]
                              if seen_blank < len(table.blank_line_numbers) else 0,
                              "skipped", "empty line", None)
                seen_blank += 1
            if cells.__class__ is Unreadable:
                self._problem(line, "rejected", cells.reason, cells)
            else:
                try:
                    batch.append(read_row(line, cells))
                except Rejected as exc:
                    self._problem(line, "rejected", str(exc), cells)
                except Skipped as exc:
                    self._problem(line, "skipped", str(exc), cells)
            if len(batch) >= ROW_BATCH:
                self._write(batch, write)
                batch = []
                if self.progress:
                    self.progress(self._rows_so_far())
        if batch:
            self._write(batch, write)
        self.written = self.read
        while seen_blank < table.blank_lines:
            self._problem(table.blank_line_numbers[seen_blank]
                          if seen_blank < len(table.blank_line_numbers) else 0,
                          "skipped", "empty line", None)
            seen_blank += 1
        if self.progress:
            self.progress(self._rows_so_far())

    def _rows_so_far(self) -> int:
        r = self.result
        return r.contacts_created + r.contacts_updated + r.unchanged + r.duplicates + r.rejected + r.skipped

    # -- one batch, in one transaction
    def _write(self, batch: list, write: Callable[[list], None]) -> None:
        with write_transaction():
            write(batch)
        if not self.dry_run:
            self.written = self.read
        if self.rejects_handle is not None:
            try:
                self.rejects_handle.flush()
            except OSError as exc:
                exc.callers_rejects = True
                raise


@contextlib.contextmanager
def _fewer_collections():
    """An import allocates a great many short-lived, acyclic objects (rows,
    contacts, tuples), which reference counting frees; the cyclic collector
    would keep scanning them every 700 allocations. Run it rarely meanwhile
    (about 10% of an import's time); the old thresholds come back after."""
    old = gc.get_threshold()
    gc.set_threshold(max(old[0], 100_000), *old[1:])
    try:
        yield
    finally:
        gc.set_threshold(*old)


class _Rollback(Exception):
    pass


def import_file(path, *, region: str | None = None, maps: Iterable[str] = (), dry_run: bool = False,
                rejects_path=None, progress: Callable[[Table], Callable[[int], None]] | None = None
                ) -> ImportResult:
    """Import one export file. Raises CallersError (writing nothing) when the
    file cannot be read, its layout is unknown or the rejects file cannot be
    written; ImportStopped when it stops part-way (saying what was written)."""
    if region:
        code = countries.country_code(region)
        if code is None:
            raise CallersError(f"--region {region!r} is not a country code or name (e.g. DE, US, Germany)")
        region = code
    with open_table(path) as table:
        mapping = detect(table.columns, maps)
        rejects_handle = _open_rejects(rejects_path, path, table) if rejects_path else None
        rejects_writer = None
        if rejects_handle is not None:
            # The rows as they were: same delimiter, cells not neutralised.
            rejects_writer = csvout.CsvWriter(rejects_handle, [*table.columns, "reason"],
                                              delimiter=table.delimiter, neutralise=False)
            _flush_or_refuse(rejects_handle)
        importer = Importer(table, mapping, region, dry_run, rejects_writer,
                            progress(table) if progress else None, rejects_handle=rejects_handle)
        try:
            result = importer.run()
        except BaseException:
            if rejects_handle is not None:
                with contextlib.suppress(OSError):
                    rejects_handle.close()
            raise
        finally:
            if not dry_run:
                from callers import due

                due.forget_zone_keys()  # new customers and numbers: the desk in this process must see them
        if rejects_handle is not None:
            _close_rejects(rejects_handle, importer)
        result.rejects_file = str(rejects_path) if rejects_path else None
        return result


# ---- The rejects file -----------------------------------------------------------


def _open_rejects(rejects_path, source, table: Table):
    """The --rejects file, opened (created) before anything is imported: a
    path that cannot be written stops the import before it starts."""
    rejects_path = Path(rejects_path)
    if rejects_path.exists() and rejects_path.resolve() == Path(source).resolve():
        raise CallersError(f"--rejects {rejects_path} is the file being imported; name another file")
    if rejects_path.is_dir():
        raise CallersError(f"--rejects {rejects_path} is a directory; name a file")
    encoding = table.encoding if table.encoding != "utf-16" else "utf-8-sig"
    try:
        return open(rejects_path, "w", encoding=encoding, errors="replace", newline="")
    except OSError as exc:
        raise CallersError(f"--rejects {rejects_path} cannot be written ({exc.strerror or exc}); "
                           "nothing was imported") from None


def _flush_or_refuse(handle) -> None:
    """Write the header out now: a full disk refuses the file before any row is imported."""
    try:
        handle.flush()
    except OSError as exc:
        name = handle.name
        with contextlib.suppress(OSError):
            handle.close()
        if exc.errno == errno.ENOSPC:
            raise CallersError(f"disk full: --rejects {name} cannot be written; nothing was imported") from None
        raise CallersError(f"--rejects {name} cannot be written ({exc.strerror or exc}); "
                           "nothing was imported") from None


def _close_rejects(handle, importer: Importer) -> None:
    """Close the rejects file; a failure then (its last rows did not fit)
    is said with what the import did write."""
    try:
        handle.close()
    except OSError as exc:
        exc.callers_rejects = True
        raise importer._stopped(exc) from exc
