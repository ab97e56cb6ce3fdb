"""callers.queue: which contact a customer is dialled on, and when it needs a number."""

from __future__ import annotations

from callers import clock, queue
from models.tables import Contact, Customer
from tests.support import factories


def _add(customer, name, role, phone="+442079460001", **fields):
    at = clock.db_now()
    return Contact.create(customer=customer, name=name, role=role, phone=phone, timezone="Europe/London",
                          created_at=at, updated_at=at, **fields)


def test_buyers_first_then_users(db):
    acme = factories.customer("Acme", role="user", contact_name="Uma User")
    buyer = _add(acme, "Bea Buyer", "buyer")
    assert queue.refresh_contact(acme.id).id == buyer.id
    assert Customer.get_by_id(acme.id).call_contact == buyer.id


def test_no_callable_number_left_means_needs_a_number(db):
    acme = factories.customer("Acme")
    Contact.update(unreachable=True).where(Contact.customer == acme.id).execute()
    assert queue.refresh_contact(acme.id) is None
    row = Customer.get_by_id(acme.id)
    assert row.needs_number and row.call_contact is None and row.call_tz is None
    fresh = _add(acme, "New Number", "buyer")
    assert queue.refresh_contact(acme.id).id == fresh.id
    assert not Customer.get_by_id(acme.id).needs_number


def test_all_contacts_do_not_call_is_not_needs_a_number(db):
    acme = factories.customer("Acme")
    Contact.update(do_not_call=True).where(Contact.customer == acme.id).execute()
    assert queue.refresh_contact(acme.id) is None
    assert not Customer.get_by_id(acme.id).needs_number


def test_a_new_number_from_an_import_takes_the_customer_off_needs_a_number(db, tmp_path):
    from callers import importer

    first = tmp_path / "first.csv"
    first.write_text("Account ID,Account Name,Contact Name,Phone,Country\nA-1,Acme,Jo Buyer,+442079460958,GB\n")
    importer.import_file(str(first))
    acme = Customer.get(Customer.external_id == "A-1")
    Contact.update(unreachable=True).where(Contact.customer == acme.id).execute()  # wrong number
    queue.refresh_contact(acme.id)
    assert Customer.get_by_id(acme.id).needs_number

    newer = tmp_path / "newer.csv"
    newer.write_text("Account ID,Account Name,Contact Name,Phone,Country\nA-1,Acme,Jo Buyer,+442079460958,GB\n"
                     "A-1,Acme,Al User,+442079460001,GB\n")
    importer.import_file(str(newer))
    row = Customer.get_by_id(acme.id)
    assert not row.needs_number
    assert Contact.get_by_id(row.call_contact).name == "Al User"
