"""Every CSV file callers writes goes through here: the exports, the report,
reconcile, leads, references, forward lists and the import's rejects file.

A text cell that a spreadsheet would run as a formula (it begins with `=`,
`+`, `-`, `@`, a tab or a carriage return) gets a leading `'`, the OWASP
advice against CSV injection; `callers import` reads such a cell back
without it. Numbers are written as numbers, `None` as an empty cell, a
boolean as `true`/`false`, a list as its items joined with "; " and a dict
as `key=value; ...`.

    with open(path, "w", encoding="utf-8-sig", newline="") as handle:
        writer = CsvWriter(handle, ["name", "phone"])
        writer.row(["ACME", "+442079460958"])      # ACME,'+442079460958
        writer.rows(more_rows)

The import's rejects file is the one exception (`neutralise=False`): it keeps
the rejected rows exactly as they were in the file, so that, once fixed, it
imports again.
"""

from __future__ import annotations

import csv
from typing import Iterable, TextIO

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def cell(value) -> str:
    """A value as a CSV cell a spreadsheet will not run as a formula."""
    if value is None:
        return ""
    if value is True or value is False:
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, dict):
        value = "; ".join(f"{k}={v}" for k, v in value.items())
    elif isinstance(value, (list, tuple)):
        value = "; ".join(str(v) for v in value)
    text = str(value)
    if text.startswith(FORMULA_START):
        return "'" + text
    if text[:1] == "'" and text.lstrip("'")[:1] in FORMULA_START and text.lstrip("'"):
        # A cell that already begins with our mark: one more, so that reading
        # it back (one mark taken off) gives the text as it was.
        return "'" + text
    return text


def plain(value) -> str:
    """A value as a cell, exactly (for the rejects file)."""
    return "" if value is None else str(value)


class CsvWriter:
    """Rows to a text stream as CSV (RFC 4180 quoting), cells made safe by `cell`."""

    def __init__(self, out: TextIO, header: Iterable[str] | None = None, *, delimiter: str = ",",
                 lineterminator: str = "\r\n", neutralise: bool = True) -> None:
        self._writer = csv.writer(out, delimiter=delimiter, quotechar='"', doublequote=True,
                                  lineterminator=lineterminator)
        self._cell = cell if neutralise else plain
        self.count = 0  # data rows written (the header not counted)
        if header is not None:
            self._writer.writerow([plain(name) for name in header])

    def row(self, values: Iterable) -> None:
        convert = self._cell
        self._writer.writerow([convert(v) for v in values])
        self.count += 1

    def rows(self, rows: Iterable[Iterable]) -> int:
        for values in rows:
            self.row(values)
        return self.count


def write(out: TextIO, header: Iterable[str], rows: Iterable[Iterable], *,
          lineterminator: str = "\r\n") -> int:
    """A header and rows as CSV; returns how many rows."""
    return CsvWriter(out, header, lineterminator=lineterminator).rows(rows)


def flat(item: dict) -> dict:
    """A JSON-shaped dict as one CSV row: a nested object's keys become
    `parent_key` columns ({"buyer": {"name": ...}} -> buyer_name), a list of
    objects one cell ("role=buyer, name=Jane; role=user, name=Li")."""
    out = {}
    for key, value in item.items():
        if isinstance(value, dict):
            for inner, v in value.items():
                out[f"{key}_{inner}"] = v
            out.setdefault(key, value)
        elif isinstance(value, list) and value and isinstance(value[0], dict):
            out[key] = "; ".join(", ".join(f"{k}={v}" for k, v in one.items() if v not in (None, ""))
                                 for one in value)
        else:
            out[key] = value
    return out


def write_dicts(out: TextIO, fields: Iterable[str], items: Iterable[dict], *,
                lineterminator: str = "\r\n") -> int:
    """Dicts (flattened by `flat`) as CSV rows of `fields`, in that order;
    returns how many rows."""
    fields = tuple(fields)

    def rows():
        for item in items:
            item = flat(item) if any(isinstance(v, (dict, list)) for v in item.values()) else item
            yield [item.get(f) for f in fields]

    return write(out, fields, rows(), lineterminator=lineterminator)
