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
