"""Text from outside never drives the terminal: `callers.printable` and the
screens that show customer text; and the desk on an empty database."""

from __future__ import annotations

import io

from callers.app import CallersApp
from callers.printable import SafeStream, data_stream, printable
from screens.widgets.formatting import assemble, one_line, shown
from tests.support import factories
from tests.support.desk import SIZE, Keys
from tests.support.painted import screen_text

NOW = "2026-11-24T15:30:00+00:00"


def test_control_characters_are_shown_not_obeyed():
    assert printable("Acme\x1b]0;pwned\x07") == "Acme␛]0;pwned␇"
    assert printable("a\x9bb\x7f") == "a\\u009bb\\u007f"
    assert printable("one\ntwo\tthree\rfour") == "one␊two␉three␍four"
    assert printable("one\ntwo\tthree\r\nfour\rfive", lines=True) == "one\ntwo\tthree\r\nfour␍five"
    assert printable("Müller [bold]AG[/] 東京") == "Müller [bold]AG[/] 東京"  # only controls change
    assert printable(None) == ""


def test_the_cli_stream_escapes_and_a_csv_to_a_pipe_stays_exact():
    out = io.StringIO()
    SafeStream(out).write("Evil\x1b[2J\n")
    assert out.getvalue() == "Evil␛[2J\n"
    pipe = io.StringIO()
    assert data_stream(SafeStream(pipe)) is pipe  # not a terminal: the bytes as they are

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    tty = Terminal()
    data_stream(SafeStream(tty)).write("a\x1bb\r\n")
    assert tty.getvalue() == "a␛b\r\n"


def test_the_screens_helpers():
    assert shown("Jane\x1b[31mDoe") == "Jane␛[31mDoe"
    assert one_line("note\x07 with\nbreaks") == "note␇ with breaks"
    content = assemble(("Acme\x1b]0;x\x07", "bold"), "\n", "AM \x9b")
    assert content.plain == "Acme␛]0;x␇\nAM \\u009b"


async def test_the_desk_shows_a_hostile_name_escaped(db, now):
    now(NOW)
    factories.customer("Evil\x1b]0;pwned\x07 Corp", contact_name="Jane\x1b[2JDoe")
    app = CallersApp(caller="alice")
    async with app.run_test(size=SIZE) as pilot:
        keys = Keys(app, pilot)
        await keys.settle()
        text = screen_text(app)
        assert "Evil␛]0;pwned␇ Corp" in text and "Jane␛[2JDoe" in text
        assert "\x1b" not in text and "\x07" not in text


async def test_the_desk_on_an_empty_database_shows_how_to_import(db, now):
    now(NOW)
    app = CallersApp(caller="alice")
    async with app.run_test(size=(100, 30)) as pilot:
        keys = Keys(app, pilot)
        await keys.settle()
        text = " ".join(screen_text(app).split())
        assert keys.desk.mode == "nobody"
        assert "No customers yet. Import your customer list: `callers import customers.csv`" in text  # (lines joined)
        assert "demo" not in text


async def test_the_desk_on_an_empty_default_database_says_where_the_demo_is(now, capsys):
    from callers import database
    from callers.cli import default_db_url, demo_db_url, main

    now(NOW)
    assert main(["demo", "--customers", "5", "--no-ui"]) == 0
    database.open(default_db_url())
    app = CallersApp(caller="alice")
    async with app.run_test(size=(100, 30)) as pilot:
        keys = Keys(app, pilot)
        await keys.settle()
        text = "".join(screen_text(app).split())  # the path may wrap anywhere
        assert f"Thedemodatabaseisat{demo_db_url()}:openitwith`callers--demo`" in text


async def test_correcting_a_contact_shows_its_name_escaped_and_keeps_it_exact_unless_edited(db, now):
    from models.tables import Contact

    now(NOW)
    factories.customer("Acme Ltd", contact_name="Jane\x1b[31m Doe")
    app = CallersApp(caller="alice")
    async with app.run_test(size=SIZE) as pilot:
        keys = Keys(app, pilot)
        await keys.settle()
        await keys.press("f2", "e")
        await keys.settle()
        assert "Jane␛[31m Doe" in screen_text(app) and "\x1b" not in screen_text(app)
        await keys.press("tab", "tab")
        await keys.type("CTO")
        await keys.press("enter")
        await keys.settle()
    person = Contact.get()
    assert (person.name, person.title) == ("Jane\x1b[31m Doe", "CTO")
