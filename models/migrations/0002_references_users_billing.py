"""Schema 2: reference requests, uses and thank-yous; users and roles; billing links; gift restrictions."""
from peewee import *

def up(migrator, db):
    class Customer(Model):
        class Meta:
            database = db
            table_name = 'customer'

    class Department(Model):
        class Meta:
            database = db
            table_name = 'department'

    class BillingLink(Model):
        customer = ForeignKeyField(Customer, on_delete='CASCADE')
        billing_id = CharField(unique=True, max_length=200)
        linked_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'billing_link'
    db.create_tables([BillingLink])

    class ReferenceRequest(Model):
        requested_at = DateTimeField()
        requested_by = CharField(max_length=200)
        ref_type = CharField(max_length=20)
        prospect = CharField(null=True, max_length=300)
        criteria = TextField(null=True)
        customer = ForeignKeyField(Customer, null=True, on_delete='SET NULL')
        outcome = CharField(null=True, max_length=30)
        class Meta:
            database = db
            table_name = 'reference_request'
    db.create_tables([ReferenceRequest])

    class ReferenceUse(Model):
        customer = ForeignKeyField(Customer, on_delete='CASCADE')
        request = ForeignKeyField(ReferenceRequest, null=True, on_delete='SET NULL')
        ref_type = CharField(max_length=20)
        prospect = CharField(null=True, max_length=300)
        requested_by = CharField(max_length=200)
        used_at = DateTimeField()
        override_reason = TextField(null=True)
        class Meta:
            database = db
            table_name = 'reference_use'
            indexes = ((('customer', 'used_at'), False),)
    db.create_tables([ReferenceUse])

    class ThankYou(Model):
        use = ForeignKeyField(ReferenceUse, on_delete='CASCADE')
        customer = ForeignKeyField(Customer, on_delete='CASCADE')
        owed_since = DateTimeField()
        sent_at = DateTimeField(null=True)
        sent_by = CharField(null=True, max_length=200)
        class Meta:
            database = db
            table_name = 'thank_you'
            indexes = ((('sent_at', 'owed_since'), False),)
    db.create_tables([ThankYou])

    class User(Model):
        name = CharField(unique=True, max_length=200)
        role = CharField(max_length=30)
        department = ForeignKeyField(Department, null=True, on_delete='SET NULL')
        created_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'app_user'
    db.create_tables([User])

    migrator.migrate(migrator.add_column('customer', 'gift_restriction', TextField(null=True)))


def down(migrator, db):
    migrator.migrate(migrator.drop_column('customer', 'gift_restriction'))
    migrator.migrate(migrator.drop_table('app_user'))
    migrator.migrate(migrator.drop_table('thank_you'))
    migrator.migrate(migrator.drop_table('reference_use'))
    migrator.migrate(migrator.drop_table('reference_request'))
    migrator.migrate(migrator.drop_table('billing_link'))
