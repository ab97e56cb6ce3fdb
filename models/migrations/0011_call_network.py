"""Schema 11: what the network said about each call, and where it went.

With a dialler (callers/dialer/) the desk knows when the number was dialled,
when the far end answered and why the call ended (the SIP or PBX cause):
call.dialled_at, call.answered_at, call.hangup_cause. The ring time is
answered_at - dialled_at (or ended_at - dialled_at when nobody answered).

call.zone and call.country keep where the call went (the dialled contact's
time zone, the customer's country), as they were when it was made: the
report's answer rate by the customer's local hour is counted from them, and
a customer who moves later does not move their old calls. Existing calls get
the customer's present zone and country.

A tally (models/tallies.py `tally_call_local`) counts finished attempts by
UTC hour, zone, country and answered, so the report reads a few thousand
rows, not every call of the period.
"""
from peewee import *

TABLE = "tally_call_local"


def up(migrator, db):
    from models import tallies

    class Base(Model):
        class Meta:
            database = db
            legacy_table_names = False

    class TallyCallLocal(Base):
        hour = DateTimeField()
        zone = TextField()
        country = CharField(max_length=2)
        answered = BooleanField()
        n = IntegerField()

        class Meta:
            indexes = ((("hour", "zone", "country", "answered", "n"), False),)

    migrator.migrate(
        migrator.add_column('call', 'dialled_at', DateTimeField(null=True)),
        migrator.add_column('call', 'answered_at', DateTimeField(null=True)),
        migrator.add_column('call', 'hangup_cause', CharField(null=True, max_length=200)),
        migrator.add_column('call', 'zone', TextField(null=True)),
        migrator.add_column('call', 'country', CharField(null=True, max_length=2)),
    )
    db.execute_sql('UPDATE "call" SET zone = (SELECT c.call_tz FROM "customer" AS c WHERE c.id = "call".customer_id), '
                   'country = (SELECT c.country FROM "customer" AS c WHERE c.id = "call".customer_id)')
    db.create_tables([TallyCallLocal])
    tallies.install_triggers(db, (TABLE,))
    tallies.rebuild(db, (TABLE,))


def down(migrator, db):
    from models import tallies

    tallies.drop_triggers(db, (TABLE,))
    db.execute_sql(f'DROP TABLE IF EXISTS "{TABLE}"')
    migrator.migrate(*[migrator.drop_column('call', c)
                       for c in ('dialled_at', 'answered_at', 'hangup_cause', 'zone', 'country')])
