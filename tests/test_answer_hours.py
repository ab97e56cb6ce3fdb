"""Which local hours reach people: calls keep where they went and what the
network said (schema 11), the report counts answer rates by the customer's
local hour per country, and `export calls` carries it all."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

from callers import calls, network
from callers.report import answer_hours
from callers.cli import main
from models import tallies
from models.tables import Call, Customer
from tests.support.factories import customer

UTC = timezone.utc


def _attempt(who: Customer, at: datetime, answered: bool, outcome: str | None = None, **fields) -> Call:
    return Call.create(customer=who, caller="sam", shown_at=at, started_at=at if answered else None,
                       ended_at=at + timedelta(minutes=2), outcome=outcome or ("completed" if answered else "no_answer"),
                       zone=who.call_tz, country=who.country, **fields)


def test_a_call_keeps_its_zone_country_and_what_the_network_said(db, now):
    now("2026-11-24T15:00:00+00:00")
    acme = customer("Acme GmbH", phone="+49 30 901820", country="DE")
    state = calls.open_call("sam", acme.id)
    row = Call.get_by_id(state.call_id)
    assert (row.zone, row.country) == ("Europe/Berlin", "DE")
    dialled = datetime(2026, 11, 24, 15, 0, 1, tzinfo=UTC)
    assert network.record(state.call_id, dialled_at=dialled)
    assert network.record(state.call_id, answered_at=dialled + timedelta(seconds=9))
    assert network.record(state.call_id, hangup_cause="  200\tBYE  from far end ")
    # A late event without a value erases nothing.
    assert network.record(state.call_id)
    kept = network.network(state.call_id)
    assert kept.dialled_at == dialled and kept.ring_seconds == 9.0
    assert kept.hangup_cause == "200 BYE from far end"
    # The answer started the talk time.
    assert Call.get_by_id(state.call_id).started_at == datetime(2026, 11, 24, 15, 0, 10)
    assert not network.record(999_999, hangup_cause="486 Busy Here")
    assert tallies.check() == []


def test_answer_rate_by_local_hour_per_country(db):
    berlin = customer("Berlin AG", phone="+49 30 901820", country="DE")
    york = customer("York Inc", phone="+1 212 555 0284", external_id="ny", country="US")
    nowhere = customer("Nowhere Ltd", phone=None, external_id="nz", country="NZ")
    winter = datetime(2026, 11, 24, 8, 0)  # 09:00 in Berlin (CET), 03:00 in New York
    summer = datetime(2026, 7, 1, 8, 0)  # 10:00 in Berlin (CEST)
    for i in range(3):
        _attempt(berlin, winter + timedelta(minutes=i), answered=i < 2)
    _attempt(berlin, summer, answered=True)
    _attempt(york, datetime(2026, 11, 24, 15, 30), answered=False, outcome="busy")  # 10:30 in New York
    _attempt(york, datetime(2026, 11, 24, 15, 45), answered=True)
    _attempt(nowhere, winter, answered=False)  # no zone known
    # A call still running is no finished attempt.
    Call.create(customer=berlin, caller="sam", shown_at=winter, started_at=winter)
    assert tallies.check() == []

    got = answer_hours.answer_hours(datetime(2026, 6, 1, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC))
    by = {c.country: c for c in got}
    assert [c.country for c in got] == ["DE", "US", "NZ"]
    assert [(h.hour, h.attempts, h.answered) for h in by["DE"].hours] == [(9, 3, 2), (10, 1, 1)]
    assert by["DE"].rate == 0.75 and by["DE"].best().hour == 10 and by["DE"].worst().hour == 9
    assert [(h.hour, h.attempts, h.answered, h.rate) for h in by["US"].hours] == [(10, 2, 1, 0.5)]
    assert (by["NZ"].attempts, by["NZ"].unknown, by["NZ"].hours) == (1, 1, [])
    # Only the period's hours.
    winter_only = answer_hours.answer_hours(datetime(2026, 11, 24, 8, 30, tzinfo=UTC),
                                            datetime(2026, 11, 24, 9, 0, tzinfo=UTC))
    assert [(c.country, c.attempts) for c in winter_only] == [("DE", 3), ("NZ", 1)]

    # A changed call moves between hours; a customer who moves keeps their old calls where they were.
    Call.update(started_at=None, outcome="no_answer").where(Call.customer == berlin.id,
                                                             Call.shown_at == summer).execute()
    Customer.update(call_tz="Asia/Tokyo", country="JP").where(Customer.id == berlin.id).execute()
    assert tallies.check() == []
    again = {c.country: c for c in answer_hours.answer_hours(datetime(2026, 6, 1, tzinfo=UTC),
                                                             datetime(2026, 12, 1, tzinfo=UTC))}
    assert [(h.hour, h.attempts, h.answered) for h in again["DE"].hours] == [(9, 3, 2), (10, 1, 0)]
    assert "JP" not in again


def test_the_report_shows_answer_rates(db, now, capsys):
    now("2026-11-24T15:00:00+00:00")
    berlin = customer("Berlin AG", phone="+49 30 901820", country="DE")
    for i in range(6):
        _attempt(berlin, datetime(2026, 11, 20, 8, i), answered=i % 2 == 0)
    assert main(["report", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["calls"]["answer_rate_by_local_hour"] == [
        {"country": "DE", "attempts": 6, "answered": 3, "rate": 0.5, "unknown_zone": 0,
         "hours": [{"hour": 9, "attempts": 6, "answered": 3, "rate": 0.5}]}]
    assert main(["report"]) == 0
    text = capsys.readouterr().out
    assert "Answer rate by the customer's local hour" in text
    line = next(x for x in text.splitlines() if x.startswith("  DE "))
    assert line.split() == ["DE", "6", "50%", "09h", "50%", "09h", "50%"]
    assert main(["report", "--format", "csv"]) == 0
    rows = capsys.readouterr().out.splitlines()
    assert "answer_rate_by_local_hour,DE 09h,attempts,6" in rows


def test_unknown_zones_are_no_local_hour():
    assert answer_hours.local_hour(datetime(2026, 1, 1, 12), "Mars/Olympus") is None
    assert answer_hours.local_hour(datetime(2026, 1, 1, 12), "../etc/passwd") is None
    assert answer_hours.local_hour(datetime(2026, 1, 1, 12), "") is None
    assert answer_hours.local_hour(datetime(2026, 1, 1, 12), "Asia/Kolkata") == 17  # 17:30


def test_a_number_in_several_zones_has_a_local_hour_when_they_agree():
    """phonenumbers places some numbers in several zones (a zone key "A|B"):
    the call's local hour is known when every zone gives the same one."""
    noon = datetime(2026, 1, 15, 12)
    assert answer_hours.local_hour(noon, "Europe/Guernsey|Europe/Jersey|Europe/London") == 12
    assert answer_hours.local_hour(datetime(2026, 7, 15, 12), "Europe/Guernsey|Europe/London") == 13  # BST
    assert answer_hours.local_hour(noon, "Australia/Perth|Australia/Sydney") is None  # 20h and 23h
    assert answer_hours.local_hour(noon, "Europe/London|Mars/Olympus") is None


