"""Which hours of the customer's own day reach people: the answer rate of
finished attempts by local hour, per country.

Counted from the tally `tally_call_local` (models/tallies.py: finished
attempts by UTC hour, the call's zone and country, answered or not), so a
month of a million customers' calls is a few thousand rows. The tally is by
whole UTC hours: a period that starts or ends inside an hour counts that
whole hour. An attempt's hour is when it was dialled (a dialler placed it),
else when it was answered, else when the customer was shown. Calls with no
known zone are left out of the local hours (they are counted in `unknown`), and
so are calls to a number placed in several zones that disagree on the hour.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo

from peewee import SQL, fn

from callers import clock
from callers.phones import ZONE_SEPARATOR
from models.db import connection
from models.engine import aggregate_datetime, dialect
from models.tables import TallyCallLocal

@dataclass
class Hour:
    hour: int  # 0-23, the customer's local time
    attempts: int = 0
    answered: int = 0

    @property
    def rate(self) -> float | None:
        return round(self.answered / self.attempts, 3) if self.attempts else None


@dataclass
class CountryHours:
    country: str  # ISO 3166-1 alpha-2, or "" when unknown
    attempts: int = 0
    answered: int = 0
    hours: list[Hour] = field(default_factory=list)  # the hours with attempts, 0-23
    unknown: int = 0  # attempts whose zone is unknown (not in `hours`)

    @property
    def rate(self) -> float | None:
        return round(self.answered / self.attempts, 3) if self.attempts else None

    def best(self, least: int = 1) -> Hour | None:
        """The hour with the highest answer rate among those with at least
        `least` attempts (the earlier hour on a tie)."""
        known = [h for h in self.hours if h.attempts >= least]
        return max(known, key=lambda h: (h.rate, -h.hour)) if known else None

    def worst(self, least: int = 1) -> Hour | None:
        known = [h for h in self.hours if h.attempts >= least]
        return min(known, key=lambda h: (h.rate, h.hour)) if known else None


@lru_cache(maxsize=512)
def _zone(key: str) -> ZoneInfo | None:
    try:
        return ZoneInfo(key)
    except (KeyError, ValueError, OSError):  # unknown (ZoneInfoNotFoundError is a KeyError) or malformed
        return None


def local_hour(utc_hour: datetime, zone: str) -> int | None:
    """The customer's local hour (0-23) at a stored (naive UTC) hour, or None
    when the zone is unknown. A number phonenumbers places in several zones
    (a zone key "A|B") has a local hour when all of them agree on it at that
    hour (Europe/London and Europe/Jersey), else none (Perth and Sydney)."""
    moment = utc_hour.replace(tzinfo=timezone.utc)
    hours = set()
    for name in zone.split(ZONE_SEPARATOR) if zone else ():
        tz = _zone(name)
        if tz is None:
            return None
        hours.add(moment.astimezone(tz).hour)
    return hours.pop() if len(hours) == 1 else None


def by_country(rows: list[tuple[datetime, str, str, bool, int]]) -> list[CountryHours]:
    """The rows as each country's local hours, most attempts first."""
    countries: dict[str, CountryHours] = {}
    hours: dict[tuple[str, int], Hour] = {}
    locals_: dict[tuple[datetime, str], int | None] = {}  # answered and not share an hour and zone
    for utc_hour, zone, country, answered, n in rows:
        if n <= 0:
            continue
        item = countries.setdefault(country or "", CountryHours(country or ""))
        item.attempts += n
        item.answered += n if answered else 0
        key = (utc_hour, zone)
        local = locals_[key] if key in locals_ else locals_.setdefault(key, local_hour(utc_hour, zone))
        if local is None:
            item.unknown += n
            continue
        hour = hours.setdefault((item.country, local), Hour(local))
        hour.attempts += n
        hour.answered += n if answered else 0
    for (country, _local), hour in hours.items():
        countries[country].hours.append(hour)
    for item in countries.values():
        item.hours.sort(key=lambda h: h.hour)
    return sorted(countries.values(), key=lambda c: (-c.attempts, c.country))


def _offset(tz: ZoneInfo, hour: datetime) -> timedelta | None:
    return hour.replace(tzinfo=timezone.utc).astimezone(tz).utcoffset()


