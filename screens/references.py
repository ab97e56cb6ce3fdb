"""References on demand: filters, the ranked list, the selected customer's
details, and a key to log a use. Resting customers are shown, never offered:
using one needs a reason, which is logged.

Every text from the database is data, never markup (Content / Text)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen, Screen
from textual.widgets import DataTable, Header, Input, Select, Static
from textual.worker import Worker, WorkerState

from callers import references as refs
from callers.errors import CallersError
from screens.widgets.formatting import assemble, shown
from screens.commands import ScreenActions
from screens.widgets.key_bar import KeyBar

TYPE_OPTIONS = [(label, key) for key, label in (
    ("prospect-call", "Prospect call"), ("case-study", "Case study"), ("press", "Press"),
    ("analyst", "Analyst"), ("site-visit", "Site visit"))]
STATE_OPTIONS = [("Live", "live"), ("Stalled", "stalled"), ("In progress", "in_progress"),
                 ("Not started", "not_started"), ("Any state", "any")]


def _date(value: datetime | None) -> str:
    return value.date().isoformat() if value else "-"


def detail(cand: refs.Candidate, window_days: int, cap: int) -> Content:
    """The selected customer, as plain text with a little style."""
    size = f"{cand.employees:,} employees" if cand.employees is not None else "size unknown"
    state = (cand.implementation_state or "state unknown").replace("_", " ")
    parts: list = [
        (cand.name, "bold"), f"  {cand.external_id or 'no account id'}\n",
        f"{cand.industry or 'industry unknown'} · {size} · {cand.country or '??'} · {state}\n",
        ("Why: ", "bold"), "; ".join(cand.why), "\n",
        ("Asked: ", "bold"), " · ".join(f"{kind.replace('-', ' ')} {answer.replace('_', ' ')}"
                                       for kind, answer in cand.answers.items()), "\n",
        ("Confirmed: ", "bold"),
    ]
    if cand.confirmed_at is None:
        parts += [("never confirmed on a call", "bold red")]
    else:
        parts += [f"{_date(cand.confirmed_at)} ({cand.confirmed_days} days ago)"]
        if cand.stale:
            parts += ["  ", ("STALE", "bold red")]
    parts += ["\n"]
    if cand.condition:
        parts += [("Conditions: ", "bold"), cand.condition, "\n"]
    if cand.gift_restriction:
        parts += [("Gift restriction: ", "bold"), cand.gift_restriction, "\n"]
    parts += [("Uses: ", "bold"), f"{cand.uses_in_window} of {cap} in the last {window_days} days"]
    if cand.resting:
        parts += ["  ", (f"RESTING until {_date(cand.resting_until)}: not offered", "bold yellow")]
    parts += ["\n"]
    for use in cand.uses:
        line = f"  {_date(use.used_at)} {use.ref_type} for {use.prospect or '-'} ({use.requested_by})"
        if use.override_reason:
            line += f" override: {use.override_reason}"
        parts += [line, "\n"]
    if cand.features:
        parts += [("Features: ", "bold"), ", ".join(cand.features), "\n"]
    if not cand.contacts:
        parts += [("Contacts: ", "bold"), "no buyer or user on file\n"]
    for person in cand.contacts:
        reach = "  ".join(x for x in (person.phone, person.email) if x)
        parts += [(f"{person.role.title()}: ", "bold"), person.name,
                  f", {person.title}" if person.title else "", f"  {reach}" if reach else "", "\n"]
    return assemble(*parts)


@dataclass(frozen=True)
class UseAnswer:
    ref_type: str
    prospect: str
    requested_by: str
    reason: str | None


class UseModal(ModalScreen[UseAnswer | None]):
    """Log a use: for whom, who asked, and (when resting) why anyway."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="references-use-cancel")]

    def __init__(self, cand: refs.Candidate, ref_type: str | None, requested_by: str, cap: int,
                 window_days: int) -> None:
        super().__init__()
        self.cand = cand
        self.ref_type = ref_type if ref_type in cand.referenceable_for else None
        self.requested_by = requested_by
        self.cap = cap
        self.window_days = window_days

    def compose(self) -> ComposeResult:
        with Vertical(id="use-dialog"):
            yield Static(assemble("Log a use of ", (self.cand.name, "bold")), id="use-title")
            options = [(label, key) for label, key in TYPE_OPTIONS if key in self.cand.referenceable_for]
            with Horizontal(classes="use-row"):
                yield Static("Kind", classes="use-label")
                yield Select(options, prompt="Kind of reference", allow_blank=self.ref_type is None,
                             value=self.ref_type or (options[0][1] if len(options) == 1 else Select.NULL),
                             id="use-type", compact=True)
            with Horizontal(classes="use-row"):
                yield Static("For", classes="use-label")
                yield Input(placeholder="the prospect, publication or analyst", id="use-prospect", compact=True)
            with Horizontal(classes="use-row"):
                yield Static("Requested by", classes="use-label")
                yield Input(value=self.requested_by, placeholder="who asked", id="use-by", compact=True)
            if self.cand.resting:
                yield Static(
                    f"Resting: {self.cand.uses_in_window} uses in the last {self.window_days} days "
                    f"(cap {self.cap}). Give a reason to use it anyway:",
                    id="use-resting", markup=False)
                with Horizontal(classes="use-row"):
                    yield Static("Reason", classes="use-label")
                    yield Input(placeholder="override reason (required)", id="use-reason", compact=True)
            yield Static("Enter: log the use   Esc: cancel", id="use-error", markup=False)

    def on_mount(self) -> None:
        self.query_one("#use-prospect", Input).focus()

    def action_cancel(self) -> None:
        self.dismiss(None)

    @on(Input.Submitted)
    def submit(self, event: Input.Submitted) -> None:
        event.stop()
        kind = self.query_one("#use-type", Select).value
        prospect = self.query_one("#use-prospect", Input).value.strip()
        by = self.query_one("#use-by", Input).value.strip()
        reason = self.query_one("#use-reason", Input).value.strip() if self.cand.resting else None
        problem = None
        if kind == Select.NULL:
            problem = "Choose the kind of reference."
        elif not by:
            problem = "Say who asked for the reference."
        elif self.cand.resting and not reason:
            problem = "This customer is resting: an override needs a reason."
        if problem:
            self.query_one("#use-error", Static).update(Content.styled(problem, "bold red"))
            return
        self.dismiss(UseAnswer(str(kind), prospect, by, reason))


