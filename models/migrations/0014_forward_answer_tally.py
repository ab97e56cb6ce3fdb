"""Schema 14: the customers' answers to "Was it fixed?", tallied.

The report's confirmed-fixed figures counted the period's answer events
(forward_event fixed / partly_fixed / reopened) and looked up each one's
forward for its department: on a million customers ~19,000 events and their
forwards a month, 75 ms on SQLite and 170 ms on PostgreSQL, the report's
largest section. A tally (models/tallies.py `tally_forward_answer`) counts
them by UTC hour, the forward's department and the answer, kept by triggers
on forward_event (and on forward, when a forward is sent on to another
department it takes its answers with it, as the count from the rows does),
so the report reads a few hundred rows. Existing answers are counted now.
"""
from peewee import *

TABLE = "tally_forward_answer"


def up(migrator, db):
    from models import tallies

    class TallyForwardAnswer(Model):
        hour = DateTimeField()
        department_id = IntegerField()
        status = CharField(max_length=20)
        n = IntegerField()

        class Meta:
            database = db
            table_name = TABLE
            indexes = ((("hour", "department_id", "status", "n"), False),)

    db.create_tables([TallyForwardAnswer])
    tallies.install_triggers(db, (TABLE,))
    tallies.rebuild(db, (TABLE,))


def down(migrator, db):
    from models import tallies

    tallies.drop_triggers(db, (TABLE,))
    db.execute_sql(f'DROP TABLE IF EXISTS "{TABLE}"')
