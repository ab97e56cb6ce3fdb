"""Schema 5: tallies for the supervisor's report, kept by triggers.

The report counted a million customers, two million calls and their
features on every refresh (over a second). Now the database keeps the
counts itself, in small tally tables that triggers append +1 / -1 rows to
(models/tallies.py describes them and makes the triggers of both engines);
the report sums a few thousand rows.

- tables tally_customer, tally_customer_day, tally_feature, tally_call,
  tally_call_length, tally_forward, tally_forward_done, tally_count and
  tally_mark (frozen copies below);
- partial indexes customer(<fact time>, do_not_call) WHERE <fact time> IS NOT
  NULL for the five dated facts: the boundary day of "within the cycle" is
  counted exactly from them; call(ended_at, caller, outcome) WHERE started_at
  IS NULL for the part-days of unanswered calls;
- 0004's thirteen-column customer index dropped (the tallies replace the
  pass over every customer it served);
- the expression index forward_done_seconds (department_id, seconds to done,
  resolved_at) WHERE status = 'done', in which the last step of a median to
  done finds its forward among a few hundred;
- the triggers, and every tally counted once from the data already there.

A later change to what is tallied comes with a migration of its own that
installs the triggers again and recounts (`tallies.install_triggers`,
`tallies.rebuild`).
"""
from peewee import *
from playhouse.migrate import make_index_name

TABLES = ("tally_customer", "tally_customer_day", "tally_feature", "tally_call", "tally_call_length",
          "tally_forward", "tally_forward_done", "tally_count")
OLD_CUSTOMER_INDEX = ('do_not_call', 'last_reached_at', 'unreachable', 'needs_number',
                      'contacts_confirmed_at', 'referenceability_confirmed_at', 'implementation_confirmed_at',
                      'features_confirmed_at', 'ref_prospect_call', 'ref_case_study', 'ref_press', 'ref_analyst',
                      'ref_site_visit')
FACTS = ("last_reached_at", "contacts_confirmed_at", "referenceability_confirmed_at",
         "implementation_confirmed_at", "features_confirmed_at")


def up(migrator, db):
    from models import tallies

    class Base(Model):
        class Meta:
            database = db
            legacy_table_names = False

    class TallyCustomer(Base):
        do_not_call = BooleanField()
        unreachable = BooleanField()
        needs_number = BooleanField()
        never_reached = BooleanField()
        implementation_state = CharField(max_length=20)
        ref_yes = IntegerField()
        n = IntegerField()

    class TallyCustomerDay(Base):
        fact = CharField(max_length=20)
        day = DateField()
        n = IntegerField()

        class Meta:
            indexes = ((("fact", "day"), False),)

    class TallyFeature(Base):
        feature_id = IntegerField()
        implementation_state = CharField(max_length=20)
        n = IntegerField()

    class TallyCall(Base):
        hour = DateTimeField()
        caller = CharField(max_length=200)
        outcome = CharField(max_length=20)
        answered = BooleanField()
        n = IntegerField()

        class Meta:
            indexes = ((("hour", "caller", "outcome", "answered", "n"), False),)

    class TallyCallLength(Base):
        day = DateField()
        caller = CharField(max_length=200)
        seconds = IntegerField()
        n = IntegerField()

        class Meta:
            indexes = ((("day", "caller", "seconds", "n"), False),)

    class TallyForward(Base):
        hour = DateTimeField()
        department_id = IntegerField()
        kind = CharField(max_length=20)
        n = IntegerField()

        class Meta:
            indexes = ((("hour", "department_id", "kind", "n"), False),)

    class TallyForwardDone(Base):
        day = DateField()
        department_id = IntegerField()
        days_to_done = IntegerField()
        n = IntegerField()

        class Meta:
            indexes = ((("department_id", "day", "days_to_done", "n"), False),)

    class TallyCount(Base):
        name = CharField(max_length=50)
        n = IntegerField()

    class TallyMark(Base):
        name = CharField(primary_key=True, max_length=50)
        upto = IntegerField()

    db.create_tables([TallyCustomer, TallyCustomerDay, TallyFeature, TallyCall, TallyCallLength, TallyForward,
                      TallyForwardDone, TallyCount, TallyMark])
    for column in FACTS:
        db.execute_sql(f'CREATE INDEX "customer_{column}_callable" ON "customer" ({column}, do_not_call) '
                       f"WHERE {column} IS NOT NULL")
    db.execute_sql('CREATE INDEX "call_unanswered_ended_at" ON "call" (ended_at, caller, outcome) '
                   "WHERE started_at IS NULL")
    # 0004's thirteen-column customer index served the report's one pass over
    # every customer, which the tallies replace; nothing else reads it, and
    # every call's answers and outcome rewrote its entries.
    migrator.migrate(migrator.drop_index('customer', make_index_name('customer', OLD_CUSTOMER_INDEX)))
    db.execute_sql(tallies.done_seconds_index(db))
    # Only the tallies made here: a later migration that adds one installs its own.
    tallies.install_triggers(db, TABLES)
    tallies.rebuild(db, TABLES)


def down(migrator, db):
    from models import tallies

    tallies.drop_triggers(db)
    migrator.migrate(migrator.add_index('customer', OLD_CUSTOMER_INDEX, False))
    db.execute_sql('DROP INDEX IF EXISTS "call_unanswered_ended_at"')
    db.execute_sql('DROP INDEX IF EXISTS "forward_done_seconds"')
    for column in FACTS:
        db.execute_sql(f'DROP INDEX IF EXISTS "customer_{column}_callable"')
    for table in ("tally_mark", "tally_count", "tally_forward_done", "tally_forward", "tally_call_length", "tally_call", "tally_feature",
                  "tally_customer_day", "tally_customer"):
        db.execute_sql(f'DROP TABLE IF EXISTS "{table}"')
