"""The caller's desk: the next due customer, the fixed script, the call timer
and the outcome, with nothing ever lost.

The screen only renders and routes keys. Everything that touches the database
goes through `callers.due`, `callers.calls` and `callers.forwards`, in the
desk's one database thread (`_run`); a failure shows a clear message with a
retry, never a traceback. Answers are queued and saved one by one, in order, the moment they
are given (`_flush`); ending or skipping a call first saves whatever is still
queued, in the same worker.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Container, Vertical
from textual.screen import Screen
from textual.widgets import Header, Static
from textual.worker import Worker, WorkerState

from callers import calls, clock, due
from callers.outbox import Entry, Outbox, backoff, is_connection_error
from callers.calls import CallState, Profile
from callers.errors import CallersError
from models.db import connection, database, first_line
from screens.messages import Answered, EditContact
from screens.widgets.call_header import CallHeader
from screens.widgets.call_timer import CallTimer
from screens.commands import ScreenActions
from screens.widgets.formatting import assemble, caller_zone, shown
from screens.widgets.key_bar import KeyBar
from screens.widgets.script import ContactsList, ScriptPanel

# The modals (screens.widgets.contact_form, error, outcome, skip, withdraw) are
# imported where they are first shown: the desk starts faster without them.

# Keys the desk itself uses: a department key that clashes with one is skipped.
DESK_KEYS = {"f2", "f3", "f4", "f9", "f12", "enter", "tab", "shift+tab", "ctrl+r", "ctrl+o", "ctrl+q", "ctrl+p"}
# How often the desk looks again while nobody is due (seconds).
RECHECK_SECONDS = 60
STEP_KEYS = Binding.Group("Step")


def footer_name(name: str) -> str:
    """A department's name short enough for the key bar at 80 columns."""
    return name if len(name) <= 10 else name.split()[0][:10]


def describe_error(exc: BaseException) -> str:
    """One clear line for the person at the keyboard."""
    if isinstance(exc, CallersError):
        return first_line(exc)
    import peewee

    if is_connection_error(exc):
        return f"The database cannot be reached: {first_line(exc)}"
    if isinstance(exc, peewee.DatabaseError):
        return f"The database refused this: {first_line(exc)}"
    return f"Something went wrong: {first_line(exc)}"


if TYPE_CHECKING:
    from screens.widgets.outcome import OutcomePicker

# The longest the screen waits, after an outcome, for the next customer before it repaints.
HOLD_PAINT_SECONDS = 0.12
# How often, during a call, the desk checks for forwards a department finished.
FORWARD_POLL_SECONDS = 15

def _freeze_heap() -> None:
    gc.collect()  # garbage first: what is frozen is never collected
    gc.freeze()


