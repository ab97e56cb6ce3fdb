"""Reading the CSV files people export from desks, CRMs and spreadsheets.

`open_table(path)` finds the encoding (UTF-8 with or without BOM, UTF-16 with a
BOM, else Windows-1252 / Latin-1 -- detected, never assumed: the file is read
as UTF-8 and only falls back when that fails), sniffs the delimiter (comma,
semicolon, tab or pipe), and streams the rows: a 100,000-row file is never
held in memory.

    with open_table("contacts.csv") as table:
        for line, cells in table.rows:
            ...
        table.blank_lines  # blank lines met so far (not yielded)

Rows are `(line number, cells)`: the physical line the record starts on
(the header is usually line 1), and the cells as written (not stripped),
padded with "" up to the number of columns. Rows whose cells are all blank
(an empty line, or ",,,," from a spreadsheet) are not yielded; they are
counted in `Table.blank_lines` and listed in `Table.blank_line_numbers`.

A record that cannot be read as a row is yielded as an `Unreadable` (a
list of the cells that could be read, with a `reason`), never silently
dropped or merged into another:

- a quote that is never closed: a quoted cell that runs over several lines
  and swallows lines that look like rows (as many delimiters as the header)
  is not a cell. The line the quote opened on is yielded as `Unreadable`
  ("line 4,812: quote never closed ...") and the lines after it are read
  again as rows. (A quoted cell with line breaks that does not swallow rows,
  a note, is read as it was written.)
- a cell longer than `CELL_LIMIT` characters, or a line longer than
  `LINE_LIMIT`: the record is skipped without being read whole (memory
  stays flat whatever the file holds) and yielded as an empty `Unreadable`.

A file that cannot be a table (binary, empty, no header row) raises
`CallersError` from `open_table`, before any row is read.

About 500 lines: reading any CSV a customer's system exports (encodings,
delimiters, broken quotes, size limits) is one job, tested as one.
"""

from __future__ import annotations

import codecs
import csv
import re
import unicodedata
from collections import deque
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Iterator, TextIO

from callers.errors import CallersError

DELIMITERS = (",", ";", "\t", "|")
DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
_SAMPLE = 64 * 1024
_CHUNK = 1024 * 1024

# Magic numbers of files people pick by mistake.
_MAGIC = (
    (b"PK\x03\x04", "a zip archive or an Excel/OpenDocument workbook (.xlsx/.ods): save it as CSV first"),
    (b"\xd0\xcf\x11\xe0", "an old Excel/Word file (.xls/.doc): save it as CSV first"),
    (b"%PDF", "a PDF document"),
    (b"SQLite format 3\x00", "a SQLite database"),
    (b"\x1f\x8b", "a gzip archive: unpack it first"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
)

_EMAILISH = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

# The longest cell read (a long note is far shorter; a longer one is not a
# cell but a broken file), and the longest line: rows beyond these are
# rejected without being read whole.
CELL_LIMIT = 1024 * 1024
LINE_LIMIT = 4 * CELL_LIMIT
csv.field_size_limit(CELL_LIMIT)


class Unreadable(list):
    """The cells of a record that could not be read as a row (as many as
    could be read: none for an over-long one), and why."""

    __slots__ = ("reason",)

    def __init__(self, cells=(), reason: str = "") -> None:
        super().__init__(cells)
        self.reason = reason


def normalise_header(name: str) -> str:
    """A column name as a key: case, accents, spaces and punctuation ignored.

    'E-mail' -> 'email', 'Account Name' -> 'accountname',
    'Country/Region' -> 'countryregion', ' Straße ' -> 'strasse'.
    """
    text = unicodedata.normalize("NFKD", (name or "").replace("\ufeff", ""))
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).casefold()
    return "".join(ch for ch in text if ch.isalnum())


