"""Every phone number goes through here, and through phonenumbers.

Parse with a region (the row's country, or a default), validate, store as
E.164, keep an extension apart, and know the number's time zone(s) for the
calling-hours rule.
"""

from __future__ import annotations

import re
from functools import cache, lru_cache
from typing import NamedTuple

import phonenumbers
from phonenumbers import PhoneNumberFormat, PhoneNumberType
from phonenumbers.phonemetadata import PhoneMetadata
from phonenumbers.phonenumberutil import (
    COUNTRY_CODE_TO_REGION_CODE,
    REGION_CODE_FOR_NON_GEO_ENTITY,
    country_code_for_valid_region,
    is_number_type_geographical,
    national_significant_number,
)
from phonenumbers.re_util import re_compile

# Keep every compiled metadata pattern (phonenumbers otherwise asks `re` for
# it again at each of the ten or so pattern tests of a number, and `re`'s
# own cache is bounded). Same patterns, same results; 9.0.x releases before
# the switch existed go without it.
if hasattr(phonenumbers, "enable_pattern_cache"):
    phonenumbers.enable_pattern_cache()

# Zones are stored on a contact as one string; several zones joined by this.
ZONE_SEPARATOR = "|"
UNKNOWN_ZONE = "Etc/Unknown"

_EXTENSION = re.compile(
    r"\s*(?:,|;|\(|\b)?\s*(?:ext\.?|extension|x|#|durchwahl|dw\.?|poste)\s*[:.]?\s*(\d{1,10})\)?\s*$",
    re.IGNORECASE,
)


@cache
def _timezones():
    """phonenumbers.timezone, imported the first time a number's zones are
    asked for: its data is not needed to show a number (the desk's start)."""
    from phonenumbers import timezone

    return timezone


class PhoneError(ValueError):
    """A number that cannot be used, with the reason as its message."""


class Phone(NamedTuple):
    e164: str
    extension: str | None
    region: str | None  # ISO country code of the number
    zones: tuple[str, ...]

    @property
    def timezone(self) -> str:
        return _zone_key_of(self.zones)


# A text without any of these (case-folded) cannot hold an extension marker.
_MARKERS = ("x", "#", "dw", "durchwahl", "poste")
_MARKER = re.compile("|".join(re.escape(marker) for marker in _MARKERS))


def split_extension(raw: str) -> tuple[str, str | None]:
    """'+1 415 555 0100 ext. 23' -> ('+1 415 555 0100', '23')."""
    if _MARKER.search(raw.casefold()) is None:
        return raw, None
    match = _EXTENSION.search(raw)
    if match and match.start() > 0:
        return raw[: match.start()].rstrip(" ,;(-"), match.group(1)
    return raw, None


def zone_key(zones) -> str:
    zones = sorted({z for z in zones if z and z != UNKNOWN_ZONE})
    return ZONE_SEPARATOR.join(zones)


@lru_cache(maxsize=1024)
def _zone_key_of(zones: tuple[str, ...]) -> str:
    return zone_key(zones)


def zones_of(key: str | None) -> tuple[str, ...]:
    if not key:
        return ()
    return tuple(z for z in key.split(ZONE_SEPARATOR) if z)


def parse(raw: str | None, region: str | None = None) -> Phone:
    """Parse and validate one number. Raises PhoneError with the reason."""
    if raw is None or not str(raw).strip():
        raise PhoneError("no phone number")
    return _parse(str(raw).strip(), (region or "").upper() or None)


# The tests of `_number_type_helper`, in its order: (type, metadata attribute).
_TYPE_TESTS = (
    (PhoneNumberType.PREMIUM_RATE, "premium_rate"), (PhoneNumberType.TOLL_FREE, "toll_free"),
    (PhoneNumberType.SHARED_COST, "shared_cost"), (PhoneNumberType.VOIP, "voip"),
    (PhoneNumberType.PERSONAL_NUMBER, "personal_number"), (PhoneNumberType.PAGER, "pager"),
    (PhoneNumberType.UAN, "uan"), (PhoneNumberType.VOICEMAIL, "voicemail"),
)
_NEVER = (frozenset(), None)  # a description nothing matches


