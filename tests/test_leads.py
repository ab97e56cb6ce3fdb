"""Leads: professional services (stalled / not started) and beta-site candidates,
on hand-built data with known answers (both engines)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from callers import clock, leads, names, settings
from callers.cli import main
from models.tables import Call, Contact, Customer, CustomerFeature, Feature
from tests.support import factories

NOW = "2026-11-23T12:00:00+00:00"


@pytest.fixture
def at(db, now):
    return now(NOW)


def mk(name: str, **fields) -> Customer:
    return factories.customer(name, name_key=names.name_key(name), **fields)


def days_ago(days: float):
    return clock.db_now() - timedelta(days=days)


def person(customer, name, role, **fields):
    return Contact.create(customer=customer, name=name, role=role, created_at=clock.db_now(),
                          updated_at=clock.db_now(), **fields)


def test_professional_services_leads(at, capsys):
    stalled = mk("Stalled Co", external_id="S1", phone=None, implementation_state="stalled",
                 implementation_changed_at=days_ago(40), purchased_at=days_ago(400))
    person(stalled, "Uma User", "user", phone="+442079460001")
    person(stalled, "Gone Buyer", "buyer", active=False)
    person(stalled, "Bob Buyer", "buyer", phone="+442079460958", email="bob@stalled.example")
    Call.create(customer=stalled, caller="cal", ended_at=days_ago(10), note="waiting for their IT")
    Call.create(customer=stalled, caller="cal", ended_at=days_ago(2), note="")  # no answer, no note
    Call.create(customer=stalled, caller="cal", ended_at=days_ago(30), note="older note")
    mk("Not Started Co", external_id="N1", implementation_state="not_started", purchased_at=days_ago(100),
       contact_name="Nina Buyer")
    mk("Stalled, change unknown", external_id="S2", implementation_state="stalled", purchased_at=days_ago(10))
    mk("No dates", external_id="X1", implementation_state="not_started")
    mk("Live Co", implementation_state="live", purchased_at=days_ago(500))
    mk("In progress", implementation_state="in_progress", purchased_at=days_ago(500))
    mk("Asked not to be called", implementation_state="stalled", implementation_changed_at=days_ago(90),
       do_not_call=True)

    items = leads.professional_services()
    assert [(i.name, i.implementation_state, i.since_what, i.days) for i in items] == [
        ("Not Started Co", "not_started", "purchase", 100),
        ("Stalled Co", "stalled", "stalled", 40),
        ("Stalled, change unknown", "stalled", "purchase", 10),
        ("No dates", "not_started", "purchase", None),
    ]
    first, second = items[0], items[1]
    assert first.buyer.name == "Nina Buyer"
    assert second.buyer.name == "Bob Buyer" and second.buyer.email == "bob@stalled.example"
    assert second.buyer.phone == "+44 20 7946 0958"
    assert second.last_note == "waiting for their IT"
    assert second.last_note_at == at - timedelta(days=10)
    assert first.last_note is None

    assert main(["leads", "professional-services", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [d["external_id"] for d in data] == ["N1", "S1", "S2", "X1"]
    for key in ("name", "external_id", "implementation_state", "days", "since", "buyer", "last_note"):
        assert key in data[0]
    assert data[1]["buyer"]["name"] == "Bob Buyer" and data[1]["last_note"] == "waiting for their IT"
    assert main(["leads", "professional-services"]) == 0
    text = capsys.readouterr().out
    assert "Stalled Co  S1  stalled: 40 days since stalled" in text
    assert "last note (2026-11-13): waiting for their IT" in text
    assert main(["leads", "professional-services", "--limit", "1", "--format", "json"]) == 0
    assert [d["name"] for d in json.loads(capsys.readouterr().out)] == ["Not Started Co"]


def _features(customer, *wanted, in_production=True):
    for name in wanted:
        feat, _ = Feature.get_or_create(name=name)
        CustomerFeature.create(customer=customer, feature=feat, in_production=in_production)


def test_beta_candidates_ranked_by_features_then_freshness(at, capsys):
    many = mk("Many", external_id="M", implementation_state="live", ref_case_study="yes",
              features_confirmed_at=days_ago(200))
    _features(many, "SSO", "API", "Reports")
    fresh = mk("Two fresh", external_id="F", implementation_state="live", ref_prospect_call="yes",
               features_confirmed_at=days_ago(5))
    _features(fresh, "SSO", "API")
    stale = mk("Two stale", external_id="T", implementation_state="live", ref_press="yes",
               features_confirmed_at=days_ago(100))
    _features(stale, "SSO", "API")
    _features(stale, "Reports", in_production=False)  # tried, not in production
    older = mk("Two fresh but older", external_id="O", implementation_state="live", ref_analyst="yes",
               features_confirmed_at=days_ago(20))
    _features(older, "SSO", "API")
    no_ref = mk("Not referenceable", implementation_state="live", ref_prospect_call="no")
    _features(no_ref, "SSO", "API", "Reports", "Audit")
    not_live = mk("Not live", implementation_state="in_progress", ref_prospect_call="yes")
    _features(not_live, "SSO", "API", "Reports", "Audit")
    mk("No features", implementation_state="live", ref_prospect_call="yes")
    quiet = mk("Do not call", implementation_state="live", ref_prospect_call="yes", do_not_call=True)
    _features(quiet, "SSO", "API", "Reports", "Audit")

    items = leads.beta_candidates()
    assert [(i.name, i.feature_count, i.fresh) for i in items] == [
        ("Many", 3, False),
        ("Two fresh", 2, True),
        ("Two fresh but older", 2, True),
        ("Two stale", 2, False),
    ]
    assert items[0].features == ["API", "Reports", "SSO"]  # by feature position, then name
    assert items[3].features == ["API", "SSO"]
    assert items[0].referenceable_for == ["case-study"]

    settings.put("cycle_days", 365)
    assert all(i.fresh for i in leads.beta_candidates())

    assert main(["leads", "beta", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [d["external_id"] for d in data] == ["M", "F", "O", "T"]
    assert {"name", "external_id", "implementation_state", "features", "feature_count"} <= set(data[0])
    assert data[0]["implementation_state"] == "live"


def test_thin_database_gives_empty_lists(db, capsys):
    assert leads.professional_services() == [] and leads.beta_candidates() == []
    assert main(["leads", "beta"]) == 0
    assert "No live, referenceable customer" in capsys.readouterr().out
    assert main(["leads", "professional-services", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == []
