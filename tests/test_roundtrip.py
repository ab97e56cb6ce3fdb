"""Export -> import is lossless, on both engines: `callers export contacts`
and `callers export customers`, imported into an empty database, export again
as the same rows (ids and due times aside)."""

from __future__ import annotations

import csv
import os
from datetime import timedelta

import pytest

from callers import clock
from callers import database as databases
from callers.cli import main
from callers.importer import import_file
from models.tables import Contact, Customer
from tests.support import factories, pgschema

NOW = "2026-11-23T09:00:00+00:00"


@pytest.fixture
def empty_url(engine, tmp_path):
    """A second, empty database of the same engine."""
    if engine == "sqlite":
        yield str(tmp_path / "second.db")
        return
    with pgschema.scratch(os.environ["CALLERS_TEST_PG"], "rt") as url:
        yield url


def _fill() -> None:
    """Customers with every fact the exports carry, some awkward."""
    at = clock.db_now()
    acme = factories.customer("Acme Ltd", external_id="ACC-1", phone="+44 20 7946 0958 ext. 23",
                              industry="Software", employees=250, country="GB", account_manager="Lee Park",
                              implementation_state="live", ref_prospect_call="yes", ref_press="no",
                              ref_case_study="not_now")
    Contact.update(title="Head of IT", email="jane@acme.example", external_id="zd-1", alt_phone="+447700900123",
                   alt_extension="9").where(Contact.customer == acme.id).execute()
    Contact.create(customer=acme, name="=HYPERLINK(\"http://evil.example\")", role="user", title="-Analyst",
                   phone="+442079460959", timezone="Europe/London", external_id="'=already marked",
                   do_not_call=True, created_at=at, updated_at=at)
    # Gone from the company (marked on a call): kept, never called.
    Contact.create(customer=acme, name="Old Buyer", role="buyer", phone="+442079460960", timezone="Europe/London",
                   active=False, created_at=at, updated_at=at)
    # Told the desk "do not call": the customer, not its contact.
    factories.customer("Beta GmbH", external_id="ACC-2", phone="+49 30 1234567", industry="@Retail",
                       employees=12, country="DE", do_not_call=True, implementation_state="stalled")
    gamma = factories.customer("Gamma Inc", external_id=None, phone="+1 212 555 0100", country="US",
                               account_manager="+Sam")
    Contact.update(role="other", email="ops@gamma.example").where(Contact.customer == gamma.id).execute()
    # A customer with no contact at all: only the customers export has it.
    Customer.create(name="Delta AB", name_key="delta ab", external_id="ACC-4", country="SE", industry="Mining",
                    created_at=at, updated_at=at, next_due_at=at - timedelta(days=1), needs_number=True,
                    ref_analyst="yes")


def _export(capsys, what: str) -> list[list[str]]:
    assert main(["export", what]) == 0
    return list(csv.reader(capsys.readouterr().out.splitlines()))


def _without(rows: list[list[str]], column: str) -> list[list[str]]:
    at = rows[0].index(column)
    return [row[:at] + row[at + 1:] for row in rows]