def _changes(name: str, first: datetime, end: datetime) -> set[datetime]:
    """The whole UTC hours in (first, end] at which the zone changes its
    offset (daylight saving time): a day at a time, and inside a day whose
    two ends differ, halving to the hour."""
    found = set()
    tz = _zone(name)
    if tz is not None:
        day = first
        while day < end:
            lo, hi = day, min(day + timedelta(days=1), end)
            before = _offset(tz, lo)
            if _offset(tz, hi) != before:  # the first hour in (lo, hi] with another offset
                while hi - lo > timedelta(hours=1):
                    mid = lo + timedelta(hours=((hi - lo) // timedelta(hours=1)) // 2)
                    lo, hi = (mid, hi) if _offset(tz, mid) == before else (lo, mid)
                found.add(hi)
            day += timedelta(days=1)
    return found


def segment_rows(since: datetime, until: datetime) -> list[tuple[datetime, str, str, bool, int]]:
    """(UTC hour, zone, country, answered, attempts) of the whole hours that
    overlap [since, until) (aware times), summed over the hours that share a
    UTC hour of day and every zone's offset: the period is cut where one of
    its zones changes offset, and each piece is one GROUP BY on the hour of
    day. A row's hour is the first hour of its piece with that hour of day
    (every zone's local hour there is the same as at every other such hour
    of the piece). Ninety days of a million customers' calls: ~3,000 rows
    instead of ~28,000 hour by hour."""
    first = clock.to_db(since).replace(minute=0, second=0, microsecond=0)
    end = clock.to_db(until)
    if first >= end:
        return []
    T = TallyCallLocal
    with connection() as db:
        d = dialect(db)
        # The zones with attempts, and the first and last hour with any: the
        # pieces lie between those (a report --since 1900 reads the same few
        # months of tally as one of 90 days), so every zone's offset changes
        # inside them are found and each piece's hours share their offsets.
        names: set[str] = set()
        low = high = None
        for key, first_hour, last_hour in db.execute(T.select(T.zone, fn.MIN(T.hour), fn.MAX(T.hour))
                                                     .where(T.hour >= first, T.hour < end).group_by(T.zone)):
            names.update(name for name in (key or "").split(ZONE_SEPARATOR) if name)
            first_hour, last_hour = aggregate_datetime(first_hour), aggregate_datetime(last_hour)
            low = first_hour if low is None else min(low, first_hour)
            high = last_hour if high is None else max(high, last_hour)
        if low is None:
            return []
        high += timedelta(hours=1)
        changes = {c for name in names for c in _changes(name, low, high)}
        cuts = sorted({low, high} | {c for c in changes if low < c < high})
        hour_of_day = SQL(d.hour_of_day('"hour"'))
        out = []
        for a, b in zip(cuts, cuts[1:]):
            query = (T.select(T.zone, T.country, T.answered, hour_of_day, fn.SUM(T.n))
                     .where(T.hour >= a, T.hour < b)
                     .group_by(T.zone, T.country, T.answered, hour_of_day))
            for zone, country, answered, hod, n in db.execute(query).fetchall():
                moment = a + timedelta(hours=(int(hod) - a.hour) % 24)
                out.append((moment, zone, country, bool(answered), int(n or 0)))
    return out


def answer_hours(since: datetime, until: datetime) -> list[CountryHours]:
    """Every country's answer rate by the customer's local hour, for the
    attempts finished in [since, until) (counted by whole UTC hours)."""
    return by_country(segment_rows(since, until))


def as_dict(item: CountryHours) -> dict:
    return {"country": item.country or None, "attempts": item.attempts, "answered": item.answered,
            "rate": item.rate, "unknown_zone": item.unknown,
            "hours": [{"hour": h.hour, "attempts": h.attempts, "answered": h.answered, "rate": h.rate}
                      for h in item.hours]}


def _pct(rate: float | None) -> str:
    return "–" if rate is None else f"{rate * 100:.0f}%"


def text_lines(countries: list[CountryHours], limit: int = 8, least: int = 5) -> list[str]:
    """The report's lines: per country (most attempts first), attempts, the
    answer rate, and its best and worst local hours (among hours with at
    least `least` attempts)."""
    lines = ["", "Answer rate by the customer's local hour (best and worst hours, per country)"]
    if not countries:
        return lines + ["  no finished attempts in the period"]
    lines.append(f"  {'country':<9}{'attempts':>10}{'rate':>10}   {'best hour':<16}{'worst hour':<16}")
    for item in countries[:limit]:
        best, worst = item.best(least), item.worst(least)
        show = (lambda h: f"{h.hour:02d}h {_pct(h.rate):>4}" if h else "–")
        lines.append(f"  {item.country or '??':<9}{item.attempts:>10,}{_pct(item.rate):>10}   "
                     f"{show(best):<16}{show(worst):<16}")
    if len(countries) > limit:
        lines.append(f"  +{len(countries) - limit} more countries (report --format json: calls.answer_rate_by_local_hour)")
    return lines
