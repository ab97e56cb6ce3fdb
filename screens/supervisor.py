"""The supervisor's live dashboard: departments, coverage of the cycle (and
what it needs), calls, freshness, what the calls found, and what the function
earns.

The figures come from `callers.report.build` in a thread worker. One
refresh runs at a time: when it finishes, the screen re-arms its own timer for
the next one, so a slow database never stacks queries up. A period key
pressed while a refresh runs asks that refresh to stop at its next query and
fetches the new period at once beside it (never more than two at a time);
keys never wait for the database.

Longer than 500 lines because it is one board with six tabs sharing one
refresh pipeline; each tab's rendering is a small function here.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from functools import partial

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import DataTable, Header, ListItem, ListView, Sparkline, Static, TabbedContent, TabPane
from textual.worker import Worker, WorkerState
from rich.text import Text

from callers import cycle, report, value
from callers.report import DASH, Report, days, mmss, num, pct
from screens.widgets.formatting import shown
from screens.commands import ScreenActions
from screens.widgets.key_bar import KeyBar

REFRESH_SECONDS = 5.0
WIDE = 118  # from this width on, departments show more columns
TALL = 36  # from this height on (and WIDE), coverage and calls also show under the departments
ZONES_SHOWN = 2  # zones under "what the cycle needs" (the text report lists five)
TABS = ("departments", "coverage", "calls", "freshness", "found", "value")


def bar(share: float | None, width: int = 20) -> str:
    if share is None:
        return "░" * width
    filled = int(round(max(0.0, min(1.0, share)) * width))
    return "█" * filled + "░" * (width - filled)


def right(text: str) -> Text:
    return Text(text, justify="right")


def count(value: int) -> str:
    """A count in at most five characters: 9,999, then 26.9k, 127k, 1.2M."""
    if value < 10_000:
        return f"{value:,}"
    size, unit = (1_000_000, "M") if value >= 1_000_000 else (1_000, "k")
    scaled = value / size
    return f"{scaled:.1f}{unit}" if scaled < 100 else f"{scaled:.0f}{unit}"


# (heading, width) of the department columns; every cell starts with a space.
COLUMNS = (("Fwd", 6), ("/100", 6), ("Open", 6), ("Oldest", 8), ("Median", 8), ("Ret", 6),
           ("Fixed", 6))  # Fixed: confirmed fixed by the customer, of the "was it fixed?" answers
WIDE_COLUMNS = (("Done", 7), ("Open then", 10), ("Median then", 13))


def department_line(d: report.DepartmentFigures, wide: bool) -> Content:
    name_width = 26 if wide else 18
    name = shown(d.name)
    name = name if len(name) <= name_width - 2 else name[:name_width - 3] + "…"
    cells = [count(d.forwarded), num(d.per_100_calls), count(d.open), days(d.oldest_open_days),
             days(d.median_days_to_done), count(d.returned), pct(d.confirmed_fixed_rate)]
    styles = ["", "", "bold" if d.open > d.open_at_start else "", "",
              "bold" if d.growing and d.open <= d.open_at_start else "", "", ""]
    columns = list(COLUMNS)
    if wide:
        cells += [count(d.done), count(d.open_at_start), days(d.previous_median_days_to_done)]
        styles += ["", "", ""]
        columns += WIDE_COLUMNS
    mark = {"growing": "▲ ", "shrinking": "▼ "}.get(d.direction or "", "  ")
    parts: list = [(mark, "bold"), (f"{name:<{name_width - 2}}", "bold" if d.growing else "")]
    parts += [(" " + cell.rjust(width - 1), style) for cell, style, (_h, width) in zip(cells, styles, columns)]
    return Content.assemble(*parts)


def department_heading(wide: bool) -> str:
    name_width = 26 if wide else 18
    columns = COLUMNS + (WIDE_COLUMNS if wide else ())
    return (f"  {'Department':<{name_width - 2}}" + "".join(f"{h:>{w}}" for h, w in columns)
            + "  12 weeks")


class DepartmentItem(ListItem):
    """One department: its figures on a line and its 12-week trend."""

    def __init__(self, figures: report.DepartmentFigures, wide: bool) -> None:
        super().__init__(classes="department")
        self.set_class(wide, "-wide")
        self.figures = figures
        self.wide = wide

    def compose(self) -> ComposeResult:
        with Horizontal(classes="department-row"):
            yield Static(department_line(self.figures, self.wide), classes="department-line", markup=False)
            yield Sparkline(self.figures.trend, classes="department-trend")

    def on_mount(self) -> None:
        self.set_class(self.figures.growing, "-growing")

    def show(self, figures: report.DepartmentFigures, wide: bool) -> None:
        self.figures, self.wide = figures, wide
        self.set_class(wide, "-wide")
        self.query_one(".department-line", Static).update(department_line(figures, wide))
        self.query_one(Sparkline).data = figures.trend
        self.set_class(figures.growing, "-growing")


def coverage_text(r: Report) -> Content:
    c = r.coverage
    callable_customers = c.customers - c.do_not_call
    reached = report._share(c.reached_in_cycle, callable_customers)
    rows = [
        ("Customers", c.customers, None),
        ("Reached within the cycle", c.reached_in_cycle, reached),
        ("Overdue", c.overdue, report._share(c.overdue, callable_customers)),
        ("Never reached", c.never_reached, report._share(c.never_reached, callable_customers)),
        ("Unreachable this cycle", c.unreachable, None),
        ("Needs a number", c.needs_number, None),
        ("Do not call", c.do_not_call, None),
    ]
    parts: list = [(f"Coverage of the {c.cycle_days}-day cycle, now\n", "bold")]
    for label, value, share in rows:
        parts.append(f"  {label:<26}{value:>9,}")
        if share is not None:
            parts.append(f"  {pct(share):>4}  {bar(share)}")
        parts.append("\n")
    parts.append("\n")
    if c.days_to_reach_everyone is None:
        parts.append(f"No completed calls in the period: no pace yet (promise: {c.cycle_days} days).")
    else:
        late = c.days_to_reach_everyone > c.cycle_days
        parts += [
            f"At the current pace ({num(c.completed_per_day)} completed a day) everyone is reached in ",
            (f"{num(c.days_to_reach_everyone)} days", "bold red" if late else "bold green"),
            f"; promise: {c.cycle_days} days.",
        ]
    return Content.assemble(*parts)


def cycle_text(r: Report) -> Content:
    """What the cycle needs, under the coverage: from the last four weeks' calls."""
    n = r.cycle
    if n is None:
        return Content("")
    parts: list = [(f"What the cycle needs (last {n.window_days} days: {n.attempts:,} attempts, "
                    f"{n.completed:,} completed)\n", "bold")]
    if not n.enough_calls:
        parts.append(f"  {cycle.NOT_ENOUGH}: fewer than {cycle.MIN_COMPLETED} completed calls.")
        return Content.assemble(*parts)
    late = n.cycle_ends_on is not None and (n.cycle_ends_on - r.generated_at.date()).days > n.cycle_days
    short = (n.caller_hours_per_week_now or 0) < (n.caller_hours_per_week_needed or 0)
    parts += [
        "  Cycle ends on ", (f"{n.cycle_ends_on:%Y-%m-%d}", "bold red" if late else "bold green"),
        f" at this pace ({n.to_reach:,} to reach, {num(n.completed_per_day)} a day)\n",
        "  Caller-hours a week needed ", (f"{n.caller_hours_per_week_needed:,.1f}", "bold red" if short else "bold"),
        f" (spent now {n.caller_hours_per_week_now:,.1f})\n",
        f"  {n.attempts_per_reach:g} attempts per reach · answered {pct(n.answer_rate)}"
        f" · {cycle.hhmm(n.handled_seconds_per_attempt)} an attempt",
    ]
    for z in n.zones[:ZONES_SHOWN]:  # the busiest zones; the report lists more
        window = DASH if z.window_hours_per_week is None else f"{z.window_hours_per_week:g} h/week"
        per_reach = DASH if z.attempts_per_reach is None else f"{z.attempts_per_reach:g}"
        parts.append(f"\n  {shown(z.label)[:24]:<25}{window:>11} · answered {pct(z.answer_rate):>4}"
                     f" · {per_reach} per reach")
    return Content.assemble(*parts)