def test_export_then_import_into_an_empty_database_exports_the_same_rows(db, now, capsys, tmp_path, empty_url):
    now(NOW)
    _fill()
    customers, contacts = _export(capsys, "customers"), _export(capsys, "contacts")
    assert len(customers) == 5 and len(contacts) == 6
    for what, rows in (("customers", customers), ("contacts", contacts)):
        with open(tmp_path / f"{what}.csv", "w", encoding="utf-8", newline="") as out:
            csv.writer(out).writerows(rows)

    databases.open(empty_url)
    assert Customer.select().count() == 0
    now("2026-11-24T10:00:00+00:00")  # a day later: only the due times may differ
    listed = import_file(tmp_path / "customers.csv")
    assert (listed.kind, listed.customers_created, listed.rejected) == ("customers", 4, 0)
    people = import_file(tmp_path / "contacts.csv")
    assert (people.kind, people.contacts_created, people.rejected) == ("generic", 5, 0)

    assert _without(_export(capsys, "customers"), "next_due") == _without(customers, "next_due")
    assert _export(capsys, "contacts") == contacts
    # What the rows say is what is stored: the alternate number, the source ids, the marks read back.
    jane = Contact.get(Contact.external_id == "zd-1")
    assert (jane.alt_phone, jane.alt_extension, jane.extension) == ("+447700900123", "9", "23")
    odd = Contact.get(Contact.name == '=HYPERLINK("http://evil.example")')
    assert (odd.external_id, odd.title, odd.do_not_call) == ("'=already marked", "-Analyst", True)
    assert Contact.get(Contact.name == "Old Buyer").active is False  # still gone
    assert Customer.get(Customer.external_id == "ACC-1").call_contact != Contact.get(Contact.name == "Old Buyer").id
    beta = Customer.get(Customer.external_id == "ACC-2")
    assert (beta.do_not_call, beta.industry, beta.implementation_state) == (True, "@Retail", "stalled")
    delta = Customer.get(Customer.external_id == "ACC-4")
    assert (delta.needs_number, delta.ref_analyst, delta.referenceability_confirmed_at) == (True, "yes", None)


def test_a_customer_list_never_overwrites_what_a_call_found(db, now, tmp_path):
    now(NOW)
    factories.customer("Acme Ltd", external_id="ACC-1", implementation_state="in_progress", ref_press="yes")
    path = tmp_path / "customers.csv"
    path.write_text("external_id,name,industry,employees,country,account_manager,do_not_call,"
                    "implementation_state,referenceability,next_due\n"
                    "ACC-1,Acme Ltd,Software,40,GB,,true,live,press=no; analyst=not now,\n"
                    "ACC-1,Acme Ltd,,,,,,,,\n"
                    "ACC-9,New Co,,,,,false,Not started,prospect_call=unknown,\n"
                    "ACC-8,Odd Co,,,,,,half done,,\n", encoding="utf-8")
    res = import_file(path)
    assert (res.customers_created, res.customers_updated, res.duplicates, res.rejected) == (1, 1, 1, 1)
    assert res.problems == [(5, "rejected", "implementation_state 'half done' is not one of not_started, "
                                            "in_progress, live, stalled")]
    acme = Customer.get(Customer.external_id == "ACC-1")
    assert (acme.implementation_state, acme.ref_press, acme.ref_analyst) == ("in_progress", "yes", "not_now")
    assert (acme.industry, acme.employees, acme.do_not_call) == ("Software", 40, True)
    new = Customer.get(Customer.external_id == "ACC-9")
    assert (new.implementation_state, new.ref_prospect_call, new.needs_number) == ("not_started", None, True)


def test_a_file_that_says_gone_marks_the_contact_gone_and_never_brings_one_back(db, now, tmp_path):
    now(NOW)
    acme = factories.customer("Acme Ltd", external_id="ACC-1", phone="+44 20 7946 0958", contact_name="Jane Doe")
    at = clock.db_now()
    Contact.create(customer=acme, name="Sam User", role="user", phone="+442079460959", timezone="Europe/London",
                   created_at=at, updated_at=at)
    gone = tmp_path / "gone.csv"
    gone.write_text("customer,external_id,name,phone,gone\nAcme Ltd,ACC-1,Jane Doe,+442079460958,yes\n")
    result = import_file(gone)
    assert (result.contacts_updated, result.rejected) == (1, 0)
    jane = Contact.get(Contact.name == "Jane Doe")
    assert jane.active is False
    # The desk calls someone who is still there.
    assert Customer.get_by_id(acme.id).call_contact == Contact.get(Contact.name == "Sam User").id
    back = tmp_path / "back.csv"
    back.write_text("customer,external_id,name,phone,gone\nAcme Ltd,ACC-1,Jane Doe,+442079460958,no\n")
    import_file(back)
    assert Contact.get(Contact.name == "Jane Doe").active is False  # only a call brings a contact back
