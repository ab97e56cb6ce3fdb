"""Schema 10: closing the loop, where the call time goes, and NPS.

- forward.reopened: how many times the customer said "not fixed" and the
  forward was opened again (callers/loop.py);
- forward_event.call_id, forward_event.seconds: the call an event was made on
  (filing a forward, the customer's "was it fixed?" answer) and how long it
  took on screen; index forward_event(status, at) for the report's loop
  answers per period; partial index forward_event_timed (call_id, seconds)
  WHERE seconds IS NOT NULL;
- call_answer.seconds: how long the answer's step was on screen; partial
  index call_answer_timed (call_id, step, seconds) WHERE seconds IS NOT NULL;
- call.nps: the 0-10 "would you recommend us" answer; partial index call_nps
  (started_at, nps) WHERE nps IS NOT NULL;
- tallies tally_step_time and tally_step_longest (models/tallies.py), kept by
  triggers on call when an answered call ends: each step's seconds per call,
  and the step that took most of each call's time with the call's length.
  Nothing was timed before this schema, so they start empty.
"""
from peewee import *

TABLES = ("tally_step_time", "tally_step_longest")


def up(migrator, db):
    from models import tallies

    class Base(Model):
        class Meta:
            database = db
            legacy_table_names = False

    class Call(Base):
        class Meta:
            table_name = "call"

    class TallyStepTime(Base):
        day = DateField()
        caller = CharField(max_length=200)
        step = CharField(max_length=20)
        seconds = IntegerField()
        n = IntegerField()

        class Meta:
            indexes = ((("day", "caller", "step", "seconds", "n"), False),)

    class TallyStepLongest(Base):
        day = DateField()
        step = CharField(max_length=20)
        call_seconds = IntegerField()
        n = IntegerField()

        class Meta:
            indexes = ((("day", "step", "call_seconds", "n"), False),)

    migrator.migrate(
        migrator.add_column("forward", "reopened", IntegerField(default=0, constraints=[SQL("DEFAULT 0")])),
        migrator.add_column("forward_event", "call_id",
                            ForeignKeyField(Call, null=True, on_delete="SET NULL", field=Call.id)),
        migrator.add_column("forward_event", "seconds", IntegerField(null=True)),
        migrator.add_column("call_answer", "seconds", IntegerField(null=True)),
        migrator.add_column("call", "nps", IntegerField(null=True)),
        migrator.add_index("forward_event", ("status", "at"), False),
    )
    db.create_tables([TallyStepTime, TallyStepLongest])
    db.execute_sql('CREATE INDEX "call_answer_timed" ON "call_answer" (call_id, step, seconds) '
                   "WHERE seconds IS NOT NULL")
    db.execute_sql('CREATE INDEX "forward_event_timed" ON "forward_event" (call_id, seconds) '
                   "WHERE seconds IS NOT NULL")
    db.execute_sql('CREATE INDEX "call_nps" ON "call" (started_at, nps) WHERE nps IS NOT NULL')
    # SQLite adds a NOT NULL column (forward.reopened) by copying the table,
    # which drops its triggers: forward's tallies get theirs back.
    tallies.install_triggers(db, ("tally_forward", "tally_forward_done", *TABLES))
    # No recount: nothing was timed before this schema, so the step tallies
    # are right empty (a recount would visit every call of a big database).


def down(migrator, db):
    from models import tallies

    tallies.drop_triggers(db, TABLES)
    for index in ("call_nps", "forward_event_timed", "call_answer_timed"):
        db.execute_sql(f'DROP INDEX IF EXISTS "{index}"')
    for table in TABLES:
        db.execute_sql(f'DROP TABLE IF EXISTS "{table}"')
    migrator.migrate(
        migrator.drop_index("forward_event", "forward_event_status_at"),
        migrator.drop_column("call", "nps"),
        migrator.drop_column("call_answer", "seconds"),
        migrator.drop_column("forward_event", "seconds"),
        migrator.drop_column("forward_event", "call_id"),
        migrator.drop_column("forward", "reopened"),
    )