def value_text(r: Report) -> Content:
    v = r.value
    if v is None:
        return Content("")
    parts: list = [("What the function earns", "bold"), f" · this quarter: since {v.quarter_since:%Y-%m-%d}\n"]
    rec = v.reconciliation
    if rec is None:
        parts.append("  Billing: never reconciled (callers reconcile BILLING.csv)\n")
    else:
        parts.append(f"  Billing, reconciled {rec.ran_at:%Y-%m-%d %H:%M} by {shown(rec.ran_by)[:20]}"
                     f" ({shown(rec.source)[:24]})\n")
        unbilled = ("no amount column" if rec.unbilled_amount is None else
                    f"{value.money(rec.unbilled_amount)} billed before they cancelled"
                    f" ({rec.unbilled_with_amount:,})" if rec.unbilled_with_amount else "none billed before")
        unknown = ("no amount column" if rec.unknown_amount is None else
                   f"{value.money(rec.unknown_amount)} billed, nobody calls them")
        parts += [f"    Unbilled customers {rec.unbilled:>9,}  ", (unbilled, "bold"), "\n",
                  f"    Unknown accounts   {rec.unknown:>9,}  ", unknown, "\n"]
    rows = [
        ("Services leads", v.services_leads, "stalled or not started, now"),
        ("Beta candidates", v.beta_candidates, "live and referenceable, now"),
        ("References delivered", v.references_delivered, "this quarter"),
        ("Thank-yous sent", v.thank_yous_sent, f"this quarter · {v.thank_yous_owed:,} owed now"),
        ("Facts confirmed", v.facts_confirmed_total, "this quarter:"),
    ]
    for label, n, note in rows:
        parts.append(f"  {label:<21}{n:>9,}  {note}\n")
    parts.append("    " + " · ".join(f"{fact} {n:,}" for fact, n in v.facts_confirmed.items()))
    return Content.assemble(*parts)


