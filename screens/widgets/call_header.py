"""The header of the desk: who the customer is, who to call, why now."""

from __future__ import annotations

from datetime import datetime

from textual.content import Content
from textual.widgets import Static

from callers.calls import OUTCOME_LABELS, Profile
from screens.widgets.formatting import age, assemble, day, local_time, one_line

REASONS = {
    "callback": "a callback was promised",
    "never reached": "never reached",
    "overdue": "overdue",
}


def header_content(profile: Profile, now: datetime, *, forwards_shown: int = 3) -> Content:
    """The header as Content, assembled from data (never parsed as markup)."""
    customer = profile.customer
    size = f"{customer.employees:,} employees" if customer.employees else "size unknown"
    parts: list = [
        (customer.name, "bold"),
        "  ",
        (customer.external_id or "no account id", "$text-muted"),
        "\n",
        f"{customer.industry or 'industry unknown'} · {size}",
        f" · {customer.country}" if customer.country else "",
        " · AM ",
        customer.account_manager or "none",
        "\n",
    ]
    contact = customer.contact
    if contact is None:
        parts += [("No callable contact", "bold $error"), "\n"]
    else:
        parts += [
            ("Call ", "$text-muted"),
            (contact.name, "bold"),
            f", {contact.role}",
            f", {contact.title}" if contact.title else "",
            "  ",
            (local_time(contact.timezone, now), "$accent"),
            "\n",
            (contact.phone_international or "no number", "bold"),
            ("   national ", "$text-muted"),
            contact.phone_national or "",
            "\n",
        ]
    last = profile.last_call
    if last is None:
        parts.append(("Never called", "$text-muted"))
    else:
        outcome = ("asked for a callback" if last.outcome == "callback"
                   else OUTCOME_LABELS.get(last.outcome or "", last.outcome or "unfinished"))
        parts += [("Last call ", "$text-muted"), day(last.at, now), " by ", last.caller, f": {outcome}"]
    parts += [("  ·  Due: ", "$text-muted"), _why(profile, now)]
    shown = 0
    hidden = 0
    for fwd in profile.open_forwards:
        if shown >= forwards_shown:
            hidden += 1
            continue
        shown += 1
        parts += ["\n", ("Open ", "bold $warning"), f"{fwd.department}, {age(fwd.created_at, now)}"]
        if fwd.note:
            parts += [": ", one_line(fwd.note, 50)]
    for fwd in profile.resolved_forwards:
        if shown >= forwards_shown:
            hidden += 1
            continue
        shown += 1
        verb = {"done": "Done", "returned": "Returned", "withdrawn": "Withdrawn"}.get(fwd.status, fwd.status)
        parts += ["\n", (f"{verb} ", "bold $success"), f"{fwd.department} on {day(fwd.resolved_at, now)}"]
        if fwd.resolution:
            parts += [": ", one_line(fwd.resolution, 50)]
    if hidden:
        parts += ["\n", (f"+{hidden} more forwards", "$text-muted")]
    return assemble(*parts)


def _why(profile: Profile, now: datetime) -> str:
    customer = profile.customer
    reason = REASONS.get(customer.reason, customer.reason)
    if customer.reason == "callback" and customer.due_since is not None:
        return f"callback for {day(customer.due_since, now)} {customer.due_since.astimezone():%H:%M}"
    if customer.reason == "overdue" and customer.due_since is not None:
        return f"overdue since {day(customer.due_since, now)} ({age(customer.due_since, now)})"
    return reason


class CallHeader(Static):
    """Renders a Profile; `show()` again to refresh (e.g. the local time)."""

    DEFAULT_CSS = """
    CallHeader {
        height: auto;
        border: round $primary;
        border-title-color: $text;
        padding: 0 1;
    }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__("", markup=False, **kwargs)
        self.profile: Profile | None = None

    def show(self, profile: Profile | None, now: datetime) -> None:
        self.profile = profile
        if profile is None:
            self.update("")
            return
        wide = self.screen.has_class("-wide") if self.is_mounted else False
        self.update(header_content(profile, now, forwards_shown=6 if wide else 3))
