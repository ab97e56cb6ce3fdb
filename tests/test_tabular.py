"""callers.tabular: encodings, delimiters, quoting, blank lines, bad files."""

from __future__ import annotations

import pytest

from callers.errors import CallersError
from callers.tabular import normalise_header, open_table, sniff_delimiter


def _write(tmp_path, data: bytes, name: str = "t.csv"):
    path = tmp_path / name
    path.write_bytes(data)
    return path


def _read(path):
    with open_table(path) as table:
        rows = list(table.rows)
        return table, rows


def test_utf8_with_bom_semicolons_quoted_newline_and_blank_lines(tmp_path):
    data = ('\ufeffName;E-Mail;Phone\r\n\r\n"Müller; AG";a@b.de;"+49 30\r\n123"\r\n;;\r\nx;y\r\n'
            ).encode("utf-8")
    table, rows = _read(_write(tmp_path, data))
    assert table.columns == ["Name", "E-Mail", "Phone"]
    assert table.encoding == "utf-8-sig"
    assert table.delimiter == ";"
    assert rows == [(3, ["Müller; AG", "a@b.de", "+49 30\r\n123"]), (6, ["x", "y", ""])]
    assert table.blank_lines == 2
    assert table.blank_line_numbers == [2, 5]


def test_utf8_without_bom_is_utf8(tmp_path):
    table, rows = _read(_write(tmp_path, "Name,City\nZoë,Zürich\n".encode("utf-8")))
    assert table.encoding == "utf-8"
    assert rows == [(2, ["Zoë", "Zürich"])]


def test_windows_1252_is_detected_not_assumed(tmp_path):
    table, rows = _read(_write(tmp_path, "Name,Firma\nMüller,€uro GmbH\n".encode("cp1252")))
    assert table.encoding == "cp1252"
    assert rows == [(2, ["Müller", "€uro GmbH"])]


def test_latin1_bytes_undefined_in_cp1252_fall_back_to_latin1(tmp_path):
    table, rows = _read(_write(tmp_path, b"Name,Note\nA\xe9,x\x81y\n"))
    assert table.encoding == "latin-1"
    assert rows == [(2, ["Aé", "x\x81y"])]


def test_non_utf8_late_in_a_large_file_is_still_detected(tmp_path):
    body = "Name,City\n" + "Anna,Bern\n" * 200_000
    data = body.encode("utf-8") + "Jürg,Zürich\n".encode("cp1252")
    table, rows = _read(_write(tmp_path, data))
    assert table.encoding == "cp1252"
    assert rows[-1] == (200_002, ["Jürg", "Zürich"])


def test_utf16_with_bom(tmp_path):
    table, rows = _read(_write(tmp_path, "Name\tPhone\r\nAnn\t+41 44 668 18 00\r\n".encode("utf-16")))
    assert table.encoding == "utf-16"
    assert table.delimiter == "\t"
    assert rows == [(2, ["Ann", "+41 44 668 18 00"])]


def test_tabs_and_short_rows_are_padded(tmp_path):
    table, rows = _read(_write(tmp_path, b"Name\tPhone\tEmail\n\n\nJ\t1\n\n"))
    assert table.delimiter == "\t"
    assert rows == [(4, ["J", "1", ""])]
    assert table.blank_lines == 3


def test_commas_inside_quotes_do_not_fool_the_sniffer():
    assert sniff_delimiter('a;b;c\n"x,y,z";1;2\n') == ";"
    assert sniff_delimiter('"Name, full",Phone\n"Doe, J",1\n') == ","
    assert sniff_delimiter("one\nrow\n") == ","


def test_streams_rows_lazily(tmp_path):
    path = _write(tmp_path, ("Name,Phone\n" + "A,1\n" * 1000).encode())
    table = open_table(path)
    first = next(table.rows)
    assert first == (2, ["A", "1"])
    table.close()


@pytest.mark.parametrize("data, message", [
    (b"", "is empty"),
    (b"\n\r\n  \n", "is empty"),
    (b"\xef\xbb\xbf", "is empty"),
    (b"PK\x03\x04\x14\x00\x00\x00", "Excel"),
    (b"SQLite format 3\x00" + b"\x00" * 100, "SQLite database"),
    (b"\x00\x01\x02\x03abc\x00", "binary"),
    (b"Jane Doe,jane@example.com,+44 20 7946 0958\n", "no header row"),
    (b",,,\n,,\n\n", "is empty"),
])
def test_files_that_cannot_be_tables(tmp_path, data, message):
    path = _write(tmp_path, data)
    with pytest.raises(CallersError, match=message):
        open_table(path)


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(CallersError, match="no such file"):
        open_table(tmp_path / "nope.csv")
    with pytest.raises(CallersError, match="directory"):
        open_table(tmp_path)


@pytest.mark.parametrize("raw, key", [
    ("E-mail", "email"), ("Account Name", "accountname"), ("Country/Region", "countryregion"),
    ("  Record ID - Contact ", "recordidcontact"), ("\ufeffName", "name"), ("Straße", "strasse"),
    ("MailingCountry", "mailingcountry"), ("Téléphone", "telephone"),
])
def test_normalise_header(raw, key):
    assert normalise_header(raw) == key


# ---- a quote that never closes, a cell too long to read ------------------------------