def calls_text(r: Report, narrow: bool = False) -> Content:
    k = r.calls
    other = k.count - k.completed - k.not_reached
    median_style = "bold red" if k.median_seconds is not None and k.median_seconds > k.target_seconds else "bold"
    gap = "\n  " if narrow else "   "
    return Content.assemble(
        (f"Calls, {r.period.label or 'the period'}\n", "bold"),
        f"  Calls {k.count:,}{gap}Completed {k.completed:,}{gap}Not reached {k.not_reached:,}{gap}Other {other:,}\n",
        "  Median length ", (mmss(k.median_seconds), median_style), f" (target {mmss(k.target_seconds)})",
        f"{gap}Over {mmss(k.target_seconds)}: {pct(k.over_target_share)}{gap}Over 5:00: {pct(k.over_5_minutes_share)}",
    )


def freshness_text(r: Report) -> Content:
    f = r.freshness
    parts: list = [(f"Confirmed within the cycle, of {f.customers:,} customers we call\n", "bold")]
    for fact in report.FACTS:
        item = getattr(f, fact)
        parts.append(f"  {fact.capitalize():<18}{pct(item.share):>5}  {bar(item.share)}  {item.fresh:,}\n")
    d = f.decay
    measured = DASH if d.per_month is None else f"{d.per_month * 100:.1f}% a month"
    high = d.per_month is not None and d.per_month > d.rule_of_thumb
    parts += [
        "\nMeasured decay: ", (measured, "bold red" if high else "bold"),
        f" ({d.gone:,} gone, {d.wrong_number:,} wrong numbers among {d.contacts:,} contacts, "
        f"{r.period.label or 'the period'})\n",
        f"Rule of thumb:  {d.rule_of_thumb * 100:.0f}% a month",
    ]
    return Content.assemble(*parts)


def found_text(r: Report) -> Content:
    states = " · ".join(f"{state.replace('_', ' ')} {n:,}" for state, n in r.implementation.items())
    kinds = " · ".join(f"{kind.replace('_', ' ')} {r.references[kind]:,}" for kind in report.REFERENCE_KINDS)
    return Content.assemble(
        ("Implementation  ", "bold"), states, "\n",
        ("Referenceable   ", "bold"), f"{r.references['referenceable']:,} customers: ", kinds, "\n",
        ("Features in production ", "bold"), f"among {r.live_customers:,} live customers:",
    )