@dataclass
class Table:
    columns: list[str]
    rows: Iterator[tuple[int, list[str]]]
    encoding: str
    delimiter: str
    path: Path | None = None
    header_line: int = 1
    blank_lines: int = 0
    blank_line_numbers: list[int] = field(default_factory=list)
    _handle: TextIO | None = field(default=None, repr=False)

    @property
    def size(self) -> int:
        """The file's size in bytes."""
        try:
            return self.path.stat().st_size if self.path else 0
        except OSError:
            return 0

    @property
    def bytes_read(self) -> int:
        """How far into the file reading has got (for progress bars)."""
        if self._handle is None:
            return self.size
        try:
            return self._handle.buffer.raw.tell()
        except (AttributeError, OSError, ValueError):
            return 0

    @property
    def delimiter_name(self) -> str:
        return DELIMITER_NAMES.get(self.delimiter, repr(self.delimiter))

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None

    def __enter__(self) -> "Table":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _is_binary(sample: bytes, name: str) -> None:
    for magic, what in _MAGIC:
        if sample.startswith(magic):
            raise CallersError(f"{name} is not a CSV file: it looks like {what}")
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return
    if b"\x00" in sample:
        raise CallersError(f"{name} is not a text file (it contains binary data)")
    controls = sum(1 for b in sample if b < 32 and b not in (9, 10, 13, 12))
    if sample and controls / len(sample) > 0.05:
        raise CallersError(f"{name} is not a text file (it contains binary data)")


def detect_encoding(path: Path) -> str:
    """'utf-8-sig', 'utf-8', 'utf-16', 'cp1252' or 'latin-1'.

    The whole file is checked as UTF-8 (in chunks, so memory stays flat);
    only if that fails is it read as Windows-1252 (Latin-1 when a byte is
    undefined in Windows-1252).
    """
    with open(path, "rb") as fh:
        head = fh.read(4)
        if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            return "utf-16"
        bom = head.startswith(codecs.BOM_UTF8)
        fh.seek(0)
        decoder = codecs.getincrementaldecoder("utf-8")()
        try:
            while True:
                chunk = fh.read(_CHUNK)
                if not chunk:
                    decoder.decode(b"", final=True)
                    break
                decoder.decode(chunk)
            return "utf-8-sig" if bom else "utf-8"
        except UnicodeDecodeError:
            pass
        fh.seek(0)
        decoder = codecs.getincrementaldecoder("cp1252")()
        try:
            while True:
                chunk = fh.read(_CHUNK)
                if not chunk:
                    break
                decoder.decode(chunk)
            return "cp1252"
        except UnicodeDecodeError:
            return "latin-1"


def _split_outside_quotes(line: str, delimiter: str) -> int:
    """How many times delimiter occurs in a line outside double quotes."""
    count, quoted = 0, False
    for ch in line:
        if ch == '"':
            quoted = not quoted
        elif ch == delimiter and not quoted:
            count += 1
    return count


def sniff_delimiter(sample: str) -> str:
    """The delimiter of a CSV sample: the one that splits the header into the
    most columns and the following lines as consistently as the header."""
    lines = [ln for ln in sample.splitlines() if ln.strip()]
    if not lines:
        return ","
    header = lines[0]
    best, best_score = ",", (-1, -1)
    for delim in DELIMITERS:
        n = _split_outside_quotes(header, delim)
        if n == 0:
            continue
        # Lines after the header with the same count (quoted newlines make a
        # few lines disagree; the right delimiter still wins).
        agree = sum(1 for ln in lines[1:20] if _split_outside_quotes(ln, delim) == n)
        score = (agree, n)
        if score > best_score:
            best, best_score = delim, score
    return best


def _looks_like_data(cell: str) -> bool:
    text = cell.strip()
    if not text:
        return False
    if _EMAILISH.match(text):
        return True
    digits = sum(ch.isdigit() for ch in text)
    return digits >= 6 and digits / len(text) > 0.5


def _blank(cells: list[str]) -> bool:
    # Every cell blank <=> their concatenation is blank (one C-level pass).
    return not "".join(cells).strip()


