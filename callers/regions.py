"""Regions people may type where a country is asked (`--country EMEA`): each
a set of ISO 3166 country codes. Case-insensitive names; shared by whoever
filters customers by place."""

from __future__ import annotations

_EU = {"AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE", "IT", "LV",
       "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE"}
_EUROPE = _EU | {"GB", "CH", "NO", "IS", "LI", "UA", "RS", "BA", "ME", "MK", "AL", "MD", "BY", "RU", "TR",
                 "GI", "MC", "SM", "AD", "VA", "FO", "XK"}
_MIDDLE_EAST = {"AE", "SA", "QA", "KW", "BH", "OM", "IL", "JO", "LB", "EG", "IQ", "IR", "YE", "SY", "PS"}
_AFRICA = {"ZA", "NG", "KE", "MA", "TN", "DZ", "GH", "ET", "TZ", "UG", "SN", "CI", "CM", "AO", "MZ", "ZW",
           "ZM", "BW", "NA", "MU", "RW", "LY", "SD"}
_NORTH_AMERICA = {"US", "CA"}
_LATAM = {"MX", "BR", "AR", "CL", "CO", "PE", "UY", "PY", "BO", "EC", "VE", "CR", "PA", "GT", "HN", "SV",
          "NI", "DO", "CU", "PR", "JM", "TT"}
_APAC = {"AU", "NZ", "JP", "CN", "HK", "TW", "KR", "SG", "MY", "TH", "VN", "PH", "ID", "IN", "PK", "BD",
         "LK", "NP", "MO", "MN", "KH", "LA", "MM", "BN", "FJ", "PG"}
# Region names accepted by --country (case-insensitive).
REGIONS: dict[str, frozenset[str]] = {
    "EMEA": frozenset(_EUROPE | _MIDDLE_EAST | _AFRICA),
    "EUROPE": frozenset(_EUROPE),
    "EU": frozenset(_EU),
    "DACH": frozenset({"DE", "AT", "CH"}),
    "NORDICS": frozenset({"DK", "FI", "IS", "NO", "SE"}),
    "BENELUX": frozenset({"BE", "NL", "LU"}),
    "UKI": frozenset({"GB", "IE"}),
    "AMER": frozenset(_NORTH_AMERICA | _LATAM),
    "AMERICAS": frozenset(_NORTH_AMERICA | _LATAM),
    "NORTH AMERICA": frozenset(_NORTH_AMERICA),
    "LATAM": frozenset(_LATAM),
    "APAC": frozenset(_APAC),
    "ANZ": frozenset({"AU", "NZ"}),
    "MEA": frozenset(_MIDDLE_EAST | _AFRICA),
}