def _desc_test(desc) -> tuple[frozenset | None, re.Pattern | None]:
    """What `_is_number_matching_desc(nsn, desc)` tests, made once: (the
    possible lengths, None for any; the compiled national number pattern)."""
    if desc is None or not desc.national_number_pattern:
        return _NEVER
    lengths = frozenset(desc.possible_length) if len(desc.possible_length) > 0 else None
    return lengths, re_compile(desc.national_number_pattern)


def _matches(nsn: str, test) -> bool:
    lengths, pattern = test
    # (phonenumbers' match-then-fullmatch without prefix matches is fullmatch)
    return (pattern is not None and (lengths is None or len(nsn) in lengths)
            and pattern.fullmatch(nsn) is not None)


# id(metadata) -> (metadata, general, [(type, test)...], fixed line, mobile, same pattern)
_TYPE_PLANS: dict[int, tuple] = {}


def _number_type(nsn: str, metadata) -> int:
    """phonenumbers' `_number_type_helper(nsn, metadata)`, its pattern tests
    prepared once per metadata (it goes through three calls and a pattern
    lookup for each of a number's ten or so tests). Same tests, same order."""
    plan = _TYPE_PLANS.get(id(metadata))
    if plan is None or plan[0] is not metadata:
        tests = [(kind, _desc_test(getattr(metadata, name))) for kind, name in _TYPE_TESTS]
        plan = _TYPE_PLANS[id(metadata)] = (
            metadata, _desc_test(metadata.general_desc), [(k, t) for k, t in tests if t is not _NEVER],
            _desc_test(metadata.fixed_line), _desc_test(metadata.mobile),
            metadata.same_mobile_and_fixed_line_pattern)
    _, general, tests, fixed_line, mobile, same = plan
    if not _matches(nsn, general):
        return PhoneNumberType.UNKNOWN
    for kind, test in tests:
        if _matches(nsn, test):
            return kind
    if _matches(nsn, fixed_line):
        if same or _matches(nsn, mobile):
            return PhoneNumberType.FIXED_LINE_OR_MOBILE
        return PhoneNumberType.FIXED_LINE
    if not same and _matches(nsn, mobile):
        return PhoneNumberType.MOBILE
    return PhoneNumberType.UNKNOWN


# (country calling code, digits of the national significant number) -> is_possible_number:
# that is all it looks at (the lengths of the calling code's main region).
_POSSIBLE: dict[tuple[int, int], bool] = {}


def _possible(number: phonenumbers.PhoneNumber, nsn: str) -> bool:
    key = (number.country_code, len(nsn))
    found = _POSSIBLE.get(key)
    if found is None:
        found = _POSSIBLE[key] = phonenumbers.is_possible_number(number)
    return found


def _classify(number: phonenumbers.PhoneNumber, nsn: str) -> tuple[str | None, int]:
    """The number's region and type, exactly as `region_code_for_number`,
    `is_valid_number` and `number_type` find them, in one pass (each would
    look them up again; for a calling code shared by several regions, the
    region search has already typed the number): valid when not UNKNOWN.
    `nsn`: its national significant number."""
    code = number.country_code
    regions = COUNTRY_CODE_TO_REGION_CODE.get(code)
    if regions is None:
        return None, PhoneNumberType.UNKNOWN
    typed = None  # (metadata, type) the region search found
    if len(regions) == 1:
        region = regions[0]
    else:  # phonenumbers' _region_code_for_number_from_list
        region = None
        for candidate in regions:
            metadata = PhoneMetadata.metadata_for_region(candidate.upper(), None)
            if metadata is None:
                continue
            if metadata.leading_digits is not None:
                if re_compile(metadata.leading_digits).match(nsn):
                    region = candidate
                    break
            else:
                kind = _number_type(nsn, metadata)
                if kind != PhoneNumberType.UNKNOWN:
                    region, typed = candidate, (metadata, kind)
                    break
        if region is None:
            return None, PhoneNumberType.UNKNOWN
    metadata = PhoneMetadata.metadata_for_region_or_calling_code(code, region.upper())
    if metadata is None or (region != REGION_CODE_FOR_NON_GEO_ENTITY
                            and code != country_code_for_valid_region(region)):
        return region, PhoneNumberType.UNKNOWN
    if typed is not None and typed[0] is metadata:
        return region, typed[1]
    return region, _number_type(nsn, metadata)