def open_table(path) -> Table:
    """Open a CSV export for streaming. Raises CallersError if it cannot be a table."""
    path = Path(path)
    name = str(path)
    if path.is_dir():
        raise CallersError(f"{name} is a directory, not a CSV file")
    try:
        with open(path, "rb") as fh:
            sample_bytes = fh.read(_SAMPLE)
    except FileNotFoundError:
        raise CallersError(f"{name}: no such file") from None
    except PermissionError:
        raise CallersError(f"{name}: permission denied") from None
    if not sample_bytes.strip(b" \t\r\n\xef\xbb\xbf"):
        raise CallersError(f"{name} is empty: nothing to import")
    _is_binary(sample_bytes, name)
    encoding = detect_encoding(path)

    handle = open(path, "r", encoding=encoding, newline="")
    try:
        sample = handle.read(_SAMPLE)
        if encoding == "utf-16":
            sample = sample.lstrip("\ufeff")
        if not sample.strip():
            raise CallersError(f"{name} is empty: nothing to import")
        delimiter = sniff_delimiter(sample)
        handle.seek(0)
        records = _Records(handle, delimiter)
        found = iter(records)
        header: list[str] | None = None
        header_line = 0
        leading_blanks: list[int] = []
        for start, cells in found:
            if cells.__class__ is Unreadable:
                raise CallersError(f"{name}, line {start}: the header cannot be read: {cells.reason}")
            if not _blank(cells):
                header, header_line = cells, start
                break
            leading_blanks.append(start)
        if header is None:
            raise CallersError(f"{name} is empty: nothing to import")
        records.header_delimiters = len(header) - 1
        columns = [c.replace("\ufeff", "").strip() for c in header]
        while columns and not columns[-1]:
            columns.pop()  # a trailing delimiter on the header line
        if not any(columns):
            raise CallersError(f"{name} has no header row (the first line names no columns)")
        if any(_looks_like_data(c) for c in columns):
            shown = ", ".join(c for c in columns[:6])
            raise CallersError(
                f"{name} has no header row: the first line looks like data ({shown}); "
                "add a line naming the columns"
            )
    except csv.Error as exc:
        handle.close()
        raise CallersError(f"{name} cannot be read as CSV: {exc}") from None
    except CallersError:
        handle.close()
        raise
    except Exception:
        handle.close()
        raise

    table = Table(columns=columns, rows=iter(()), encoding=encoding, delimiter=delimiter,
                  path=path, header_line=header_line, blank_lines=len(leading_blanks),
                  blank_line_numbers=leading_blanks, _handle=handle)
    table.rows = _rows(table, found, len(columns))
    return table


def _rows(table: Table, records: Iterator, width: int) -> Iterator[tuple[int, list[str]]]:
    blank_numbers = table.blank_line_numbers
    for start, cells in records:
        if not cells or _blank(cells):
            if cells.__class__ is Unreadable:
                yield start, cells
                continue
            table.blank_lines += 1
            if len(blank_numbers) < 10000:
                blank_numbers.append(start)
            continue
        if len(cells) < width:
            cells.extend([""] * (width - len(cells)))
        yield start, cells


# ---- Reading records: every line and cell bounded, a runaway quote caught -----

# Where the csv module is in a record, as `_scan` follows it.
_START, _FIELD, _QUOTED, _QUOTE_IN_QUOTED = range(4)


def _scan(text: str, state: int, delimiter: str) -> int:
    """The quoting state after `text`, read from `state` as the csv module
    reads (double quotes, initial spaces skipped, a quote inside an unquoted
    cell kept as text). A record ends at a line's end unless `_QUOTED`."""
    i, n, find = 0, len(text), text.find
    while i < n:
        if state == _QUOTED:
            j = find('"', i)
            if j < 0:
                return _QUOTED
            state, i = _QUOTE_IN_QUOTED, j + 1
        elif state == _FIELD:
            j = find(delimiter, i)
            if j < 0:
                return _FIELD
            state, i = _START, j + 1
        elif state == _QUOTE_IN_QUOTED:
            if text[i] == '"':  # a doubled quote: still quoted
                state, i = _QUOTED, i + 1
            else:
                state = _FIELD
        else:  # _START of a cell
            ch = text[i]
            if ch == '"':
                state, i = _QUOTED, i + 1
            elif ch == " " or ch == delimiter:
                i += 1
            else:
                state = _FIELD
    return state


class _TooLong(Exception):
    """A line longer than LINE_LIMIT; `chunk` is its first LINE_LIMIT characters."""

    def __init__(self, chunk: str) -> None:
        super().__init__("line too long")
        self.chunk = chunk


