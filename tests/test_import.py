"""callers.importer and `callers import`, on real files, on both engines."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from callers import clock
from callers.cli import main
from callers.importer import ImportResult, import_file
from models.tables import DUE_NEVER_REACHED, Contact, Customer
from tests.support import factories

DATA = Path(__file__).parent / "data" / "import"
NOW = "2026-11-23T09:00:00+00:00"


@pytest.fixture
def frozen(now):
    return now(NOW)


def _counts(res: ImportResult) -> dict:
    out = res.as_json()
    out.pop("rejects_file")
    return out


def _customer(name: str) -> Customer:
    return Customer.get(Customer.name == name)


def _contacts(customer: Customer) -> list[Contact]:
    return list(Contact.select().where(Contact.customer == customer).order_by(Contact.id))


def _problems(res: ImportResult) -> list[tuple]:
    return sorted(res.problems)


# ---- each export format --------------------------------------------------------


def test_zendesk_users(db, frozen):
    res = import_file(DATA / "zendesk_users.csv")
    assert res.kind == "zendesk"
    assert _counts(res) == dict(rows=10, customers_created=2, customers_updated=0, contacts_created=4,
                                contacts_updated=0, unchanged=0, duplicates=0, rejected=3, skipped=3)
    assert _problems(res) == [
        (3, "skipped", "help-desk staff (agent)"),
        (4, "skipped", "help-desk staff (admin)"),
        (5, "skipped", "empty line"),
        (9, "rejected", "phone '12345' has no country code and the row has no country"),
        (10, "rejected", "no phone number"),
        (11, "rejected", "no company (customer name)"),
    ]
    assert [c.name for c in Customer.select().order_by(Customer.id)] == ["ACME Ltd", "Globex Corporation"]
    acme = _customer("ACME Ltd")  # "ACME, Ltd." on another row is the same customer
    assert acme.source == "zendesk"
    assert clock.from_db(acme.next_due_at) == frozen
    assert acme.due_rank == DUE_NEVER_REACHED
    jane, bob = _contacts(acme)
    assert (jane.name, jane.email, jane.phone, jane.extension, jane.external_id, jane.timezone) == (
        "Jane Doe", "jane@acme.example", "+442079460958", None, "zd-1", "Europe/London")
    assert (bob.phone, bob.extension, bob.external_id) == ("+442079460959", "23", "zd-4")
    assert (acme.call_contact, acme.call_tz) == (jane.id, "Europe/London")
    globex = _customer("Globex Corporation")
    carl, gus = _contacts(globex)
    assert (carl.do_not_call, gus.do_not_call) == (False, True)  # "do_not_call" tag
    assert globex.do_not_call is False
    assert globex.call_contact == carl.id
    assert not Customer.select().where(Customer.name.in_(["Our Desk", "Initech"])).exists()


def test_freshdesk_contacts_work_phone_preferred_mobile_alternate(db, frozen):
    res = import_file(DATA / "freshdesk_contacts.csv", region="DE")
    assert res.kind == "freshdesk"
    assert _counts(res) == dict(rows=4, customers_created=2, customers_updated=0, contacts_created=4,
                                contacts_updated=0, unchanged=0, duplicates=0, rejected=0, skipped=0)
    anna, ben = _contacts(_customer("Muster GmbH"))
    assert (anna.phone, anna.alt_phone, anna.title, anna.external_id) == (
        "+49301234567", "+4915123456789", "Head of IT", "fd-100")
    # An invalid work phone (0301) and a valid mobile: the mobile is kept.
    assert (ben.phone, ben.alt_phone) == ("+4915123456780", None)
    clara, dirk = _contacts(_customer("Beispiel AG"))
    assert (clara.phone, clara.alt_phone) == ("+4915123456781", None)
    assert (dirk.phone, dirk.extension) == ("+498912345678", "42")


def test_freshdesk_without_region_rejects_national_numbers(db, frozen):
    res = import_file(DATA / "freshdesk_contacts.csv")
    assert res.rejected == 4 and res.contacts_created == 0
    assert res.reasons == {
        "rejected: phone '030 1234567' has no country code and the row has no country": 1,
        "rejected: phone '0301' has no country code and the row has no country": 1,
        "rejected: phone '0151 23456781' has no country code and the row has no country": 1,
        "rejected: phone '089 12345678 Durchwahl 42' has no country code and the row has no country": 1,
    }
    assert Customer.select().count() == 0


def test_hubspot_contacts_country_names_and_owner(db, frozen):
    res = import_file(DATA / "hubspot_contacts.csv")
    assert (res.kind, res.encoding) == ("hubspot", "utf-8-sig")
    assert _counts(res) == dict(rows=4, customers_created=3, customers_updated=0, contacts_created=3,
                                contacts_updated=0, unchanged=0, duplicates=0, rejected=1, skipped=0)
    assert _problems(res) == [(5, "rejected", "phone '03-1234-5678' has no country code and the row "
                                              "has no country (country 'Narnia' not recognised)")]
    lumiere = _customer("Lumière SA")
    assert (lumiere.country, lumiere.industry, lumiere.account_manager) == ("FR", "Retail", "Sam Seller")
    (emile,) = _contacts(lumiere)
    assert (emile.name, emile.phone, emile.external_id, emile.title, emile.timezone) == (
        "Émile Durand", "+33142685300", "501", "Directeur", "Europe/Paris")
    (heidi,) = _contacts(_customer("Alpen Software AG"))
    assert (heidi.phone, heidi.timezone) == ("+41446681800", "Europe/Zurich")
    assert _customer("Bluebird Ltd").country == "GB"


def test_salesforce_report_latin1_and_do_not_call(db, frozen):
    res = import_file(DATA / "salesforce_contacts.csv")
    assert (res.kind, res.encoding) == ("salesforce", "cp1252")
    assert _counts(res) == dict(rows=4, customers_created=2, customers_updated=0, contacts_created=4,
                                contacts_updated=0, unchanged=0, duplicates=0, rejected=0, skipped=0)
    sgt = _customer("Société Générale Test")
    zoe, herve = _contacts(sgt)
    assert (zoe.name, zoe.do_not_call, herve.name, herve.do_not_call) == (
        "Zoé Lefèvre", False, "Hervé Mallet", True)
    assert (sgt.do_not_call, sgt.call_contact) == (False, zoe.id)
    quiet = _customer("Quiet Büro GmbH")  # every contact do-not-call
    assert [c.name for c in _contacts(quiet)] == ["Jürgen Groß", "Käthe Öz"]
    assert all(c.do_not_call for c in _contacts(quiet))
    assert (quiet.do_not_call, quiet.call_contact, quiet.call_tz) == (True, None, None)


def test_salesforce_api_names_group_by_account_id(db, frozen):
    res = import_file(DATA / "salesforce_api.csv")
    assert res.kind == "salesforce"
    assert (res.customers_created, res.contacts_created) == (2, 3)
    first = Customer.get(Customer.external_id == "0011")
    second = Customer.get(Customer.external_id == "0012")
    # Same name, different accounts: two customers; the first spelling is kept.
    assert (first.name, second.name) == ("Northwind Traders", "Northwind Traders")
    nancy, andrew = _contacts(first)
    assert (nancy.phone, nancy.alt_phone, nancy.external_id) == ("+12125550101", "+16465553890", "0031")
    assert andrew.name == "Andrew Fuller"
    assert [c.name for c in _contacts(second)] == ["Janet Leverling"]


def test_generic_semicolons_cp1252_quoted_newline_blank_lines(db, frozen):
    res = import_file(DATA / "generic_semicolon_cp1252.csv")
    assert (res.kind, res.encoding, res.delimiter) == ("generic", "cp1252", "semicolon")
    assert _counts(res) == dict(rows=5, customers_created=2, customers_updated=0, contacts_created=3,
                                contacts_updated=0, unchanged=0, duplicates=0, rejected=0, skipped=2)
    assert res.reasons == {"skipped: empty line": 2}
    muller = Customer.get(Customer.external_id == "A-1")
    assert (muller.name, muller.industry, muller.employees, muller.country, muller.account_manager) == (
        "Müller & Söhne GmbH", "Maschinenbau", 1200, "DE", "Petra Pohl")
    assert [c.name for c in _contacts(muller)] == ["Jörg Müller", "Ute\r\nMüller"]
    cafe = Customer.get(Customer.external_id == "A-2")
    assert (cafe.name, cafe.employees, cafe.country) == ("Café Crème SARL", 12, "FR")


def test_markup_sql_and_formula_names_are_stored_exactly(db, frozen):
    res = import_file(DATA / "markup_formula.csv")
    assert (res.customers_created, res.contacts_created, res.rejected) == (5, 5, 0)
    names = [c.name for c in Customer.select().order_by(Customer.id)]
    assert names == ["ACME [EU] Holdings", "[bold red]Markup Corp[/]", "Robert'); DROP TABLE customers;--",
                     '=HYPERLINK("http://evil.example","click")', "-Minus Ltd"]
    people = [c.name for c in Contact.select().order_by(Contact.id)]
    assert people[:4] == ["[ERR-7] Ops", "[i]Ivy[/i]", "Bobby Tables", "+SUM(1;2)"]
    assert Contact.get(Contact.name == "+SUM(1;2)").email == "@cmd@formula.example"


def test_duplicates_and_extensions(db, frozen):
    res = import_file(DATA / "duplicates_extensions.tsv")
    assert res.delimiter == "tab"
    assert _counts(res) == dict(rows=7, customers_created=2, customers_updated=0, contacts_created=5,
                                contacts_updated=0, unchanged=0, duplicates=2, rejected=0, skipped=0)
    delta = _contacts(_customer("Delta Ltd"))
    assert [(c.name, c.phone, c.extension) for c in delta] == [
        ("Deb One", "+442079460200", "23"),  # x23; the same number again and the same
        ("Dan Two", "+442079460201", "7"),   # e-mail in capitals are duplicates
        ("Don Three", "+442079460202", "45"),  # Extension column
        ("Di Four", "+442079460203", "9"),
    ]
    # The same person at another customer is another contact.
    assert [(c.name, c.phone) for c in _contacts(_customer("Echo plc"))] == [("Deb One", "+442079460200")]


# ---- re-import, updates, do-not-call ------------------------------------------------------

ALL_FILES = [("zendesk_users.csv", None), ("freshdesk_contacts.csv", "DE"), ("hubspot_contacts.csv", None),
             ("salesforce_contacts.csv", None), ("salesforce_api.csv", None),
             ("generic_semicolon_cp1252.csv", None), ("markup_formula.csv", None),
             ("duplicates_extensions.tsv", None)]


def _snapshot():
    customers = list(Customer.select().order_by(Customer.id).tuples())
    contacts = list(Contact.select().order_by(Contact.id).tuples())
    return customers, contacts


def test_reimport_creates_nothing_twice(db, frozen):
    first = [import_file(DATA / name, region=region) for name, region in ALL_FILES]
    before = _snapshot()
    for (name, region), one in zip(ALL_FILES, first):
        again = import_file(DATA / name, region=region)
        assert (again.customers_created, again.contacts_created, again.contacts_updated,
                again.customers_updated) == (0, 0, 0, 0), name
        assert again.unchanged == one.contacts_created, name
        assert (again.duplicates, again.rejected, again.skipped, again.rows) == (
            one.duplicates, one.rejected, one.skipped, one.rows), name
    assert _snapshot() == before


def test_newer_export_updates_in_place(db, frozen, tmp_path):
    import_file(DATA / "hubspot_contacts.csv")
    heidi_id = Contact.get(Contact.external_id == "502").id
    newer = (DATA / "hubspot_contacts.csv").read_text(encoding="utf-8-sig")
    newer = newer.replace("044 668 18 00,Sam Seller,Alpen Software AG,Switzerland,Software,CTO",
                          "+49 89 12345679,Sam Seller,Alpen Software AG,Switzerland,Fintech,CEO")
    newer += "505,Kai,Berg,kai@alpen.example,044 668 18 02,Sam Seller,Alpen Software AG,Switzerland,,IT\n"
    path = tmp_path / "newer.csv"
    path.write_text(newer, encoding="utf-8")
    res = import_file(path)
    assert _counts(res) == dict(rows=5, customers_created=0, customers_updated=1, contacts_created=1,
                                contacts_updated=1, unchanged=2, duplicates=0, rejected=1, skipped=0)
    heidi = Contact.get(Contact.id == heidi_id)
    assert (heidi.phone, heidi.title, heidi.timezone) == ("+498912345679", "CEO", "Europe/Berlin")
    alpen = _customer("Alpen Software AG")
    assert alpen.industry == "Fintech"
    assert [c.name for c in _contacts(alpen)] == ["Heidi Meier", "Kai Berg"]
    assert Customer.select().count() == 3


def test_do_not_call_set_in_callers_is_not_cleared_by_an_old_export(db, frozen):
    import_file(DATA / "zendesk_users.csv")
    jane = Contact.get(Contact.external_id == "zd-1")
    jane.do_not_call = True
    jane.save()
    res = import_file(DATA / "zendesk_users.csv")
    assert res.unchanged == 4
    assert Contact.get(Contact.id == jane.id).do_not_call is True


def test_rows_join_existing_customer_by_name_key_and_adopt_account_id(db, frozen, tmp_path):
    existing = factories.customer("Northwind Traders Inc.", phone=None)
    path = tmp_path / "accounts.csv"
    path.write_text("Account ID,Account Name,Contact Name,Phone\n"
                    "N-9,Northwind Traders,Nora North,+1 212 555 0150\n", encoding="utf-8")
    existing.name_key = "northwind traders"
    existing.save()
    res = import_file(path)
    assert (res.customers_created, res.customers_updated, res.contacts_created) == (0, 1, 1)
    row = Customer.get(Customer.id == existing.id)
    assert (row.external_id, row.name) == ("N-9", "Northwind Traders")
    (nora,) = _contacts(row)
    assert (row.call_contact, row.call_tz) == (nora.id, "America/New_York")


def test_one_bad_row_never_aborts(db, frozen, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("Company,Contact,Phone\n"
                    "Good One,Ann,+44 20 7946 0300\n"
                    "Shifted,Bo,+44 20 7946 0301,extra,cells\n"
                    "Good Two,Cy,not a number\n"
                    "Good Two,Di,+44 20 7946 0302\n"
                    f"{'Long' * 126},Ed,+44 20 7946 0303\n", encoding="utf-8")
    res = import_file(path)
    assert _counts(res) == dict(rows=5, customers_created=2, customers_updated=0, contacts_created=2,
                                contacts_updated=0, unchanged=0, duplicates=0, rejected=3, skipped=0)
    assert _problems(res) == [
        (3, "rejected", "5 cells but the header has 3 columns (an unquoted delimiter?)"),
        (4, "rejected", "phone 'not a number' is not a phone number"),
        (6, "rejected", "customer longer than 500 characters"),
    ]


def test_many_rows_across_batches(db, frozen, tmp_path):
    """Customers whose rows fall in different write batches, duplicates across batches."""
    path = tmp_path / "big.csv"
    lines = ["Account ID,Company,Contact,Phone,Role"]
    for i in range(4500):
        cust = i % 700
        lines.append(f"C{cust},Company {cust},Person {i},+44 20 7946 {i % 10000:04d},"
                     f"{'buyer' if i == 4400 else 'user'}")
    lines.append("C0,Company 0,Person 0 again,+44 20 7946 0000,user")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    res = import_file(path)
    assert _counts(res) == dict(rows=4501, customers_created=700, customers_updated=0,
                                contacts_created=4500, contacts_updated=0, unchanged=0, duplicates=1,
                                rejected=0, skipped=0)
    assert Customer.select().count() == 700
    assert Contact.select().count() == 4500
    # Company 200's buyer (row 4400, in the last batch) is the one to call.
    c200 = Customer.get(Customer.external_id == "C200")
    buyer = Contact.get(Contact.name == "Person 4400")
    assert (buyer.customer_id, buyer.role, c200.call_contact) == (c200.id, "buyer", buyer.id)
    again = import_file(path)
    assert (again.unchanged, again.duplicates, again.contacts_created) == (4500, 1, 0)


# ---- dry run, rejects, the command line -----------------------------------------------------


def test_dry_run_reports_the_same_and_writes_nothing(db, frozen, tmp_path):
    dry = import_file(DATA / "zendesk_users.csv", dry_run=True, rejects_path=tmp_path / "r.csv")
    assert Customer.select().count() == 0 and Contact.select().count() == 0
    real = import_file(DATA / "zendesk_users.csv")
    assert _counts(dry) == _counts(real)
    assert dry.dry_run is True


def test_rejects_file_has_rows_as_they_were_plus_reason(db, frozen, tmp_path):
    rejects = tmp_path / "rejects.csv"
    res = import_file(DATA / "hubspot_contacts.csv", rejects_path=rejects)
    assert res.rejects_file == str(rejects)
    raw = rejects.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # same encoding as the export
    rows = list(csv.reader(raw.decode("utf-8-sig").splitlines()))
    assert rows == [
        ["Record ID - Contact", "First Name", "Last Name", "Email", "Phone Number", "Contact owner",
         "Company name", "Country/Region", "Industry", "Job Title", "reason"],
        ["504", "Jo", "Nakamura", "jo@sakura.example", "03-1234-5678", "Kim Closer", "Sakura KK", "Narnia",
         "Software", "IT", "phone '03-1234-5678' has no country code and the row has no country "
                           "(country 'Narnia' not recognised)"],
    ]
    # Fixed, the file imports again (the reason column is ignored).
    rejects.write_text(raw.decode("utf-8-sig").replace("Narnia", "Japan"), encoding="utf-8")
    again = import_file(rejects)
    assert (again.kind, again.contacts_created, again.rejected) == ("hubspot", 1, 0)
    assert Contact.get(Contact.external_id == "504").timezone == "Asia/Tokyo"


def test_cli_json(db, frozen, capsys, tmp_path):
    code = main(["import", str(DATA / "zendesk_users.csv"), "--json", "--rejects", str(tmp_path / "r.csv")])
    out = capsys.readouterr()
    assert code == 0
    data = json.loads(out.out)
    assert list(data) == ["rows", "customers_created", "customers_updated", "contacts_created",
                          "contacts_updated", "unchanged", "duplicates", "rejected", "skipped", "rejects_file"]
    assert data == {"rows": 10, "customers_created": 2, "customers_updated": 0, "contacts_created": 4,
                    "contacts_updated": 0, "unchanged": 0, "duplicates": 0, "rejected": 3, "skipped": 3,
                    "rejects_file": str(tmp_path / "r.csv")}
    assert data["rows"] == sum(data[k] for k in ("contacts_created", "contacts_updated", "unchanged",
                                                 "duplicates", "rejected", "skipped"))
    assert out.err == ""


def test_cli_summary_and_dry_run(db, frozen, capsys):
    assert main(["import", str(DATA / "duplicates_extensions.tsv"), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Dry run (nothing written): ")
    assert "7 rows: 5 contacts created, 0 updated, 0 unchanged, 2 duplicates, 0 rejected, 0 skipped" in out
    assert Customer.select().count() == 0


def test_cli_unknown_layout_lists_columns_and_fields(db, frozen, capsys):
    code = main(["import", str(DATA / "unknown_layout.csv")])
    err = capsys.readouterr().err
    assert code == 1
    assert err.count("\n") == 1 and err.startswith("callers: error: unknown layout")
    assert "Columns found: 'Kundennummer', 'Firma', 'Ansprechpartner', 'Telefon', 'Land'" in err
    assert "Fields expected: customer, external_id, name," in err
    assert Customer.select().count() == 0


def test_cli_map(db, frozen, capsys):
    code = main(["import", str(DATA / "unknown_layout.csv"), "--map", "Kundennummer=external_id",
                 "--map", "Firma=customer", "--map", "Ansprechpartner=name", "--map", "Telefon=phone",
                 "--map", "land=country", "--json"])
    assert code == 0
    data = json.loads(capsys.readouterr().out)
    assert (data["customers_created"], data["contacts_created"]) == (2, 2)
    beta = Customer.get(Customer.external_id == "K-2")
    assert (beta.name, beta.source, beta.country) == ("Beta Druck KG", "mapped", "CH")
    (vera,) = _contacts(beta)
    assert (vera.name, vera.phone) == ("Vera Neu", "+41446681801")


def test_cli_map_errors(db, capsys):
    assert main(["import", str(DATA / "unknown_layout.csv"), "--map", "Nope=customer"]) == 1
    assert "no column 'Nope' in the file" in capsys.readouterr().err
    assert main(["import", str(DATA / "unknown_layout.csv"), "--map", "Firma=colour"]) == 1
    assert "unknown field 'colour'" in capsys.readouterr().err
    assert main(["import", str(DATA / "zendesk_users.csv"), "--region", "Atlantis"]) == 1
    assert "--region 'Atlantis'" in capsys.readouterr().err


@pytest.mark.parametrize("name, message", [
    ("empty.csv", "is empty: nothing to import"),
    ("binary.csv", "is not a text file"),
    ("no_header.csv", "has no header row"),
    ("missing.csv", "no such file"),
])
def test_cli_unreadable_files_write_nothing(db, capsys, tmp_path, name, message):
    rejects = tmp_path / "rejects.csv"
    code = main(["import", str(DATA / name), "--rejects", str(rejects)])
    err = capsys.readouterr().err
    assert code == 1
    assert message in err and err.count("\n") == 1
    assert Customer.select().count() == 0
    assert not rejects.exists()


def test_contact_to_call_is_what_the_queue_would_choose(db, frozen, tmp_path):
    from callers import queue

    path = tmp_path / "roles.csv"
    path.write_text("Account ID,Company,Contact,Phone,Role,Do Not Call\n"
                    "R1,Roles One,Uma User,+44 20 7946 0400,user,\n"
                    "R1,Roles One,Bea Buyer,+44 20 7946 0401,buyer,\n"
                    "R2,Roles Two,Dee Buyer,+1 212 555 0140,buyer,yes\n"
                    "R2,Roles Two,Oli Other,+49 30 1234590,other,\n"
                    "R3,Roles Three,Nia Nobody,+44 20 7946 0402,,true\n", encoding="utf-8")
    import_file(path)
    import_file(DATA / "salesforce_contacts.csv")
    import_file(DATA / "duplicates_extensions.tsv")
    chosen = {c.name: (c.call_contact, c.call_tz) for c in Customer.select()}
    assert chosen["Roles One"] == (Contact.get(Contact.name == "Bea Buyer").id, "Europe/London")
    assert chosen["Roles Two"] == (Contact.get(Contact.name == "Oli Other").id, "Europe/Berlin")
    assert chosen["Roles Three"] == (None, None)
    assert Customer.get(Customer.name == "Roles Three").do_not_call is True
    for customer in Customer.select():
        queue.refresh_contact(customer.id)
    assert {c.name: (c.call_contact, c.call_tz) for c in Customer.select()} == chosen


def _big_file(tmp_path) -> Path:
    path = tmp_path / "big.csv"
    lines = ["Account ID,Company,Contact,Phone,Email"]
    lines += [f"B{i // 3},Big Customer {i // 3},Person {i},+44 20 7946 {i:04d},"
              f"person{i}@a-rather-long-domain-name-for-size.example" for i in range(3000)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert path.stat().st_size > 256 * 1024
    return path


def test_statement_journals_in_memory_while_importing_only(db, frozen, tmp_path):
    """SQLite: the import's bulk INSERTs keep their statement journals in
    memory (temp_store=MEMORY, no temporary files), and the connection's own
    setting comes back after the import."""
    from models.db import connection, database

    if db.engine != "sqlite":
        pytest.skip("temp_store is SQLite's")
    seen = []

    def progress(table):
        return lambda rows: seen.append(database.obj.execute_sql("PRAGMA temp_store").fetchone()[0])

    with connection():
        database.obj.execute_sql("PRAGMA temp_store = FILE")
        res = import_file(_big_file(tmp_path), progress=progress)
        assert database.obj.execute_sql("PRAGMA temp_store").fetchone()[0] == 1
    assert res.contacts_created == 3000
    assert len(seen) >= 2 and set(seen) == {2}  # after each batch, and at the end


def test_import_inside_a_transaction_with_temporary_storage_open(db, frozen, tmp_path):
    """SQLite refuses to change temp_store there: the import runs all the same."""
    from models.db import connection, database, write_transaction

    if db.engine != "sqlite":
        pytest.skip("temp_store is SQLite's")
    with connection():
        database.obj.execute_sql("CREATE TEMP TABLE scratch (x)")  # temporary storage open
        with write_transaction():
            res = import_file(_big_file(tmp_path))
            assert database.obj.execute_sql("PRAGMA temp_store").fetchone()[0] == 0
    assert res.contacts_created == 3000 and Contact.select().count() == 3000


def test_progress_bar_only_on_a_terminal(db, frozen, tmp_path):
    import os
    import pty
    import subprocess
    import sys

    path = _big_file(tmp_path)
    env = dict(os.environ, CALLERS_DB=db.url)
    piped = subprocess.run([sys.executable, "-m", "callers", "import", str(path), "--dry-run"],
                           capture_output=True, text=True, env=env, check=False)
    assert piped.returncode == 0 and piped.stderr == ""
    assert "3,000 rows: 3,000 contacts created" in piped.stdout
    pid, fd = pty.fork()
    if pid == 0:  # the child: stdout and stderr are the terminal
        os.execve(sys.executable, [sys.executable, "-m", "callers", "import", str(path), "--dry-run"], env)
    out = b""
    while True:
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    text = out.decode("utf-8", "replace")
    assert "rows/s" in text and "importing" in text
    assert "3,000 rows: 3,000 contacts created" in text


def test_nul_characters_late_in_a_file_are_dropped(db, frozen, tmp_path):
    path = tmp_path / "nul.csv"
    body = "Company,Contact,Phone\n" + "".join(f"C{i},P{i},+44 20 7946 {i:04d}\n" for i in range(3000))
    path.write_bytes(body.encode() + b"Nul Co,Ze\x00ro,+44 20 7946 9999\n")
    assert path.stat().st_size > 64 * 1024
    res = import_file(path)
    assert (res.contacts_created, res.rejected) == (3001, 0)
    assert Contact.get(Contact.phone == "+442079469999").name == "Zero"


def test_one_customer_with_thousands_of_contacts(db, frozen, tmp_path):
    path = tmp_path / "one.csv"
    rows = "".join(f"Mega Corp,Person {i},+1 212 2{i // 10000:02d}-{i % 10000:04d},p{i}@mega.example\n"
                   for i in range(4200))
    path.write_text("Company,Contact,Phone,Email\n" + rows + "Mega Corp,Again,+1 212 200-4199,\n"
                    "Mega Corp,Mail Again,,P7@MEGA.example\n", encoding="utf-8")
    res = import_file(path)
    assert (res.customers_created, res.contacts_created, res.duplicates, res.rejected) == (1, 4200, 1, 1)
    assert res.reasons["rejected: no phone number"] == 1
    again = import_file(path)
    assert (again.unchanged, again.duplicates, again.contacts_created) == (4200, 1, 0)


def test_rejects_file_must_not_be_the_input(db, tmp_path, capsys):
    path = tmp_path / "in.csv"
    path.write_text("Company,Phone\nA,+44 20 7946 0500\n", encoding="utf-8")
    assert main(["import", str(path), "--rejects", str(path)]) == 1
    assert "is the file being imported" in capsys.readouterr().err
    assert path.read_text(encoding="utf-8") == "Company,Phone\nA,+44 20 7946 0500\n"
