"""The peewee models. All times are naive UTC (see `callers.clock.to_db`).

Freshness is first-class: every profile fact carries the time it was last
confirmed on a call (`*_confirmed_at`), so "fresh" (confirmed within the cycle)
is one indexed comparison away.

The due-queue columns on `Customer` are denormalised on purpose: finding the
next customer to call must be an index seek, not a join over contacts. They are
kept right by the domain code in `callers/` whenever a call ends or a contact
changes.

Longer than 500 lines because it is the whole schema, read at a glance: every
model with its indexes, in one file.
"""

from __future__ import annotations

from peewee import (
    AutoField,
    BigIntegerField,
    BooleanField,
    CharField,
    DateField,
    DateTimeField,
    ForeignKeyField,
    Index,
    IntegerField,
    Model,
    SQL,
    TextField,
)

from models.db import database

from models.vocabulary import (  # noqa: F401  (the models' words, re-exported for their users)
    DUE_CALLBACK,
    DUE_NEVER_REACHED,
    DUE_OVERDUE,
    DUE_REASONS,
    FORWARD_STATUSES,
    IMPLEMENTATION_STATES,
    OUTCOMES,
    REFERENCE_ANSWERS,
    REFERENCE_KINDS,
    ROLES,
)


class BaseModel(Model):
    class Meta:
        database = database
        legacy_table_names = False


class Customer(BaseModel):
    id = AutoField()
    external_id = CharField(null=True, unique=True, max_length=200)
    name = CharField(max_length=500)
    # Lower-cased, accents and punctuation and legal suffixes removed: for
    # grouping import rows and matching billing accounts.
    name_key = CharField(max_length=500, index=True)
    industry = CharField(null=True, max_length=200)
    employees = IntegerField(null=True)
    country = CharField(null=True, max_length=2)  # ISO 3166-1 alpha-2
    account_manager = CharField(null=True, max_length=200)
    do_not_call = BooleanField(default=False)
    purchased_at = DateTimeField(null=True)
    source = CharField(null=True, max_length=50)  # which export it came from
    # e.g. "public body: no gifts" (shown with every thank-you); added in 0002
    gift_restriction = TextField(null=True)
    created_at = DateTimeField()
    updated_at = DateTimeField()

    # Profile facts, each with the time it was last confirmed on a call.
    implementation_state = CharField(null=True, max_length=20)
    implementation_changed_at = DateTimeField(null=True)
    implementation_confirmed_at = DateTimeField(null=True)
    ref_prospect_call = CharField(null=True, max_length=10)  # yes / no / not_now
    ref_case_study = CharField(null=True, max_length=10)
    ref_press = CharField(null=True, max_length=10)
    ref_analyst = CharField(null=True, max_length=10)
    ref_site_visit = CharField(null=True, max_length=10)
    ref_condition = TextField(null=True)
    referenceability_confirmed_at = DateTimeField(null=True)
    features_confirmed_at = DateTimeField(null=True)
    contacts_confirmed_at = DateTimeField(null=True)

    # The due queue.
    next_due_at = DateTimeField(null=True)  # NULL: not in the queue at all
    due_rank = IntegerField(default=DUE_NEVER_REACHED)  # DUE_* above
    callback_at = DateTimeField(null=True)
    call_contact = IntegerField(null=True)  # Contact.id to dial (no FK: cycle)
    call_tz = TextField(null=True)  # that contact's zone key (TEXT since 0003)
    attempts = IntegerField(default=0)  # attempts this cycle
    cycle_started_at = DateTimeField(null=True)
    last_call_at = DateTimeField(null=True)
    last_reached_at = DateTimeField(null=True)  # last completed call
    needs_number = BooleanField(default=False)
    unreachable = BooleanField(default=False)  # too many attempts this cycle

    # Team claims: a lease on the customer for one caller.
    claim_holder = CharField(null=True, max_length=200)
    claim_expires_at = DateTimeField(null=True)

    class Meta:
        indexes = (
            (("call_tz", "due_rank", "next_due_at", "id"), False),  # the due queue (0006 added the id)
            (("due_rank", "next_due_at"), False),
            (("claim_holder", "claim_expires_at"), False),
            (("implementation_state",), False),
            # (0004's 13-column index for the report's pass over every customer:
            # dropped by 0005, the tallies count instead.)
        )


