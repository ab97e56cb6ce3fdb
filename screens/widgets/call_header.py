"""The header of the desk: who the customer is, who to call, why now, and
the forwards. Every line fits the width (cut with "…", never wrapped), and
forwards that do not fit the height are counted on a last line, with the key
that lists them all (`ForwardsList`)."""

from __future__ import annotations

from datetime import datetime

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static

from callers.calls import OUTCOME_LABELS, Profile
from screens.widgets.formatting import age, assemble_line, day, local_time, one_line, shown

REASONS = {
    "callback": "a callback was promised",
    "never reached": "never reached",
    "overdue": "overdue",
}
FORWARDS_KEY = "ctrl+o"


def customer_lines(profile: Profile, now: datetime) -> list[Content]:
    """Who, who to call, the last call and why due: one Content per line."""
    customer = profile.customer
    size = f"{customer.employees:,} employees" if customer.employees else "size unknown"
    lines = [
        assemble_line((customer.name, "bold"), "  ", (customer.external_id or "no account id", "$text-muted")),
        assemble_line(f"{customer.industry or 'industry unknown'} · {size}",
                         f" · {customer.country}" if customer.country else "", " · AM ",
                         customer.account_manager or "none"),
    ]
    contact = customer.contact
    if contact is None:
        lines.append(Content.styled("No callable contact", "bold $error"))
    else:
        lines += [
            assemble_line(("Call ", "$text-muted"), (contact.name, "bold"), f", {contact.role}",
                             f", {contact.title}" if contact.title else "", "  ",
                             (local_time(contact.timezone, now), "$accent")),
            assemble_line((contact.phone_international or "no number", "bold"), ("   national ", "$text-muted"),
                             contact.phone_national or ""),
        ]
    last = profile.last_call
    if last is None:
        parts: list = [("Never called", "$text-muted")]
    else:
        outcome = ("asked for a callback" if last.outcome == "callback"
                   else OUTCOME_LABELS.get(last.outcome or "", last.outcome or "unfinished"))
        parts = [("Last call ", "$text-muted"), day(last.at, now), " by ", last.caller, f": {outcome}"]
    lines.append(assemble_line(*parts, ("  ·  Due: ", "$text-muted"), _why(profile, now)))
    return lines


def forward_lines(profile: Profile, now: datetime, note_width: int = 50) -> list[Content]:
    """Open forwards, then those resolved since the last completed call."""
    lines = []
    for fwd in profile.open_forwards:
        parts: list = [("Open ", "bold $warning"), f"{fwd.department}, {age(fwd.created_at, now)}"]
        if fwd.note:
            parts += [": ", one_line(fwd.note, note_width)]
        lines.append(assemble_line(*parts))
    for fwd in profile.resolved_forwards:
        verb = {"done": "Done", "returned": "Returned", "withdrawn": "Withdrawn"}.get(fwd.status, fwd.status)
        parts = [(f"{verb} ", "bold $success"), f"{fwd.department} on {day(fwd.resolved_at, now)}"]
        if fwd.resolution:
            parts += [": ", one_line(fwd.resolution, note_width)]
        lines.append(assemble_line(*parts))
    return lines


def header_content(profile: Profile, now: datetime, *, width: int | None = None,
                   height: int | None = None) -> tuple[Content, int]:
    """The header as Content, assembled from data (never parsed as markup),
    and how many forwards it had no room for. `width`: every line is cut to
    it; `height`: at most that many lines, the last saying how many forwards
    are not shown and which key lists them."""
    lines = customer_lines(profile, now)
    forwards = forward_lines(profile, now)
    room = len(forwards) if height is None else max(0, height - len(lines))
    hidden = 0
    if len(forwards) > room:
        shown = max(0, room - 1)
        hidden = len(forwards) - shown
        forwards = forwards[:shown] + [Content.styled(
            f"+{hidden} more forward{'s' if hidden != 1 else ''}: {FORWARDS_KEY} lists them", "bold $text-muted")]
    lines += forwards
    if width is not None:
        lines = [line.truncate(width, ellipsis=True) for line in lines]
    return Content("\n").join(lines), hidden


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
        self.hidden = 0  # forwards not shown for want of room

    def show(self, profile: Profile | None, now: datetime) -> None:
        self.profile = profile
        if profile is None:
            self.hidden = 0
            self.update("")
            return
        width = height = None
        if self.is_mounted and self.parent is not None and self.parent.size.height and self.size.width:
            wide = self.screen.has_class("-wide")
            width = max(10, self.size.width - 4)  # the border and padding
            # Narrow: half the body (the script needs the rest); wide: all of it.
            height = max(3, (self.parent.size.height if wide else self.parent.size.height // 2) - 2)
        elif self.is_mounted:
            # Not laid out yet (the desk's body was hidden): again once it is.
            self.call_after_refresh(self._measured, profile, now)
        content, hidden = header_content(profile, now, width=width, height=height)
        if hidden != self.hidden:
            self.hidden = hidden
            self.screen.refresh_bindings()
        self.update(content)


    def _measured(self, profile: Profile, now: datetime) -> None:
        if self.profile is profile and self.size.width:
            self.show(profile, now)


class ForwardsList(ModalScreen[None]):
    """Every open forward of the customer, and those resolved since the last
    completed call: what the header has no room for. Esc goes back."""

    DEFAULT_CSS = """
    ForwardsList { align: center middle; }
    ForwardsList > Vertical { width: 76; max-width: 100%; height: auto; max-height: 90%;
                              border: thick $primary; background: $surface; padding: 0 1; }
    ForwardsList VerticalScroll { height: auto; max-height: 18; }
    ForwardsList #forwards-hint { color: $text-muted; }
    """
    BINDINGS = [Binding("escape", "close", "Back", id="forwards-close")]

    def __init__(self, profile: Profile, now: datetime) -> None:
        super().__init__()
        self.profile, self.now = profile, now

    def compose(self) -> ComposeResult:
        box = Vertical()
        box.border_title = Content(shown(f"Forwards of {one_line(self.profile.customer.name, 50)}"))  # data, not markup
        with box:
            with VerticalScroll():
                yield Static(Content("\n").join(forward_lines(self.profile, self.now, note_width=200)),
                             id="forwards-all", markup=False)
            yield Static("Esc back", id="forwards-hint", markup=False)

    def action_close(self) -> None:
        self.dismiss(None)
