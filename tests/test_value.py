"""What the function earns (callers/value.py) on both engines: the last
reconciliation kept by `callers reconcile`, and the value figures in
`callers report`."""

from __future__ import annotations

import json
import shutil
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from callers import clock, reconcile, value
from callers.cli import main
from models.tables import Reconciliation, ReconciliationFinding, ReferenceUse, ThankYou
from tests.support import factories

NOW = "2026-11-23T12:00:00+00:00"  # this quarter began on 2026-10-01

BILLING = Path(__file__).parent / "data" / "billing" / "value.csv"  # amounts: 1,000.50, n/a, empty


def ago(days: float):
    return clock.db_now() - timedelta(days=days)


@pytest.mark.parametrize("text, cents", [
    ("300", 30000), ("$1,200.50", 120050), ("1 200,50 EUR", 120050), ("CHF 99", 9900), ("99,5", 9950),
    ("1,200", 120000), ("1.200.000", 120000000), ("12.345,67", 1234567), ("-5", -500), ("(12.00)", -1200),
    ("n/a", None), ("", None), (None, None), ("1.2.3", None),
])
def test_amounts_as_billing_files_write_them(text, cents):
    assert value.parse_amount(text) == cents


def customers() -> None:
    factories.customer("Acme Ltd", external_id="A-1")
    factories.customer("Cyberdyne Systems", external_id="A-2")
    factories.customer("Stark Industries", external_id="A-3")


def test_reconcile_keeps_its_findings_for_the_report(db, now, tmp_path, capsys):
    now(NOW)
    customers()
    billing = tmp_path / "billing.csv"
    shutil.copyfile(BILLING, billing)
    assert main(["reconcile", str(billing)]) == 0
    capsys.readouterr()
    last = value.last_reconciliation()
    assert last.source == "billing.csv" and last.ran_at == datetime(2026, 11, 23, 12, tzinfo=timezone.utc)
    assert last.ran_by  # the logged-in user (here the OS user)
    assert (last.billing_rows, last.customers, last.matched) == (5, 3, 1)
    # unbilled: Cyberdyne (its account cancelled, 1,000.50) and Stark (no account: no amount)
    assert last.unbilled == 2 and last.unbilled_amount == 1000.5 and last.unbilled_with_amount == 1
    # unknown: Hooli 49.50, Pied Piper "n/a" (not a number), Initech (no amount)
    assert last.unknown == 3 and last.unknown_amount == 49.5 and last.unknown_with_amount == 1
    assert last.amounts_unread == 1 and last.ambiguous == 0
    findings = {(f.kind, f.name): f for f in ReconciliationFinding.select()}
    assert set(findings) == {("unbilled", "Cyberdyne Systems"), ("unbilled", "Stark Industries"),
                             ("unknown", "Hooli Inc"), ("unknown", "Pied Piper"), ("unknown", "Initech")}
    cyberdyne = findings[("unbilled", "Cyberdyne Systems")]
    assert (cyberdyne.billing_id, cyberdyne.amount, cyberdyne.amount_cents, cyberdyne.status) == \
        ("B-500", "1,000.50", 100050, "Cancelled")
    assert cyberdyne.customer.name == "Cyberdyne Systems"
    assert findings[("unknown", "Pied Piper")].amount == "n/a"
    assert findings[("unknown", "Pied Piper")].amount_cents is None

    # The next run replaces the last; a file with no amount column has no sums.
    plain = tmp_path / "plain.csv"
    plain.write_text("Account ID,Account Name\nB-1,Acme Ltd\n")
    assert main(["reconcile", str(plain)]) == 0
    capsys.readouterr()
    assert Reconciliation.select().count() == 1
    last = value.last_reconciliation()
    assert last.source == "plain.csv" and last.unbilled == 2 and last.unknown == 0
    assert last.unbilled_amount is None and last.unknown_amount is None
    assert ReconciliationFinding.select().count() == 2


def test_never_reconciled(db, now):
    now(NOW)
    figures = value.figures()
    assert figures.reconciliation is None
    assert value.to_dict(figures)["reconciliation"] is None
    assert "never reconciled" in value.text_lines(figures)[0]