def _rows_and_reasons(path):
    """[(line, cells or the Unreadable's reason)] of a file."""
    from callers.tabular import Unreadable

    with open_table(path) as table:
        return [(line, cells.reason if isinstance(cells, Unreadable) else cells) for line, cells in table.rows]


def _contacts(first: int, last: int) -> str:
    return "".join(f"C{i},Co {i},+4930123{i:05d}\n" for i in range(first, last + 1))


def test_a_quote_that_never_closes_rejects_its_line_and_reads_the_rest_as_rows(tmp_path):
    path = _write(tmp_path, ("id,name,phone\n" + _contacts(1, 3) + 'C4,"Acme,+493012300004\n'
                             + _contacts(5, 9)).encode())
    rows = _rows_and_reasons(path)
    assert rows[3] == (5, "line 5: quote never closed; the lines after it were read as rows")
    assert [line for line, _ in rows] == list(range(2, 11))
    assert rows[4] == (6, ["C5", "Co 5", "+493012300005"]) and rows[-1] == (10, ["C9", "Co 9", "+493012300009"])


def test_a_quote_closed_rows_later_still_gives_back_the_rows_it_swallowed(tmp_path):
    path = _write(tmp_path, ('id,name,phone\nC1,"Acme,+493012300001\n' + _contacts(2, 4)
                             + 'C5,"Beta" GmbH,+493012300005\n' + _contacts(6, 6)).encode())
    rows = _rows_and_reasons(path)
    assert rows[0] == (2, "line 2: quote never closed; the lines after it were read as rows")
    assert rows[1:] == [(3, ["C2", "Co 2", "+493012300002"]), (4, ["C3", "Co 3", "+493012300003"]),
                        (5, ["C4", "Co 4", "+493012300004"]), (6, ["C5", "Beta GmbH", "+493012300005"]),
                        (7, ["C6", "Co 6", "+493012300006"])]


def test_a_note_over_several_lines_is_a_note(tmp_path):
    path = _write(tmp_path, ('id,name,phone,note\nC1,Acme,+493012300001,"called twice\nno answer, left a message\n'
                             'fine"\nC2,Beta,+493012300002,\n').encode())
    assert _rows_and_reasons(path) == [
        (2, ["C1", "Acme", "+493012300001", "called twice\nno answer, left a message\nfine"]),
        (5, ["C2", "Beta", "+493012300002", ""])]


def test_a_runaway_quote_past_the_cell_limit_is_caught_too(tmp_path):
    from callers.tabular import CELL_LIMIT

    many = CELL_LIMIT // 20 + 1000  # more than a cell may hold
    path = _write(tmp_path, ('id,name,phone\nC0,"Acme,+493012300000\n' + _contacts(1, many)).encode())
    rows = _rows_and_reasons(path)
    assert rows[0] == (2, "line 2: quote never closed; the lines after it were read as rows")
    assert len(rows) == many + 1 and rows[-1] == (many + 2, [f"C{many}", f"Co {many}", f"+4930123{many:05d}"])


def _write_with_a_huge_cell(path, before: str, size: int, after: str) -> None:
    """A file with one cell of `size` characters, written in pieces."""
    with open(path, "w", encoding="utf-8", newline="") as out:
        out.write(before)
        for _ in range(size // (1 << 20)):
            out.write("x" * (1 << 20))
        out.write(after)


@pytest.mark.parametrize("before, after, size, reason", [
    # one 50 MB line: never read whole
    ("id,name,phone\nC1,Acme,+493012300001\nC2,Big,", "\n", 50 << 20,
     "line 3: a line longer than 4,194,304 characters (the row was not read)"),
    # a quoted 50 MB cell on one line, commas after it
    ('id,name,phone\nC1,Acme,+493012300001\nC2,"Big ', '",+493012300002\n', 50 << 20,
     "line 3: a line longer than 4,194,304 characters (the row was not read)"),
    # a 2 MB cell: over the cell limit, within the line limit
    ("id,name,phone\nC1,Acme,+493012300001\nC2,Big,", "\n", 2 << 20,
     "line 3: a cell longer than 1,048,576 characters (the row was not read)"),
])
def test_a_cell_over_the_limit_is_rejected_unread_and_the_rows_after_it_are_read(tmp_path, before, after, size,
                                                                                  reason):
    path = tmp_path / "big.csv"
    _write_with_a_huge_cell(path, before, size, after + _contacts(3, 4))
    assert _rows_and_reasons(path) == [(2, ["C1", "Acme", "+493012300001"]), (3, reason),
                                       (4, ["C3", "Co 3", "+493012300003"]), (5, ["C4", "Co 4", "+493012300004"])]


def test_a_quoted_cell_over_many_lines_past_the_limit_is_skipped_to_its_end(tmp_path):
    note = ("words " * 13 + "\n") * 20_000  # 1.6 MB over 20,000 lines, no delimiter: a note, not rows
    path = _write(tmp_path, ('id,name,phone,note\nC1,Acme,+493012300001,"' + note + '"\n' + _contacts(2, 2)
                             ).encode())
    rows = _rows_and_reasons(path)
    assert rows == [(2, "line 2: a cell longer than 1,048,576 characters (the row was not read)"),
                    (20_003, ["C2", "Co 2", "+493012300002", ""])]
