"""Writing one batch of rows to the database: customers found by account id
or name key, created in bulk (ids back through `insert_returning`), facts
copied, contacts matched and created or updated, and the due-queue columns
of the customers whose callable contacts changed pointed again. The caller
holds the write transaction; a `BatchWriter` lives for one import."""

from __future__ import annotations

from typing import TYPE_CHECKING

from callers import queue
from callers.importer.people import People, Person, contact_changes
from callers.importer.rows import CustomerRow, Row
from models.db import database, max_variables
from models.engine import insert_returning
from models.tables import DUE_NEVER_REACHED, Contact, Customer
from models.vocabulary import REFERENCE_KINDS

if TYPE_CHECKING:
    from callers.importer.run import ImportResult


_CUSTOMER_COLS = (Customer.id, Customer.external_id, Customer.name, Customer.name_key,
                  Customer.industry, Customer.employees, Customer.country,
                  Customer.account_manager, Customer.do_not_call, Customer.source)
_CONTACT_COLS = (Contact.id, Contact.customer, Contact.name, Contact.role, Contact.title,
                 Contact.phone, Contact.extension, Contact.alt_phone, Contact.alt_extension,
                 Contact.email, Contact.timezone, Contact.external_id, Contact.do_not_call,
                 Contact.unreachable, Contact.active)
_CUSTOMER_FACTS = ("industry", "employees", "country", "account_manager")


class _Cust:
    __slots__ = ("id", "external_id", "name", "name_key", "industry", "employees", "country",
                 "account_manager", "do_not_call", "source", "new", "changes")

    def __init__(self, row=None, **values):
        if row is not None:
            (self.id, self.external_id, self.name, self.name_key, self.industry, self.employees,
             self.country, self.account_manager, self.do_not_call, self.source) = row
            self.new = False
        else:
            self.id = None
            self.new = True
            self.do_not_call = False
            for k, v in values.items():
                setattr(self, k, v)
        self.changes = {}


def _select_in(model, columns: tuple, column: str, values: list) -> list[tuple]:
    """SELECT columns FROM model WHERE column IN values, as plain tuples, the
    SQL written directly (no peewee query building or row conversion: text,
    integers and booleans come back as the driver gives them; SQLite's 0/1
    compare equal to False/True)."""
    if not values:
        return []
    db = database.obj
    fields = model._meta.fields
    names = ", ".join(f'"{c.column_name}"' for c in columns)
    marks = ", ".join([db.param] * len(values))
    sql = (f'SELECT {names} FROM "{model._meta.table_name}" '
           f'WHERE "{fields[column].column_name}" IN ({marks})')
    return db.execute_sql(sql, values).fetchall()


def _chunks(items: list, size: int):
    for i in range(0, len(items), size):
        yield items[i:i + size]


