"""Schema 12: what the function earns: the last billing reconciliation, kept.

`callers reconcile BILLING.csv` used to compute and forget; the report's and
the board's "value" section show what it found. Each run replaces the last:

- table reconciliation: one row, the run (when, who, which file) and its
  counts: matched, unbilled, unknown, ambiguous, unreadable; the sums of the
  billing file's amount column (in hundredths) for unbilled customers (the
  amount of their cancelled account, when they have one) and unknown
  accounts, with how many amounts were summed and how many could not be read;
- table reconciliation_finding: each unbilled customer and unknown billing
  account of that run (kind, customer, billing id, name, amount as given and
  read, status), deleted with its run.

Only supervisors run reconcile and the report: `callers db roles` grants
them these tables (models/roles.py).
"""
from peewee import *


def up(migrator, db):
    class Customer(Model):
        class Meta:
            database = db
            table_name = 'customer'

    class Reconciliation(Model):
        ran_at = DateTimeField()
        ran_by = CharField(max_length=200)
        source = TextField()
        billing_rows = IntegerField()
        customers = IntegerField()
        matched = IntegerField()
        unbilled = IntegerField()
        unknown = IntegerField()
        ambiguous = IntegerField()
        unreadable = IntegerField()
        unbilled_amount_cents = BigIntegerField(null=True)
        unbilled_with_amount = IntegerField(default=0)
        unknown_amount_cents = BigIntegerField(null=True)
        unknown_with_amount = IntegerField(default=0)
        amounts_unread = IntegerField(default=0)

        class Meta:
            database = db
            table_name = 'reconciliation'

    class ReconciliationFinding(Model):
        reconciliation = ForeignKeyField(Reconciliation, on_delete='CASCADE')
        kind = CharField(max_length=10)
        customer = ForeignKeyField(Customer, null=True, on_delete='SET NULL')
        billing_id = CharField(null=True, max_length=200)
        name = TextField(null=True)
        amount = TextField(null=True)
        amount_cents = BigIntegerField(null=True)
        status = TextField(null=True)

        class Meta:
            database = db
            table_name = 'reconciliation_finding'

    db.create_tables([Reconciliation, ReconciliationFinding])


def down(migrator, db):
    db.execute_sql('DROP TABLE IF EXISTS "reconciliation_finding"')
    db.execute_sql('DROP TABLE IF EXISTS "reconciliation"')