class Contact(BaseModel):
    id = AutoField()
    customer = ForeignKeyField(Customer, backref="contacts", on_delete="CASCADE")
    name = CharField(max_length=500)
    role = CharField(default="user", max_length=10)  # buyer / user / other
    title = CharField(null=True, max_length=300)
    phone = CharField(null=True, max_length=20)  # E.164
    extension = CharField(null=True, max_length=20)
    alt_phone = CharField(null=True, max_length=20)  # E.164, e.g. mobile
    alt_extension = CharField(null=True, max_length=20)
    email = CharField(null=True, max_length=320)
    # IANA zone(s) phonenumbers gives for the number; several joined by "|".
    # (TEXT since 0003: a US toll-free number maps to ~40 zones)
    timezone = TextField(null=True)
    external_id = CharField(null=True, max_length=200)  # id in the source desk
    do_not_call = BooleanField(default=False)
    active = BooleanField(default=True)  # False: gone from the company
    unreachable = BooleanField(default=False)  # wrong number
    confirmed_at = DateTimeField(null=True)
    created_at = DateTimeField()
    updated_at = DateTimeField()

    class Meta:
        indexes = (
            (("customer", "phone"), False),
            (("customer", "email"), False),
            (("external_id",), False),
        )


class Feature(BaseModel):
    id = AutoField()
    name = CharField(unique=True, max_length=200)
    description = TextField(null=True)
    position = IntegerField(default=0)
    active = BooleanField(default=True)


class CustomerFeature(BaseModel):
    id = AutoField()
    customer = ForeignKeyField(Customer, backref="features", on_delete="CASCADE")
    feature = ForeignKeyField(Feature, backref="customers", on_delete="CASCADE")
    in_production = BooleanField(default=True)
    confirmed_at = DateTimeField(null=True)

    class Meta:
        indexes = (
            (("customer", "feature"), True),
            (("feature", "in_production"), False),
            (("customer", "in_production", "feature"), False),  # the report's features (0004)
        )


class Call(BaseModel):
    id = AutoField()
    customer = ForeignKeyField(Customer, backref="calls", on_delete="CASCADE")
    contact = ForeignKeyField(Contact, null=True, backref="calls", on_delete="SET NULL")
    caller = CharField(max_length=200)
    shown_at = DateTimeField(null=True)  # when the desk showed the customer
    started_at = DateTimeField(null=True)  # someone answered; NULL if never
    ended_at = DateTimeField(null=True)
    outcome = CharField(null=True, max_length=20)  # NULL while in progress
    callback_at = DateTimeField(null=True)
    note = TextField(null=True)  # "in their words"
    skip_reason = TextField(null=True)
    # What the network said (schema 11), when a dialler placed the call.
    dialled_at = DateTimeField(null=True)
    answered_at = DateTimeField(null=True)
    hangup_cause = CharField(null=True, max_length=200)  # e.g. "486 Busy Here"
    # Where the call went, as it was then (schema 11): the report's answer
    # rate by the customer's local hour.
    zone = TextField(null=True)
    country = CharField(null=True, max_length=2)
    # 0-10, "would you recommend us?" at the end of the words step, when the
    # company asks it (setting `nps`; added in 0010). NULL: not asked or no answer.
    nps = IntegerField(null=True)

    class Meta:
        indexes = (
            (("started_at",), False),
            (("ended_at",), False),
            (("customer", "started_at"), False),
            (("caller", "outcome"), False),
            (("started_at", "caller", "outcome", "ended_at"), False),  # the report's call figures (0004)
        )


# Calls nobody answered, by the time they were given an outcome: the report's
# part-days (0005). Partial: answered calls are not in it.
Call.add_index(Index("call_unanswered_ended_at", Call, [Call.ended_at, Call.caller, Call.outcome],
                     where=Call.started_at.is_null()))