class DeskScreen(Screen):
    """The screen a caller lives in."""

    COMMANDS = {ScreenActions}  # ctrl+p: this screen's actions with their keys

    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (120, "-wide")]
    AUTO_FOCUS = ""  # none (None would inherit the app's "*"): focus goes to the script only once the call starts

    BINDINGS = [
        Binding("f2", "start_call", "Start call", id="desk-start", priority=True),
        Binding("enter", "start_call", "Start call", id="desk-start-enter", show=False),
        Binding("f3", "skip", "Skip", id="desk-skip", priority=True),
        Binding("f4", "comment", "Words", id="desk-comment", priority=True),
        Binding("f9", "end_call", "End call", id="desk-end", priority=True),
        Binding("f12", "withdraw", "Withdraw", id="desk-withdraw", priority=True),
        Binding("tab", "next_step", "Next step", id="desk-next-step", group=STEP_KEYS),
        Binding("shift+tab", "previous_step", "Previous step", id="desk-previous-step", group=STEP_KEYS),
        Binding("ctrl+r", "refresh", "Look again", id="desk-refresh", priority=True),
        Binding("ctrl+o", "forwards", "Forwards", id="desk-forwards", priority=True),
    ]
    # Always on the key bar, whatever else fits at 80 columns (with ctrl+q).
    KEY_BAR_ESSENTIAL = ("desk-start", "desk-end", "desk-refresh")

    def __init__(self, caller: str) -> None:
        super().__init__()
        self.caller = caller
        self.call: CallState | None = None
        self.mode = "loading"  # loading | call | nobody | error
        self.message = "Looking for the next due customer…"
        self.busy = False  # ending, skipping or loading: desk keys wait
        self.target = 180
        self.cycle_days = 90
        self.departments: dict[int, Any] = {}  # id -> callers.forwards.DepartmentInfo
        self.filed: list[tuple[int, str, str | None]] = []  # this call's forwards (id, department, note)
        self.zone = caller_zone()
        # Answers not yet in the database, oldest first, each also kept in the
        # caller's outbox file (callers.outbox) so a killed desk loses none.
        self._pending: deque[tuple[Entry | None, int, str, str, str | None, datetime, int]] = deque()
        self._seq = 0  # the number of the last answer given in this call (calls.record_answer's seq)
        self.outbox = Outbox.for_caller(caller)
        self._offline_attempts = 0
        self._polling_forwards = False
        self._save_lock = threading.Lock()
        self._flushing = False
        self._jobs: dict[Worker, tuple] = {}
        self._seconds = 0
        self._first_load = True
        self._pickers: dict[tuple, OutcomePicker] = {}  # outcome pickers, reused
        self._note_modal = None  # the ForwardNote, built on the first forward and reused
        self._saving_picker = None  # the outcome picker showing "saving…", popped with the next customer
        self._paint_held = False
        self._paint_timer = None
        self._gc_was_on = True
        self._gc_frozen = False
        self.last_error: str | None = None

    # ---- layout ---------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="desk"):
            yield Static(self.message, id="desk-message", markup=False)
            with Container(id="desk-body"):
                yield CallHeader(id="call-header")
                yield ScriptPanel(id="script")
        yield KeyBar(id="desk-keys")

    @property
    def header(self) -> CallHeader:
        return self.query_one("#call-header", CallHeader)

    @property
    def script(self) -> ScriptPanel:
        return self.query_one("#script", ScriptPanel)

    @property
    def timer(self) -> CallTimer:
        return self.query_one("#call-timer", CallTimer)

    def on_mount(self) -> None:
        self._db_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="desk-db")
        self.query_one("#desk-body").display = False
        self.script.can_focus_children = False
        self.set_interval(1.0, self._tick)
        self.load()

    def on_unmount(self) -> None:
        self._db_thread.shutdown(wait=False, cancel_futures=True)
        if self._gc_frozen:
            gc.unfreeze()  # this desk's objects may go now

    def _tick(self) -> None:
        self._seconds += 1
        if self.call is not None:
            self.timer.tick()
            if self._seconds % FORWARD_POLL_SECONDS == 0:
                self._poll_forwards()
            elif self._seconds % 30 == 0:
                self.header.show(self.call.profile, clock.now())
        elif self.mode == "nobody" and not self.busy and self._seconds % RECHECK_SECONDS == 0:
            self.load()

    def on_resize(self) -> None:
        if self.call is not None:
            self.call_after_refresh(self.header.show, self.call.profile, clock.now())

    # ---- running database work off the UI thread -------------------------------

    def _run(self, job: Callable[[], Any], done: Callable[[Any], None], what: str, *,
             group: str = "desk-db", failed: Callable[[BaseException], None] | None = None,
             retry: bool = False) -> Worker:
        """Run `job` in the desk's database thread; `done(result)` on the UI
        thread; on error `failed(exc)` or the error modal with a retry.

        One thread, one connection, kept open: jobs run in the order given,
        and SQLite keeps its page cache warm (a connection must drop its cache
        whenever another connection has written, so jobs spread over a pool
        of threads read every page afresh, ten milliseconds an outcome)."""

        def work():
            if retry and hasattr(database.obj, "close_idle"):
                database.obj.close_idle()  # drop pooled connections the server closed
            with connection(keep=True):
                return job()

        async def in_db_thread():
            return await asyncio.get_running_loop().run_in_executor(self._db_thread, work)

        worker = self.run_worker(in_db_thread, name=what, group=group, exit_on_error=False)
        self._jobs[worker] = (job, done, what, group, failed)
        return worker

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        entry = self._jobs.get(event.worker)
        if entry is None:
            return
        job, done, what, group, failed = entry
        if event.state == WorkerState.SUCCESS:
            del self._jobs[event.worker]
            done(event.worker.result)
        elif event.state == WorkerState.ERROR:
            del self._jobs[event.worker]
            error = event.worker.error
            if failed is not None:
                failed(error)
            else:
                self.show_error(f"Could not finish {what}", describe_error(error),
                                lambda: self._run(job, done, what, group=group, retry=True))
        elif event.state == WorkerState.CANCELLED:
            self._jobs.pop(event.worker, None)

    def show_error(self, title: str, message: str, retry: Callable[[], None] | None) -> None:
        from screens.widgets.error import ErrorModal

        self._close_picker()
        self._release_paint()
        self.busy = False
        self.last_error = message

        def answered(again: bool | None) -> None:
            if again and retry is not None:
                retry()
            elif self.call is None:
                self._set_mode("error", f"{message}\nctrl+r looks again.")
            else:
                self._refocus()

        self.app.push_screen(ErrorModal(title, message, can_retry=retry is not None), answered)

    # ---- loading the next customer ---------------------------------------------

    def _replay_outbox(self) -> int:
        """(thread) Answers a previous desk kept on disk while the database was
        away (and then was closed or killed): write them now, each once."""
        def apply(entry: Entry) -> None:
            if entry.kind != "answer":
                return
            a = entry.args
            try:
                calls.record_answer(int(a["call_id"]), a["step"], a["key"], a.get("value"),
                                    now=datetime.fromisoformat(a["at"]), seq=a.get("seq"))
            except CallersError:
                pass  # the call ended elsewhere, or the answer is wrong: nothing to keep

        return self.outbox.flush(apply)

    def _next_call(self, restore: bool) -> tuple[str, Any]:
        """(thread) The caller's unfinished call, or a new one, or nobody due."""
        if restore:
            self._replay_outbox()
        state = calls.restore(self.caller) if restore else None
        if state is None:
            customer = due.next_due(self.caller, claim=True)
            if customer is None:
                return "nobody", due.nobody_due_message(caller_zone=self.zone)
            state = calls.open_call(self.caller, customer.id)
        return "call", state

    def load(self, restore: bool = True) -> None:
        """Restore an unfinished call, else show the next due customer."""
        self.busy = True
        first = self._first_load

        def job():
            extra = {}
            if first:
                from callers import settings

                extra["target"] = settings.get("target_seconds")
                extra["cycle_days"] = settings.get("cycle_days")
                extra["departments"] = self._load_departments()
            return self._next_call(restore), extra

        def done(result) -> None:
            (kind, value), extra = result
            if first:
                self._first_load = False
                self.target = int(extra.get("target") or 180)
                self.cycle_days = int(extra.get("cycle_days") or 90)
                self._bind_departments(extra.get("departments") or [])
            self._show(kind, value)

        self._run(job, done, "loading the next customer")

    @staticmethod
    def _load_departments() -> list:
        try:
            from callers import forwards
        except ImportError:  # forwarding not installed: no forward keys
            return []
        return list(forwards.departments())

    def _bind_departments(self, departments: list) -> None:
        self.departments = {}
        for dept in departments:
            key = (getattr(dept, "key", None) or "").strip().lower()
            if not key or key in DESK_KEYS or key in self._bindings.key_to_bindings:
                continue
            self.departments[dept.id] = dept
            slug = "".join(ch if ch.isalnum() else "-" for ch in dept.name.lower()).strip("-")
            self._bindings.key_to_bindings.setdefault(key, []).append(
                Binding(key, f"forward({dept.id})", footer_name(dept.name), id=f"forward-{slug}", priority=True,
                        tooltip=f"Forward to {dept.name}"))
        self.refresh_bindings()

    def _show(self, kind: str, value: Any) -> None:
        self.busy = False
        if not self._gc_frozen:
            # Start-up's objects (modules, styles, widgets) live as long as the
            # app: out of the collector's way, so a full pass stays short.
            self._gc_frozen = True
            self.call_after_refresh(_freeze_heap)
        if kind == "nobody":
            self.call = None
            self.filed = []
            self._set_mode("nobody", f"{value}\nThe desk looks again every minute; ctrl+r looks now.")
            return
        state: CallState = value
        now = clock.now()
        self.call = state
        self.filed = [(f.id, f.department, f.note) for f in state.profile.open_forwards
                      if state.shown_at is not None and f.created_at >= state.shown_at]
        self._set_mode("call")
        self.header.show(state.profile, now)
        self.timer.target = self.target
        self._seq = max((a.seq or 0 for a in state.answers), default=0)
        self.script.load(state, now, start=calls.first_step(state.profile, state.answers, now, self.cycle_days))
        self.timer.started_at = state.started_at
        self.timer.tick()
        self.script.can_focus_children = state.started_at is not None
        if state.started_at is None:
            self.set_focus(None)
        else:
            self.script.focus_current()
        self.refresh_bindings()

    def _set_mode(self, mode: str, message: str = "") -> None:
        self.mode = mode
        shown = self.query_one("#desk-message", Static)
        body = self.query_one("#desk-body")
        if mode == "call":
            shown.display = False
            body.display = True
        else:
            self.script.can_focus_children = False
            self.set_focus(None)
            shown.update(assemble((message, "$error" if mode == "error" else "")))
            shown.set_class(mode == "error", "-error")
            shown.display = True
            body.display = False
        self.refresh_bindings()

    def _refocus(self) -> None:
        if self.call is not None and self.call.started_at is not None:
            self.script.focus_current()

    # ---- keys ----------------------------------------------------------------

    @property
    def active_bindings(self):
        """The key bar's order: the desk's F-keys first (by number), then the
        keys of the focused step, then the rest; so F9 and the forward keys
        stay visible at 80 columns."""
        bindings = super().active_bindings

        def order(item):
            key, active = item
            if key.startswith("f") and key[1:].isdigit():
                return (0, int(key[1:]))
            return (1 if active.node is not self and active.node is not self.app else 2, 0)

        return dict(sorted(bindings.items(), key=order))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        call = self.call
        started = call is not None and call.started_at is not None
        if action == "start_call":
            return call is not None and not started and not self.busy
        if action in ("end_call", "skip"):
            return call is not None and (None if self.busy else True)
        if action in ("comment", "next_step", "previous_step", "forward"):
            return started
        if action == "withdraw":
            return started and bool(self.filed)
        if action == "refresh":
            return self.mode in ("nobody", "error")
        if action == "forwards":
            return call is not None and self.header.hidden > 0
        return True

    def action_for_key(self, key: str) -> str | None:
        """The action a desk F-key runs now, for a modal that hands it over
        (screens.widgets.handover); None when the key does nothing here."""
        for binding in self._bindings.key_to_bindings.get(key, ()):
            if binding.priority and self.check_action(binding.action.split("(")[0], ()):
                return binding.action
        return None

    def _then(self, modal, otherwise: Callable[[], None]) -> Callable[[], None]:
        """What follows a modal: the F-key that closed it, else `otherwise`."""
        key = getattr(modal, "handed_key", None)
        action = self.action_for_key(key) if key else None
        if action is None:
            return otherwise
        return lambda: self.call_later(self.run_action, action)

    def action_forwards(self) -> None:
        from screens.widgets.call_header import ForwardsList

        if self.call is not None:
            self.app.push_screen(ForwardsList(self.call.profile, clock.now()), lambda _: self._refocus())

    def action_refresh(self) -> None:
        if not self.busy:
            self._set_mode("loading", "Looking for the next due customer…")
            self.load()

    def action_start_call(self) -> None:
        state = self.call
        if state is None or state.started_at is not None:
            return
        state.started_at = clock.now()
        self.timer.started_at = state.started_at
        self.script.can_focus_children = True
        self.script.focus_current()
        self.refresh_bindings()
        call_id = state.call_id

        def done(at: datetime) -> None:
            if self.call is state and at is not None:
                state.started_at = at
                self.timer.started_at = at

        self._run(lambda: calls.start_call(call_id), done, "starting the call timer")

    def action_comment(self) -> None:
        self.script.toggle_comment()

    def action_next_step(self) -> None:
        self.script.next_step()

    def action_previous_step(self) -> None:
        self.script.previous_step()

    # ---- answers: saved the moment they are given, in order -------------------

    def on_answered(self, message: Answered) -> None:
        message.stop()
        if self.call is None:
            return
        at = clock.now()
        call_id = self.call.call_id
        self._seq += 1
        seq = self._seq
        try:
            entry = self.outbox.write("answer", call_id=call_id, step=message.step, key=message.key,
                                      value=message.value, at=at.isoformat(), seq=seq)
        except OSError as exc:  # a full disk, a journal folder gone: the database write still goes ahead
            entry = None
            self.notify(f"The answer is not in your journal ({exc.strerror or exc}); saving it to the database.",
                        title="Journal not written", severity="warning", markup=False)
        self._pending.append((entry, call_id, message.step, message.key, message.value, at, seq))
        self._flush()

    def _drain(self) -> tuple[int, list[str], bool]:
        """(thread) Save every queued answer, oldest first. A DB error stops
        here and leaves the answer queued; an answer the domain rejects
        (CallersError) is dropped and reported. Returns (saved, errors, added)."""
        saved, errors, added = 0, [], False
        with self._save_lock:
            while self._pending:
                entry, call_id, step, key, value, at, seq = self._pending[0]
                if entry is not None:
                    # Its journal line on disk before its database write (it
                    # may have come while the one before it was saved).
                    with contextlib.suppress(OSError):  # the database write below keeps it then
                        self.outbox.sync()
                try:
                    # `seq`: its number in the call, so a replay is saved once.
                    calls.record_answer(call_id, step, key, value, now=at, seq=seq)
                except CallersError as exc:
                    errors.append(first_line(exc))
                if entry is not None:
                    self.outbox.mark_done(entry)
                saved += 1
                added = added or key == "add" or step == "contacts" and ":phone" in key
                self._pending.popleft()
        return saved, errors, added

    def _flush(self) -> None:
        if self._flushing or not self._pending:
            return
        self._flushing = True
        self._run(self._drain, self._flushed, "saving an answer", group="desk-answers", failed=self._save_failed)

    def _flushed(self, result: tuple[int, list[str], bool]) -> None:
        self._flushing = False
        if self._saved(result):
            self._reload_profile()
        self._flush()

    def _saved(self, result: tuple[int, list[str], bool]) -> bool:
        """Say what a drain of the queued answers did (back online, answers
        refused). True when the profile should be read again."""
        saved, errors, added = result
        if self._offline_attempts and not self._pending:
            self._offline_attempts = 0
            self.app.sub_title = self.caller
            self.notify(f"Database back: {saved} kept answer(s) saved.", title="Back online", markup=False)
        for error in errors:
            self.notify(error, title="Not saved", severity="error", markup=False)
        return bool(errors or added)

    def _save_failed(self, error: BaseException) -> None:
        self._flushing = False
        if is_connection_error(error):
            # Keep going: the answers are in memory and in the outbox file;
            # try again by itself, waiting longer each time.
            delay = backoff(self._offline_attempts)
            self._offline_attempts += 1
            kept = len(self._pending)
            self.app.sub_title = (f"{self.caller} · DATABASE UNREACHABLE: {kept} answer(s) kept, "
                                  f"retrying in {delay:.0f} s")
            if self._offline_attempts == 1:
                self.notify(f"{describe_error(error)}\nYour answers are kept and saved when it is back.",
                            title="Database unreachable", severity="warning", markup=False)
            self.set_timer(delay, self._flush)
            return
        self.show_error("Your answer is not saved yet",
                        f"{describe_error(error)}\nIt is kept and saved as soon as the database answers.",
                        self._flush)

    def _poll_forwards(self) -> None:
        """Live data: a department may finish a forward while the customer is
        on the line; show it (one query at a time, never piling up)."""
        state = self.call
        if state is None or self.busy or self._polling_forwards:
            return
        self._polling_forwards = True
        customer_id = state.profile.customer.id

        def done(result) -> None:
            self._polling_forwards = False
            open_fw, resolved = result
            if self.call is not state:
                return
            known = {f.id for f in state.profile.resolved_forwards}
            for fact in resolved:
                if fact.id not in known:
                    what = "finished" if fact.status == "done" else "returned"
                    self.notify(shown(fact.resolution or "(no note)"), title=shown(f"{fact.department} {what} a forward"),
                                markup=False)
            if (open_fw, resolved) != (state.profile.open_forwards, state.profile.resolved_forwards):
                state.profile = replace(state.profile, open_forwards=open_fw, resolved_forwards=resolved)
            self.header.show(state.profile, clock.now())

        def failed(_error: BaseException) -> None:
            self._polling_forwards = False  # the next tick tries again; answers have their own path

        self._run(lambda: calls.forward_facts(customer_id), done, "checking forwards",
                  group="desk-forwards", failed=failed)

    def _reload_profile(self) -> None:
        state = self.call
        if state is None:
            return
        customer_id = state.profile.customer.id

        def done(profile: Profile) -> None:
            if self.call is state:
                state.profile = profile
                now = clock.now()
                self.header.show(profile, now)
                self.script.refresh_profile(profile, now)

        self._run(lambda: calls.profile(customer_id), done, "reloading the customer", group="desk-profile")

    def on_edit_contact(self, message: EditContact) -> None:
        from screens.widgets.contact_form import ContactForm

        message.stop()
        contacts = self.script.query_one(ContactsList)
        initial = None
        if message.contact_id is not None:
            c = contacts.contacts[message.contact_id]
            phone = c["phone"] or ""
            if phone and c.get("ext"):
                phone += f" ext. {c['ext']}"
            initial = {"name": c["name"], "role": c["role"], "title": c["title"], "phone": phone,
                       "email": c["email"]}

        form = ContactForm(initial)

        def answered(values: dict | None) -> None:
            if values:
                contacts.apply(message.contact_id, values)
            contacts.focus()
            self._then(form, lambda: None)()

        self.app.push_screen(form, answered)

    # ---- ending, skipping -------------------------------------------------------

    def action_end_call(self) -> None:
        from screens.widgets.outcome import OutcomePicker

        if self.call is None or self.busy:
            return
        self.script.save_note()
        departments = [(d.key.lower(), d.id, d.name) for d in self.departments.values()]
        started = self.call.started_at is not None
        shown = departments if started else []
        key = (started, tuple(shown))
        picker = self._pickers.get(key)
        if picker is None:
            # Kept installed and reused: a popped picker that is not installed
            # is unmounted, and that work sat between the digit and the next
            # customer on screen.
            picker = self._pickers[key] = OutcomePicker(started, shown, on_final=self._finish_in_picker)
            self.app.install_screen(picker, f"outcome-{id(self)}-{len(self._pickers)}")
        picker.customer = self.call.profile.customer.name
        self.app.push_screen(picker, self._outcome_chosen)

    def _outcome_chosen(self, outcome: str | None) -> None:
        from screens.widgets.outcome import FORWARD_PREFIX

        if outcome is None:
            self._refocus()
        elif outcome.startswith(FORWARD_PREFIX):
            self._forward(int(outcome[len(FORWARD_PREFIX):]), then=self.action_end_call)
        elif outcome == "callback":
            from screens.widgets.callback import CallbackTime

            contact = self.call.profile.customer.contact
            zones = (contact.timezone or "").split("|") if contact else []

            def chosen(at: datetime | None) -> None:
                if at is None:
                    self.action_end_call()
                else:
                    self._finish("callback", at)

            self.app.push_screen(CallbackTime(zones[0] if zones and zones[0] else None, self.zone), chosen)
        else:
            self._finish(outcome)

    def _finish_in_picker(self, outcome: str) -> None:
        """An outcome picked that ends the call: the picker stays up (saying
        "saving…") until the next customer is ready, then goes in the same
        screen update that shows them."""
        if self.call is None:  # nothing to end (cannot happen from the desk's own picker)
            self.app.pop_screen()
            return
        self._saving_picker = self.app.screen
        self._hold_paint()
        self._finish(outcome)

    def _hold_paint(self) -> None:
        """Between the digit and the next customer on screen (at most
        HOLD_PAINT_SECONDS): no repaint, since a repaint of the picker and
        the desk under it while the database works only delays what it waits
        for; and no garbage collection, whose full pass takes tens of
        milliseconds (it runs right after)."""
        if not self._paint_held:
            self._paint_held = True
            self._gc_was_on = gc.isenabled()
            gc.disable()
            self.app._begin_batch()  # what App.batch_update() does, across callbacks (Textual 8)
            self._paint_timer = self.set_timer(HOLD_PAINT_SECONDS, self._release_paint)

    def _release_paint(self) -> None:
        if self._paint_held:
            self._paint_held = False
            if self._paint_timer is not None:
                self._paint_timer.stop()
                self._paint_timer = None
            self.app._end_batch()
            if self._gc_was_on:
                self.call_after_refresh(gc.enable)

    def _close_picker(self) -> None:
        picker, self._saving_picker = self._saving_picker, None
        if picker is not None and self.app.screen is picker:
            self.app.pop_screen()
            if self.call is not None:
                self._refocus()

    def _finish(self, outcome: str, callback_at: datetime | None = None) -> None:
        state = self.call
        if state is None:
            return
        self.busy = True
        note = self.script.pending_note()

        def job():
            drained = self._drain()
            scheduled = calls.end_call(state.call_id, outcome, callback_at=callback_at, note=note)
            try:
                return scheduled, self._next_call(restore=False), None, drained
            except Exception as exc:  # the outcome is saved; only the next customer failed
                return scheduled, None, exc, drained

        self._run(job, self._finished, "ending the call")

    def _finished(self, result) -> None:
        scheduled, following, error, drained = result
        self.call = None
        self._close_picker()  # the same screen update as the next customer
        self._saved(drained)
        if scheduled is not None and getattr(scheduled, "message", None):
            # After the next customer is painted: the toast is not in the way.
            self.call_after_refresh(self.notify, scheduled.message,
                                    title=calls.OUTCOME_LABELS.get(scheduled.outcome, "Saved"), markup=False)
        try:
            if error is not None:
                self._set_mode("error", f"{describe_error(error)}\nctrl+r looks again.")
                self.show_error("Could not load the next customer", describe_error(error), self.load)
                return
            self._show(*following)
        finally:
            self._release_paint()

    def action_skip(self) -> None:
        from screens.widgets.skip import SkipReason

        if self.call is None or self.busy:
            return
        state = self.call

        def answered(reason: str | None) -> None:
            if not reason:
                self._refocus()
                return
            self.busy = True

            def job():
                drained = self._drain()
                calls.skip(state.call_id, reason)
                try:
                    return None, self._next_call(restore=False), None, drained
                except Exception as exc:
                    return None, None, exc, drained

            def done(result) -> None:
                self.notify(shown(f"Skipped {state.profile.customer.name}"), markup=False)
                self._finished(result)

            self._run(job, done, "skipping the customer")

        self.app.push_screen(SkipReason(state.profile.customer.name), answered)

    # ---- forwarding ------------------------------------------------------------

    def action_forward(self, dept_id: int) -> None:
        if self.call is None or self.busy:
            return
        self._forward(dept_id)

    def _forward(self, dept_id: int, note: str = "", then: Callable[[], None] | None = None) -> None:
        from screens.forward_note import ForwardNote

        dept = self.departments.get(dept_id)
        state = self.call
        if dept is None or state is None:
            return
        def written(text: str | None) -> None:
            after = self._then(modal, then or self._refocus)
            if text is None:
                after()
                return
            self._file(state, dept, text, after)

        modal = self._note_modal
        if modal is None:
            modal = self._note_modal = ForwardNote(dept.name, note)
            self.app.install_screen(modal, f"forward-note-{id(self)}")
        else:
            modal.prepare(dept.name, note)
        self.app.push_screen(modal, written)

    def _file(self, state: CallState, dept, note: str, after: Callable[[], None]) -> None:
        from callers import forwards

        contact = state.profile.customer.contact

        def job():
            return forwards.create(state.profile.customer.id, dept.name, self.caller, note=note or None,
                                   call_id=state.call_id, contact_id=contact.id if contact else None)

        def done(filed) -> None:
            if self.call is state:
                self.filed.append((filed.id, filed.department, note or None))
            self.notify(shown(filed.message), markup=False)
            self.refresh_bindings()
            self._reload_profile()
            after()

        def failed(error: BaseException) -> None:
            self.notify(f"{describe_error(error)}\nYour note is kept: Enter tries again.",
                        title="Not forwarded", severity="error", markup=False)
            self._forward(dept.id, note, then=after)

        self._run(job, done, "forwarding", group="desk-forward", failed=failed)

    def action_withdraw(self) -> None:
        from screens.widgets.withdraw import WithdrawPicker

        if not self.filed or self.call is None:
            return

        def chosen(forward_id: int | None) -> None:
            if forward_id is None:
                self._refocus()
                return
            from callers import forwards

            department = next((d for fid, d, _n in self.filed if fid == forward_id), "")

            def done(_result) -> None:
                self.filed = [f for f in self.filed if f[0] != forward_id]
                self.notify(shown(f"Withdrawn: forward to {department}"), markup=False)
                self.refresh_bindings()
                self._reload_profile()
                self._refocus()

            self._run(lambda: forwards.withdraw(forward_id, by=self.caller), done, "withdrawing the forward",
                      group="desk-forward")

        self.app.push_screen(WithdrawPicker(list(self.filed)), chosen)