class _Records:
    """`(first line, cells)` of every record in an open text file: csv.reader
    over lines read at most LINE_LIMIT characters at a time, with the raw
    lines of the record being read kept (a few; the csv module's CELL_LIMIT
    stops a runaway cell) so that a runaway quote's lines can be read again
    as rows."""

    def __init__(self, handle: TextIO, delimiter: str) -> None:
        self.handle = handle
        self.delimiter = delimiter
        self.header_delimiters = 0  # set once the header is read: 0 turns the runaway check off
        self._lines_of_record: list[str] = []
        self._again: deque = deque()  # lines to read again (or a _TooLong to raise again)
        self._last = 0  # the last physical line of the records yielded
        self._start()

    def _start(self) -> None:
        """A fresh csv reader from the line after `_last` on."""
        self._base = self._last
        self._reader = csv.reader(self._lines(), delimiter=self.delimiter, quotechar='"', doublequote=True,
                                  skipinitialspace=True, strict=False)

    def _lines(self) -> Iterator[str]:
        readline, kept, again, limit = self.handle.readline, self._lines_of_record, self._again, LINE_LIMIT
        while True:
            if again:
                line = again.popleft()
                if line.__class__ is _TooLong:
                    raise line
            else:
                line = readline(limit)
                if not line:
                    return
                if len(line) == limit and line[-1] != "\n" and line[-1] != "\r":
                    raise _TooLong(line)
            kept.append(line)
            yield line

    def __iter__(self) -> Iterator[tuple[int, list[str]]]:
        kept = self._lines_of_record
        while True:
            reader, base, last = self._reader, self._base, self._last
            first = last + 1
            try:
                for cells in reader:
                    first, last = last + 1, base + reader.line_num
                    if last != first and self.header_delimiters and self._swallows_rows():
                        yield self._quote_never_closed(first)
                        break
                    kept.clear()
                    yield first, cells
                    first = last + 1
                else:
                    return
            except _TooLong as exc:
                yield self._too_long(first, base + reader.line_num + 1, exc)
            except csv.Error as exc:
                yield self._cell_too_long(first, base + reader.line_num, exc)
            kept.clear()

    def _swallows_rows(self) -> bool:
        """Do the record's lines after its first look like rows of the file?"""
        delimiter, wanted = self.delimiter, self.header_delimiters
        return any(line.count(delimiter) >= wanted for line in islice(self._lines_of_record, 1, None))

    def _read_again_after(self, first: int) -> None:
        """Read the lines after `first` again, as records of their own."""
        self._again.extendleft(reversed(self._lines_of_record[1:]))
        self._last = first
        self._start()

    def _quote_never_closed(self, first: int) -> tuple[int, Unreadable]:
        opening = self._lines_of_record[0].rstrip("\r\n")
        cells = next(csv.reader([opening], delimiter=self.delimiter, quotechar='"', doublequote=True,
                                skipinitialspace=True, strict=False), [])
        self._read_again_after(first)
        return first, Unreadable(cells, f"line {first:,}: quote never closed; the lines after it were read as rows")

    def _too_long(self, first: int, line: int, exc: _TooLong) -> tuple[int, Unreadable]:
        """Line `line` is longer than LINE_LIMIT (in the record from `first`)."""
        if line > first and self.header_delimiters and self._swallows_rows():
            self._again.appendleft(exc)  # read again after the swallowed lines: its own record then
            return self._quote_never_closed(first)
        state = _QUOTED if line > first else _START
        self._skip(exc.chunk, False, state, line - 1)
        what = "a cell" if line > first else "a line"
        limit = CELL_LIMIT if line > first else LINE_LIMIT
        return first, Unreadable((), f"line {first:,}: {what} longer than {limit:,} characters "
                                     "(the row was not read)")

    def _cell_too_long(self, first: int, line: int, exc: csv.Error) -> tuple[int, Unreadable]:
        """The csv module stopped in line `line` (a cell over CELL_LIMIT)."""
        if line > first and self.header_delimiters and self._swallows_rows():
            return self._quote_never_closed(first)
        text = self._lines_of_record[-1] if self._lines_of_record else ""
        self._skip(text, True, _QUOTED if line > first else _START, line - 1)
        why = (f"a cell longer than {CELL_LIMIT:,} characters" if "field limit" in str(exc)
               else f"cannot be read as CSV: {exc}")
        return first, Unreadable((), f"line {first:,}: {why} (the row was not read)")

    def _skip(self, piece: str, ends: bool, state: int, line: int) -> None:
        """Skip to the end of the record: `piece` is the part of line
        `line + 1` read so far (all of it when `ends`), `state` the quoting
        state at its start. The next record starts after; nothing is kept."""
        delimiter = self.delimiter
        while True:
            state = _scan(piece, state, delimiter)
            if ends:
                line += 1
                if state != _QUOTED:
                    break
            piece, ends = self._piece()
            if piece is None:
                break
        self._last = line
        self._start()

    def _piece(self) -> tuple[str | None, bool]:
        """The next piece of the file, and whether it ends its line."""
        if self._again:
            item = self._again.popleft()
            if item.__class__ is _TooLong:
                return item.chunk, False  # the rest of that line is still in the file
            return item, True
        chunk = self.handle.readline(LINE_LIMIT)
        if not chunk:
            return None, True
        return chunk, len(chunk) < LINE_LIMIT or chunk[-1] in "\r\n"
