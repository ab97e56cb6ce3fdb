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

A file that cannot be a table (binary, empty, no header row) raises
`CallersError` from `open_table`, before any row is read.
"""

from __future__ import annotations

import codecs
import csv
import re
import unicodedata
from dataclasses import dataclass, field
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

# Large fields (long notes) must not stop an import.
csv.field_size_limit(max(csv.field_size_limit(), 64 * 1024 * 1024))


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
        reader = csv.reader(handle, delimiter=delimiter, quotechar='"', doublequote=True,
                            skipinitialspace=True, strict=False)
        header: list[str] | None = None
        header_line = 0
        last = 0
        leading_blanks: list[int] = []
        for cells in reader:
            start, last = last + 1, reader.line_num
            if not _blank(cells):
                header, header_line = cells, start
                break
            leading_blanks.append(start)
        if header is None:
            raise CallersError(f"{name} is empty: nothing to import")
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
    table.rows = _rows(table, reader, last, len(columns), name)
    return table


def _rows(table: Table, reader, last: int, width: int, name: str) -> Iterator[tuple[int, list[str]]]:
    blank_numbers = table.blank_line_numbers
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise CallersError(f"{name}, line {reader.line_num}: cannot be read as CSV: {exc}") from None
        start, last = last + 1, reader.line_num
        if not cells or _blank(cells):
            table.blank_lines += 1
            if len(blank_numbers) < 10000:
                blank_numbers.append(start)
            continue
        if len(cells) < width:
            cells.extend([""] * (width - len(cells)))
        yield start, cells


def write_table(handle: TextIO, columns: list[str], rows, delimiter: str = ",") -> None:
    """Write rows (lists of cells) as CSV, quoting as needed."""
    writer = csv.writer(handle, delimiter=delimiter, quotechar='"', lineterminator="\r\n")
    writer.writerow(columns)
    writer.writerows(rows)