class CallAnswer(BaseModel):
    """Each answer given on a call, as given: the call's own journal.

    The profile columns hold the current truth; these rows are how a call is
    restored after a crash and how decay is measured.
    """

    id = AutoField()
    call = ForeignKeyField(Call, backref="answers", on_delete="CASCADE")
    step = CharField(max_length=30)  # contacts / referenceability / implementation / features / comment
    key = CharField(max_length=200)  # what was answered, e.g. "contact:12:gone"
    value = TextField(null=True)
    answered_at = DateTimeField()
    # The answer's place in its call (1, 2, ...), given by the desk: answers
    # are told apart and put in order by it, never by their time (two given
    # within the same second, or at a frozen CALLERS_NOW, are two answers).
    # NULL for answers saved before schema 7.
    seq = IntegerField(null=True)
    # How long the answer's step was on screen, in whole seconds, since the
    # step came up or since the call's previous answer, whichever was later
    # (given by the desk; added in 0010). A step's time in a call is the sum
    # of its answers'. NULL: not measured.
    seconds = IntegerField(null=True)

    class Meta:
        indexes = ((("step", "answered_at"), False), (("call", "seq"), True))


class Department(BaseModel):
    id = AutoField()
    name = CharField(unique=True, max_length=100)
    # billing / support / account_manager / other: account_manager forwards
    # are assigned to the customer's account manager.
    kind = CharField(default="other", max_length=30)
    key = CharField(null=True, max_length=20)  # desk key, e.g. "f5"
    position = IntegerField(default=0)


class Forward(BaseModel):
    id = AutoField()
    customer = ForeignKeyField(Customer, backref="forwards", on_delete="CASCADE")
    call = ForeignKeyField(Call, null=True, backref="forwards", on_delete="SET NULL")
    contact = ForeignKeyField(Contact, null=True, backref="forwards", on_delete="SET NULL")
    caller = CharField(max_length=200)
    department = ForeignKeyField(Department, backref="forwards", on_delete="RESTRICT")
    assignee = CharField(null=True, max_length=200)
    note = TextField(null=True)
    status = CharField(default="open", max_length=20)
    created_at = DateTimeField()
    acknowledged_at = DateTimeField(null=True)
    acknowledged_by = CharField(null=True, max_length=200)
    resolved_at = DateTimeField(null=True)  # done, returned or withdrawn
    resolved_by = CharField(null=True, max_length=200)
    resolution = TextField(null=True)  # resolution note or "not ours" reason
    # Times the customer said it was not fixed and it was opened again (0010).
    # (A database default too: bulk loads that name their columns need not know it.)
    reopened = IntegerField(default=0, constraints=[SQL("DEFAULT 0")])

    class Meta:
        indexes = (
            (("department", "status", "created_at"), False),
            (("customer", "status"), False),
            (("created_at",), False),
            (("status", "resolved_at"), False),
            (("status", "resolved_at", "department", "created_at"), False),  # the report's departments (0004)
        )


class ForwardEvent(BaseModel):
    """Every status change of a forward, time-stamped with who made it."""

    id = AutoField()
    forward = ForeignKeyField(Forward, backref="events", on_delete="CASCADE")
    status = CharField(max_length=20)
    at = DateTimeField()
    by = CharField(max_length=200)
    note = TextField(null=True)
    # `sent_on` (the supervisor sends a returned forward on): the department
    # it left and the one it went to. Added in 0008.
    from_department = ForeignKeyField(Department, null=True, backref="+", on_delete="SET NULL")
    to_department = ForeignKeyField(Department, null=True, backref="+", on_delete="SET NULL")
    # Added in 0010: the call an event was made on (filing a forward, the
    # customer's "was it fixed?" answer) and how long it took on screen, in
    # whole seconds (the script's "forwards" step).
    call = ForeignKeyField(Call, null=True, backref="+", on_delete="SET NULL")
    seconds = IntegerField(null=True)

    class Meta:
        # forward as the third column: the report's "was it fixed?" counts
        # read the period's answers and their forwards from the index alone.
        indexes = ((("status", "at", "forward"), False),)


class Setting(BaseModel):
    """Calling hours, cycle length, retry delays...: JSON values by key."""

    key = CharField(primary_key=True, max_length=100)
    value = TextField()


# Models created by migration 0001_initial.
SCHEMA_1 = [
    Customer,
    Contact,
    Feature,
    CustomerFeature,
    Call,
    CallAnswer,
    Department,
    Forward,
    ForwardEvent,
    Setting,
]


# ---- Added by migration 0002 -------------------------------------------------


class ReferenceRequest(BaseModel):
    """One request point: every ask for a reference, whoever made it."""

    id = AutoField()
    requested_at = DateTimeField()
    requested_by = CharField(max_length=200)
    ref_type = CharField(max_length=20)
    prospect = CharField(null=True, max_length=300)
    criteria = TextField(null=True)  # JSON of the filters used
    customer = ForeignKeyField(Customer, null=True, backref="reference_requests", on_delete="SET NULL")
    outcome = CharField(null=True, max_length=30)  # proposed / used / declined / none found
    logged_by = CharField(null=True, max_length=200)  # who logged it (the person logged in); None: not known


class ReferenceUse(BaseModel):
    id = AutoField()
    customer = ForeignKeyField(Customer, backref="reference_uses", on_delete="CASCADE")
    request = ForeignKeyField(ReferenceRequest, null=True, backref="uses", on_delete="SET NULL")
    ref_type = CharField(max_length=20)
    prospect = CharField(null=True, max_length=300)
    requested_by = CharField(max_length=200)
    used_at = DateTimeField()
    override_reason = TextField(null=True)  # set when used while resting
    logged_by = CharField(null=True, max_length=200)  # who logged it (the person logged in); None: not known

    class Meta:
        indexes = ((("customer", "used_at"), False),)


class ThankYou(BaseModel):
    id = AutoField()
    use = ForeignKeyField(ReferenceUse, backref="thanks", on_delete="CASCADE")
    customer = ForeignKeyField(Customer, backref="thanks", on_delete="CASCADE")
    owed_since = DateTimeField()
    sent_at = DateTimeField(null=True)
    sent_by = CharField(null=True, max_length=200)
    logged_by = CharField(null=True, max_length=200)  # who marked it sent (the person logged in)

    class Meta:
        indexes = ((("sent_at", "owed_since"), False),)


class User(BaseModel):
    """A person and the part of callers they may use."""

    id = AutoField()
    name = CharField(unique=True, max_length=200)
    role = CharField(max_length=30)  # caller / department / supervisor / requester
    department = ForeignKeyField(Department, null=True, backref="members", on_delete="SET NULL")
    created_at = DateTimeField()
    # PostgreSQL: the database login this person connects with (added in
    # 0009); the app user of a connection is the one whose login is session_user.
    login = CharField(null=True, unique=True, max_length=63)

    class Meta:
        table_name = "app_user"  # "user" is reserved in PostgreSQL


class BillingLink(BaseModel):
    """A billing-system account matched to a customer (`reconcile --link`)."""

    id = AutoField()
    customer = ForeignKeyField(Customer, backref="billing_links", on_delete="CASCADE")
    billing_id = CharField(max_length=200, unique=True)
    linked_at = DateTimeField()


SCHEMA_2 = [ReferenceRequest, ReferenceUse, ThankYou, User, BillingLink]


# ---- Added by migration 0005: the report's tallies (see models/tallies.py) -----
# Rows are appended by triggers (+1 / -1); a count is SUM(n) over its key.


class TallyCustomer(BaseModel):
    id = AutoField()
    do_not_call = BooleanField()
    unreachable = BooleanField()
    needs_number = BooleanField()
    never_reached = BooleanField()
    implementation_state = CharField(max_length=20)  # '' when unknown
    ref_yes = IntegerField()  # bit i: REFERENCE_KINDS[i] is "yes"
    n = IntegerField()


class TallyCustomerDay(BaseModel):
    """Customers we call, by the UTC day of a dated fact (reached, *_confirmed)."""

    id = AutoField()
    fact = CharField(max_length=20)
    day = DateField()
    n = IntegerField()

    class Meta:
        indexes = ((("fact", "day"), False),)


class TallyFeature(BaseModel):
    id = AutoField()
    feature_id = IntegerField()  # no foreign key: counts outlive nothing, block nothing
    implementation_state = CharField(max_length=20)
    n = IntegerField()


class TallyCall(BaseModel):
    id = AutoField()
    hour = DateTimeField()  # answered: the hour started; not answered: the hour ended
    caller = CharField(max_length=200)
    outcome = CharField(max_length=20)  # '' while the call runs
    answered = BooleanField()
    n = IntegerField()

    class Meta:
        # n last: the report's sums read the index alone
        indexes = ((("hour", "caller", "outcome", "answered", "n"), False),)


class TallyCallLocal(BaseModel):
    """Finished attempts by UTC hour, where they went and whether anyone
    answered (schema 11): the answer rate by the customer's local hour."""

    id = AutoField()
    hour = DateTimeField()
    zone = TextField()  # '' when the call's zone is unknown
    country = CharField(max_length=2)  # '' when unknown
    answered = BooleanField()
    n = IntegerField()

    class Meta:
        indexes = ((("hour", "zone", "country", "answered", "n"), False),)