def _hour_by_hour(since: datetime, until: datetime) -> list[tuple]:
    """The definition the report's sums must meet: the tally's rows of the
    whole UTC hours that overlap [since, until), one by one."""
    from peewee import fn

    from models.engine import aggregate_datetime
    from models.tables import TallyCallLocal as T

    first = since.astimezone(UTC).replace(tzinfo=None, minute=0, second=0, microsecond=0)
    end = until.astimezone(UTC).replace(tzinfo=None)
    rows = (T.select(T.hour, T.zone, T.country, T.answered, fn.SUM(T.n)).where(T.hour >= first, T.hour < end)
            .group_by(T.hour, T.zone, T.country, T.answered).tuples())
    return [(aggregate_datetime(hour), zone, country, bool(answered), int(n)) for hour, zone, country, answered, n
            in rows]


def test_the_hours_summed_by_offset_are_the_hours_one_by_one(db):
    """The report sums the tally over pieces of the period in which no zone
    changes its offset, one GROUP BY on the hour of day per piece; it must
    give exactly what summing every UTC hour one by one gives: attempts in
    many zones (several with daylight saving time changing inside the
    period, a half-hour zone, a number in several zones, an unknown zone),
    over periods that start and end inside hours and across the changes."""
    import random

    from models.tables import TallyCallLocal

    zones = ["Europe/Berlin", "America/New_York", "Australia/Sydney", "Australia/Lord_Howe", "Asia/Kolkata",
             "Europe/Guernsey|Europe/London", "Australia/Perth|Australia/Sydney", "America/Sao_Paulo", "",
             "Mars/Olympus"]
    rng = random.Random(7)
    start = datetime(2026, 3, 1)
    rows = [dict(hour=start + timedelta(hours=rng.randrange(24 * 300)), zone=rng.choice(zones),
                 country=rng.choice(["DE", "US", "AU", "IN", "GB", "BR", ""]), answered=rng.random() < 0.4,
                 n=rng.randint(1, 5)) for _ in range(3000)]
    TallyCallLocal.insert_many(rows).execute()
    periods = [(datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 12, 31, tzinfo=UTC)),
               (datetime(2026, 3, 20, 10, 30, tzinfo=UTC), datetime(2026, 4, 10, 7, 15, tzinfo=UTC)),
               (datetime(2026, 10, 1, tzinfo=UTC), datetime(2026, 11, 15, tzinfo=UTC)),
               # whole days from 01:00 UTC: Europe changes at 01:00 UTC, on a day's first hour
               (datetime(2026, 3, 1, 1, tzinfo=UTC), datetime(2026, 4, 30, 1, tzinfo=UTC)),
               (datetime(2026, 10, 25, 0, 59, tzinfo=UTC), datetime(2026, 10, 25, 1, 1, tzinfo=UTC))]
    for since, until in periods:
        one_by_one = answer_hours.by_country(_hour_by_hour(since, until))
        summed = answer_hours.answer_hours(since, until)
        assert [answer_hours.as_dict(c) for c in summed] == [answer_hours.as_dict(c) for c in one_by_one]
    whole = periods[0]
    assert sum(c.attempts for c in answer_hours.answer_hours(*whole)) == sum(r["n"] for r in rows)


