"""Schema 8: departments hear of their forwards through webhooks; a returned
forward can be sent on to another department.

- table department_webhook: one URL (and optional signing secret) per department;
- table webhook_delivery: the outbox. Every forward event of a department
  with a webhook is queued here in the transaction that made the event, then
  POSTed in id order per department (callers/webhooks.py); the partial index
  webhook_delivery_pending (department_id, id) WHERE delivered_at IS NULL
  finds each department's oldest undelivered event in one seek;
- forward_event.from_department_id / to_department_id: where a `sent_on`
  event took the forward from and to.
"""
from peewee import *


def up(migrator, db):
    class Department(Model):
        class Meta:
            database = db
            table_name = 'department'

    class DepartmentWebhook(Model):
        department = ForeignKeyField(Department, unique=True, on_delete='CASCADE')
        url = TextField()
        secret = TextField(null=True)
        updated_at = DateTimeField()
        updated_by = CharField(max_length=200)
        class Meta:
            database = db
            table_name = 'department_webhook'

    class WebhookDelivery(Model):
        department = ForeignKeyField(Department, on_delete='CASCADE', index=False)
        event = CharField(max_length=20)
        forward_id = IntegerField()
        event_id = IntegerField()
        delivery_id = CharField(unique=True, max_length=36)
        body = TextField()
        created_at = DateTimeField()
        attempts = IntegerField(default=0)
        next_attempt_at = DateTimeField()
        last_attempt_at = DateTimeField(null=True)
        last_error = TextField(null=True)
        delivered_at = DateTimeField(null=True, index=True)
        claimed_by = CharField(null=True, max_length=36)
        claimed_until = DateTimeField(null=True)
        class Meta:
            database = db
            table_name = 'webhook_delivery'

    db.create_tables([DepartmentWebhook, WebhookDelivery])
    db.execute_sql('CREATE INDEX "webhook_delivery_pending" ON "webhook_delivery" (department_id, id) '
                   'WHERE delivered_at IS NULL')
    migrator.migrate(
        migrator.add_column('forward_event', 'from_department_id',
                            ForeignKeyField(Department, null=True, on_delete='SET NULL', field=Department.id)),
        migrator.add_column('forward_event', 'to_department_id',
                            ForeignKeyField(Department, null=True, on_delete='SET NULL', field=Department.id)),
    )


def down(migrator, db):
    migrator.migrate(
        migrator.drop_column('forward_event', 'to_department_id'),
        migrator.drop_column('forward_event', 'from_department_id'),
    )
    db.execute_sql('DROP TABLE IF EXISTS "webhook_delivery"')
    db.execute_sql('DROP TABLE IF EXISTS "department_webhook"')
