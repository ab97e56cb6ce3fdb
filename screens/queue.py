"""A department's queue of forwarded problems (`callers queue DEPARTMENT`).

Oldest open first. `a` acknowledge, `d` done (asks for a one-line resolution),
`r` not ours (asks for the reason; back to the supervisor), `/` filter,
`t` show or hide finished ones, `m` (account management) one account
manager's forwards. The list refreshes itself every few seconds: a thread
worker loads, then re-arms a single timer, so a slow database never stacks
loads behind each other.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen, Screen
from textual.timer import Timer
from textual.widgets import DataTable, Header, Input, OptionList, Static
from textual.widgets.option_list import Option
from textual.worker import Worker, WorkerState

from callers import clock, departments, forwards
from callers.errors import CallersError
from callers.forwards import QueueItem
from screens.widgets.formatting import assemble, shown
from screens.commands import ScreenActions
from screens.widgets.key_bar import KeyBar

POLL_SECONDS = 5.0
STATUS_SHORT = {"open": "open", "acknowledged": "ack", "done": "done", "returned": "not ours"}  # the queue's narrow column
# Fixed column widths; the note takes what is left of the terminal.
WIDTHS = {"age": 4, "customer": 12, "contact": 9, "number": 16, "caller": 6, "status": 8}
NOTE_MIN = 8


def short(text: str | None, width: int) -> Text:
    """Customer data as plain text, cut to a column with an ellipsis."""
    text = shown(text or "")
    if len(text) > width:
        text = text[: max(0, width - 1)] + "…"
    return Text(text, no_wrap=True, overflow="ellipsis")


def when(value: datetime | None) -> str:
    return value.astimezone().strftime("%d %b %H:%M") if value else ""


def detail(item: QueueItem | None) -> Content:
    """Everything about the selected forward, literally."""
    if item is None:
        return Content("Nothing here.")
    head = f"#{item.id} {item.customer}" + (f" ({item.external_id})" if item.external_id else "")
    parts: list = [(head, "bold")]
    if item.contact:
        parts += ["  ", item.contact]
    if item.phone:
        parts += ["  ", (item.phone, "bold")]
    if item.assignee:
        parts += ["  → ", item.assignee]
    parts += ["\n", ("Note: ", "dim"), item.note or "(none)"]
    history = f"Filed by {item.caller} {when(item.created_at)}"
    if item.acknowledged_at:
        history += f" · acknowledged by {item.acknowledged_by} {when(item.acknowledged_at)}"
    parts += ["\n", (history, "dim")]
    if item.status in forwards.FINISHED:
        label = "Done" if item.status == "done" else "Not ours"
        parts += ["\n", (f"{label} by {item.resolved_by} {when(item.resolved_at)}: ", "bold"),
                  item.resolution or ""]
    return assemble(*parts)


class LineQuestion(ModalScreen[str | None]):
    """A one-line answer that may not stay empty; Esc cancels."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="line-cancel")]

    def __init__(self, title: str, value: str = "", placeholder: str = "") -> None:
        super().__init__()
        self.title_text = title
        self.value = value
        self.placeholder = placeholder

    def compose(self) -> ComposeResult:
        with Vertical(id="line-question") as box:
            box.border_title = Content(self.title_text)  # a customer's name is data, not markup
            yield Input(value=self.value, placeholder=self.placeholder, id="line-input", max_length=2000,
                        select_on_focus=False)
            yield Static("Enter saves · Esc cancels", id="line-help", markup=False)

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if not event.value.strip():
            self.query_one("#line-help", Static).update("A line of text is needed · Esc cancels")
            return
        self.dismiss(event.value)

    def action_cancel(self) -> None:
        self.dismiss(None)