def test_a_period_of_centuries_looks_for_changes_only_where_there_are_attempts(db, monkeypatch):
    """The daylight-saving changes are looked for between the first and the
    last hour with attempts (a few days here), not over the three centuries
    asked for (some 110,000 days)."""
    from models.tables import TallyCallLocal

    TallyCallLocal.insert_many([
        dict(hour=datetime(2026, 3, 28, 23), zone="Europe/Berlin", country="DE", answered=True, n=1),
        dict(hour=datetime(2026, 3, 29, 2), zone="Europe/Berlin", country="DE", answered=False, n=2),
    ]).execute()
    looked = []
    offset = answer_hours._offset
    monkeypatch.setattr(answer_hours, "_offset", lambda tz, hour: looked.append(hour) or offset(tz, hour))
    got = answer_hours.answer_hours(datetime(1900, 1, 1, tzinfo=UTC), datetime(2199, 12, 31, tzinfo=UTC))
    assert [(h.hour, h.attempts, h.answered) for h in got[0].hours] == [(0, 1, 1), (4, 2, 0)]  # CET, then CEST
    assert len(looked) < 50 and min(looked) >= datetime(2026, 3, 28)


def test_a_period_that_starts_in_another_season_than_its_attempts(db):
    """Attempts only in summer, a period from January: the hour is the
    customer's summer hour (the sums never take an hour of the winter, where
    there are no attempts, to stand for the summer's)."""
    from models.tables import TallyCallLocal

    TallyCallLocal.insert_many([
        dict(hour=datetime(2026, 6, 1, 12), zone="Europe/Berlin", country="DE", answered=True, n=1),
        dict(hour=datetime(2026, 6, 2, 12), zone="America/New_York", country="US", answered=False, n=1),
    ]).execute()
    since, until = datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 12, 31, tzinfo=UTC)
    got = {c.country: [h.hour for h in c.hours] for c in answer_hours.answer_hours(since, until)}
    assert got == {"DE": [14], "US": [8]}  # CEST, EDT
    assert answer_hours.answer_hours(since, until) == answer_hours.by_country(_hour_by_hour(since, until))

