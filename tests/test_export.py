"""`callers export`: exact fields, ISO UTC times, CSV injection neutralised, JSON exact."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta
from pathlib import Path

import pytest

from callers import clock
from callers.cli import main
from callers.export import FIELDS, neutralise
from callers.importer import import_file
from models.tables import Call, Contact, Customer, Department, Forward

DATA = Path(__file__).parent / "data" / "import"


@pytest.fixture
def filled(db, now):
    at = now("2026-11-23T09:00:00+00:00")
    import_file(DATA / "markup_formula.csv")
    import_file(DATA / "salesforce_api.csv")
    acme = Customer.get(Customer.name == "ACME [EU] Holdings")
    acme.industry, acme.employees, acme.implementation_state = "@Retail", 40, "live"
    acme.ref_prospect_call, acme.ref_press = "yes", "no"
    acme.save()
    ops = Contact.get(Contact.customer == acme)
    ops.title = "\tTabbed\rTitle"
    ops.save()
    start = clock.to_db(at - timedelta(hours=2))
    call = Call.create(customer=acme, contact=ops, caller="=cmd|' /C calc'!A0", shown_at=start,
                       started_at=start, ended_at=start + timedelta(seconds=170), outcome="callback",
                       callback_at=start + timedelta(days=1), dialled_at=start - timedelta(seconds=12),
                       answered_at=start, hangup_cause="200 BYE from the far end", zone="Europe/Berlin",
                       country="DE")
    Call.create(customer=acme, contact=None, caller="sam", shown_at=start, outcome="no_answer",
                ended_at=start)
    billing = Department.select().order_by(Department.id).first()
    Forward.create(customer=acme, call=call, contact=ops, caller="sam", department=billing,
                   assignee=None, note="-2 invoices [bold]wrong[/]", status="done", created_at=start,
                   resolved_at=start + timedelta(hours=1), resolution="+refund sent")
    return {"billing": billing.name}


def _export(capsys, *args) -> str:
    assert main(["export", *args]) == 0
    return capsys.readouterr().out


def test_neutralise():
    assert [neutralise(v) for v in ("=1+1", "+44", "-3", "@x", "\tx", "\rx", "a=b", "", None, True, 5, -3,
                                    "'=x", "'plain", ["a", "=b"])] == [
        "'=1+1", "'+44", "'-3", "'@x", "'\tx", "'\rx", "a=b", "", "", "true", "5", "-3",
        "''=x", "'plain", "a; =b"]


def test_customers_csv_and_json(filled, capsys):
    rows = list(csv.DictReader(io.StringIO(_export(capsys, "customers"))))
    assert list(rows[0]) == list(FIELDS["customers"]) == [
        "external_id", "name", "industry", "employees", "country", "account_manager", "do_not_call",
        "implementation_state", "referenceability", "next_due"]
    assert [r["name"] for r in rows] == [
        "ACME [EU] Holdings", "[bold red]Markup Corp[/]", "Robert'); DROP TABLE customers;--",
        "'=HYPERLINK(\"http://evil.example\",\"click\")", "'-Minus Ltd", "Northwind Traders",
        "Northwind Traders"]
    assert rows[0] == {"external_id": "", "name": "ACME [EU] Holdings", "industry": "'@Retail",
                       "employees": "40", "country": "GB", "account_manager": "", "do_not_call": "false",
                       "implementation_state": "live",
                       "referenceability": "prospect_call=yes; case_study=unknown; press=no; analyst=unknown; "
                                           "site_visit=unknown",
                       "next_due": "2026-11-23T09:00:00+00:00"}
    assert rows[5]["external_id"] == "0011"
    data = json.loads(_export(capsys, "customers", "--format", "json"))
    assert data[0] == {"external_id": None, "name": "ACME [EU] Holdings", "industry": "@Retail",
                       "employees": 40, "country": "GB", "account_manager": None, "do_not_call": False,
                       "implementation_state": "live",
                       "referenceability": {"prospect_call": "yes", "case_study": "unknown", "press": "no",
                                            "analyst": "unknown", "site_visit": "unknown"},
                       "next_due": "2026-11-23T09:00:00+00:00"}
    assert data[3]["name"] == '=HYPERLINK("http://evil.example","click")'


def test_contacts(filled, capsys):
    rows = list(csv.DictReader(io.StringIO(_export(capsys, "contacts"))))
    assert list(rows[0]) == ["customer", "external_id", "name", "title", "role", "phone", "extension",
                             "email", "timezone", "do_not_call", "contact_id", "alternate_phone",
                             "alternate_extension", "industry", "employees", "country", "account_manager",
                             "customer_do_not_call", "gone"]
    assert rows[0] == {"customer": "ACME [EU] Holdings", "external_id": "", "name": "[ERR-7] Ops",
                       "title": "'\tTabbed\rTitle", "role": "user", "phone": "'+442079460100",
                       "extension": "", "email": "ops@acme-eu.example", "timezone": "Europe/London",
                       "do_not_call": "false", "contact_id": "", "alternate_phone": "",
                       "alternate_extension": "", "industry": "'@Retail", "employees": "40", "country": "GB",
                       "account_manager": "", "customer_do_not_call": "false", "gone": "false"}
    assert rows[3]["name"] == "'+SUM(1;2)" and rows[3]["email"] == "'@cmd@formula.example"
    assert (rows[5]["customer"], rows[5]["external_id"], rows[5]["name"]) == (
        "Northwind Traders", "0011", "Nancy Davolio")
    data = json.loads(_export(capsys, "contacts", "--format", "json"))
    assert data[0]["title"] == "\tTabbed\rTitle" and data[0]["phone"] == "+442079460100"
    assert data[3]["name"] == "+SUM(1;2)"
    assert len(data) == 8


def test_calls_and_forwards(filled, capsys):
    calls = json.loads(_export(capsys, "calls", "--format", "json"))
    assert calls == [
        {"customer": "ACME [EU] Holdings", "contact": "[ERR-7] Ops", "caller": "=cmd|' /C calc'!A0",
         "started_at": "2026-11-23T07:00:00+00:00", "ended_at": "2026-11-23T07:02:50+00:00",
         "outcome": "callback", "callback_at": "2026-11-24T07:00:00+00:00",
         "dialled_at": "2026-11-23T06:59:48+00:00", "answered_at": "2026-11-23T07:00:00+00:00",
         "ring_seconds": 12, "hangup_cause": "200 BYE from the far end", "zone": "Europe/Berlin",
         "country": "DE"},
        {"customer": "ACME [EU] Holdings", "contact": None, "caller": "sam", "started_at": None,
         "ended_at": "2026-11-23T07:00:00+00:00", "outcome": "no_answer", "callback_at": None,
         "dialled_at": None, "answered_at": None, "ring_seconds": None, "hangup_cause": None, "zone": None,
         "country": None},
    ]
    rows = list(csv.reader(io.StringIO(_export(capsys, "calls"))))
    assert rows[0] == ["customer", "contact", "caller", "started_at", "ended_at", "outcome", "callback_at",
                       "dialled_at", "answered_at", "ring_seconds", "hangup_cause", "zone", "country"]
    assert rows[1][7:10] == ["2026-11-23T06:59:48+00:00", "2026-11-23T07:00:00+00:00", "12"]
    assert rows[1][2] == "'=cmd|' /C calc'!A0"
    forwards = json.loads(_export(capsys, "forwards", "--format", "json"))
    assert forwards == [{"customer": "ACME [EU] Holdings", "department": filled["billing"], "assignee": None,
                         "note": "-2 invoices [bold]wrong[/]", "status": "done",
                         "created_at": "2026-11-23T07:00:00+00:00", "resolved_at": "2026-11-23T08:00:00+00:00",
                         "resolution": "+refund sent"}]
    rows = list(csv.DictReader(io.StringIO(_export(capsys, "forwards"))))
    assert (rows[0]["note"], rows[0]["resolution"]) == ("'-2 invoices [bold]wrong[/]", "'+refund sent")


def test_output_file_and_empty_export(filled, capsys, tmp_path):
    out = tmp_path / "contacts.csv"
    assert main(["export", "contacts", "-o", str(out)]) == 0
    assert capsys.readouterr().err == f"8 contacts written to {out}\n"
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbfcustomer,external_id,") and b"\r\n" in raw
    # The export imports again, unchanged (neutralised cells are read back).
    res = import_file(out)
    assert (res.kind, res.unchanged, res.contacts_created, res.rejected) == ("generic", 8, 0, 0)
    Forward.delete().execute()
    assert _export(capsys, "forwards", "--format", "json") == "[]\n"
    assert _export(capsys, "forwards") == ",".join(FIELDS["forwards"]) + "\r\n"


def test_export_streams_in_pages(db, now, capsys, monkeypatch):
    import callers.export as export

    now("2026-11-23T09:00:00+00:00")
    monkeypatch.setattr(export, "_PAGE", 3)
    at = clock.db_now()
    Customer.insert_many([{"name": f"C{i}", "name_key": f"c{i}", "created_at": at, "updated_at": at}
                          for i in range(10)]).execute()
    data = json.loads(_export(capsys, "customers", "--format", "json"))
    assert [d["name"] for d in data] == [f"C{i}" for i in range(10)]
