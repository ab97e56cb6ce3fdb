"""Schema 7: each answer of a call carries its place in the call.

call_answer.seq (1, 2, ... within a call), unique per call. The desk numbers
the answers it gives, and a replay of its journal after a dropped connection
is recognised by that number: an answer already saved under it is not saved
again. Until now a replay was recognised by (call, step, key, time), so with
the clock frozen (or within one second) a value changed and changed back was
taken for a replay and the last value given was lost. Answers saved before
this schema keep a NULL number (a unique index allows any number of NULLs in
both engines).
"""
from peewee import IntegerField

INDEX = ('call_id', 'seq')


def up(migrator, db):
    migrator.migrate(
        migrator.add_column('call_answer', 'seq', IntegerField(null=True)),
        migrator.add_index('call_answer', INDEX, True),
    )


def down(migrator, db):
    migrator.migrate(
        migrator.drop_index('call_answer', 'call_answer_' + '_'.join(INDEX)),
        migrator.drop_column('call_answer', 'seq'),
    )
