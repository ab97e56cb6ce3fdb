"""callers.phones against phonenumbers' own public answers: `parse` takes
shortcuts through phonenumbers' internals (one region search, its own
pattern tests, possible lengths remembered per calling code), so every
region's example numbers, and numbers made wrong from them, must come out
exactly as parse / is_possible_number / is_valid_number / format_number /
region_code_for_number / time_zones_for_number say."""

from __future__ import annotations

import phonenumbers
import pytest
from phonenumbers import PhoneNumberFormat, PhoneNumberType
from phonenumbers import timezone as pn_timezone

from callers import phones

_TYPES = [value for name, value in vars(PhoneNumberType).items() if name.isupper()]


def _reference(text: str, region: str | None):
    """What phones.parse must give for `text` (no extension marker in it),
    worked out with phonenumbers' public functions only."""
    body = "+" + text[2:] if text.startswith("00") else text
    try:
        number = phonenumbers.parse(body, region)
    except phonenumbers.NumberParseException as exc:
        if exc.error_type == phonenumbers.NumberParseException.INVALID_COUNTRY_CODE:
            return "no country code" if region is None else "unknown country code"
        return "not a phone number"
    if not phonenumbers.is_possible_number(number):
        return "wrong number of digits"
    if not phonenumbers.is_valid_number(number):
        return "not a valid number"
    extension = number.extension or None
    number.extension = None
    zones = tuple(sorted(z for z in pn_timezone.time_zones_for_number(number) if z != phones.UNKNOWN_ZONE))
    return (phonenumbers.format_number(number, PhoneNumberFormat.E164), extension,
            phonenumbers.region_code_for_number(number), zones)


def _ours(text: str, region: str | None):
    try:
        phone = phones.parse(text, region)
    except phones.PhoneError as exc:
        message = str(exc)
        for reason in ("no country code", "unknown country code", "not a phone number",
                       "wrong number of digits", "not a valid number"):
            if reason in message:
                return reason
        raise
    return phone.e164, phone.extension, phone.region, phone.zones


def _examples():
    """(text, region) of every region's and non-geographical calling code's
    example numbers of every type, written nationally and internationally,
    and with a digit dropped, added or changed."""
    numbers = []
    for region in sorted(phonenumbers.SUPPORTED_REGIONS):
        for kind in _TYPES:
            found = phonenumbers.example_number_for_type(region, kind)
            if found is not None:
                numbers.append((found, region))
        invalid = phonenumbers.invalid_example_number(region)
        if invalid is not None:
            numbers.append((invalid, region))
    for code in sorted(phonenumbers.COUNTRY_CODES_FOR_NON_GEO_REGIONS):
        found = phonenumbers.example_number_for_non_geo_entity(code)
        if found is not None:
            numbers.append((found, None))
    cases = set()
    for number, region in numbers:
        e164 = phonenumbers.format_number(number, PhoneNumberFormat.E164)
        cases.add((e164, None))
        cases.add((e164[:-1], None))
        cases.add((e164 + "7", None))
        cases.add((e164[:-1] + str((int(e164[-1]) + 3) % 10), None))
        cases.add(("00" + e164[1:], region))
        if region is not None:
            text = phonenumbers.format_number(number, PhoneNumberFormat.NATIONAL)
            cases.add((text, region))
            cases.add((text[:-1], region))
            cases.add((text + "5", region))
            cases.add((text, "US" if region != "US" else "DE"))  # a national number read as another country's
    return sorted(cases, key=lambda c: (c[0], c[1] or ""))


def test_parse_agrees_with_phonenumbers_on_every_regions_examples():
    cases = _examples()
    assert len(cases) > 10000
    kinds = {"valid": 0, "invalid": 0}
    wrong = []
    for text, region in cases:
        if phones.split_extension(text)[1] is not None:
            continue  # (an extension marker: phones reads it itself; not a case for this comparison)
        want, got = _reference(text, region), _ours(text, region)
        kinds["invalid" if isinstance(want, str) else "valid"] += 1
        if want != got:
            wrong.append((text, region, want, got))
    assert not wrong[:20], f"{len(wrong)} differences"
    assert kinds["valid"] > 3000 and kinds["invalid"] > 3000  # both sides of every test exercised


def test_shared_calling_code_is_typed_by_the_region_it_belongs_to():
    # +1 is shared by the US, Canada and the Caribbean; +44 by the UK and the Crown dependencies.
    assert phones.parse("+1 604 555 5555").region == "CA"
    assert phones.parse("(212) 200-0001", "US").region == "US"
    assert phones.parse("+44 1534 456789").region == "JE"
    with pytest.raises(phones.PhoneError, match="wrong number of digits"):
        phones.parse("+1 212 20")
    with pytest.raises(phones.PhoneError, match="not a valid number"):
        phones.parse("+1 212 100 0000")


@pytest.mark.parametrize("text, extension", [
    ("+49 30 1234567 Durchwahl 12", "12"), ("+1 212 200 0001 x 7", "7"), ("+1 212 200 0001 #7", "7"),
    ("+33 1 42 00 00 00 poste 3", "3"), ("+1 212 200 0001 EXT. 44", "44"), ("+1 212 200 0001", None),
])
def test_extension_markers(text, extension):
    assert phones.parse(text).extension == extension
