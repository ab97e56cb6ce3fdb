"""The demo generator's random stream and the small things it draws: pools of
phone numbers phonenumbers accepts (per country, with their time zones),
company and person names, e-mail slugs, office-hours times, head counts; and
epoch seconds written as the naive-UTC text both engines store."""

from __future__ import annotations

import random
import unicodedata
from datetime import date, datetime, timezone

import phonenumbers

from callers import hours, phones
from callers.demo.vocabulary import CORES, COUNTRIES, FIRST, LAST, ODD_NAMES, PREFIXES
from callers.names import name_key

DAY = 86400


def cumulative(weights) -> list[float]:
    total = float(sum(weights))
    acc, out = 0.0, []
    for w in weights:
        acc += w
        out.append(acc / total)
    out[-1] = 1.0
    return out


def _ascii(text: str) -> str:
    text = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in text if ch.isascii() and (ch.isalnum() or ch in ".-")).lower()


class Times:
    """Epoch seconds to the naive-UTC text both engines store (fast: by day and second tables)."""

    HMS = [f"{h:02d}:{m:02d}:{s:02d}" for h in range(24) for m in range(60) for s in range(60)]

    def __init__(self) -> None:
        self.days: dict[int, str] = {}
        self.epoch = date(1970, 1, 1).toordinal()

    def __call__(self, sec: int | None) -> str | None:
        if sec is None:
            return None
        d, rest = divmod(int(sec), DAY)
        text = self.days.get(d)
        if text is None:
            text = self.days[d] = date.fromordinal(self.epoch + d).isoformat() + " "
        return text + self.HMS[rest]


def epoch(value: datetime) -> int:
    return int(value.astimezone(timezone.utc).timestamp())


def aware(sec: int) -> datetime:
    return datetime.fromtimestamp(sec, timezone.utc)


class Draws:
    """A random stream (`random.Random(seed)`) and the draws made from it.
    Every draw takes its numbers from `self.rng` in call order: the same
    seed and the same calls give the same values."""

    def __init__(self, customers: int, seed: int, now: datetime) -> None:
        self.n = customers
        self.rng = random.Random(seed)
        self.now = epoch(now)
        self.fmt = Times()
        self.country_codes = list(COUNTRIES)
        self.keys: dict[str, str] = {}
        self.emails: dict[str, str] = {}
        self.offsets: dict[str, int] = {}
        self._phone_pools(seed)

    # -- phone numbers: pools of numbers phonenumbers accepts, per country --

    def _phone_pools(self, seed: int) -> None:
        rng = random.Random(f"{seed}:phones")
        self.fixed: dict[str, list[tuple[str, str]]] = {}
        self.mobile: dict[str, list[tuple[str, str]]] = {}
        for code in self.country_codes:
            weight = COUNTRIES[code][0] / 100.0
            want = int(self.n * weight * 2.5)
            self.fixed[code] = self._pool(rng, code, COUNTRIES[code][4], max(24, min(2000, want)))
            self.mobile[code] = self._pool(rng, code, COUNTRIES[code][5], max(8, min(500, want // 3)))

    @staticmethod
    def _pool(rng: random.Random, region: str, patterns, size: int) -> list[tuple[str, str]]:
        seen: dict[str, str] = {}
        tries = 0
        while len(seen) < size and tries < size * 20:
            tries += 1
            cc, lead, digits = patterns[rng.randrange(len(patterns))]
            e164 = "+" + cc + lead + "".join(str(rng.randrange(10)) for _ in range(digits))
            if e164 in seen:
                continue
            number = phonenumbers.parse(e164, None)
            if not phonenumbers.is_valid_number_for_region(number, region):
                continue
            seen[e164] = phones.zone_key(phones.zones_for_e164(e164))
        if not seen:  # the patterns failed: fall back on phonenumbers' example
            example = phonenumbers.example_number(region)
            e164 = phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.E164)
            seen[e164] = phones.zone_key(phones.zones_for_e164(e164))
        return list(seen.items())

    def _offset(self, key: str | None) -> int:
        """The UTC offset (seconds) of a zone key's first zone, now."""
        if key is None:
            return 0
        found = self.offsets.get(key)
        if found is None:
            z = hours.first_zone(key)
            found = self.offsets[key] = int(aware(self.now).astimezone(z).utcoffset().total_seconds())
        return found

    # -- small draws --

    def _pick(self, items):
        return items[int(self.rng.random() * len(items))]

    def _slot(self, days_ago: int, offset: int) -> int:
        """A weekday, office-hours time `days_ago` days back in a zone; before now."""
        r = self.rng.random
        local_now = self.now + offset
        day = local_now // DAY - days_ago
        for _ in range(10):
            weekday = (day + 3) % 7  # 1970-01-01 was a Thursday
            if weekday >= 5:
                day -= weekday - 4
                continue
            at = day * DAY + 9 * 3600 + int(r() * (7 * 3600 + 50 * 60)) - offset
            if at < self.now - 900:
                return at
            day -= 1
        return self.now - DAY - int(r() * DAY)

    def _company(self, code: str, lang: str) -> str:
        r = self.rng.random
        name_lang = lang if lang in PREFIXES else "en"
        if code == "CH":
            name_lang = "ch"
        legal = self._pick(COUNTRIES[code][3])
        prefixes, cores = PREFIXES[name_lang], CORES[name_lang]
        person_lang = {"ch": "de"}.get(lang, lang)
        roll = r()
        if roll < 0.03:
            return self._pick(ODD_NAMES).format(p=self._pick(prefixes), c=self._pick(cores), cc=code,
                                                l=self._pick(LAST[person_lang]))
        if roll < 0.60:
            base = f"{self._pick(prefixes)} {self._pick(cores)}"
        elif roll < 0.80:
            base = f"{self._pick(LAST[person_lang])} {self._pick(cores)}"
        elif roll < 0.90:
            base = f"{self._pick(LAST[person_lang])} & {self._pick(LAST[person_lang])}"
        else:
            base = self._pick(prefixes)
        return f"{base} {legal}"

    def _key(self, name: str) -> str:
        key = self.keys.get(name)
        if key is None:
            key = self.keys[name] = name_key(name) or name.lower()
        return key

    def _slug(self, text: str) -> str:
        slug = self.emails.get(text)
        if slug is None:
            slug = self.emails[text] = _ascii(text.replace(" ", ".")).strip(".") or "info"
        return slug

    def _person(self, lang: str) -> tuple[str, str, str]:
        r = self.rng.random
        if lang == "ch":
            lang = "de" if r() < 0.6 else "fr"
        firsts, lasts = FIRST[lang], LAST[lang]
        first, last = firsts[int(r() * len(firsts))], lasts[int(r() * len(lasts))]
        if lang == "ja" and r() < 0.5:
            return f"{last} {first}", first, last  # family name first, as on a meishi
        return f"{first} {last}", first, last

    def _employees(self) -> int:
        r = self.rng.random()
        if r < 0.35:
            return 5 + int(self.rng.random() * 45)
        if r < 0.70:
            return 50 + int(self.rng.random() * 200)
        if r < 0.90:
            return 250 + int(self.rng.random() * 750)
        if r < 0.98:
            return 1000 + int(self.rng.random() * 9000)
        return 10000 + int(self.rng.random() * 90000)