@lru_cache(maxsize=4096)
def _parse(text: str, region: str | None) -> Phone:
    """`parse` of a stripped text and an upper-case region (Phone is frozen,
    so a cached one is safe to share; errors are not cached)."""
    body, extension = split_extension(text)
    if body.startswith("00"):
        body = "+" + body[2:]
    try:
        number = phonenumbers.parse(body, region)
    except phonenumbers.NumberParseException as exc:
        if exc.error_type == phonenumbers.NumberParseException.INVALID_COUNTRY_CODE:
            if region is None:
                raise PhoneError(
                    f"phone {text!r} has no country code and the row has no country"
                ) from None
            raise PhoneError(f"phone {text!r}: unknown country code") from None
        raise PhoneError(f"phone {text!r} is not a phone number") from None
    nsn = national_significant_number(number)
    if not _possible(number, nsn):
        raise PhoneError(f"phone {text!r} has the wrong number of digits")
    number_region, kind = _classify(number, nsn)
    if kind == PhoneNumberType.UNKNOWN:
        where = f" for {region}" if region and not text.lstrip().startswith(("+", "00")) else ""
        raise PhoneError(f"phone {text!r} is not a valid number{where}")
    if number.extension and not extension:
        extension = number.extension
    number.extension = None
    # pn_timezone.time_zones_for_number, with the type already known.
    pn_timezone = _timezones()
    if is_number_type_geographical(kind, number.country_code):
        zones = pn_timezone.time_zones_for_geographical_number(number)
    else:
        zones = pn_timezone._country_level_time_zones_for_number(number)
    return Phone(
        e164=phonenumbers.format_number(number, PhoneNumberFormat.E164),
        extension=extension,
        region=number_region,
        zones=tuple(sorted(z for z in zones if z != UNKNOWN_ZONE)),
    )


def spread_hours(zones, at=None) -> float:
    """How many hours apart the zones' clocks are (0 for one zone)."""
    from datetime import datetime, timezone as tz
    from zoneinfo import ZoneInfo

    at = at or datetime.now(tz.utc)
    offsets = [at.astimezone(ZoneInfo(z)).utcoffset().total_seconds() / 3600 for z in zones]
    return max(offsets) - min(offsets) if offsets else 0.0


@lru_cache(maxsize=65536)
def zones_for_e164(e164: str) -> tuple[str, ...]:
    number = phonenumbers.parse(e164, None)
    zones = _timezones().time_zones_for_number(number)
    return tuple(sorted(z for z in zones if z != UNKNOWN_ZONE))


@lru_cache(maxsize=4096)
def _parsed(e164: str) -> phonenumbers.PhoneNumber:
    return phonenumbers.parse(e164, None)


def international(e164: str | None, extension: str | None = None) -> str:
    """'+44 20 7946 0958 ext. 23': the form a caller reads out."""
    if not e164:
        return ""
    try:
        text = phonenumbers.format_number(_parsed(e164), PhoneNumberFormat.INTERNATIONAL)
    except phonenumbers.NumberParseException:
        text = e164
    return f"{text} ext. {extension}" if extension else text


def national(e164: str | None, extension: str | None = None) -> str:
    """'020 7946 0958': the form dialled from inside the country."""
    if not e164:
        return ""
    try:
        text = phonenumbers.format_number(_parsed(e164), PhoneNumberFormat.NATIONAL)
    except phonenumbers.NumberParseException:
        text = e164
    return f"{text} ext. {extension}" if extension else text


def place(e164: str | None) -> str:
    """Where the number is, in English ('London', 'Switzerland')."""
    if not e164:
        return ""
    from phonenumbers import geocoder  # ~100 MB of data: only when asked

    try:
        return geocoder.description_for_number(_parsed(e164), "en")
    except phonenumbers.NumberParseException:
        return ""
