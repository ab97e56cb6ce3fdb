"""Schema 15: who logged each reference request and use, and who marked a
thank-you sent: the person logged in (`--as` on SQLite, the login's user on
PostgreSQL), whatever name `--requested-by` or `--by` gives.

reference_request.logged_by, reference_use.logged_by and thank_you.logged_by,
each NULL where nobody is known (rows logged before this schema, a thank-you
still owed). `--requested-by` still says who asked (a salesperson, a press
officer) and `--by` who sent the thanks: those are facts given; `logged_by`
is who gave them.
"""
from peewee import CharField

COLUMNS = (("reference_request", "logged_by"), ("reference_use", "logged_by"), ("thank_you", "logged_by"))


def up(migrator, db):
    migrator.migrate(*(migrator.add_column(table, column, CharField(null=True, max_length=200))
                       for table, column in COLUMNS))


def down(migrator, db):
    migrator.migrate(*(migrator.drop_column(table, column) for table, column in COLUMNS))
