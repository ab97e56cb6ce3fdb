"""Schema 3: time-zone keys as TEXT.

A number can map to many zones (a US toll-free number to about forty), so
`customer.call_tz` and `contact.timezone` no longer fit VARCHAR(200).
PostgreSQL enforces the length, so it changes the type. SQLite never enforces
a VARCHAR length, so its tables are already right and are left as they are.
"""
from peewee import *


def up(migrator, db):
    if isinstance(db, PostgresqlDatabase):
        migrator.migrate(
            migrator.alter_column_type('customer', 'call_tz', TextField(null=True)),
            migrator.alter_column_type('contact', 'timezone', TextField(null=True)),
        )


def down(migrator, db):
    if isinstance(db, PostgresqlDatabase):
        migrator.migrate(
            migrator.alter_column_type('customer', 'call_tz', CharField(null=True, max_length=200)),
            migrator.alter_column_type('contact', 'timezone', CharField(null=True, max_length=200)),
        )
