"""Billing reconciliation on small real files in tests/data/billing (both engines)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from callers import clock, names, reconcile
from callers.cli import main
from callers.errors import CallersError
from models.tables import BillingLink, Customer
from tests.support import factories

DATA = Path(__file__).parent / "data" / "billing"
ACCOUNTS = str(DATA / "accounts.csv")


def mk(name: str, external_id: str, **fields) -> Customer:
    return factories.customer(name, external_id=external_id, name_key=names.name_key(name), **fields)


@pytest.fixture
def book(db, now):
    now("2026-11-23T12:00:00+00:00")
    rows = {
        "initech": mk("Initech", "CRM-1"),  # billed under our own account id
        "acme": mk("ACME, Inc.", "CRM-2"),  # billed as 'Acme Inc'
        "sgi": mk("Société Générale Informatique SARL", "CRM-3"),  # accents, case, legal form
        "umbrella_de": mk("Umbrella GmbH", "U-1"),
        "umbrella_ch": mk("Umbrella AG", "U-2"),
        "stark": mk("Stark Industries", "S-1"),  # nobody bills them
        "wayne": mk("Wayne Enterprises", "W-1", do_not_call=True),  # nobody bills them either
        "cyberdyne": mk("Cyberdyne Systems", "CY-1"),  # billing account cancelled
        "soylent": mk("Soylent", "SO-1"),  # linked earlier by billing id
    }
    BillingLink.create(customer=rows["soylent"], billing_id="B-700", linked_at=clock.db_now())
    return rows


def by_name(items):
    return {i["name"]: i for i in items}


def test_matched_by_id_link_and_name(book):
    result = reconcile.reconcile(ACCOUNTS)
    matched = by_name(result.matched)
    assert set(matched) == {"Initech", "ACME, Inc.", "Société Générale Informatique SARL", "Soylent"}
    assert (matched["Initech"]["matched_by"], matched["Initech"]["billing_id"]) == ("id", "CRM-1")
    assert (matched["ACME, Inc."]["matched_by"], matched["ACME, Inc."]["billing_name"]) == ("name", "Acme Inc")
    assert matched["Société Générale Informatique SARL"]["billing_id"] == "B-250"
    assert (matched["Soylent"]["matched_by"], matched["Soylent"]["billing_id"]) == ("link", "B-700")
    assert matched["ACME, Inc."]["external_id"] == "CRM-2"  # our side's id
    assert matched["Initech"]["plan"] == "Enterprise" and matched["Initech"]["amount"] == "1200"


def test_ambiguous_names_are_listed_never_guessed(book):
    result = reconcile.reconcile(ACCOUNTS)
    assert [(a["external_id"], a["name"], a["billing_id"], a["candidates"]) for a in result.ambiguous] == [
        ("U-2", "Umbrella AG", "B-300", 2),
        ("U-1", "Umbrella GmbH", "B-300", 2),
    ]
    everywhere = {i["external_id"] for i in result.matched + result.unbilled}
    assert not everywhere & {"U-1", "U-2"}  # neither matched nor called unbilled


def test_unknown_and_unbilled(book):
    result = reconcile.reconcile(ACCOUNTS)
    # Active billed accounts nobody knows; the inactive Tyrell account is not listed.
    assert [(u["external_id"], u["name"]) for u in result.unknown] == [("B-400", "Hooli, Inc.")]
    assert result.inactive_ignored == 1
    unbilled = by_name(result.unbilled)
    assert list(unbilled) == ["Cyberdyne Systems", "Stark Industries", "Wayne Enterprises"]
    assert unbilled["Stark Industries"]["reason"] == "no billing account"
    assert unbilled["Wayne Enterprises"]["do_not_call"] is True
    assert unbilled["Cyberdyne Systems"]["reason"] == "billing account Cancelled"
    assert unbilled["Cyberdyne Systems"]["billing_id"] == "B-500"
    assert result.skipped == [10]  # neither id nor name
    assert result.rows == 9


def test_name_match_ignores_case_suffix_and_punctuation(db, now, tmp_path):
    now("2026-11-23T12:00:00+00:00")
    mk("ACME, Inc.", "CRM-2")
    mk("Initech", "CRM-1")
    result = reconcile.reconcile(str(DATA / "by_name.csv"))
    assert sorted((m["name"], m["billing_id"], m["matched_by"]) for m in result.matched) == [
        ("ACME, Inc.", "B-2", "name"), ("Initech", "B-1", "name")]
    assert result.unbilled == [] and result.unknown == [] and result.ambiguous == []


def test_read_only_unless_link_and_link_is_idempotent(book, capsys):
    assert main(["reconcile", ACCOUNTS, "--format", "json"]) == 0
    capsys.readouterr()
    assert BillingLink.select().count() == 1  # only the one made before
    assert main(["reconcile", ACCOUNTS, "--link", "--format", "json"]) == 0
    captured = capsys.readouterr()
    assert "Linked 3 new billing account(s); 1 were already linked." in captured.err
    links = {b.billing_id: b.customer.external_id for b in BillingLink.select()}
    assert links == {"B-700": "SO-1", "CRM-1": "CRM-1", "B-200": "CRM-2", "B-250": "CRM-3"}
    assert main(["reconcile", ACCOUNTS, "--link", "--format", "json"]) == 0
    captured = capsys.readouterr()
    assert "Linked 0 new billing account(s); 4 were already linked." in captured.err
    assert BillingLink.select().count() == 4
    data = json.loads(captured.out)
    assert {m["matched_by"] for m in data["matched"]} == {"link"}


def test_json_shape(book, capsys):
    assert main(["reconcile", ACCOUNTS, "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert set(data) == {"matched", "unbilled", "unknown", "ambiguous", "unreadable"}
    assert data.pop("unreadable") == []
    for key in data:
        assert data[key], key
        for item in data[key]:
            assert "external_id" in item and "name" in item
    assert data["unknown"] == [{"external_id": "B-400", "name": "Hooli, Inc.", "plan": "Starter",
                                "amount": "50", "status": "Active", "line": 6}]


def test_text_and_csv(book, capsys):
    assert main(["reconcile", ACCOUNTS]) == 0
    text = capsys.readouterr().out
    assert text.splitlines()[0] == (
        "9 billing accounts, 9 customers: 4 matched, 3 unbilled, 1 unknown, 1 ambiguous")
    assert "line 5: B-300  Umbrella  could be:" in text
    assert "W-1  Wayne Enterprises  (do not call)" in text
    assert main(["reconcile", ACCOUNTS, "--format", "csv"]) == 0
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert tuple(rows[0]) == reconcile.CSV_COLUMNS
    cats = [r[0] for r in rows[1:]]
    assert cats.count("matched") == 4 and cats.count("unbilled") == 3
    assert cats.count("unknown") == 1 and cats.count("ambiguous") == 2


def test_map_columns_of_a_foreign_export(book, capsys):
    path = str(DATA / "mapped.csv")
    assert main(["reconcile", path, "--format", "json"]) == 1
    err = capsys.readouterr().err
    assert "no account id or customer name column" in err and "'Konto'" in err
    assert main(["reconcile", "--map", "Konto=id", path, "--map", "Firma=name", "--map", "Zustand=status",
                 "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert sorted((m["name"], m["matched_by"]) for m in data["matched"]) == [
        ("ACME, Inc.", "name"), ("Initech", "id")]
    assert [u["name"] for u in data["unknown"]] == ["Unbekannt GmbH"]
    with pytest.raises(CallersError, match="unknown field 'colour'"):
        reconcile.parse_map(["Konto=colour"])
    assert main(["reconcile", path, "--map", "Nope=id"]) == 1
    assert "no column 'Nope'" in capsys.readouterr().err


def test_missing_file_is_one_line(db, capsys, tmp_path):
    assert main(["reconcile", str(tmp_path / "nope.csv")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("callers: error:") and err.count("\n") == 1


def test_empty_database_everything_unknown(db, capsys):
    assert main(["reconcile", ACCOUNTS, "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["matched"] == [] and data["unbilled"] == [] and data["ambiguous"] == []
    assert [u["external_id"] for u in data["unknown"]] == ["CRM-1", "B-200", "B-250", "B-300", "B-400", "B-700"]


def test_a_billing_line_whose_quote_never_closes_is_listed_not_lost(book, tmp_path, capsys):
    path = tmp_path / "billing.csv"
    path.write_text('Account ID,Account Name,Plan,Status\nCRM-1,Initech,Pro,Active\n'
                    'CRM-2,"ACME, Inc.,Pro,Active\nB-400,"Hooli, Inc.",Starter,Active\n', encoding="utf-8")
    assert main(["reconcile", str(path), "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["unreadable"] == [{"line": 3, "reason": "line 3: quote never closed; the lines after it were "
                                                        "read as rows"}]
    assert [m["name"] for m in data["matched"]] == ["Initech"]
    assert [u["name"] for u in data["unknown"]] == ["Hooli, Inc."]
    assert main(["reconcile", str(path)]) == 0
    assert "(not read: line 3: quote never closed; the lines after it were read as rows)" in capsys.readouterr().out
