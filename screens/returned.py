"""Forwards returned as not ours, for the supervisor to send on (`n` on the board).

Every department's returned forwards, the one waiting longest first, with
the department that returned it and why. `s` sends the selected one on: a
short list of the other departments; the forward is open there again, with
its event trail kept. `Esc` goes back to the board. The list refreshes itself
like a queue: a thread worker loads, then re-arms a single timer.
"""

from __future__ import annotations

from datetime import timedelta

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen, Screen
from textual.timer import Timer
from textual.widgets import DataTable, Footer, Header, OptionList, Static
from textual.widgets.option_list import Option
from textual.worker import Worker, WorkerState

from callers import clock, departments, forwards
from callers.departments import DepartmentInfo
from callers.forwards import QueueItem
from screens.queue import _message, detail, short

POLL_SECONDS = 5.0
WIDTHS = {"age": 4, "customer": 14, "from": 12, "by": 8}


class DepartmentPicker(ModalScreen[str | None]):
    """Where a returned forward goes now: the other departments; Esc cancels."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="send-on-cancel")]

    def __init__(self, item: QueueItem, departments: list[DepartmentInfo]) -> None:
        super().__init__()
        self.item = item
        self.choices = [d for d in departments if d.name != item.department]

    def compose(self) -> ComposeResult:
        with Vertical(id="send-on-picker") as box:
            box.border_title = Content(f"Send #{self.item.id} on to")
            yield Static(Content(self.item.customer), id="send-on-customer")
            yield OptionList(*[Option(Text(d.name), id=d.name) for d in self.choices], id="send-on-list")
            yield Static("Enter sends · Esc cancels", id="send-on-help", markup=False)

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)


class ReturnedScreen(Screen):
    """Returned ("not ours") forwards of every department, to send on."""

    BINDINGS = [
        Binding("s", "send_on", "Send on", id="returned-send-on"),
        Binding("escape", "back", "Back", id="returned-back"),
    ]

    def __init__(self, user: str) -> None:
        super().__init__()
        self.user = user
        self.items: list[QueueItem] = []
        self.departments: list[DepartmentInfo] = []
        self.error: str | None = None
        self._poll: Timer | None = None
        self._shown: list[tuple] = []

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="returned"):
            yield Static("", id="returned-title", markup=False)
            yield DataTable(id="returned-table", cursor_type="row", zebra_stripes=True)
            yield Static("", id="returned-detail", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self.title = "Returned: not ours"
        self.query_one(DataTable).focus()
        self.load()

    def on_resize(self) -> None:
        if self.query_one(DataTable).columns:
            self._shown = []  # the reason column takes the new width
            self.render_items()

    # ---- loading ---------------------------------------------------------------------

    @work(thread=True, exclusive=True, exit_on_error=False, group="returned-load", name="returned-load")
    def load(self) -> tuple[list[QueueItem], list[DepartmentInfo]]:
        items = forwards.listing(status="returned")
        items.sort(key=lambda i: (i.resolved_at or i.created_at, i.id))
        return items, departments.departments()

    def arm_poll(self) -> None:
        if self._poll is not None:
            self._poll.stop()
        self._poll = self.set_timer(POLL_SECONDS, self.poll, name="returned-poll")

    def poll(self) -> None:
        self._poll = None
        if self.app.screen is self:
            self.load()
        else:
            self.arm_poll()

    @on(Worker.StateChanged)
    def worker_done(self, event: Worker.StateChanged) -> None:
        worker = event.worker
        if worker.name == "returned-load":
            if event.state == WorkerState.SUCCESS:
                self.error = None
                self.items, self.departments = worker.result
                self.render_items()
            elif event.state == WorkerState.ERROR:
                self.error = _message(worker.error)
                self.render_title()
            if event.state in (WorkerState.SUCCESS, WorkerState.ERROR):
                self.arm_poll()
        elif worker.name == "returned-send" and event.state == WorkerState.SUCCESS:
            error, message = worker.result
            if error is None:
                self.notify(message, timeout=4, markup=False)
            else:
                self.notify(f"Not sent: {error}", severity="error", timeout=8, markup=False)
            self.load()

    # ---- rendering -------------------------------------------------------------------

    def selected(self) -> QueueItem | None:
        table = self.query_one(DataTable)
        if not self.items or table.row_count == 0:
            return None
        return self.items[min(max(table.cursor_row, 0), len(self.items) - 1)]

    def render_title(self) -> None:
        text = f"{len(self.items)} returned as not ours · s: send on to another department"
        if self.error:
            text += f"  ⚠ cannot load: {self.error}"
        self.query_one("#returned-title", Static).update(text)

    def render_items(self) -> None:
        table = self.query_one(DataTable)
        at = clock.now()
        rows = [(i.id, forwards.age_text(max(at - (i.resolved_at or i.created_at), timedelta(0))), i.customer,
                 i.department, i.resolution, i.resolved_by) for i in self.items]
        if rows != self._shown or not table.columns:
            keep = self._shown[min(max(table.cursor_row, 0), len(self._shown) - 1)][0] if self._shown else None
            fixed = sum(WIDTHS.values()) + 2 * (len(WIDTHS) + 1) + 2
            reason_width = max(8, (table.size.width or 80) - fixed)
            table.clear(columns=True)
            table.add_column("Age", width=WIDTHS["age"], key="age")
            table.add_column("Customer", width=WIDTHS["customer"], key="customer")
            table.add_column("From", width=WIDTHS["from"], key="from")
            table.add_column("Why not theirs", width=reason_width, key="reason")
            table.add_column("By", width=WIDTHS["by"], key="by")
            for forward_id, age, customer, department, reason, by in rows:
                table.add_row(Text(age), short(customer, WIDTHS["customer"]), short(department, WIDTHS["from"]),
                              short(reason, reason_width), short(by, WIDTHS["by"]), key=str(forward_id))
            self._shown = rows
            for index, row in enumerate(rows):
                if row[0] == keep:
                    table.move_cursor(row=index, animate=False)
                    break
        self.render_title()
        self.render_detail()

    def render_detail(self) -> None:
        item = self.selected()
        self.query_one("#returned-detail", Static).update(
            detail(item) if item else Content("Nothing returned: every forward is with a department."))

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self.render_detail()

    # ---- actions -----------------------------------------------------------------------

    def action_send_on(self) -> None:
        item = self.selected()
        if item is None:
            self.notify("Nothing to send on", severity="warning", timeout=3)
            return
        if not any(d.name != item.department for d in self.departments):
            self.notify("There is no other department to send it to", severity="warning", timeout=4)
            return

        def picked(department: str | None) -> None:
            if department is not None:
                self.send(item.id, department)

        self.app.push_screen(DepartmentPicker(item, self.departments), picked)

    @work(thread=True, exit_on_error=False, group="returned-send", name="returned-send")
    def send(self, forward_id: int, department: str) -> tuple[str | None, str]:
        """Never raises: (error or None, confirmation)."""
        try:
            sent = forwards.send_on(forward_id, department, self.user)
        except Exception as exc:  # shown in a notification; the list reloads
            return _message(exc), ""
        return None, f"#{sent.id} {sent.message}"

    def action_back(self) -> None:
        self.app.pop_screen()
