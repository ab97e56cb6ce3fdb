"""References on demand: filters, ranking, the cap in the rolling window, the
request log and thank-yous, on hand-built data with known answers (both engines)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from callers import clock, names, references, settings
from callers.cli import main
from callers.errors import CallersError
from models.tables import (
    Contact,
    Customer,
    CustomerFeature,
    Feature,
    ReferenceRequest,
    ReferenceUse,
    ThankYou,
)
from tests.support import factories

NOW = "2026-11-23T12:00:00+00:00"


def mk(name: str, *, features: tuple[str, ...] = (), confirmed_days: int | None = 5, **fields) -> Customer:
    values = dict(ref_prospect_call="yes", implementation_state="live", name_key=names.name_key(name))
    values.update(fields)
    if confirmed_days is not None:
        values["referenceability_confirmed_at"] = clock.db_now() - timedelta(days=confirmed_days)
    row = factories.customer(name, **values)
    for feature in features:
        feat, _ = Feature.get_or_create(name=feature)
        CustomerFeature.create(customer=row, feature=feat, in_production=True, confirmed_at=clock.db_now())
    return row


def use_at(customer: Customer, when, ref_type: str = "prospect-call") -> ReferenceUse:
    return ReferenceUse.create(customer=customer, ref_type=ref_type, requested_by="sales",
                               used_at=clock.to_db(when))


def names_of(found) -> list[str]:
    return [c.name for c in found.candidates]


def find(**kwargs):
    return references.find(references.criteria(**kwargs))


@pytest.fixture
def clock_now(db, now):
    return now(NOW)


# ---- filters -------------------------------------------------------------------


def test_type_filter_needs_a_yes(clock_now):
    mk("Yes Co")
    mk("No Co", ref_prospect_call="no")
    mk("Later Co", ref_prospect_call="not_now")
    mk("Unasked Co", ref_prospect_call=None)
    mk("Press Only", ref_prospect_call=None, ref_press="yes")
    assert names_of(find(ref_type="prospect-call")) == ["Yes Co"]
    assert names_of(find(ref_type="press")) == ["Press Only"]
    assert sorted(names_of(find())) == ["Press Only", "Yes Co"]  # any kind


def test_live_by_default_and_any_state(clock_now):
    mk("Live")
    mk("Stalled", implementation_state="stalled")
    mk("Unknown", implementation_state=None)
    assert names_of(find()) == ["Live"]
    assert names_of(find(state="stalled")) == ["Stalled"]
    assert sorted(names_of(find(state="any"))) == ["Live", "Stalled", "Unknown"]
    with pytest.raises(CallersError, match="unknown implementation state"):
        find(state="finished")


def test_do_not_call_customers_are_never_offered(clock_now):
    mk("Quiet", do_not_call=True)
    mk("Chatty")
    assert names_of(find()) == ["Chatty"]


def test_industry_is_matched_in_any_case(clock_now):
    mk("Bank", industry="Banking")
    mk("Shop", industry="Retail")
    mk("Nobody knows", industry=None)
    assert names_of(find(industry="banking")) == ["Bank"]


def test_size_band_edges_and_open_ends(clock_now):
    for n in (99, 100, 500, 501):
        mk(f"Size {n}", employees=n)
    mk("Size unknown", employees=None)
    assert sorted(names_of(find(size="100-500"))) == ["Size 100", "Size 500"]
    assert sorted(names_of(find(size="501-"))) == ["Size 501"]
    assert sorted(names_of(find(size="-100"))) == ["Size 100", "Size 99"]
    assert sorted(names_of(find(size="1,000-"))) == []
    assert references.parse_size("250") == (250, 250)
    for bad in ("big", "500-100", "-", "10-20-30"):
        with pytest.raises(CallersError):
            references.parse_size(bad)


def test_country_code_name_and_region(clock_now):
    mk("Berlin", country="DE")
    mk("Vienna", country="AT")
    mk("Paris", country="FR")
    mk("Tokyo", country="JP")
    mk("Boston", country="US")
    assert names_of(find(country="de")) == ["Berlin"]
    assert names_of(find(country="Germany")) == ["Berlin"]
    assert sorted(names_of(find(country="DACH"))) == ["Berlin", "Vienna"]
    assert sorted(names_of(find(country="emea"))) == ["Berlin", "Paris", "Vienna"]
    assert names_of(find(country="APAC")) == ["Tokyo"]
    assert names_of(find(country="AMER")) == ["Boston"]
    assert sorted(names_of(find(country="FR,JP"))) == ["Paris", "Tokyo"]
    with pytest.raises(CallersError, match="unknown country or region"):
        find(country="Atlantis")


def test_features_in_production_at_least_one_more_ranks_higher(clock_now):
    mk("Both", features=("SSO", "API"))
    mk("One", features=("SSO",))
    mk("Other", features=("Reports",))
    off = mk("Switched off")
    CustomerFeature.create(customer=off, feature=Feature.get(Feature.name == "SSO"), in_production=False)
    assert names_of(find(features=["sso", "API"])) == ["Both", "One"]
    with pytest.raises(CallersError, match="unknown feature 'Telepathy'"):
        find(features=["Telepathy"])


# ---- ranking ---------------------------------------------------------------------


def test_rank_fit_then_least_recently_used(clock_now):
    now = clock_now
    fresh_old_use = mk("Fresh, used long ago")
    use_at(fresh_old_use, now - timedelta(days=300))
    fresh_recent_use = mk("Fresh, used recently")
    use_at(fresh_recent_use, now - timedelta(days=10))
    mk("Fresh, never used")
    mk("Stale, never used", confirmed_days=120)
    mk("Never confirmed", confirmed_days=None)
    assert names_of(find()) == [
        "Fresh, never used",
        "Fresh, used long ago",
        "Fresh, used recently",
        "Never confirmed",  # stale ties: alphabetical
        "Stale, never used",
    ]
    found = find()
    by_name = {c.name: c for c in found.candidates}
    assert by_name["Stale, never used"].stale and not by_name["Fresh, never used"].stale
    assert by_name["Never confirmed"].confirmed_at is None and by_name["Never confirmed"].stale
    assert by_name["Fresh, used long ago"].last_used == now - timedelta(days=300)
    assert by_name["Fresh, used long ago"].uses_in_window == 0


def test_stale_is_beyond_the_cycle(clock_now):
    mk("Edge", confirmed_days=90)
    mk("Past", confirmed_days=91)
    by_name = {c.name: c for c in find().candidates}
    assert not by_name["Edge"].stale
    assert by_name["Past"].stale
    settings.put("cycle_days", 120)
    assert not {c.name: c for c in find().candidates}["Past"].stale


# ---- the cap in the rolling window -----------------------------------------------


def test_use_at_exactly_window_start_counts(clock_now):
    now = clock_now
    edge = mk("Edge")
    use_at(edge, now - timedelta(days=90))  # the first instant of the window
    use_at(edge, now - timedelta(days=30))
    found = find()
    cand = found.candidates[0]
    assert cand.uses_in_window == 2 and cand.resting
    assert cand.resting_until == now  # the older use leaves the window just after now
    assert found.offered == 0 and found.total == 1


def test_use_just_before_window_start_does_not_count(clock_now):
    now = clock_now
    out = mk("Out")
    use_at(out, now - timedelta(days=90, seconds=1))
    use_at(out, now - timedelta(days=30))
    cand = find().candidates[0]
    assert cand.uses_in_window == 1 and not cand.resting
    assert cand.last_used == now - timedelta(days=30)


def test_use_at_exactly_window_end_counts_and_later_does_not(clock_now):
    now = clock_now
    end = mk("End")
    use_at(end, now)
    use_at(end, now + timedelta(seconds=1))  # not yet: outside the window
    cand = find().candidates[0]
    assert cand.uses_in_window == 1 and not cand.resting
    use_at(end, now - timedelta(days=1))
    assert find().candidates[0].resting


def test_resting_customers_are_shown_after_offered_ones(clock_now):
    now = clock_now
    tired = mk("A tired one")
    use_at(tired, now - timedelta(days=1))
    use_at(tired, now - timedelta(days=2))
    mk("B fresh one")
    found = find()
    assert names_of(found) == ["B fresh one", "A tired one"]
    assert [c.resting for c in found.candidates] == [False, True]
    assert found.candidates[1].resting_until == now - timedelta(days=2) + timedelta(days=90)


def test_cap_and_window_come_from_settings(clock_now):
    now = clock_now
    busy = mk("Busy")
    use_at(busy, now - timedelta(days=1))
    use_at(busy, now - timedelta(days=40))
    assert find().candidates[0].resting
    settings.put("reference_cap", 3)
    assert not find().candidates[0].resting
    settings.put("reference_cap", 2)
    settings.put("reference_window_days", 30)
    assert not find().candidates[0].resting
    assert find().candidates[0].uses_in_window == 1


def test_log_use_refuses_a_resting_customer_without_a_reason(clock_now):
    now = clock_now
    row = mk("Acme, Inc.", external_id="AC-1")
    first = references.log_use("AC-1", "prospect-call", "Prospect One", "sally")
    assert first.override_reason is None and first.uses_in_window == 1
    references.log_use("acme inc", "prospect-call", "Prospect Two", "sally", override_reason="ignored")
    assert ReferenceUse.select().where(ReferenceUse.override_reason.is_null(False)).count() == 0
    with pytest.raises(CallersError, match="Acme, Inc. is resting: used 2 times in the last 90 days"):
        references.log_use("AC-1", "prospect-call", "Prospect Three", "sally")
    assert ReferenceUse.select().count() == 2
    third = references.log_use("AC-1", "prospect-call", "Prospect Three", "sally",
                               override_reason="the CEO promised them")
    assert third.override_reason == "the CEO promised them"
    stored = ReferenceUse.get(ReferenceUse.id == third.use_id)
    assert stored.override_reason == "the CEO promised them"
    assert stored.prospect == "Prospect Three" and stored.requested_by == "sally"
    assert clock.from_db(stored.used_at) == now
    assert stored.customer_id == row.id


def test_two_uses_at_once_never_both_pass_the_cap(clock_now, monkeypatch):
    """Two requests for the same customer at the same moment (two threads, two
    connections): the cap is checked and the use written as one step, so
    one is logged and the other refused, never both."""
    import threading

    from models.db import connection, database

    settings.put("reference_cap", 1)
    mk("Acme, Inc.", external_id="AC-1")
    standing, both_checked = references.standing, threading.Barrier(2, timeout=2)

    def slow_standing(*args, **kwargs):
        found = standing(*args, **kwargs)
        try:
            both_checked.wait()  # without the row lock both threads get here
        except threading.BrokenBarrierError:
            pass  # the other one is waiting for the lock: as it should
        return found

    monkeypatch.setattr(references.uses, "standing", slow_standing)  # as log_use looks it up
    outcomes = []

    def use(prospect: str) -> None:
        try:
            with connection():
                references.log_use("AC-1", "prospect-call", prospect, "sally")
            outcomes.append("used")
        except CallersError as exc:
            outcomes.append("resting" if "is resting" in str(exc) else str(exc))
        finally:
            if not database.obj.is_closed():
                database.obj.close()

    threads = [threading.Thread(target=use, args=(f"Prospect {i}",)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    assert sorted(outcomes) == ["resting", "used"]
    assert ReferenceUse.select().count() == 1


def test_log_use_refuses_without_consent_or_when_do_not_call(clock_now):
    mk("Said No", external_id="N1", ref_prospect_call="no", ref_press="yes")
    mk("Do Not Call", external_id="D1", do_not_call=True)
    with pytest.raises(CallersError, match="Said No said no to prospect calls"):
        references.log_use("N1", "prospect-call", "P", "sally")
    with pytest.raises(CallersError, match="has not been asked"):
        references.log_use("N1", "case-study", "P", "sally")
    with pytest.raises(CallersError, match="do-not-call"):
        references.log_use("D1", "prospect-call", "P", "sally")
    assert references.log_use("N1", "press", "Daily News", "pr").ref_type == "press"


def test_customers_are_found_by_id_or_any_spelling_and_never_guessed(clock_now):
    mk("ACME, Inc.", external_id="X-1")
    mk("Twin GmbH", external_id="T-1")
    mk("Twin AG", external_id="T-2")
    assert references.find_customer("X-1").name == "ACME, Inc."
    assert references.find_customer("Acme Inc").name == "ACME, Inc."
    assert references.find_customer("acme").name == "ACME, Inc."
    with pytest.raises(CallersError, match="several customers are called 'Twin'"):
        references.find_customer("Twin")
    with pytest.raises(CallersError, match="no customer"):
        references.find_customer("Nobody")


# ---- request log and thank-yous ---------------------------------------------------


def test_every_use_is_a_logged_request_and_a_thank_you(clock_now):
    now = clock_now
    mk("Acme", external_id="A1", gift_restriction="public body: no gifts")
    logged = references.log_use("A1", "prospect-call", "Globex", "sally")
    request = ReferenceRequest.get(ReferenceRequest.id == logged.request_id)
    assert (request.requested_by, request.ref_type, request.prospect, request.outcome) == \
        ("sally", "prospect-call", "Globex", "used")
    assert request.customer_id == Customer.get(Customer.external_id == "A1").id
    assert clock.from_db(request.requested_at) == now
    thank = ThankYou.get(ThankYou.id == logged.thank_you_id)
    assert thank.use_id == logged.use_id and thank.sent_at is None
    assert logged.gift_restriction == "public body: no gifts"
    [line] = references.request_log()
    assert (line.customer, line.outcome, line.prospect) == ("Acme", "used", "Globex")


def test_a_search_made_for_someone_is_logged_with_who_was_proposed(clock_now, capsys):
    now = clock_now
    tired = mk("Tired", industry="Banking")
    use_at(tired, now - timedelta(days=1))
    use_at(tired, now - timedelta(days=2))
    mk("Rested", industry="Banking")
    assert main(["references", "--industry", "banking", "--for", "Globex", "--requested-by", "sally",
                 "--format", "json"]) == 0
    capsys.readouterr()
    assert main(["references", "--industry", "retail", "--for", "Initech", "--requested-by", "sally"]) == 0
    assert "No referenceable customer fits." in capsys.readouterr().out
    assert main(["references", "--industry", "banking"]) == 0  # browsing: not a request
    lines = references.request_log()
    assert [(x.prospect, x.customer, x.outcome) for x in lines] == [
        ("Initech", None, "none found"),
        ("Globex", "Rested", "proposed"),
    ]
    assert lines[1].criteria and json.loads(lines[1].criteria) == {"industry": "banking", "state": "live"}


def test_use_can_answer_a_logged_request(clock_now, capsys):
    mk("Acme", external_id="A1")
    assert main(["references", "--for", "Globex", "--requested-by", "sally"]) == 0
    request_id = ReferenceRequest.get().id
    assert main(["references", "use", "A1", "--type", "prospect-call", "--for", "Globex",
                 "--requested-by", "sally", "--request", str(request_id)]) == 0
    assert ReferenceRequest.select().count() == 1
    request = ReferenceRequest.get()
    assert request.outcome == "used" and ReferenceUse.get().request_id == request.id


def test_who_logged_is_the_person_logged_in_whoever_asked_or_sent(clock_now, capsys):
    """--requested-by and --by name who asked and who sent the thanks (facts
    given); logged_by is whoever is logged in (`--as` on SQLite)."""
    mk("Acme", external_id="A1")
    assert main(["--as", "rita", "references", "--type", "prospect-call", "--for", "Globex",
                 "--requested-by", "sally"]) == 0
    assert main(["--as", "rita", "references", "use", "A1", "--type", "prospect-call", "--for", "Initech",
                 "--requested-by", "sally"]) == 0
    assert [(r.requested_by, r.logged_by) for r in ReferenceRequest.select().order_by(ReferenceRequest.id)] == [
        ("sally", "rita"), ("sally", "rita")]
    assert [(u.requested_by, u.logged_by) for u in ReferenceUse.select()] == [("sally", "rita")]
    capsys.readouterr()
    assert main(["references", "log", "--format", "json"]) == 0
    assert [x["logged_by"] for x in json.loads(capsys.readouterr().out)] == ["rita", "rita"]
    assert main(["references", "log"]) == 0
    assert "asked by sally, logged by rita" in capsys.readouterr().out
    owed = ThankYou.get()
    assert owed.logged_by is None  # owed: nobody has marked it sent
    assert main(["--as", "otto", "references", "thanked", str(owed.id), "--by", "mona", "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert (out["sent_by"], out["logged_by"]) == ("mona", "otto")
    assert (ThankYou.get().sent_by, ThankYou.get().logged_by) == ("mona", "otto")


def test_thanks_oldest_first_with_gift_restriction_then_thanked(clock_now, capsys):
    now = clock_now
    older = mk("Older", external_id="O1", gift_restriction="public body: no gifts")
    newer = mk("Newer", external_id="N1")
    for customer, days in ((newer, 1), (older, 20)):
        use = use_at(customer, now - timedelta(days=days))
        ThankYou.create(use=use, customer=customer, owed_since=use.used_at)
    owed = references.thanks_owed()
    assert [t.name for t in owed] == ["Older", "Newer"]
    assert owed[0].gift_restriction == "public body: no gifts" and owed[1].gift_restriction is None

    assert main(["references", "thanks", "--format", "json"]) == 0
    items = json.loads(capsys.readouterr().out)
    assert [i["name"] for i in items] == ["Older", "Newer"]
    assert items[0]["gift_restriction"] == "public body: no gifts"
    assert main(["references", "thanks"]) == 0
    text = capsys.readouterr().out
    assert text.index("Older") < text.index("Newer") and "gift restriction: public body: no gifts" in text

    assert main(["references", "thanked", str(owed[0].id), "--by", "mona"]) == 0
    assert "marked sent by mona" in capsys.readouterr().out
    row = ThankYou.get(ThankYou.id == owed[0].id)
    assert clock.from_db(row.sent_at) == now and row.sent_by == "mona"
    assert [t.name for t in references.thanks_owed()] == ["Newer"]
    assert main(["references", "thanked", str(owed[0].id)]) == 0  # again: nothing changes
    assert "already sent" in capsys.readouterr().out
    assert ThankYou.get(ThankYou.id == owed[0].id).sent_by == "mona"
    assert main(["references", "thanked", "999"]) == 1
    assert "no thank-you 999" in capsys.readouterr().err


# ---- the CLI ------------------------------------------------------------------------


def test_cli_json_items_have_the_issue_keys(clock_now, capsys):
    now = clock_now
    row = mk("Acme [bold]", external_id="A1", industry="Banking", employees=250, country="DE",
             features=("SSO",), ref_condition="only on Tuesdays")
    Contact.create(customer=row, name="Uma User", role="user", email="uma@example.com",
                   created_at=clock.db_now(), updated_at=clock.db_now())
    use_at(row, now - timedelta(days=3))
    assert main(["references", "--type", "prospect-call", "--industry", "Banking", "--size", "100-500",
                 "--country", "DE", "--feature", "SSO", "--state", "live", "--format", "json"]) == 0
    [item] = json.loads(capsys.readouterr().out)
    for key in ("name", "external_id", "industry", "employees", "country", "implementation_state", "features",
                "uses_in_window", "last_used", "confirmed_at"):
        assert key in item
    assert item["name"] == "Acme [bold]" and item["features"] == ["SSO"] and item["uses_in_window"] == 1
    assert item["last_used"] == (now - timedelta(days=3)).isoformat()
    assert item["confirmed_at"] == (now - timedelta(days=5)).isoformat()
    assert item["condition"] == "only on Tuesdays" and item["resting"] is False
    assert [(c["name"], c["role"]) for c in item["contacts"]] == [("Jane Doe", "buyer"), ("Uma User", "user")]


def test_cli_use_and_override(clock_now, capsys):
    mk("Acme", external_id="A1")
    args = ["references", "use", "A1", "--type", "prospect-call", "--for", "Globex", "--requested-by", "sally"]
    assert main(args) == 0 and main(args) == 0
    capsys.readouterr()
    assert main(args) == 1
    err = capsys.readouterr().err
    assert err.startswith("callers: error: Acme is resting") and err.count("\n") == 1
    assert main(args + ["--override", "board member asked", "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["override_reason"] == "board member asked" and out["uses_in_window"] == 3
    assert main(["references", "use", "A1", "--for", "X"]) == 1
    assert "needs --type" in capsys.readouterr().err
    assert main(["references", "log", "--format", "json"]) == 0
    log = json.loads(capsys.readouterr().out)
    assert [x["override_reason"] for x in log] == ["board member asked", None, None]


def test_cli_errors_are_one_line(clock_now, capsys):
    for args in (["references", "--size", "lots"], ["references", "--type", "podcast"],
                 ["references", "--country", "Atlantis"], ["references", "thanked"]):
        assert main(args) == 1
        err = capsys.readouterr().err
        assert err.startswith("callers: error:") and err.count("\n") == 1, err


def test_text_output_shows_why_and_resting(clock_now, capsys):
    now = clock_now
    tired = mk("Tired", external_id="T1", gift_restriction="no gifts over 20 EUR")
    use_at(tired, now - timedelta(days=1))
    use_at(tired, now - timedelta(days=2))
    mk("Stale Co", confirmed_days=200)
    assert main(["references"]) == 0
    out = capsys.readouterr().out
    assert "1 offered, 1 resting (cap 2 uses in 90 days)" in out
    assert "RESTING until 2027-02-19" in out
    assert "(STALE)" in out and "gift restriction: no gifts over 20 EUR" in out
    assert out.index("Stale Co") < out.index("Tired")


def test_roles_keep_requesters_to_references(clock_now, capsys, engine):
    from callers import access

    if engine != "sqlite":
        pytest.skip("on PostgreSQL the login decides who acts: tests/test_team_security.py")

    mk("Acme", external_id="A1")
    access.add_user("sam", "supervisor")
    access.add_user("rita", "requester")
    access.add_user("cal", "caller")
    assert main(["--as", "rita", "references", "--format", "json"]) == 0
    assert [c["name"] for c in json.loads(capsys.readouterr().out)] == ["Acme"]
    assert main(["references", "--as", "cal", "--format", "json"]) == 1
    assert "references needs" in capsys.readouterr().err
    assert main(["leads", "beta", "--as", "rita"]) == 1  # leads carry call notes: supervisors only
    assert "needs a supervisor" in capsys.readouterr().err
    assert main(["leads", "beta", "--as", "sam"]) == 0


def test_the_cli_names_every_kind_of_reference_the_domain_knows():
    from models.tables import REFERENCE_KINDS

    from callers.references import REF_TYPES

    assert list(REF_TYPES) == [kind.replace("_", "-") for kind in REFERENCE_KINDS]