class TallyCallLength(BaseModel):
    """Answered calls that ended, by the UTC day they started and their length."""

    id = AutoField()
    day = DateField()
    caller = CharField(max_length=200)
    seconds = IntegerField()
    n = IntegerField()

    class Meta:
        indexes = ((("day", "caller", "seconds", "n"), False),)


class TallyForward(BaseModel):
    id = AutoField()
    hour = DateTimeField()
    department_id = IntegerField()
    kind = CharField(max_length=20)  # created / kept / open (hour created); done / returned / withdrawn (hour resolved)
    n = IntegerField()

    class Meta:
        indexes = ((("hour", "department_id", "kind", "n"), False),)


class TallyForwardDone(BaseModel):
    """Forwards done, by the UTC day done and whole days from forward to done."""

    id = AutoField()
    day = DateField()
    department_id = IntegerField()
    days_to_done = IntegerField()  # -1: resolved before it was made
    n = IntegerField()

    class Meta:
        indexes = ((("department_id", "day", "days_to_done", "n"), False),)


class TallyCount(BaseModel):
    id = AutoField()
    name = CharField(max_length=50)
    n = IntegerField()


class TallyMark(BaseModel):
    """Per tally, the highest row id its last compaction folded."""

    name = CharField(primary_key=True, max_length=50)
    upto = IntegerField()


SCHEMA_5 = [TallyCustomer, TallyCustomerDay, TallyFeature, TallyCall, TallyCallLength, TallyForward, TallyForwardDone,
            TallyCount, TallyMark]

# The boundary day of "within the cycle": customers whose dated fact falls on
# it, counted exactly (migration 0005). Partial: never-reached customers, most
# of a fresh import, add nothing to them.
FACT_INDEXES = {
    column: f"customer_{column}_callable"
    for column in ("last_reached_at", "contacts_confirmed_at", "referenceability_confirmed_at",
                   "implementation_confirmed_at", "features_confirmed_at")
}
for _column, _name in FACT_INDEXES.items():
    _field = getattr(Customer, _column)
    Customer.add_index(Index(_name, Customer, [_field, Customer.do_not_call], where=_field.is_null(False)))



# ---- Added by migration 0008: departments' webhooks (see callers/webhooks.py) ----


class DepartmentWebhook(BaseModel):
    """Where a department hears of its forwards: one URL, and the secret that signs each POST."""

    id = AutoField()
    department = ForeignKeyField(Department, unique=True, backref="+", on_delete="CASCADE")
    url = TextField()
    secret = TextField(null=True)
    updated_at = DateTimeField()
    updated_by = CharField(max_length=200)


class WebhookDelivery(BaseModel):
    """One forward event to POST to one department's webhook: queued in the
    transaction that made the event, delivered in id order per department."""

    id = AutoField()
    department = ForeignKeyField(Department, backref="+", on_delete="CASCADE", index=False)
    event = CharField(max_length=20)  # created / acknowledged / done / returned / withdrawn / sent_on / reopened
    forward_id = IntegerField()  # no foreign keys: the body is the record
    event_id = IntegerField()
    delivery_id = CharField(max_length=36, unique=True)  # X-Callers-Delivery
    body = TextField()  # the JSON, exactly as signed and sent
    created_at = DateTimeField()
    attempts = IntegerField(default=0)
    next_attempt_at = DateTimeField()
    last_attempt_at = DateTimeField(null=True)
    last_error = TextField(null=True)
    delivered_at = DateTimeField(null=True, index=True)
    claimed_by = CharField(null=True, max_length=36)  # the deliverer posting it now
    claimed_until = DateTimeField(null=True)


# What is still to deliver, per department in order: the heads are one seek each.
WebhookDelivery.add_index(Index("webhook_delivery_pending", WebhookDelivery,
                                [WebhookDelivery.department, WebhookDelivery.id],
                                where=WebhookDelivery.delivered_at.is_null()))

SCHEMA_8 = [DepartmentWebhook, WebhookDelivery]



# ---- Added by migration 0010: closing the loop, step times, NPS --------------------
# (call.nps, call_answer.seconds, forward.reopened, forward_event.call_id and
# .seconds are declared above.)