class BatchWriter:
    """Writes an import's batches, and remembers across them what the import
    created, updated and met (the counts end up in `result`)."""

    def __init__(self, result: ImportResult, source: str, profile: bool, now):
        self.result = result
        self.source = source  # the layout's kind, stored as a new customer's source
        self.profile = profile  # the file has implementation state or referenceability
        self.now = now
        self.customers_met: set[int] = set()  # a customer list: customer ids met
        self.touched: set[int] = set()  # contact ids this import has met
        self.created_customers: set[int] = set()
        self.updated_customers: set[int] = set()
        self.assigned: dict[int, set] = {}  # customer id -> facts set by this import

    def _load_customers(self, batch: list[Row]):
        ext_ids = list({r.external_id for r in batch if r.external_id})
        keys = list({r.key for r in batch})
        by_ext: dict[str, _Cust] = {}
        by_key: dict[str, list[_Cust]] = {}
        seen: dict[int, _Cust] = {}
        step = max(1, max_variables() // 2)
        rows: list[tuple] = []
        for column, values in (("external_id", ext_ids), ("name_key", keys)):
            for chunk in _chunks(values, step):
                rows.extend(_select_in(Customer, _CUSTOMER_COLS, column, chunk))
        rows.sort(key=lambda r: r[0])
        for row in rows:
            if row[0] in seen:
                continue
            cust = seen[row[0]] = _Cust(row)
            if cust.external_id:
                by_ext[cust.external_id] = cust
            by_key.setdefault(cust.name_key, []).append(cust)
        return by_ext, by_key

    def _customer_for(self, row: Row, by_ext, by_key) -> tuple[_Cust, bool]:
        """The customer a row belongs to; True if it was matched by account id."""
        if row.external_id:
            cust = by_ext.get(row.external_id)
            if cust is not None:
                return cust, True
            cust = next((c for c in by_key.get(row.key, ()) if not c.external_id), None)
            if cust is not None:
                cust.external_id = row.external_id
                cust.changes["external_id"] = row.external_id
                by_ext[row.external_id] = cust
                return cust, True
        else:
            custs = by_key.get(row.key)
            if custs:
                return custs[0], False
        cust = _Cust(external_id=row.external_id, name=row.customer, name_key=row.key,
                     industry=None, employees=None, country=None, account_manager=None,
                     source=self.source)
        if row.external_id:
            by_ext[row.external_id] = cust
        by_key.setdefault(row.key, []).append(cust)
        return cust, True

    def _apply_customer_facts(self, cust: _Cust, row: Row, by_id: bool) -> bool:
        """Copy the row's customer facts; True if that changed an existing customer."""
        key = ("new", id(cust)) if cust.id is None else cust.id
        assigned = self.assigned.get(key)
        if assigned is None:
            assigned = self.assigned[key] = set()
        changed = False
        if by_id and "name" not in assigned:
            assigned.add("name")
            if cust.name != row.customer:
                cust.name = row.customer
                cust.name_key = row.key
                cust.changes["name"] = row.customer
                cust.changes["name_key"] = row.key
                changed = True
        if not assigned.issuperset(_CUSTOMER_FACTS):  # (the customer's later rows: every fact taken)
            for fact in _CUSTOMER_FACTS:
                value = getattr(row, fact)
                if value is None or fact in assigned:
                    continue
                assigned.add(fact)
                if getattr(cust, fact) != value:
                    setattr(cust, fact, value)
                    cust.changes[fact] = value
                    changed = True
            if cust.country is None and row.phone_region and "country" not in assigned:
                cust.country = row.phone_region
                cust.changes["country"] = row.phone_region
                changed = True
        if row.customer_dnc and not cust.do_not_call:  # set by an import, never cleared by one
            cust.do_not_call = True
            cust.changes["do_not_call"] = True
            changed = True
        return changed and not cust.new

    def _insert_customers(self, new_custs: list, stamp: str, needs_number: bool = False) -> None:
        """New customers, in bulk, their ids back through RETURNING. A
        customer list's have no contact yet: they need a number."""
        if not new_custs:
            return
        cols = ("external_id", "name", "name_key", "industry", "employees", "country",
                "account_manager", "do_not_call", "source", "created_at", "updated_at",
                "next_due_at", "due_rank", "needs_number")
        values = [(c.external_id, c.name, c.name_key, c.industry, c.employees, c.country,
                   c.account_manager, c.do_not_call, c.source, stamp, stamp, stamp, DUE_NEVER_REACHED,
                   needs_number)
                  for c in new_custs]
        by_ext_new = {c.external_id: c for c in new_custs if c.external_id}
        by_key_new = {c.name_key: c for c in new_custs if not c.external_id}
        for new_id, ext, key in insert_returning(Customer, cols, values, ("id", "external_id", "name_key")):
            cust = by_ext_new[ext] if ext else by_key_new[key]
            assigned = self.assigned.pop(("new", id(cust)), set())
            cust.id = new_id
            self.assigned[new_id] = assigned
            self.created_customers.add(new_id)
        for cust in new_custs:
            cust.changes = {}

    def _update_customers(self, custs) -> None:
        """Write the facts the batch changed on existing customers."""
        for cust in custs:
            if cust.changes:
                Customer.update(**cust.changes, updated_at=self.now).where(Customer.id == cust.id).execute()
                if cust.id not in self.created_customers:
                    self.updated_customers.add(cust.id)
                cust.changes = {}

    def _fill_profile(self, placed: list) -> set[int]:
        """Implementation state and referenceability from the file, where the
        customer's are unknown (a call's answer is never overwritten; within
        the file the first value wins). Returns the customers filled."""
        wanted = [(row, cust) for row, cust in placed if row.implementation or row.references]
        if not wanted:
            return set()
        columns = (Customer.id, Customer.implementation_state,
                   *(getattr(Customer, f"ref_{kind}") for kind in REFERENCE_KINDS))
        names_ = [c.name for c in columns[1:]]
        current: dict[int, dict] = {}
        for chunk in _chunks(list({cust.id for _, cust in wanted}), max(1, max_variables() - 10)):
            for row in _select_in(Customer, columns, "id", chunk):
                current[row[0]] = dict(zip(names_, row[1:]))
        groups: dict[tuple[str, str], list[int]] = {}
        filled: set[int] = set()
        for row, cust in wanted:
            known = current[cust.id]
            facts = [("implementation_state", row.implementation)] if row.implementation else []
            facts += [(f"ref_{kind}", answer) for kind, answer in (row.references or {}).items()]
            for column, value in facts:
                if known[column] is None:
                    known[column] = value  # taken: a later row of the file does not change it
                    groups.setdefault((column, value), []).append(cust.id)
                    filled.add(cust.id)
        for (column, value), ids in groups.items():
            field_ = getattr(Customer, column)
            for chunk in _chunks(ids, max(1, max_variables() - 10)):
                (Customer.update({field_: value, Customer.updated_at: self.now})
                 .where(Customer.id.in_(chunk) & field_.is_null()).execute())
        return filled

    def write_customers(self, batch: list[CustomerRow]) -> None:
        """A batch of a customer list: each row creates, updates or leaves one customer."""
        res = self.result
        by_ext, by_key = self._load_customers(batch)
        placed: list[tuple[CustomerRow, _Cust, bool]] = []
        met_here: set[int] = set()
        for row in batch:
            cust, by_id = self._customer_for(row, by_ext, by_key)
            if id(cust) in met_here or (cust.id is not None and cust.id in self.customers_met):
                res.duplicates += 1
                continue
            met_here.add(id(cust))
            placed.append((row, cust, self._apply_customer_facts(cust, row, by_id)))
        self._insert_customers([cust for _, cust, _ in placed if cust.new], str(self.now), needs_number=True)
        filled = self._fill_profile([(row, cust) for row, cust, _ in placed])
        for row, cust, changed in placed:
            self.customers_met.add(cust.id)
            if cust.new:
                cust.new = False
            elif changed or cust.id in filled:
                self.updated_customers.add(cust.id)
            else:
                res.unchanged += 1
        self._update_customers(cust for _, cust, _ in placed)

    def write_batch(self, batch: list[Row]) -> None:
        now = self.now
        # The time as the text both drivers bind for a timestamp column (what
        # sqlite3's adapter would produce, once instead of for every value).
        stamp = str(now)
        res = self.result
        by_ext, by_key = self._load_customers(batch)
        placed: list[tuple[Row, _Cust, bool]] = []
        for row in batch:
            cust, by_id = self._customer_for(row, by_ext, by_key)
            changed_customer = self._apply_customer_facts(cust, row, by_id)
            placed.append((row, cust, changed_customer))

        # New customers, in bulk, ids back through RETURNING.
        new_custs = []
        seen_new = set()
        for _, cust, _ in placed:
            if cust.new and id(cust) not in seen_new:
                seen_new.add(id(cust))
                new_custs.append(cust)
        self._insert_customers(new_custs, stamp)
        filled = self._fill_profile([(row, cust) for row, cust, _ in placed]) if self.profile else set()

        # Existing contacts of these customers.
        cust_ids = list({cust.id for _, cust, _ in placed if id(cust) not in seen_new})
        people: dict[int, People] = {}
        for chunk in _chunks(cust_ids, max(1, max_variables() - 10)):
            for row in _select_in(Contact, _CONTACT_COLS, "customer", chunk):
                person = Person(row)
                mine = people.get(person.customer_id)
                if mine is None:
                    mine = people[person.customer_id] = People()
                mine.add(person)

        new_people: list[Person] = []
        updates: dict[int, dict] = {}
        queue_changed: set[int] = set()  # customers whose callable contacts changed
        for row, cust, changed_customer in placed:
            mine = people.get(cust.id)
            if mine is None:
                mine = people[cust.id] = People()
            person = mine.match(row) if mine.all else None
            if person is None:
                # In _CONTACT_COLS order: a new, reachable contact (active unless the file says gone).
                person = Person((None, cust.id, row.name, row.role or "user", row.title, row.phone,
                                  row.extension, row.alt_phone, row.alt_extension, row.email,
                                  row.timezone, row.contact_id, row.do_not_call, False, not row.gone))
                person.cust = cust
                mine.add(person)
                new_people.append(person)
                res.contacts_created += 1
                queue_changed.add(cust.id)
                if cust.id not in self.created_customers:
                    self.updated_customers.add(cust.id)
                continue
            if person.id is None or person.id in self.touched:
                res.duplicates += 1
                continue
            self.touched.add(person.id)
            changes = contact_changes(person, row)
            if changes:
                mine.index(person)
                updates[person.id] = changes
                if changes.keys() & {"phone", "do_not_call", "role", "timezone", "unreachable", "active"}:
                    queue_changed.add(cust.id)
            if changes or changed_customer or (cust.id in filled and cust.id not in self.created_customers):
                res.contacts_updated += 1
                self.updated_customers.add(cust.id)
            else:
                res.unchanged += 1

        # Customers changed by their facts.
        self._update_customers({id(c): c for _, c, _ in placed}.values())
        self.updated_customers.update(c for c in filled if c not in self.created_customers)

        if new_people:
            cols = ("customer", "name", "role", "title", "phone", "extension", "alt_phone",
                    "alt_extension", "email", "timezone", "external_id", "do_not_call", "active",
                    "unreachable", "created_at", "updated_at")
            values = [(p.cust.id, p.name, p.role, p.title, p.phone, p.extension, p.alt_phone,
                       p.alt_extension, p.email, p.timezone, p.external_id, p.do_not_call, p.active,
                       False, stamp, stamp) for p in new_people]
            # (customer, phone) is unique among a batch's new contacts: dedupe saw to it.
            by_phone = {(p.cust.id, p.phone): p for p in new_people}
            for new_id, customer_id, phone in insert_returning(Contact, cols, values,
                                                                ("id", "customer", "phone")):
                person = by_phone[(customer_id, phone)]
                person.id = new_id
                person.customer_id = customer_id
                self.touched.add(new_id)
        for contact_id, changes in updates.items():
            Contact.update(**changes, updated_at=now).where(Contact.id == contact_id).execute()

        if queue_changed:
            self._customers_do_not_call({c.id: c for _, c, _ in placed if c.id in queue_changed},
                                        people)
            self._point_at_contacts({cid: people[cid].all if cid in people else ()
                                     for cid in queue_changed})

    def _point_at_contacts(self, contacts: dict) -> None:
        """`queue.refresh_contact` for many customers at once: the same choice
        (`queue.choose`), made from the contacts this batch already holds,
        written in one go."""
        values = []
        for customer_id, people in contacts.items():
            best, needs_number = queue.choose(people)
            values.append((best.id if best else None, (best.timezone or None) if best else None,
                           needs_number, customer_id))
        db = database.obj
        sql = (f'UPDATE "{Customer._meta.table_name}" SET "call_contact" = {db.param}, '
               f'"call_tz" = {db.param}, "needs_number" = {db.param} WHERE "id" = {db.param}')
        cursor = db.cursor()
        cursor.executemany(sql, values)

    def _customers_do_not_call(self, custs: dict, people: dict) -> None:
        """A customer all of whose (active) contacts are do-not-call is
        do-not-call. Decided from the contacts this batch holds: every contact
        of these customers was loaded (or created) by the batch."""
        all_dnc = []
        for customer_id, cust in custs.items():
            if cust.do_not_call:
                continue
            mine = people.get(customer_id)
            active = [p for p in mine.all if p.active] if mine is not None else []
            if active and all(p.do_not_call for p in active):
                all_dnc.append(customer_id)
                cust.do_not_call = True
        if all_dnc:
            for chunk in _chunks(all_dnc, max(1, max_variables() - 10)):
                (Customer.update(do_not_call=True, updated_at=self.now)
                 .where(Customer.id.in_(chunk)).execute())
            self.updated_customers.update(c for c in all_dnc if c not in self.created_customers)
