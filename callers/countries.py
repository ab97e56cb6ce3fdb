"""Country codes and names: 'DE', 'Germany', 'Deutschland', 'United States'."""

from __future__ import annotations

import unicodedata
from functools import lru_cache

import phonenumbers

from callers.country_names import LOCAL, NAMES

# Names people write that phonenumbers' English names do not cover.
_ALIASES = {
    "usa": "US", "us": "US", "u.s.": "US", "u.s.a.": "US", "united states of america": "US",
    "america": "US", "uk": "GB", "u.k.": "GB", "great britain": "GB", "britain": "GB",
    "england": "GB", "scotland": "GB", "wales": "GB", "northern ireland": "GB",
    "deutschland": "DE", "schweiz": "CH", "suisse": "CH", "svizzera": "CH",
    "österreich": "AT", "osterreich": "AT", "nederland": "NL", "holland": "NL",
    "the netherlands": "NL", "españa": "ES", "espana": "ES", "italia": "IT",
    "nippon": "JP", "nihon": "JP", "south korea": "KR", "korea": "KR",
    "republic of korea": "KR", "czechia": "CZ", "czech republic": "CZ",
    "russia": "RU", "uae": "AE", "türkiye": "TR", "turkiye": "TR", "turkey": "TR",
    "belgique": "BE", "belgië": "BE", "sverige": "SE", "norge": "NO", "danmark": "DK",
    "suomi": "FI", "polska": "PL", "brasil": "BR", "méxico": "MX", "mexico": "MX",
    "ireland": "IE", "éire": "IE", "new zealand": "NZ", "hong kong": "HK",
}


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.strip().lower())
    return "".join(ch for ch in text if not unicodedata.combining(ch))


@lru_cache(maxsize=1)
def _names() -> dict[str, str]:
    names: dict[str, str] = {}
    for region, local in LOCAL.items():
        for name in local:
            names.setdefault(_fold(name), region)
    for region, name in NAMES.items():
        names[_fold(name)] = region
    for alias, code in _ALIASES.items():
        names[_fold(alias)] = code
    return names


def country_code(value: str | None) -> str | None:
    """An ISO 3166 alpha-2 code for a code or a country name, or None."""
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    if len(text) == 2 and text.isalpha():
        code = text.upper()
        if code == "UK":
            return "GB"
        return code if code in phonenumbers.SUPPORTED_REGIONS else None
    if len(text) == 3 and text.isalpha() and text.upper() in _ALPHA3:
        return _ALPHA3[text.upper()]
    return _names().get(_fold(text))


def country_name(code: str | None) -> str:
    if not code:
        return ""
    return NAMES.get(code, code)


_ALPHA3 = {
    "USA": "US", "GBR": "GB", "DEU": "DE", "FRA": "FR", "CHE": "CH", "AUS": "AU",
    "JPN": "JP", "CAN": "CA", "AUT": "AT", "NLD": "NL", "BEL": "BE", "ESP": "ES",
    "ITA": "IT", "SWE": "SE", "NOR": "NO", "DNK": "DK", "FIN": "FI", "IRL": "IE",
    "NZL": "NZ", "SGP": "SG", "IND": "IN", "BRA": "BR", "MEX": "MX", "POL": "PL",
}