def test_the_value_figures(db, now):
    now(NOW)
    factories.customer("Stalled", implementation_state="stalled")
    factories.customer("Waiting", implementation_state="not_started", contacts_confirmed_at=ago(10))
    factories.customer("Stalled but do not call", implementation_state="stalled", do_not_call=True,
                       contacts_confirmed_at=ago(5))
    live = factories.customer("Live ref", implementation_state="live", ref_case_study="yes",
                              contacts_confirmed_at=ago(10), referenceability_confirmed_at=ago(10),
                              implementation_confirmed_at=ago(10), features_confirmed_at=ago(60))
    factories.customer("Live, no", implementation_state="live", ref_case_study="no")
    factories.customer("Live ref, do not call", implementation_state="live", ref_press="yes", do_not_call=True)
    this_quarter = ReferenceUse.create(customer=live, ref_type="case_study", requested_by="sales",
                                       used_at=ago(20))
    earlier = ReferenceUse.create(customer=live, ref_type="case_study", requested_by="sales", used_at=ago(70))
    ThankYou.create(use=this_quarter, customer=live, owed_since=ago(20), sent_at=ago(15), sent_by="sam")
    ThankYou.create(use=earlier, customer=live, owed_since=ago(70), sent_at=ago(65), sent_by="sam")
    ThankYou.create(use=this_quarter, customer=live, owed_since=ago(1))

    figures = value.figures()
    assert figures.quarter_since == datetime(2026, 10, 1, tzinfo=timezone.utc)
    assert figures.services_leads == 2  # Stalled, Waiting (not the do-not-call one)
    assert figures.beta_candidates == 1  # Live ref
    assert figures.references_delivered == 1 and figures.thank_yous_sent == 1 and figures.thank_yous_owed == 1
    # confirmed since 2026-10-01, customers we call: contacts twice, the rest once; features 60 days ago is not
    assert figures.facts_confirmed == {"contacts": 2, "referenceability": 1, "implementation": 1, "features": 0}
    assert figures.facts_confirmed_total == 4
    data = value.to_dict(figures)
    assert data["quarter_since"] == "2026-10-01T00:00:00+00:00"
    assert set(data) == {"quarter_since", "reconciliation", "services_leads", "beta_candidates",
                         "references_delivered", "thank_yous_sent", "thank_yous_owed", "facts_confirmed",
                         "facts_confirmed_total"}


def test_quarters():
    assert value.quarter_start(datetime(2026, 12, 31, 23, tzinfo=timezone.utc)) == \
        datetime(2026, 10, 1, tzinfo=timezone.utc)
    assert value.quarter_start(datetime(2027, 1, 1, tzinfo=timezone.utc)) == datetime(2027, 1, 1, tzinfo=timezone.utc)
    assert value.quarter_start(datetime(2026, 6, 30, tzinfo=timezone.utc)) == datetime(2026, 4, 1, tzinfo=timezone.utc)


def test_report_carries_the_value_section(db, now, tmp_path, capsys):
    now(NOW)
    customers()
    factories.customer("Stalled", implementation_state="stalled")
    billing = tmp_path / "billing.csv"
    shutil.copyfile(BILLING, billing)
    result = reconcile.reconcile(billing)
    value.record_reconciliation(result, "billing.csv", "sam")
    assert main(["report", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)["value"]
    assert data["services_leads"] == 1
    rec = data["reconciliation"]
    assert rec["ran_by"] == "sam" and rec["ran_at"] == "2026-11-23T12:00:00+00:00"
    assert (rec["unbilled"], rec["unbilled_amount"], rec["unknown"], rec["unknown_amount"]) == (3, 1000.5, 3, 49.5)
    assert main(["report"]) == 0
    text = capsys.readouterr().out
    assert "What the function earns (this quarter: since 2026-10-01)" in text
    assert "billing, reconciled 2026-11-23 12:00 UTC by sam" in text
    assert "services leads                1" in text
    assert "unknown accounts              3  49.50 billed to customers nobody calls (1 with an amount)" in text
    assert "(1 amounts are not numbers: not summed)" in text
    assert main(["report", "--format", "csv"]) == 0
    out = capsys.readouterr().out
    assert "value,,services_leads,1" in out and "value,reconciliation,unbilled_amount,1000.5" in out