class TallyStepTime(BaseModel):
    """Answered calls that ended, by the UTC day they started, caller, script
    step and the whole seconds that step was on screen in the call."""

    id = AutoField()
    day = DateField()
    caller = CharField(max_length=200)
    step = CharField(max_length=20)  # contacts / references / implementation / features / words / forwards
    seconds = IntegerField()
    n = IntegerField()

    class Meta:
        indexes = ((("day", "caller", "step", "seconds", "n"), False),)


class TallyStepLongest(BaseModel):
    """Answered calls that ended with timed steps, by the UTC day they
    started, the step that took most of their time, and their length."""

    id = AutoField()
    day = DateField()
    step = CharField(max_length=20)
    call_seconds = IntegerField()
    n = IntegerField()

    class Meta:
        indexes = ((("day", "step", "call_seconds", "n"), False),)


# A call's timed answers and timed forward events: what the step tallies'
# triggers sum when a call ends (partial: untimed rows are not in them).
CallAnswer.add_index(Index("call_answer_timed", CallAnswer, [CallAnswer.call, CallAnswer.step, CallAnswer.seconds],
                           where=CallAnswer.seconds.is_null(False)))
ForwardEvent.add_index(Index("forward_event_timed", ForwardEvent, [ForwardEvent.call, ForwardEvent.seconds],
                             where=ForwardEvent.seconds.is_null(False)))
# NPS answers by the time the call started: the report's count is one index range.
Call.add_index(Index("call_nps", Call, [Call.started_at, Call.nps], where=Call.nps.is_null(False)))

SCHEMA_10 = [TallyStepTime, TallyStepLongest]

SCHEMA_11 = [TallyCallLocal]


# ---- Added by migration 0012: what the function earns (see callers/value.py) ----


class Reconciliation(BaseModel):
    """The last `callers reconcile`: what it found, summed (one row; each run replaces it)."""

    id = AutoField()
    ran_at = DateTimeField()
    ran_by = CharField(max_length=200)
    source = TextField()  # the billing file's name, as given
    billing_rows = IntegerField()
    customers = IntegerField()
    matched = IntegerField()
    unbilled = IntegerField()  # supported customers with no active billing account
    unknown = IntegerField()  # active billing accounts matching no customer
    ambiguous = IntegerField()  # billing rows fitting several customers
    unreadable = IntegerField()
    # Sums of the billing file's amount column, in hundredths, for the findings
    # whose amount could be read; NULL when the file has no amount column.
    unbilled_amount_cents = BigIntegerField(null=True)  # of the cancelled accounts of unbilled customers
    unbilled_with_amount = IntegerField(default=0)
    unknown_amount_cents = BigIntegerField(null=True)
    unknown_with_amount = IntegerField(default=0)
    amounts_unread = IntegerField(default=0)  # amounts present but not a number


class ReconciliationFinding(BaseModel):
    """One unbilled customer or unknown billing account of the last reconciliation."""

    id = AutoField()
    reconciliation = ForeignKeyField(Reconciliation, backref="findings", on_delete="CASCADE")
    kind = CharField(max_length=10)  # unbilled / unknown
    customer = ForeignKeyField(Customer, null=True, backref="+", on_delete="SET NULL")
    billing_id = CharField(null=True, max_length=200)
    name = TextField(null=True)
    amount = TextField(null=True)  # as the billing file gave it
    amount_cents = BigIntegerField(null=True)  # read as a number, in hundredths
    status = TextField(null=True)


SCHEMA_12 = [Reconciliation, ReconciliationFinding]


# ---- Added by migration 0014: the "was it fixed?" answers, tallied ----


class TallyForwardAnswer(BaseModel):
    """The customers' answers to "Was it fixed?" by UTC hour, the forward's
    department and the answer (schema 14)."""

    id = AutoField()
    hour = DateTimeField()
    department_id = IntegerField()
    status = CharField(max_length=20)  # fixed / partly_fixed / reopened
    n = IntegerField()

    class Meta:
        indexes = ((("hour", "department_id", "status", "n"), False),)


SCHEMA_14 = [TallyForwardAnswer]

ALL_MODELS = SCHEMA_1 + SCHEMA_2 + SCHEMA_5 + SCHEMA_8 + SCHEMA_10 + SCHEMA_11 + SCHEMA_12 + SCHEMA_14
