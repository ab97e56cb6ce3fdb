"""Schema 4: covering indexes for the supervisor's report.

- call(started_at, caller, outcome, ended_at): the call figures read only this
  index: answered calls by a range on started_at; unanswered ones by
  started_at IS NULL, already in (caller, outcome) order so the GROUP BY needs
  no sort (on SQLite a sort of a month of unanswered calls was most of the
  report's time).
- customer(do_not_call, last_reached_at, unreachable, needs_number, the four
  *_confirmed_at, the five ref_*): coverage counts are ranges on its first two
  columns; freshness and references are one pass over this index instead of
  over the (wide) customer rows.
- forward(status, resolved_at, department_id, created_at): the departments'
  returned / done counts and the medians to done, from the index alone.
- customer_feature(customer_id, in_production, feature_id): features in
  production among live customers without reading customer_feature rows.
"""
from peewee import *

CALL = ('started_at', 'caller', 'outcome', 'ended_at')
CUSTOMER = ('do_not_call', 'last_reached_at', 'unreachable', 'needs_number',
            'contacts_confirmed_at', 'referenceability_confirmed_at', 'implementation_confirmed_at',
            'features_confirmed_at', 'ref_prospect_call', 'ref_case_study', 'ref_press', 'ref_analyst',
            'ref_site_visit')
FORWARD = ('status', 'resolved_at', 'department_id', 'created_at')
CUSTOMER_FEATURE = ('customer_id', 'in_production', 'feature_id')


def up(migrator, db):
    migrator.migrate(
        migrator.add_index('call', CALL, False),
        migrator.add_index('customer', CUSTOMER, False),
        migrator.add_index('forward', FORWARD, False),
        migrator.add_index('customer_feature', CUSTOMER_FEATURE, False),
    )


def down(migrator, db):
    from playhouse.migrate import make_index_name

    migrator.migrate(
        migrator.drop_index('call', make_index_name('call', CALL)),
        migrator.drop_index('customer', make_index_name('customer', CUSTOMER)),
        migrator.drop_index('forward', make_index_name('forward', FORWARD)),
        migrator.drop_index('customer_feature', make_index_name('customer_feature', CUSTOMER_FEATURE)),
    )