class AssigneePicker(ModalScreen[str | None]):
    """Pick one account manager ("" = everyone); Esc cancels."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="assignee-cancel")]

    def __init__(self, names: list[str], current: str | None) -> None:
        super().__init__()
        self.names = names
        self.current = current

    def compose(self) -> ComposeResult:
        options = [Option("Everyone", id="")] + [Option(Text(shown(n)), id=n) for n in self.names]
        with Vertical(id="assignee-picker") as box:
            box.border_title = "Account manager"
            yield OptionList(*options, id="assignee-list")

    def on_mount(self) -> None:
        picker = self.query_one(OptionList)
        choices = [""] + self.names
        if self.current in choices:
            picker.highlighted = choices.index(self.current)
        picker.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(event.option.id or "")

    def action_cancel(self) -> None:
        self.dismiss(None)


class QueueScreen(Screen):
    """One department's forwards, for the people who work them."""

    COMMANDS = {ScreenActions}  # ctrl+p: this screen's actions with their keys

    BINDINGS = [
        Binding("a", "acknowledge", "Acknowledge", id="queue-acknowledge"),
        Binding("d", "done", "Done", id="queue-done"),
        Binding("r", "return", "Not ours", id="queue-return"),
        Binding("slash", "filter", "Filter", id="queue-filter", key_display="/"),
        Binding("t", "toggle_done", "Show done", id="queue-toggle-done"),
        Binding("m", "assignee", "Manager", id="queue-assignee"),
        Binding("escape", "close_filter", "Close filter", id="queue-close-filter", show=False),
    ]

    def __init__(self, department: str, user: str, assignee: str | None = None) -> None:
        super().__init__()
        self.department = department
        self.department_name = department  # as the database spells it, once loaded
        self.user = user
        self.assignee = assignee or None
        self.show_done = False
        self.filter_text = ""
        self.items: list[QueueItem] = []
        self.kind: str | None = None
        self.error: str | None = None
        self._poll: Timer | None = None
        self._shown: list[tuple] = []  # the rows on screen, to skip redrawing the same
        self._note_width = 0
        self._kept: dict[tuple[str, int], str] = {}  # unsaved notes, for a retry

    # ---- layout ------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="queue"):
            yield Static("", id="queue-title", markup=False)
            yield Input(placeholder="filter: customer, note, contact…", id="queue-filter-input")
            yield DataTable(id="queue-table", cursor_type="row", zebra_stripes=True)
            yield Static("", id="queue-detail", markup=False)
        yield KeyBar(id="queue-keys")

    def on_mount(self) -> None:
        self.query_one("#queue-filter-input").display = False
        self.title = f"Queue: {self.department}"
        self.query_one(DataTable).focus()
        self.reload()

    def on_resize(self) -> None:
        if self.query_one(DataTable).columns:
            self.render_items()

    # ---- loading, and polling that cannot pile up --------------------------------------

    def reload(self) -> None:
        self.load(self.department, self.assignee, self.show_done, self.filter_text)

    @work(thread=True, exclusive=True, exit_on_error=False, group="queue-load", name="queue-load")
    def load(self, department: str, assignee: str | None, show_done: bool,
             text: str) -> tuple[str, list[QueueItem]]:
        info = departments.department(department)
        return info, forwards.queue(department, assignee=assignee, include_done=show_done, text=text)

    def arm_poll(self) -> None:
        if self._poll is not None:
            self._poll.stop()
        self._poll = self.set_timer(POLL_SECONDS, self.poll, name="queue-poll")

    def poll(self) -> None:
        self._poll = None
        self.reload()

    @on(Worker.StateChanged)
    def worker_done(self, event: Worker.StateChanged) -> None:
        worker = event.worker
        if worker.name == "queue-load":
            if event.state == WorkerState.SUCCESS:
                self.error = None
                info, self.items = worker.result
                self.department_name = info.name
                self.title = f"Queue: {info.name}"
                if info.kind != self.kind:
                    self.kind = info.kind
                    self.refresh_bindings()
                self.render_items()
            elif event.state == WorkerState.ERROR:
                self.error = _message(worker.error)
                self.render_title()
            if event.state in (WorkerState.SUCCESS, WorkerState.ERROR):
                self.arm_poll()
        elif worker.name == "queue-act" and event.state == WorkerState.SUCCESS:
            error, action, forward_id, text, message = worker.result
            if error is None:
                self._kept.pop((action, forward_id), None)
                self.notify(shown(message), timeout=3, markup=False)
            else:
                if text:
                    self._kept[(action, forward_id)] = text  # offered again on the next try
                self.notify(shown(f"Not saved: {error}"), severity="error", timeout=8, markup=False)
            self.reload()

    # ---- rendering -------------------------------------------------------------------

    def selected(self) -> QueueItem | None:
        table = self.query_one(DataTable)
        if not self.items or table.row_count == 0:
            return None
        row = min(max(table.cursor_row, 0), len(self.items) - 1)
        return self.items[row]

    def render_title(self) -> None:
        pending = sum(1 for i in self.items if i.pending)
        parts = [self.department_name, f"{pending} open"]
        if self.assignee:
            parts.append(f"for {self.assignee}")
        if self.filter_text:
            parts.append(f"filter “{self.filter_text}”")
        parts.append("done shown" if self.show_done else "done hidden (t)")
        text = " · ".join(parts)
        if self.error:
            text += f"  ⚠ cannot load: {self.error}"
        self.query_one("#queue-title", Static).update(shown(text))

    def render_items(self) -> None:
        """Show self.items; keep the cursor on the same forward. Nothing is
        redrawn when a poll brings back what is already shown."""
        table = self.query_one(DataTable)
        keep = None
        if self._shown and table.row_count:
            keep = self._shown[min(max(table.cursor_row, 0), len(self._shown) - 1)][0]
        fixed = sum(WIDTHS.values()) + 2 * (len(WIDTHS) + 1) + 2  # padding and the scrollbar
        note_width = max(NOTE_MIN, (table.size.width or 80) - fixed)
        at = clock.now()
        rows = []
        for item in self.items:
            end = at if item.pending or item.resolved_at is None else item.resolved_at
            age = forwards.age_text(max(end - item.created_at, timedelta(0)))
            rows.append((item.id, age, item.customer, item.contact, item.phone, item.note, item.caller,
                         item.status, item.pending))
        if rows != self._shown or note_width != self._note_width or not table.columns:
            table.clear(columns=True)
            table.add_column("Age", width=WIDTHS["age"], key="age")
            table.add_column("Customer", width=WIDTHS["customer"], key="customer")
            table.add_column("Contact", width=WIDTHS["contact"], key="contact")
            table.add_column("Number", width=WIDTHS["number"], key="number")
            table.add_column("Note", width=note_width, key="note")
            table.add_column("Caller", width=WIDTHS["caller"], key="caller")
            table.add_column("Status", width=WIDTHS["status"], key="status")
            for forward_id, age, customer, contact, phone, note, caller, status, pending in rows:
                style = "" if pending else "dim"
                table.add_row(
                    Text(age, style=style),
                    short(customer, WIDTHS["customer"]),
                    short(contact, WIDTHS["contact"]),
                    short(phone, WIDTHS["number"]),
                    short(note, note_width),
                    short(caller, WIDTHS["caller"]),
                    Text(STATUS_SHORT.get(status, status), style=style),
                    key=str(forward_id),
                )
            self._shown, self._note_width = rows, note_width
            if keep is not None:
                for index, row in enumerate(rows):
                    if row[0] == keep:
                        table.move_cursor(row=index, animate=False)
                        break
        self.render_title()
        self.render_detail()

    def render_detail(self) -> None:
        self.query_one("#queue-detail", Static).update(detail(self.selected()))

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self.render_detail()

    # ---- actions -----------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "assignee":
            return self.kind == departments.ACCOUNT_MANAGER
        if action == "close_filter":
            return self.query_one("#queue-filter-input").display
        return True

    def _target(self, allowed: tuple[str, ...], verb: str) -> QueueItem | None:
        item = self.selected()
        if item is None:
            self.notify("Nothing selected", severity="warning", timeout=3, markup=False)
            return None
        if item.status not in allowed:
            self.notify(f"#{item.id} is {forwards.STATUS_LABELS[item.status]}: it cannot be {verb}",
                        severity="warning", timeout=4, markup=False)
            return None
        return item

    def action_acknowledge(self) -> None:
        item = self._target(("open",), "acknowledged")
        if item:
            self.act("ack", item.id, "", f"#{item.id} acknowledged")

    def action_done(self) -> None:
        item = self._target(forwards.PENDING, "marked done")
        if item is None:
            return

        def answered(note: str | None) -> None:
            if note is not None:
                self.act("done", item.id, note, f"#{item.id} done")

        self.app.push_screen(
            LineQuestion(f"Done: {item.customer} — resolution (one line)", self._kept.get(("done", item.id), ""),
                         placeholder="what was done, for the next caller to tell the customer"),
            answered,
        )

    def action_return(self) -> None:
        item = self._target(forwards.PENDING, "returned")
        if item is None:
            return

        def answered(reason: str | None) -> None:
            if reason is not None:
                self.act("return", item.id, reason, f"#{item.id} returned to the supervisor: not ours")

        self.app.push_screen(
            LineQuestion(f"Not ours: {item.customer} — reason", self._kept.get(("return", item.id), ""),
                         placeholder="why this is not for this department"),
            answered,
        )

    @work(thread=True, exit_on_error=False, group="queue-act", name="queue-act")
    def act(self, action: str, forward_id: int, text: str, message: str):
        """Save one change; never raises: (error or None, action, id, text, message)."""
        try:
            if action == "ack":
                forwards.acknowledge(forward_id, self.user)
            elif action == "done":
                forwards.done(forward_id, self.user, text)
            else:
                forwards.return_(forward_id, self.user, text)
        except Exception as exc:  # a failure is shown; the note is kept for a retry
            return _message(exc), action, forward_id, text, message
        return None, action, forward_id, text, message

    def action_toggle_done(self) -> None:
        self.show_done = not self.show_done
        self.reload()

    def action_filter(self) -> None:
        box = self.query_one("#queue-filter-input", Input)
        box.display = True
        box.focus()
        self.refresh_bindings()

    def action_close_filter(self) -> None:
        box = self.query_one("#queue-filter-input", Input)
        if not box.value:
            box.display = False
        self.query_one(DataTable).focus()
        self.refresh_bindings()

    @on(Input.Changed, "#queue-filter-input")
    def filter_changed(self, event: Input.Changed) -> None:
        self.filter_text = event.value.strip()
        self.reload()

    @on(Input.Submitted, "#queue-filter-input")
    def filter_submitted(self, event: Input.Submitted) -> None:
        self.action_close_filter()

    def action_assignee(self) -> None:
        self.pick_assignee()

    @work(thread=True, exclusive=True, exit_on_error=False, group="queue-assignees")
    def pick_assignee(self) -> None:
        try:
            names = forwards.assignees(self.department)
        except Exception as exc:  # shown, never raised into the UI
            self.app.call_from_thread(self.notify, _message(exc), severity="error", markup=False)
            return
        self.app.call_from_thread(self.app.push_screen, AssigneePicker(names, self.assignee), self._assignee_chosen)

    def _assignee_chosen(self, name: str | None) -> None:
        if name is None:
            return
        self.assignee = name or None
        self.reload()


def _message(exc: BaseException | None) -> str:
    if isinstance(exc, CallersError):
        return str(exc)
    from callers.errors import first_line

    return first_line(exc) if exc is not None else "unknown error"