class ReferencesScreen(Screen):
    """Find references by kind, industry, size, place, features and state."""

    COMMANDS = {ScreenActions}  # ctrl+p: this screen's actions with their keys

    BINDINGS = [
        Binding("u", "use", "Log use", id="references-use"),
        Binding("t", "thanks", "Thank-yous", id="references-thanks"),
        Binding("f5", "refresh", "Refresh", id="references-refresh"),
        Binding("escape", "focus_list", "List", id="references-list", show=False),
    ]

    def __init__(self, caller: str, filters: dict[str, str | None] | None = None) -> None:
        super().__init__()
        self.caller = caller
        self.filters = dict(filters or {})
        self.found: refs.Found | None = None

    def compose(self) -> ComposeResult:
        f = self.filters
        yield Header()
        with Vertical(id="references"):
            with Horizontal(classes="ref-filters"):
                yield Select(TYPE_OPTIONS, prompt="Any kind", value=f.get("type") or Select.NULL,
                             id="ref-type", compact=True)
                yield Select(STATE_OPTIONS, allow_blank=False, value=f.get("state") or "live",
                             id="ref-state", compact=True)
                yield Input(f.get("industry") or "", placeholder="Industry", id="ref-industry", compact=True)
            with Horizontal(classes="ref-filters"):
                yield Input(f.get("size") or "", placeholder="Size 100-500", id="ref-size", compact=True)
                yield Input(f.get("country") or "", placeholder="Country/region", id="ref-country",
                            compact=True)
                yield Input(f.get("features") or "", placeholder="Features a,b", id="ref-features",
                            compact=True)
            yield Static("Looking for references…", id="ref-status", markup=False)
            yield DataTable(id="ref-table", cursor_type="row", zebra_stripes=True)
            with VerticalScroll(id="ref-detail-box"):
                yield Static("", id="ref-detail", markup=False)
        yield KeyBar(id="references-keys")

    def on_mount(self) -> None:
        table = self.query_one("#ref-table", DataTable)
        table.add_column("#", key="n")
        table.add_column("Customer", key="name", width=22)
        table.add_column("Ctry", key="country")
        table.add_column("Empl.", key="employees")
        table.add_column("Uses", key="uses")
        table.add_column("Last used", key="last")
        table.add_column("Status", key="status")
        table.focus()
        self.load()

    # ---- filters -------------------------------------------------------------

    def _filters(self) -> dict[str, str | None]:
        kind = self.query_one("#ref-type", Select).value
        state = self.query_one("#ref-state", Select).value
        return {
            "type": None if kind == Select.NULL else str(kind),
            "state": "live" if state == Select.NULL else str(state),
            "industry": self.query_one("#ref-industry", Input).value,
            "size": self.query_one("#ref-size", Input).value,
            "country": self.query_one("#ref-country", Input).value,
            "features": self.query_one("#ref-features", Input).value,
        }

    @on(Select.Changed, "#ref-type, #ref-state")
    def _select_changed(self) -> None:
        self.load()

    @on(Input.Submitted, ".ref-filters Input")
    def _input_submitted(self) -> None:
        self.load()
        self.query_one("#ref-table", DataTable).focus()

    def action_refresh(self) -> None:
        self.load()

    def action_focus_list(self) -> None:
        self.query_one("#ref-table", DataTable).focus()

    # ---- loading ---------------------------------------------------------------

    def load(self) -> None:
        self.filters = self._filters()
        self.query_one("#ref-status", Static).update("Looking for references…")
        self.find_references(self.filters)

    @work(thread=True, exclusive=True, exit_on_error=False, group="references-find")
    def find_references(self, filters: dict[str, str | None]) -> refs.Found:
        crit = refs.criteria(filters["type"], filters["industry"], filters["size"], filters["country"],
                             [filters["features"]] if filters["features"] else None, filters["state"])
        return refs.find(crit, limit=200)

    @work(thread=True, exclusive=True, exit_on_error=False, group="references-use")
    def log_use(self, cand: refs.Candidate, answer: UseAnswer) -> refs.Logged:
        return refs.log_use(cand.id, answer.ref_type, answer.prospect, answer.requested_by,
                            override_reason=answer.reason, logged_by=self.caller)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        worker = event.worker
        if worker.group == "references-find":
            if event.state == WorkerState.SUCCESS:
                self.show(worker.result)
            elif event.state == WorkerState.ERROR:
                self.show_error(worker.error)
        elif worker.group == "references-use":
            if event.state == WorkerState.SUCCESS:
                logged: refs.Logged = worker.result
                text = f"Logged: {logged.customer} for {logged.prospect or 'an unnamed prospect'}; thank-you owed"
                if logged.override_reason:
                    text += " (override logged)"
                if logged.gift_restriction:
                    text += f". Gift restriction: {logged.gift_restriction}"
                self.notify(shown(text), title="Reference use", markup=False)
                self.load()
            elif event.state == WorkerState.ERROR:
                self.notify(shown(self._message(worker.error)), severity="error", title="Not logged", markup=False)

    @staticmethod
    def _message(error: BaseException | None) -> str:
        from callers.errors import first_line

        if isinstance(error, CallersError):
            return str(error)
        return f"Cannot reach the database: {first_line(error)}" if error else "Unknown error"

    def show_error(self, error: BaseException | None) -> None:
        status = self.query_one("#ref-status", Static)
        status.update(Content.styled(self._message(error) + "  (F5 to retry)", "bold red"))

    def show(self, found: refs.Found) -> None:
        self.found = found
        table = self.query_one("#ref-table", DataTable)
        row_before = table.cursor_row
        table.clear()
        resting = found.total - found.offered
        status = (f"{found.offered} offered, {resting} resting (cap {found.cap} uses in "
                  f"{found.window_days} days)")
        if len(found.candidates) < found.total:
            status += f"; first {len(found.candidates)} shown"
        self.query_one("#ref-status", Static).update(status)
        for n, cand in enumerate(found.candidates, start=1):
            style = "dim" if cand.resting else ""
            table.add_row(
                Text(str(n), style=style),
                Text(shown(cand.name), style=style, no_wrap=True, overflow="ellipsis"),
                Text(shown(cand.country), style=style),
                Text(f"{cand.employees:,}" if cand.employees is not None else "", style=style),
                Text(str(cand.uses_in_window), style=style),
                Text(_date(cand.last_used), style=style),
                Text(f"resting {_date(cand.resting_until)}" if cand.resting else
                     ("stale" if cand.stale else "offered"), style="yellow" if cand.resting else ""),
                key=str(cand.id),
            )
        if found.candidates:
            table.move_cursor(row=min(max(row_before, 0), len(found.candidates) - 1))
        self.show_detail()

    def current(self) -> refs.Candidate | None:
        if not self.found or not self.found.candidates:
            return None
        row = self.query_one("#ref-table", DataTable).cursor_row
        if 0 <= row < len(self.found.candidates):
            return self.found.candidates[row]
        return None

    @on(DataTable.RowHighlighted, "#ref-table")
    def _highlighted(self) -> None:
        self.show_detail()

    def show_detail(self) -> None:
        panel = self.query_one("#ref-detail", Static)
        cand = self.current()
        if cand is None:
            panel.update("No referenceable customer fits these filters.")
            return
        panel.update(detail(cand, self.found.window_days, self.found.cap))

    # ---- logging a use -----------------------------------------------------------

    def action_use(self) -> None:
        cand = self.current()
        if cand is None:
            self.notify("Nobody to use: no customer selected.", severity="warning", markup=False)
            return
        found = self.found

        def done(answer: UseAnswer | None) -> None:
            if answer is not None:
                self.log_use(cand, answer)

        self.app.push_screen(UseModal(cand, self.filters.get("type"), self.caller, found.cap, found.window_days),
                             done)

    def action_thanks(self) -> None:
        self.app.push_screen(ThanksScreen(self.caller))


