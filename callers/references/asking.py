"""What a reference request asks for: the kind, industry, size band, country
or region, implementation state and features, parsed from what people type
into `Criteria`."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from callers import countries
from callers.errors import CallersError
from callers.regions import REGIONS
from models.db import connection
from models.tables import IMPLEMENTATION_STATES, Feature
from models.vocabulary import REFERENCE_KINDS

# CLI name (the kind, with dashes) -> Customer column holding the customer's answer.
REF_TYPES: dict[str, str] = {kind.replace("_", "-"): f"ref_{kind}" for kind in REFERENCE_KINDS}
REF_LABELS: dict[str, str] = {
    "prospect-call": "prospect calls",
    "case-study": "case studies",
    "press": "press",
    "analyst": "analysts",
    "site-visit": "site visits",
}

DEFAULT_STATE = "live"
ANY_STATE = "any"


@dataclass(frozen=True)
class Criteria:
    ref_type: str | None = None  # a REF_TYPES key, or None for any kind
    industry: str | None = None
    size_min: int | None = None
    size_max: int | None = None
    countries: frozenset[str] | None = None  # None: anywhere
    place: str | None = None  # the country or region as asked, for messages
    features: tuple[str, ...] = ()  # feature names as stored
    state: str | None = DEFAULT_STATE  # None: any state

    def as_json(self) -> str:
        data = {
            "type": self.ref_type, "industry": self.industry, "size_min": self.size_min,
            "size_max": self.size_max, "country": self.place, "features": list(self.features),
            "state": self.state or ANY_STATE,
        }
        return json.dumps({k: v for k, v in data.items() if v not in (None, [])}, sort_keys=True)


def parse_type(value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    text = value.strip().lower().replace("_", "-").replace(" ", "-")
    if text in REF_TYPES:
        return text
    raise CallersError(f"unknown reference type {value!r}; use one of {', '.join(REF_TYPES)}")


def parse_size(value: str | None) -> tuple[int | None, int | None]:
    """'100-500', '100-' (at least), '-500' (at most), '250' (exactly)."""
    if value is None or not value.strip():
        return None, None
    text = value.strip().replace(",", "").replace("_", "").replace(" ", "")
    match = re.fullmatch(r"(\d*)(-?)(\d*)", text)
    if not match or not (match.group(1) or match.group(3)) or (not match.group(2) and match.group(3)):
        raise CallersError(f"size {value!r} is not MIN-MAX employees (e.g. 100-500, 1000-, -50)")
    low = int(match.group(1)) if match.group(1) else None
    high = int(match.group(3)) if match.group(3) else None
    if not match.group(2):
        high = low
    if low is not None and high is not None and low > high:
        raise CallersError(f"size {value!r}: the minimum is above the maximum")
    return low, high


def parse_place(value: str | None) -> frozenset[str] | None:
    """Country codes for a code, a country name, a region name, or a comma list of them."""
    if value is None or not value.strip():
        return None
    codes: set[str] = set()
    for part in value.split(","):
        part = part.strip()
        if not part:
            continue
        region = REGIONS.get(" ".join(part.upper().split()))
        if region is not None:
            codes |= region
            continue
        code = countries.country_code(part)
        if code is None:
            raise CallersError(
                f"unknown country or region {part!r}; give a country code (DE), a country name, "
                f"or a region: {', '.join(sorted(REGIONS))}"
            )
        codes.add(code)
    return frozenset(codes) if codes else None


def parse_state(value: str | None) -> str | None:
    if value is None:
        return DEFAULT_STATE
    text = value.strip().lower().replace("-", "_").replace(" ", "_")
    if text in (ANY_STATE, "all", ""):
        return None
    if text in IMPLEMENTATION_STATES:
        return text
    raise CallersError(
        f"unknown implementation state {value!r}; use one of {', '.join(IMPLEMENTATION_STATES)} or any"
    )


def resolve_features(asked: list[str] | tuple[str, ...] | None) -> tuple[str, ...]:
    """Feature names as stored, for names given in any case (comma lists allowed)."""
    wanted = [part.strip() for item in (asked or ()) for part in item.split(",") if part.strip()]
    if not wanted:
        return ()
    with connection():
        known = {f.name.casefold(): f.name for f in Feature.select(Feature.name)}
    found: list[str] = []
    for name in wanted:
        stored = known.get(name.casefold())
        if stored is None:
            listed = ", ".join(sorted(known.values())) or "none yet"
            raise CallersError(f"unknown feature {name!r}; known features: {listed}")
        if stored not in found:
            found.append(stored)
    return tuple(found)


def criteria(ref_type: str | None = None, industry: str | None = None, size: str | None = None,
             country: str | None = None, features: list[str] | None = None,
             state: str | None = None) -> Criteria:
    """Criteria from what a person typed (CLI flags or the screen's fields)."""
    low, high = parse_size(size)
    return Criteria(
        ref_type=parse_type(ref_type),
        industry=(industry or "").strip() or None,
        size_min=low,
        size_max=high,
        countries=parse_place(country),
        place=(country or "").strip() or None,
        features=resolve_features(features),
        state=parse_state(state),
    )
