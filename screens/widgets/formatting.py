"""How the desk words times, ages and vocabulary, and shows text from
outside. Pure functions.

Customer text goes into widgets through `shown` (one line: every control
character shown escaped, `callers.printable`) or `assemble` (Content.assemble,
line breaks kept): it never drives the terminal."""

from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from textual.content import Content

from callers import phones
from callers.printable import printable

REFERENCE_LABELS = {
    "prospect_call": "Prospect calls",
    "case_study": "Case study",
    "press": "Press",
    "analyst": "Analysts",
    "site_visit": "Site visit",
}
# None: nobody has said; never the same as "no".
REFERENCE_ANSWER_LABELS = {"yes": "yes", "no": "no", "not_now": "not now", None: "unknown"}
IMPLEMENTATION_LABELS = {
    "not_started": "Not started",
    "in_progress": "In progress",
    "live": "Live in production",
    "stalled": "Stalled",
}
STEP_LABELS = {
    "fixed": "Was it fixed?",
    "contacts": "Contacts",
    "referenceability": "References",
    "implementation": "Implementation",
    "features": "Features",
    "comment": "Their words",
}


def ago(at: datetime | None, now: datetime, *, never: str = "never") -> str:
    """'just now', '5 minutes ago', '3 hours ago', 'yesterday', '94 days ago'."""
    if at is None:
        return never
    seconds = (now - at).total_seconds()
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        minutes = int(seconds // 60)
        return f"{minutes} minute{'s' if minutes != 1 else ''} ago"
    if seconds < 86400:
        hours = int(seconds // 3600)
        return f"{hours} hour{'s' if hours != 1 else ''} ago"
    days = int(seconds // 86400)
    return "yesterday" if days == 1 else f"{days} days ago"


def age(at: datetime | None, now: datetime) -> str:
    """A short age: '12 min', '3 h', '4 d'."""
    if at is None:
        return "?"
    seconds = max(0, (now - at).total_seconds())
    if seconds < 3600:
        return f"{int(seconds // 60)} min"
    if seconds < 86400:
        return f"{int(seconds // 3600)} h"
    return f"{int(seconds // 86400)} d"


def confirmed(at: datetime | None, now: datetime) -> str:
    return "never confirmed" if at is None else f"confirmed {ago(at, now)}"


def day(at: datetime | None, now: datetime, zone: str | None = None) -> str:
    """'12 Nov' this year, '12 Nov 2025' otherwise; in `zone` (default: the caller's)."""
    if at is None:
        return "?"
    local = at.astimezone(_zone(zone)) if zone else at.astimezone()
    if local.year == now.year:
        return local.strftime("%-d %b")
    return local.strftime("%-d %b %Y")


def _zone(name: str | None):
    if not name:
        return timezone.utc
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return timezone.utc


def local_time(zone_key: str | None, now: datetime) -> str:
    """The contact's local time: 'Tue 15:30 GMT'; several zones: 'Tue 09:30 EST / 08:30 CST'."""
    zones = phones.zones_of(zone_key)
    if not zones:
        return "local time unknown"
    seen: list[str] = []
    for name in zones:
        local = now.astimezone(_zone(name))
        text = f"{local:%H:%M} {local.tzname()}"
        if text not in seen:
            seen.append(text)
    first = now.astimezone(_zone(zones[0]))
    shown = seen[:3] + (["…"] if len(seen) > 3 else [])
    return f"{first:%a} " + " / ".join(shown)


def mmss(seconds: float) -> str:
    seconds = max(0, int(seconds))
    return f"{seconds // 60:02d}:{seconds % 60:02d}"


def one_line(text: str | None, width: int = 60) -> str:
    if not text:
        return ""
    text = printable(" ".join(text.split()))
    return text if len(text) <= width else text[: width - 1] + "…"


def shown(text) -> str:
    """Text from outside for one line of a widget: control characters
    (ESC, BEL, CR, line breaks ...) shown, never obeyed."""
    return printable(text)


def assemble(*parts, lines: bool = True) -> Content:
    """`Content.assemble`, every text part shown safe (control characters
    escaped; line breaks and tabs kept unless `lines` is False): for content
    built from data."""
    safe = []
    for part in parts:
        if isinstance(part, str):
            part = printable(part, lines=lines)
        elif isinstance(part, tuple) and part and isinstance(part[0], str):
            part = (printable(part[0], lines=lines), *part[1:])
        safe.append(part)
    return Content.assemble(*safe)


def assemble_line(*parts) -> Content:
    """`assemble` for one line: a line break in the data is shown, not obeyed."""
    return assemble(*parts, lines=False)