class ThanksScreen(ModalScreen[None]):
    """Thank-yous owed, oldest first, each with its gift restriction; `s` marks one sent."""

    BINDINGS = [
        Binding("s", "sent", "Mark sent", id="references-thanks-sent"),
        Binding("escape", "close", "Back", id="references-thanks-close"),
    ]

    def __init__(self, caller: str) -> None:
        super().__init__()
        self.caller = caller
        self.owed: list[refs.Thanks] = []

    def compose(self) -> ComposeResult:
        with Vertical(id="thanks-dialog"):
            yield Static("Thank-yous owed, oldest first", id="thanks-title", markup=False)
            yield DataTable(id="thanks-table", cursor_type="row", zebra_stripes=True)
            yield Static("", id="thanks-gift", markup=False)
        yield KeyBar(id="thanks-keys")

    def on_mount(self) -> None:
        table = self.query_one("#thanks-table", DataTable)
        for label, key in (("Owed since", "since"), ("Customer", "name"), ("Kind", "kind"), ("For", "for"),
                           ("Gift", "gift")):
            table.add_column(label, key=key)
        table.focus()
        self.load()

    @work(thread=True, exclusive=True, exit_on_error=False, group="thanks-load")
    def load(self) -> list[refs.Thanks]:
        return refs.thanks_owed()

    @work(thread=True, exclusive=True, exit_on_error=False, group="thanks-sent")
    def mark(self, thank_id: int) -> refs.Thanks:
        return refs.mark_thanked(thank_id, self.caller, logged_by=self.caller)[0]

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        worker = event.worker
        if event.state == WorkerState.ERROR:
            self.notify(shown(ReferencesScreen._message(worker.error)), severity="error", markup=False)
        elif event.state == WorkerState.SUCCESS and worker.group == "thanks-load":
            self.show(worker.result)
        elif event.state == WorkerState.SUCCESS and worker.group == "thanks-sent":
            self.notify(shown(f"Thank-you to {worker.result.name} marked sent"), title="Thank-yous", markup=False)
            self.load()

    def show(self, owed: list[refs.Thanks]) -> None:
        self.owed = owed
        table = self.query_one("#thanks-table", DataTable)
        table.clear()
        for t in owed:
            table.add_row(Text(_date(t.owed_since)), Text(shown(t.name), no_wrap=True, overflow="ellipsis"),
                          Text(t.ref_type), Text(shown(t.prospect or "-"), no_wrap=True, overflow="ellipsis"),
                          Text("restricted" if t.gift_restriction else "", style="bold yellow"),
                          key=str(t.id))
        self.show_gift()

    @on(DataTable.RowHighlighted, "#thanks-table")
    def show_gift(self) -> None:
        panel = self.query_one("#thanks-gift", Static)
        current = self.current()
        if current is None:
            panel.update("No thank-yous owed.")
        elif current.gift_restriction:
            panel.update(assemble(("Gift restriction: ", "bold yellow"), current.gift_restriction))
        else:
            panel.update(shown(f"Asked by {current.requested_by}; no gift restriction."))

    def current(self) -> refs.Thanks | None:
        row = self.query_one("#thanks-table", DataTable).cursor_row
        return self.owed[row] if 0 <= row < len(self.owed) else None

    def action_sent(self) -> None:
        current = self.current()
        if current is not None:
            self.mark(current.id)

    def action_close(self) -> None:
        self.dismiss(None)


def references_screen(filters: dict[str, str | None] | None = None):
    """For `CallersApp(first=...)`: the references screen for a caller."""
    return lambda caller: ReferencesScreen(caller, filters)