class SupervisorScreen(Screen):
    """The supervisor's figures, refreshed every few seconds."""

    COMMANDS = {ScreenActions}  # ctrl+p: this screen's actions with their keys

    BINDINGS = [
        Binding("t", "period('today')", "Today", id="supervisor-today"),
        Binding("7", "period('7')", "7 days", id="supervisor-7"),
        Binding("3", "period('30')", "30 days", id="supervisor-30"),
        Binding("9", "period('90')", "90 days", id="supervisor-90"),
        Binding("o", "open_queue", "Open forwards", id="supervisor-open"),
        Binding("n", "returned", "Not ours", id="supervisor-returned"),
        Binding("r", "refresh", "Refresh", id="supervisor-refresh"),
        Binding("d", "tab('departments')", "Departments", id="supervisor-tab-departments", show=False),
        Binding("c", "tab('coverage')", "Coverage", id="supervisor-tab-coverage", show=False),
        Binding("l", "tab('calls')", "Calls", id="supervisor-tab-calls", show=False),
        Binding("f", "tab('freshness')", "Freshness", id="supervisor-tab-freshness", show=False),
        Binding("w", "tab('found')", "What calls found", id="supervisor-tab-found", show=False),
        Binding("v", "tab('value')", "What the function earns", id="supervisor-tab-value", show=False),
        Binding("right", "next_tab(1)", "Next panel", id="supervisor-next-tab", show=False),
        Binding("left", "next_tab(-1)", "Previous panel", id="supervisor-previous-tab", show=False),
    ]

    def __init__(self, user: str, period: str = "30", refresh_seconds: float = REFRESH_SECONDS,
                 parallel: bool = False) -> None:
        super().__init__()
        # One query at a time by default: the keys stay quick while a refresh runs.
        self.parallel = parallel
        self.user = user
        self.period_key = period if period in report.PERIOD_KEYS else "30"
        self.refresh_seconds = refresh_seconds
        self.report: Report | None = None
        self.error: str | None = None
        self._fetches: dict[object, str] = {}  # fetch workers -> their period key
        self.refreshes = 0  # finished refreshes (for tests and the benchmark)
        self.shown_period: str | None = None  # the period of the figures on screen
        self._timer: Timer | None = None
        self._wide: bool | None = None

    # ---- layout ------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="supervisor-period", markup=False)
        yield Static("", id="supervisor-summary", markup=False)
        with TabbedContent(id="supervisor-tabs", initial="departments"):
            with TabPane("Departments (d)", id="departments"):
                yield Static(department_heading(False), id="departments-heading", markup=False)
                yield ListView(id="departments-list")
                yield Static("▲/▼ open or median to done up/down by 3 (1 day) and 25% · Enter: its forwards",
                             id="departments-legend", markup=False)
                with Horizontal(id="overview"):
                    yield Static("", id="overview-coverage", markup=False)
                    yield Static("", id="overview-calls", markup=False)
            with TabPane("Coverage (c)", id="coverage"):
                with VerticalScroll():
                    yield Static("", id="coverage-text", markup=False)
                    yield Static("", id="cycle-text", markup=False)
            with TabPane("Calls (l)", id="calls"):
                yield Static("", id="calls-text", markup=False)
                yield DataTable(id="callers-table", cursor_type="row", zebra_stripes=True)
            with TabPane("Freshness (f)", id="freshness"):
                with VerticalScroll():
                    yield Static("", id="freshness-text", markup=False)
            with TabPane("Found (w)", id="found"):
                yield Static("", id="found-text", markup=False)
                yield DataTable(id="features-table", cursor_type="row", zebra_stripes=True)
            with TabPane("Value (v)", id="value"):
                with VerticalScroll():
                    yield Static("", id="value-text", markup=False)
        yield KeyBar(id="supervisor-keys")

    def on_mount(self) -> None:
        self.title = "Supervisor"
        callers = self.query_one("#callers-table", DataTable)
        callers.add_columns("Caller", "Calls", "Completed", "Not reached", "Median", "Over 3:00", "Over 5:00")
        features = self.query_one("#features-table", DataTable)
        features.add_columns("Feature", "Live customers", "Share")
        # The reports run on threads of the board's own, which keep their
        # database connections (and their warm caches) from one refresh to
        # the next.
        self._reader = ThreadPoolExecutor(max_workers=self.MAX_FETCHES, thread_name_prefix="board-report")
        self._closing = False
        self.focus_panel()
        self.show_period_bar()
        self.load()

    def on_unmount(self) -> None:
        self._closing = True  # a report still running stops before its next section
        self._reader.shutdown(wait=False, cancel_futures=True)

    def on_resize(self) -> None:
        self.set_class(self.size.width >= WIDE and self.size.height >= TALL, "-roomy")
        wide = self.size.width >= WIDE
        if wide != self._wide:
            self._wide = wide
            self.query_one("#departments-heading", Static).update(department_heading(wide))
            if self.report is not None:
                self.show_departments()

    def on_screen_resume(self) -> None:
        self.focus_panel()
        if self.report is not None:  # back from a queue: fresh figures now
            self.load()

    FOCUS = {"departments": "#departments-list", "coverage": "#coverage VerticalScroll",
             "calls": "#callers-table", "freshness": "#freshness VerticalScroll", "found": "#features-table",
             "value": "#value VerticalScroll"}

    def focus_panel(self) -> None:
        """Keys go to the active panel (up/down move in it, PageDown scrolls it)."""
        active = self.query_one(TabbedContent).active or "departments"
        self.query_one(self.FOCUS[active]).focus()

    @on(TabbedContent.TabActivated)
    def tab_changed(self) -> None:
        self.focus_panel()

    # ---- loading: one refresh at a time, re-armed when it finishes ---------------

    MAX_FETCHES = 2  # the current period's, and one for a period left that stops at its next query

    @property
    def loading(self) -> bool:
        """A refresh is running."""
        return bool(self._fetches)

    def load(self) -> None:
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        if self.period_key in self._fetches.values() or len(self._fetches) >= self.MAX_FETCHES:
            return  # already fetching it, or it starts when one of those finishes (see loaded)
        key = self.period_key
        self._fetches[self.fetch(key)] = key

    @work(exit_on_error=False, group="supervisor-load", name="supervisor-load")
    async def fetch(self, key: str) -> tuple[str, Report]:
        period = report.period_for(key)
        job = partial(report.build, period, cancelled=lambda: self._closing or self.period_key != key,
                      parallel=self.parallel, keep=True)
        return key, await asyncio.get_running_loop().run_in_executor(self._reader, job)

    def arm(self, delay: float) -> None:
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.set_timer(delay, self.tick, name="supervisor-refresh")

    def tick(self) -> None:
        self._timer = None
        if self.app.screen is self:  # no queries while a queue is open on top
            self.load()
        else:
            self.arm(self.refresh_seconds)

    @on(Worker.StateChanged)
    def loaded(self, event: Worker.StateChanged) -> None:
        worker = event.worker
        if worker.name != "supervisor-load" or event.state not in (
                WorkerState.SUCCESS, WorkerState.ERROR, WorkerState.CANCELLED):
            return
        self._fetches.pop(worker, None)
        if event.state == WorkerState.SUCCESS:
            key, figures = worker.result
            if key == self.period_key:
                self.error = None
                self.report = figures
                self.shown_period = key
                self.refreshes += 1
                self.show()
        elif event.state == WorkerState.ERROR and not isinstance(worker.error, report.Cancelled):
            from callers.errors import first_line

            self.error = first_line(worker.error)
            self.show_period_bar()
        if self.shown_period != self.period_key:
            self.load()  # the period changed while that refresh ran: the new one at once
        elif not self._fetches:
            self.arm(self.refresh_seconds)

    # ---- actions ---------------------------------------------------------------------

    def action_period(self, key: str) -> None:
        if key == self.period_key and self.shown_period == key:
            return
        self.period_key = key
        self.show_period_bar()
        self.load()

    def action_refresh(self) -> None:
        self.load()

    def action_tab(self, tab: str) -> None:
        self.query_one(TabbedContent).active = tab

    def action_next_tab(self, step: int) -> None:
        tabs = self.query_one(TabbedContent)
        index = TABS.index(tabs.active) if tabs.active in TABS else 0
        tabs.active = TABS[(index + step) % len(TABS)]

    def action_open_queue(self) -> None:
        listing = self.query_one("#departments-list", ListView)
        item = listing.highlighted_child
        if not isinstance(item, DepartmentItem):
            self.notify("No department selected", severity="warning", timeout=3, markup=False)
            return
        self.open_queue(item.figures.name)

    @on(ListView.Selected, "#departments-list")
    def selected(self, event: ListView.Selected) -> None:
        if isinstance(event.item, DepartmentItem):
            self.open_queue(event.item.figures.name)

    def action_returned(self) -> None:
        """Forwards returned as not ours, to send on to another department."""
        from screens.returned import ReturnedScreen

        self.app.push_screen(ReturnedScreen(self.user))

    def open_queue(self, department: str) -> None:
        try:
            queue_screen = drill_screen()
        except ImportError:
            self.notify("The department queue is not available in this version", severity="error", markup=False)
            return
        self.app.push_screen(queue_screen(department=department, user=self.user))

    # ---- rendering -------------------------------------------------------------------

    def show_period_bar(self) -> None:
        period = report.period_for(self.period_key)
        parts: list = [(period.label.capitalize(), "bold"),
                       f"  {period.since:%Y-%m-%d %H:%M} → {period.until:%Y-%m-%d %H:%M} UTC"]
        if self.error:
            parts += ["  ", (f"⚠ cannot load: {self.error}; retrying", "bold red")]
        elif self.shown_period != self.period_key or self.loading and self.report is None:
            parts.append(("  loading…", "italic"))
        elif self.report is not None:
            parts.append((f"  updated {self.report.generated_at:%H:%M:%S}", "dim"))
        self.query_one("#supervisor-period", Static).update(Content.assemble(*parts))

    def show(self) -> None:
        r = self.report
        if r is None:
            return
        self.show_period_bar()
        c, k = r.coverage, r.calls
        open_total = sum(d.open for d in r.departments)
        reached = report._share(c.reached_in_cycle, c.customers - c.do_not_call)
        late = c.days_to_reach_everyone is not None and c.days_to_reach_everyone > c.cycle_days
        self.query_one("#supervisor-summary", Static).update(Content.assemble(
            f"Reached {pct(reached)} · all in ",
            (f"{num(c.days_to_reach_everyone)} d", "bold red" if late else "bold"),
            f" (promise {c.cycle_days}) · {k.count:,} calls · median {mmss(k.median_seconds)}"
            f" · {open_total:,} open",
        ))
        self.show_departments()
        self.query_one("#coverage-text", Static).update(coverage_text(r))
        self.query_one("#calls-text", Static).update(calls_text(r))
        self.query_one("#overview-coverage", Static).update(coverage_text(r))
        self.query_one("#overview-calls", Static).update(calls_text(r, narrow=True))
        self.query_one("#freshness-text", Static).update(freshness_text(r))
        self.query_one("#found-text", Static).update(found_text(r))
        self.query_one("#cycle-text", Static).update(cycle_text(r))
        self.query_one("#value-text", Static).update(value_text(r))
        callers = self.query_one("#callers-table", DataTable)
        callers.clear()
        for p in r.callers:
            callers.add_row(Text(shown(p.name)), *(right(v) for v in (
                f"{p.count:,}", f"{p.completed:,}", f"{p.not_reached:,}", mmss(p.median_seconds),
                pct(p.over_target_share), pct(p.over_5_minutes_share))))
        if not r.callers:
            callers.add_row(Text("no calls in the period", style="dim"), DASH, DASH, DASH, DASH, DASH, DASH)
        features = self.query_one("#features-table", DataTable)
        features.clear()
        for f in r.features:
            features.add_row(Text(shown(f.name)), right(f"{f.customers:,}"), right(pct(f.share)))
        if not r.features:
            features.add_row(Text("no features", style="dim"), DASH, DASH)

    def show_departments(self) -> None:
        r = self.report
        listing = self.query_one("#departments-list", ListView)
        wide = self.size.width >= WIDE
        items = [child for child in listing.children if isinstance(child, DepartmentItem)]
        if [i.figures.name for i in items] == [d.name for d in r.departments]:
            for item, figures in zip(items, r.departments):
                item.show(figures, wide)
            return
        keep = listing.highlighted_child.figures.name if isinstance(listing.highlighted_child, DepartmentItem) \
            else None
        index = next((i for i, d in enumerate(r.departments) if d.name == keep), 0)
        listing.clear()
        listing.extend(DepartmentItem(d, wide) for d in r.departments)
        if r.departments:
            self.call_after_refresh(setattr, listing, "index", index)


def drill_screen() -> type[Screen]:
    """The department queue, opened over the dashboard with Esc to come back."""
    from screens.queue import QueueScreen

    class DrilledQueue(QueueScreen):
        BINDINGS = [Binding("escape", "back", "Back", id="supervisor-queue-back")]

        def action_back(self) -> None:
            if self.check_action("close_filter", ()):  # Esc closes the queue's filter first
                self.run_action("close_filter")
            else:
                self.app.pop_screen()

    return DrilledQueue
