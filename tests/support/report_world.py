"""The supervisor report's known database, built by hand as of NOW (its
answers are worked out in the comments), shared by the report's tests and the
supervisor screen's."""

from __future__ import annotations

from datetime import timedelta

from callers import clock
from models.tables import Call, CallAnswer, CustomerFeature, Department, Feature, Forward
from tests.support import factories

NOW = "2026-11-23T12:00:00+00:00"


def at(days: float = 0, seconds: float = 0):
    """`days` ago (plus `seconds` later), as the database stores it."""
    return clock.db_now() - timedelta(days=days) + timedelta(seconds=seconds)


def dept(name: str) -> Department:
    return Department.get(Department.name == name)


def forward(customer, department: str, created_days: float, status: str = "open",
            resolved_days: float | None = None) -> Forward:
    return Forward.create(customer=customer, caller="alice", department=dept(department),
                          status=status, created_at=at(created_days),
                          resolved_at=at(resolved_days) if resolved_days is not None else None)


def answered(customer, caller: str, started, length: int | None, outcome: str | None = "completed") -> Call:
    return Call.create(customer=customer, caller=caller, shown_at=started - timedelta(seconds=30),
                       started_at=started,
                       ended_at=started + timedelta(seconds=length) if length is not None else None,
                       outcome=outcome)


def unanswered(customer, caller: str, ended, outcome: str) -> Call:
    return Call.create(customer=customer, caller=caller, shown_at=ended - timedelta(seconds=40),
                       ended_at=ended, outcome=outcome)


def build_world() -> None:
    """The known database (answers worked out by hand in the comments), as of NOW."""
    c1 = factories.customer("One", last_reached_at=at(10), contacts_confirmed_at=at(10),
                            referenceability_confirmed_at=at(10), implementation_state="live",
                            implementation_confirmed_at=at(10), features_confirmed_at=at(10),
                            ref_prospect_call="yes", ref_case_study="yes")
    c2 = factories.customer("Two", last_reached_at=at(100), contacts_confirmed_at=at(100),
                            implementation_state="in_progress", implementation_confirmed_at=at(100))
    factories.customer("Three", unreachable=True)
    factories.customer("Four", needs_number=True)
    factories.customer("Five", do_not_call=True, last_reached_at=at(5), ref_press="yes",
                       contacts_confirmed_at=at(5))
    c6 = factories.customer("Six", last_reached_at=at(89), implementation_state="live",
                            implementation_confirmed_at=at(89), features_confirmed_at=at(95),
                            ref_case_study="not_now")

    # Billing: forwarded 3 (f1 f2 f3; f5 withdrawn, f4 and f6 older), open 3 (f1 f2 f6),
    # oldest 100 days, done in the period f3 (2 days) and f4 (34 days): median 18.
    forward(c1, "Billing", 5)  # f1
    forward(c1, "Billing", 10, "acknowledged")  # f2
    forward(c1, "Billing", 20, "done", 18)  # f3
    forward(c2, "Billing", 40, "done", 6)  # f4
    forward(c2, "Billing", 3, "withdrawn", 3)  # f5
    forward(c2, "Billing", 100)  # f6
    # Support: forwarded 2 (s1 s4), returned 1 (s1), done in the period s4 (8 days);
    # before the period s3 (5 days): the median grew.
    forward(c1, "Support", 2, "returned", 1)  # s1
    forward(c1, "Support", 50, "returned", 45)  # s2
    forward(c1, "Support", 40, "done", 35)  # s3
    forward(c1, "Support", 10, "done", 2)  # s4

    since = at(30)
    # alice: 4 completed (100 120 200 400 s; the first exactly at `since`), 1 no answer.
    answered(c1, "alice", since, 100)
    answered(c1, "alice", at(20), 120)
    answered(c1, "alice", at(10), 200)
    answered(c1, "alice", at(3), 400)
    unanswered(c1, "alice", at(3), "no_answer")
    answered(c1, "alice", at(40), 50)  # before the period
    unanswered(c1, "alice", since - timedelta(seconds=1), "busy")  # just before the period
    # bob: 1 completed (170 s), a callback answered (60 s), one still running,
    # voicemail and wrong number unanswered.
    answered(c1, "bob", at(8), 170)
    answered(c1, "bob", at(7), 60, "callback")
    answered(c1, "bob", at(0, -60), None, None)
    unanswered(c1, "bob", at(1), "voicemail")
    wrong = unanswered(c2, "bob", at(2), "wrong_number")
    answered(c1, "bob", at(0), 500)  # exactly at `until`: not in the period

    # Decay: one contact found gone in the period (answered twice), one before it.
    contact = c2.call_contact
    for days_ago in (5, 4):
        CallAnswer.create(call=wrong, step="contacts", key=f"contact:{contact}:gone", value="gone",
                          answered_at=at(days_ago))
    CallAnswer.create(call=wrong, step="contacts", key=f"contact:{c1.call_contact}:gone", answered_at=at(40))
    CallAnswer.create(call=wrong, step="contacts", key=f"contact:{c1.call_contact}:confirmed", answered_at=at(4))

    reports, invoices, api = (Feature.create(name=n, position=i) for i, n in enumerate(["Reports", "Invoices", "API"]))
    CustomerFeature.create(customer=c1, feature=reports)
    CustomerFeature.create(customer=c1, feature=invoices)
    CustomerFeature.create(customer=c6, feature=reports)
    CustomerFeature.create(customer=c6, feature=api, in_production=False)
    CustomerFeature.create(customer=c2, feature=api)  # not live: not counted
