"""Schema 1: customers, contacts, features, calls, forwards, settings."""
from peewee import *

def up(migrator, db):
    class Customer(Model):
        external_id = CharField(unique=True, null=True, max_length=200)
        name = CharField(max_length=500)
        name_key = CharField(index=True, max_length=500)
        industry = CharField(null=True, max_length=200)
        employees = IntegerField(null=True)
        country = CharField(null=True, max_length=2)
        account_manager = CharField(null=True, max_length=200)
        do_not_call = BooleanField(default=False)
        purchased_at = DateTimeField(null=True)
        source = CharField(null=True, max_length=50)
        created_at = DateTimeField()
        updated_at = DateTimeField()
        implementation_state = CharField(null=True, max_length=20)
        implementation_changed_at = DateTimeField(null=True)
        implementation_confirmed_at = DateTimeField(null=True)
        ref_prospect_call = CharField(null=True, max_length=10)
        ref_case_study = CharField(null=True, max_length=10)
        ref_press = CharField(null=True, max_length=10)
        ref_analyst = CharField(null=True, max_length=10)
        ref_site_visit = CharField(null=True, max_length=10)
        ref_condition = TextField(null=True)
        referenceability_confirmed_at = DateTimeField(null=True)
        features_confirmed_at = DateTimeField(null=True)
        contacts_confirmed_at = DateTimeField(null=True)
        next_due_at = DateTimeField(null=True)
        due_rank = IntegerField(default=1)
        callback_at = DateTimeField(null=True)
        call_contact = IntegerField(null=True)
        call_tz = CharField(null=True, max_length=200)
        attempts = IntegerField(default=0)
        cycle_started_at = DateTimeField(null=True)
        last_call_at = DateTimeField(null=True)
        last_reached_at = DateTimeField(null=True)
        needs_number = BooleanField(default=False)
        unreachable = BooleanField(default=False)
        claim_holder = CharField(null=True, max_length=200)
        claim_expires_at = DateTimeField(null=True)
        class Meta:
            database = db
            table_name = 'customer'
            indexes = ((('call_tz', 'due_rank', 'next_due_at'), False), (('due_rank', 'next_due_at'), False), (('claim_holder', 'claim_expires_at'), False), (('implementation_state',), False))
    db.create_tables([Customer])

    class Contact(Model):
        customer = ForeignKeyField(Customer, on_delete='CASCADE')
        name = CharField(max_length=500)
        role = CharField(max_length=10, default='user')
        title = CharField(null=True, max_length=300)
        phone = CharField(null=True, max_length=20)
        extension = CharField(null=True, max_length=20)
        alt_phone = CharField(null=True, max_length=20)
        alt_extension = CharField(null=True, max_length=20)
        email = CharField(null=True, max_length=320)
        timezone = CharField(null=True, max_length=200)
        external_id = CharField(null=True, max_length=200)
        do_not_call = BooleanField(default=False)
        active = BooleanField(default=True)
        unreachable = BooleanField(default=False)
        confirmed_at = DateTimeField(null=True)
        created_at = DateTimeField()
        updated_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'contact'
            indexes = ((('customer', 'phone'), False), (('customer', 'email'), False), (('external_id',), False))
    db.create_tables([Contact])

    class Call(Model):
        customer = ForeignKeyField(Customer, on_delete='CASCADE')
        contact = ForeignKeyField(Contact, null=True, on_delete='SET NULL')
        caller = CharField(max_length=200)
        shown_at = DateTimeField(null=True)
        started_at = DateTimeField(null=True)
        ended_at = DateTimeField(null=True)
        outcome = CharField(null=True, max_length=20)
        callback_at = DateTimeField(null=True)
        note = TextField(null=True)
        skip_reason = TextField(null=True)
        class Meta:
            database = db
            table_name = 'call'
            indexes = ((('started_at',), False), (('ended_at',), False), (('customer', 'started_at'), False), (('caller', 'outcome'), False))
    db.create_tables([Call])

    class CallAnswer(Model):
        call = ForeignKeyField(Call, on_delete='CASCADE')
        step = CharField(max_length=30)
        key = CharField(max_length=200)
        value = TextField(null=True)
        answered_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'call_answer'
            indexes = ((('step', 'answered_at'), False),)
    db.create_tables([CallAnswer])

    class Feature(Model):
        name = CharField(unique=True, max_length=200)
        description = TextField(null=True)
        position = IntegerField(default=0)
        active = BooleanField(default=True)
        class Meta:
            database = db
            table_name = 'feature'
    db.create_tables([Feature])

    class CustomerFeature(Model):
        customer = ForeignKeyField(Customer, on_delete='CASCADE')
        feature = ForeignKeyField(Feature, on_delete='CASCADE')
        in_production = BooleanField(default=True)
        confirmed_at = DateTimeField(null=True)
        class Meta:
            database = db
            table_name = 'customer_feature'
            indexes = ((('customer', 'feature'), True), (('feature', 'in_production'), False))
    db.create_tables([CustomerFeature])

    class Department(Model):
        name = CharField(unique=True, max_length=100)
        kind = CharField(max_length=30, default='other')
        key = CharField(null=True, max_length=20)
        position = IntegerField(default=0)
        class Meta:
            database = db
            table_name = 'department'
    db.create_tables([Department])

    class Forward(Model):
        customer = ForeignKeyField(Customer, on_delete='CASCADE')
        call = ForeignKeyField(Call, null=True, on_delete='SET NULL')
        contact = ForeignKeyField(Contact, null=True, on_delete='SET NULL')
        caller = CharField(max_length=200)
        department = ForeignKeyField(Department, on_delete='RESTRICT')
        assignee = CharField(null=True, max_length=200)
        note = TextField(null=True)
        status = CharField(max_length=20, default='open')
        created_at = DateTimeField()
        acknowledged_at = DateTimeField(null=True)
        acknowledged_by = CharField(null=True, max_length=200)
        resolved_at = DateTimeField(null=True)
        resolved_by = CharField(null=True, max_length=200)
        resolution = TextField(null=True)
        class Meta:
            database = db
            table_name = 'forward'
            indexes = ((('department', 'status', 'created_at'), False), (('customer', 'status'), False), (('created_at',), False), (('status', 'resolved_at'), False))
    db.create_tables([Forward])

    class ForwardEvent(Model):
        forward = ForeignKeyField(Forward, on_delete='CASCADE')
        status = CharField(max_length=20)
        at = DateTimeField()
        by = CharField(max_length=200)
        note = TextField(null=True)
        class Meta:
            database = db
            table_name = 'forward_event'
    db.create_tables([ForwardEvent])

    class Setting(Model):
        key = CharField(primary_key=True, max_length=100)
        value = TextField()
        class Meta:
            database = db
            table_name = 'setting'
    db.create_tables([Setting])


def down(migrator, db):
    migrator.migrate(migrator.drop_table('setting'))
    migrator.migrate(migrator.drop_table('forward_event'))
    migrator.migrate(migrator.drop_table('forward'))
    migrator.migrate(migrator.drop_table('department'))
    migrator.migrate(migrator.drop_table('customer_feature'))
    migrator.migrate(migrator.drop_table('feature'))
    migrator.migrate(migrator.drop_table('call_answer'))
    migrator.migrate(migrator.drop_table('call'))
    migrator.migrate(migrator.drop_table('contact'))
    migrator.migrate(migrator.drop_table('customer'))
