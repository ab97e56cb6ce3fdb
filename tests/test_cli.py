"""The command line for a person who mistypes, a newcomer, and text from
outside: did you mean, a subcommand's own usage, an example in every --help,
no empty database made by a typo, the way back to the demo, dates out of
range, and control characters and formulas never passed on."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta
from pathlib import Path

import pytest

from callers import clock
from callers.cli import build_parser, demo_db_url, main
from models.tables import Call, Customer, Department, Forward
from tests.support import factories

NOW = "2026-11-24T15:30:00+00:00"  # a Tuesday afternoon in Europe
BILLING = Path(__file__).parent / "data" / "billing"


def _argparse_error(capsys, *argv) -> str:
    with pytest.raises(SystemExit) as exited:
        main(list(argv))
    assert exited.value.code == 2
    return capsys.readouterr().err


# ---- mistypes -----------------------------------------------------------------------------


def test_a_mistyped_command_gets_did_you_mean(capsys):
    err = _argparse_error(capsys, "imprt", "contacts.csv")
    assert "invalid choice: 'imprt': did you mean 'import'?" in err
    assert _argparse_error(capsys, "export", "contact").count("did you mean 'contacts'?") == 1


def test_an_unknown_flag_of_a_subcommand_shows_that_subcommands_usage(capsys):
    err = _argparse_error(capsys, "import", "contacts.csv", "--rejcts", "r.csv")
    assert err.startswith("usage: callers import ")
    assert "callers import: error: unrecognized arguments: --rejcts (did you mean --rejects?) r.csv" in err
    assert "COMMAND ..." not in err  # not the top level's usage
    err = _argparse_error(capsys, "report", "--sinse=2026-11-01")
    assert err.startswith("usage: callers report ") and "did you mean --since?" in err


def test_reconcile_map_is_repeatable_and_leaves_the_file_name_alone(db, now, capsys):
    now(NOW)
    factories.customer("Initech", external_id="CRM-1")
    assert main(["reconcile", "--map", "Konto=id", str(BILLING / "mapped.csv"), "--map", "Firma=name",
                 "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [m["name"] for m in data["matched"]] == ["Initech"]


def _subcommands() -> dict:
    parser = build_parser()
    return next(a for a in parser._actions if a.dest == "command").choices


def test_every_subcommand_help_has_an_example():
    commands = _subcommands()
    assert len(commands) >= 16
    for name, parser in commands.items():
        text = parser.format_help()
        assert "\nexample" in text, name
        examples = text.split("\nexample", 1)[1].splitlines()[1:]
        assert examples and all(line.strip().startswith(("callers", "CALLERS_")) for line in examples if line), name


# ---- which database ------------------------------------------------------------------------


READ_ONLY = [["next"], ["report"], ["export", "contacts"], ["users"], ["forwards"], ["leads", "beta"],
             ["references", "find"], ["departments"], ["db", "check"], ["db", "upgrade"], ["desk"], []]


@pytest.mark.parametrize("command", READ_ONLY, ids=lambda c: " ".join(c) or "the desk")
def test_a_database_path_that_does_not_exist_is_refused_and_not_made(tmp_path, capsys, command):
    target = tmp_path / "typo" / "calers.db"
    assert main(["--db", str(target), *command]) == 1
    err = capsys.readouterr().err
    assert err == (f"callers: error: no database at {target} (from --db); `callers import FILE` or "
                   f"`callers --db {target} db init` creates one\n")
    assert not target.parent.exists()


def test_callers_db_naming_a_missing_file_is_refused_too(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("CALLERS_DB", str(tmp_path / "nope.db"))
    assert main(["next"]) == 1
    err = capsys.readouterr().err
    assert f"no database at {tmp_path / 'nope.db'} (from $CALLERS_DB)" in err
    assert not (tmp_path / "nope.db").exists()


def test_db_init_import_and_demo_create_the_database(tmp_path, capsys, now):
    now(NOW)
    made = tmp_path / "new" / "a.db"
    assert main(["--db", str(made), "db", "init"]) == 0 and made.exists()
    imported = tmp_path / "new2" / "b.db"
    assert main(["--db", str(imported), "import",
                 str(Path(__file__).parent / "data" / "import" / "zendesk_users.csv")]) == 0
    assert imported.exists()
    demo = tmp_path / "new3" / "c.db"
    assert main(["--db", str(demo), "demo", "--customers", "5", "--no-ui"]) == 0 and demo.exists()


def test_demo_then_the_way_back_to_it(capsys, now):
    now(NOW)
    assert main(["--demo", "next"]) == 1
    assert capsys.readouterr().err == (f"callers: error: no demo database at {demo_db_url()}; "
                                       "`callers demo` makes one\n")
    assert main(["demo", "--customers", "20", "--no-ui"]) == 0
    summary = capsys.readouterr().out
    assert summary.rstrip().endswith("; open it again with `callers --demo`")
    # The user's own database is empty: `next` says how to fill it, and where the demo is.
    assert main(["next"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("No customers yet. Import your customer list:\n`callers import customers.csv`\n")
    assert out.endswith(f"\nThe demo database is at {demo_db_url()}:\nopen it with `callers --demo`\n")
    assert main(["--demo", "next", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["customer"]["name"]
    assert main(["--demo", "--db", "x.db", "next"]) == 1
    assert "give --db or --demo, not both" in capsys.readouterr().err


def test_next_on_an_empty_database_says_how_to_import(db, now, capsys):
    now(NOW)
    assert main(["next"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("No customers yet. Import your customer list:\n`callers import customers.csv`\n")
    assert "demo" not in out


# ---- dates out of range -----------------------------------------------------------------------


@pytest.mark.parametrize("value", ["9999-12-31T23:59:59+00:00", "0001-01-01T00:00:00+00:00",
                                   "9999-12-31T23:59:59-05:00"])
def test_callers_now_far_away_is_a_one_line_date_error(db, capsys, monkeypatch, value):
    monkeypatch.setenv("CALLERS_NOW", value)
    assert main(["next"]) == 1
    err = capsys.readouterr().err
    assert err == (f"callers: error: CALLERS_NOW={value!r} is out of range: give a time between 1900-01-01 "
                   "and 8999-12-31, e.g. 2026-11-24T15:30:00+00:00\n")


def test_a_report_over_all_of_time_is_a_one_line_date_error(db, now, capsys):
    now(NOW)
    assert main(["report", "--since", "0001-01-01", "--until", "9999-12-31"]) == 1
    err = capsys.readouterr().err
    assert err == ("callers: error: --until '9999-12-31' is out of range; use a date between 1900-01-01 "
                   "and 8999-12-31\n")
    assert main(["report", "--since", "1900-01-01", "--until", "8999-12-31", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["period"]["until"] == "9000-01-01T00:00:00+00:00"


# ---- text from outside ------------------------------------------------------------------------


EVIL = "Evil\x1b]0;pwned\x07 Corp\x9b2J"


def test_next_shows_control_characters_escaped_and_stores_them_exactly(db, now, capsys):
    now(NOW)
    factories.customer(EVIL, contact_name="Jane\rDoe")
    assert main(["next"]) == 0
    out = capsys.readouterr().out
    assert "Evil␛]0;pwned␇ Corp\\u009b2J" in out and "Jane␍Doe" in out
    assert not set(out) & {"\x1b", "\x07", "\x9b", "\r"}
    assert main(["next", "--format", "json"]) == 0
    raw = capsys.readouterr().out
    assert json.loads(raw)["customer"]["name"] == EVIL and "\x9b" not in raw
    assert Customer.get().name == EVIL


FORMULA = '=HYPERLINK("http://evil.example","click")'


def _csv(capsys, *argv) -> list[list[str]]:
    assert main(list(argv)) == 0
    return list(csv.reader(io.StringIO(capsys.readouterr().out)))


def _cells(rows) -> set[str]:
    return {cell for row in rows for cell in row}


def test_every_csv_neutralises_formulas(db, now, capsys):
    now(NOW)
    evil = factories.customer(FORMULA, external_id="+1", implementation_state="stalled",
                              ref_prospect_call="yes")
    at = clock.to_db(clock.now() - timedelta(days=1))
    Call.create(customer=evil, caller=FORMULA, shown_at=at, started_at=at, ended_at=at + timedelta(seconds=90),
                outcome="completed")
    Forward.create(customer=evil, caller="@sam", department=Department.get(Department.name == "Billing"),
                   note="-2 invoices", status="open", created_at=at)
    marked = "'" + FORMULA
    outputs = {
        "report": _csv(capsys, "report", "--format", "csv"),
        "reconcile": _csv(capsys, "reconcile", str(BILLING / "accounts.csv"), "--format", "csv"),
        "leads": _csv(capsys, "leads", "professional-services", "--format", "csv"),
        "references": _csv(capsys, "references", "find", "--state", "any", "--format", "csv"),
        "forwards": _csv(capsys, "forwards", "--format", "csv"),
        "export": _csv(capsys, "export", "customers"),
    }
    for what, rows in outputs.items():
        cells = _cells(rows)
        assert marked in cells, what
        assert not any(cell.startswith(("=", "+", "-", "@")) for cell in cells), (what, sorted(cells))
    assert ["callers", marked, "count", "1"] in outputs["report"]  # numbers stay numbers
    forward = outputs["forwards"][1]
    assert ("'@sam" in forward and "'-2 invoices" in forward and "'+1" in forward)
