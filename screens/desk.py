"""The caller's desk: the next due customer, the fixed script, the call timer
and the outcome, with nothing ever lost.

The screen composes, binds keys, renders and talks only to its session
(`callers.desk.DeskSession`): the session owns the database thread, the
answer queue and journal, the offline backoff and "finish this call and open
the next". The screen runs the session's awaitables in workers (`_run`) and
renders what they return; a failure shows a clear message with a retry, never
a traceback. What the session reports by itself (the database gone or back,
an answer refused) comes as `callers.desk.events`, rendered in `show_session_event`.

Longer than 500 lines because it is every key flow of the caller's day (start,
answers, outcome picker held until the next customer is painted, callback
time, skip, forward with its note, withdraw, the contact form): each is a few
lines of modal wiring around one session call, and they share the screen's
state (busy, mode, focus), so splitting them would scatter one flow.
"""

from __future__ import annotations

import gc
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Container, Vertical
from textual.screen import Screen
from textual.widgets import Header, Static
from textual.worker import Worker, WorkerState

from callers import calls, clock, collector
from callers.calls import CallState, Profile
from callers.desk import DeskSession, Finished, Opened
from callers.errors import describe_error, first_line
from screens.messages import Answered, EditContact, FixedAnswered, StepShown, WordsDone
from screens.widgets.call_header import CallHeader
from screens.widgets.call_timer import CallTimer
from screens.commands import ScreenActions
from screens.widgets.formatting import assemble, shown
from screens.widgets.key_bar import KeyBar
from screens.widgets.script import ContactsList, ScriptPanel

# The modals (screens.widgets.contact_form, error, outcome, skip, withdraw), the
# session's events and the dialler's progress are imported where they are first
# needed: the desk starts faster without them.

# Keys the desk itself uses: a department key that clashes with one is skipped.
DESK_KEYS = {"f2", "f3", "f4", "f9", "f12", "enter", "tab", "shift+tab", "ctrl+r", "ctrl+o", "ctrl+q", "ctrl+p"}
# How often the desk looks again while nobody is due (seconds).
RECHECK_SECONDS = 60
STEP_KEYS = Binding.Group("Step")


def footer_name(name: str) -> str:
    """A department's name short enough for the key bar at 80 columns."""
    return name if len(name) <= 10 else name.split()[0][:10]


if TYPE_CHECKING:
    from callers.dialer.progress import Progress
    from screens.widgets.outcome import OutcomePicker

# The longest the screen waits, after an outcome, for the next customer before it repaints.
HOLD_PAINT_SECONDS = 0.12
# The longest a new desk waits for its first customer before it paints "Looking for the
# next due customer…": a first frame that already shows the customer (usually within a
# tenth of a second) costs one layout and paint instead of two.
FIRST_PAINT_SECONDS = 0.3
# How often, during a call, the desk checks for forwards a department finished.
FORWARD_POLL_SECONDS = 15

# After the first customer is painted, the desk settles (`_settle`: a full
# collection, tens of milliseconds) this much later: not in the refresh that
# paints it, so the frame reaches the terminal first (the collection holds the
# GIL the driver's writer thread needs), yet before a caller can press a key.
SETTLE_SECONDS = 0.05


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

    def __init__(self, caller: str, dialer: Any = None, session: DeskSession | None = None) -> None:
        """`dialer`: a callers.dialer.Dialer that places calls (F2), or None: the caller dials by hand.
        `session`: the caller's session, made (and begun, `callers.app.Desk.prepare`) before this
        screen's modules were imported; by default a new one."""
        super().__init__()
        self.add_class(*self._breakpoint_class(), update=False)
        self.caller = caller
        if session is None:
            session = DeskSession(caller, zone=clock.local_zone(), dialer=dialer)
        self.zone = session.zone
        session.listener = self.show_session_event
        session.spawn = self._spawn
        self.session = session
        self._hanging_up = False  # F9 hung the placed call up: the picker opens from there
        self.mode = "loading"  # loading | call | nobody | error
        self.message = "Looking for the next due customer…"
        self.busy = False  # ending, skipping or loading: desk keys wait
        self.departments: dict[int, Any] = {}  # id -> callers.departments.DepartmentInfo, bound to keys
        self._polling_forwards = False
        self._jobs: dict[Worker, tuple] = {}
        self._seconds = 0
        self._first_load = True
        self._pickers: dict[tuple, OutcomePicker] = {}  # outcome pickers, reused
        self._note_modal = None  # the ForwardNote, built on the first forward and reused
        self._saving_picker = None  # the outcome picker showing "saving…", popped with the next customer
        self._paint_held = False
        self._paint_timer = None
        self._gc_frozen = False
        self._settling = False  # the first customer (or nobody) was shown: `_settle` is coming
        self.last_error: str | None = None

    def _breakpoint_class(self) -> tuple[str, ...]:
        """The class of HORIZONTAL_BREAKPOINTS the screen's first Resize gives it
        at the terminal's present width, set beforehand so that Resize finds it
        set instead of styling every widget of the desk a second time (none
        without an app to ask: the Resize sets it, as before)."""
        try:
            app = self.app
            width = app.size.width
        except RuntimeError:  # Textual's NoActiveAppError
            return ()
        breakpoints = (app.HORIZONTAL_BREAKPOINTS if self.HORIZONTAL_BREAKPOINTS is None
                       else self.HORIZONTAL_BREAKPOINTS) or []
        return tuple(self._get_breakpoint_classes(width, breakpoints))  # what Screen._on_resize sets

    # ---- the session's state, as the screen shows it ----------------------------

    @property
    def call(self) -> CallState | None:
        return self.session.call

    @property
    def filed(self) -> list[tuple[int, str, str | None]]:
        return self.session.filed

    @property
    def outbox(self):
        return self.session.outbox

    # What tests and benchmarks reach for (the answer queue, the database thread).

    @property
    def _pending(self):
        return self.session.pending

    @property
    def _db_thread(self):
        return self.session.thread.executor

    # ---- layout ---------------------------------------------------------------

    def compose(self) -> ComposeResult:
        # The first customer is looked for while the screen is built (and
        # shown by `load()` from on_mount): the database's wait and the
        # building overlap.
        self.session.begin()
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
        self.session.start()
        self.query_one("#desk-body").display = False
        self.script.can_focus_children = False
        self.set_interval(1.0, self._tick)
        # Usually the first customer was found while the app started: shown now,
        # its first frame is the screen's first frame.
        opened = self.session.loaded_already()
        if opened is not None:
            self._opened(opened, first=True)
            return
        self._hold_paint(FIRST_PAINT_SECONDS)
        self.load()

    def on_unmount(self) -> None:
        if self.session.dialling.dialer is not None:
            self.app.run_worker(self.session.close_dialer(), name="closing the dialler", group="dialler")
        self.session.close()
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

    def _run(self, start: Callable[[], Awaitable[Any]], done: Callable[[Any], None], what: str, *,
             group: str = "desk-db", failed: Callable[[BaseException], None] | None = None) -> Worker:
        """Run the session's `start()` in a worker; `done(result)` on the UI
        thread; on error `failed(exc)` or the error modal with a retry."""

        async def work():
            return await start()

        worker = self.run_worker(work, name=what, group=group, exit_on_error=False)
        self._jobs[worker] = (start, done, what, group, failed)
        return worker

    def _spawn(self, start: Callable[[], Awaitable[Any]], name: str, group: str) -> Worker:
        """How the session runs its background saving: a worker of this screen."""

        async def work():
            return await start()

        return self.run_worker(work, name=name, group=group, exit_on_error=False)

    def _retry(self, start, done, what, group) -> None:
        self.session.recover()  # drop pooled connections the server closed
        self._run(start, done, what, group=group)

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
                                lambda: self._retry(job, done, what, group))
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

    def load(self, restore: bool = True) -> None:
        """Restore an unfinished call, else show the next due customer."""
        self.busy = True
        first = self._first_load

        def done(opened: Opened) -> None:
            try:
                self._opened(opened, first)
            finally:
                self._release_paint()

        self._run(lambda: self.session.load(restore), done, "loading the next customer")

    def _opened(self, opened: Opened, first: bool) -> None:
        """Show what a load opened; the first load also binds the departments' forward keys."""
        if first:
            self._first_load = False
            self._bind_departments(self.session.departments)
        self._show(*opened)

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
        if not self._settling:
            self._settling = True
            self.set_timer(SETTLE_SECONDS, self._settle)
        if kind == "nobody":
            self._set_mode("nobody", f"{value}\nThe desk looks again every minute; ctrl+r looks now.")
            return
        state: CallState = value
        now = clock.now()
        self._set_mode("call")
        self.header.show(state.profile, now)
        self.timer.target = self.session.target
        questions = self.session.to_ask
        # "Was it fixed?" first, when there is something to ask and nothing was answered yet.
        start = "fixed" if questions and not state.answers else self.session.first_step(state, now)
        self.script.load(state, now, start=start, questions=questions)
        self.timer.started_at = state.started_at
        self.timer.tick()
        self.header.border_subtitle = ""
        self.script.can_focus_children = state.started_at is not None
        if state.started_at is None:
            self.set_focus(None)
        else:
            self.script.focus_current()
        self.refresh_bindings()

    def _settle(self) -> None:
        """Once the first customer is on screen and the caller reads it:
        start-up's objects (modules, styles, widgets) live as long as the app,
        so out of the collector's way (a full pass stays short), and the
        collector, held during start-up (`CallersApp.started`), runs again."""
        if not self._gc_frozen:
            self._gc_frozen = True
            _freeze_heap()
        started = getattr(self.app, "started", None)
        if started is not None:
            started()

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
            return call is not None and not started and not self.busy and not self.session.dialling.live
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
        if not self.check_action("start_call", ()):  # run directly (a handed-over key), not only as a binding
            return
        if self.session.dialling.places_calls:
            # The dialler places the call; the timer starts when the customer answers.
            from callers.dialer.progress import DOWN, Progress

            self.header.border_subtitle = "dialling…"
            self._run(self.session.dial, self._dialled, "dialling", group="dialler",
                      failed=lambda error: self._dialled(Progress(DOWN, f"dialler: {describe_error(error)}")))
            return
        self._start_by_hand()

    def _dialled(self, progress: Progress) -> None:
        """The dialler's first word: dialling (the rest comes as CallProgress),
        handed to the desktop's handler (tel: the timer starts now), or down
        (one line; the caller dials by hand and the timer starts now)."""
        from callers.dialer.progress import DOWN, HANDED_OVER

        if progress.state == DOWN:
            text = progress.text if progress.text.endswith(("?", ".", "!")) else f"{progress.text}."
            self.notify(f"{text} Dial by hand: the timer runs from now.", title="Dialler",
                        severity="warning", markup=False)
        if progress.state in (DOWN, HANDED_OVER):
            self.header.border_subtitle = progress.text if progress.state == HANDED_OVER else ""
            self._start_by_hand()

    def _start_by_hand(self) -> None:
        state = self.call
        started = self.session.mark_started()
        if started is None:
            return
        self.timer.started_at = started
        self.script.can_focus_children = True
        self.script.focus_current()
        self.refresh_bindings()

        def done(at: datetime | None) -> None:
            if self.call is state and at is not None:
                self.timer.started_at = at

        self._run(self.session.save_start, done, "starting the call timer")

    def action_comment(self) -> None:
        self.script.toggle_comment()

    def action_next_step(self) -> None:
        self.script.next_step()

    def action_previous_step(self) -> None:
        self.script.previous_step()

    # ---- answers: saved the moment they are given, in order -------------------

    def on_answered(self, message: Answered) -> None:
        message.stop()
        self.session.answer(message.step, message.key, message.value)

    def on_step_shown(self, message: StepShown) -> None:
        message.stop()
        self.session.step_shown(message.step, opening=message.opening)

    def on_fixed_answered(self, message: FixedAnswered) -> None:
        """y / n / p to "Was it fixed?": saved now; a "no" reopens the forward
        with what the caller typed in the words line, if anything."""
        message.stop()
        state = self.call
        if state is None:
            return
        words = self.script.pending_note() if message.key == "n" else None

        def done(result) -> None:
            if result is not None:
                self.notify(shown(result.message), title="Was it fixed?", markup=False)
            if result is not None and result.status == "reopened" and self.call is state:
                self._reload_profile()  # the header lists it as open again

        self._run(lambda: self.session.answer_fixed(message.forward_id, message.key, words), done,
                  "saving the customer's answer", group="desk-forward")

    def on_words_done(self, message: WordsDone) -> None:
        """The end of the words step: the 0-10 question, when the company asks
        it and no score is saved on this call yet."""
        message.stop()
        if self.call is not None and self.session.nps_on and self.session.nps_score is None:
            self._ask_nps()

    def _ask_nps(self, typed: str = "", error: str = "") -> None:
        from screens.widgets.nps import NpsQuestion

        state = self.call

        def answered(text: str | None) -> None:
            if not text or self.call is not state:
                self._refocus()
                return

            def done(score: int | None) -> None:
                if score is not None:
                    self.notify(f"Would recommend: {score} of 10", title="Saved", markup=False)
                self._refocus()

            def failed(error: BaseException) -> None:
                self._ask_nps(text, first_line(error))

            self._run(lambda: self.session.record_nps(text), done, "saving the score", group="desk-nps",
                      failed=failed)

        self.app.push_screen(NpsQuestion(typed, error), answered)

    def show_session_event(self, event: Any) -> None:
        """What the session reports by itself, rendered."""
        from callers.desk.events import CallProgress, Connection, Notice, ProfileStale, SaveFailed
        from callers.dialer.progress import Progress

        if isinstance(event, Connection):
            if event.online:
                self.app.sub_title = self.caller
            else:
                self.app.sub_title = (f"{self.caller} · DATABASE UNREACHABLE: {event.pending} answer(s) kept, "
                                      f"retrying in {event.retry_in:.0f} s")
        elif isinstance(event, Notice):
            self.notify(event.message, title=event.title, severity=event.severity, markup=False)
        elif isinstance(event, ProfileStale):
            if self.call is not None and self.call.call_id == event.call_id:
                self._reload_profile()
        elif isinstance(event, CallProgress):
            if self.call is not None and event.call_id == self.call.call_id and isinstance(event.event, Progress):
                self._show_progress(event.event)
        elif isinstance(event, SaveFailed):
            self.show_error("Your answer is not saved yet",
                            f"{event.message}\nIt is kept and saved as soon as the database answers.",
                            self.session.flush)

    def _show_progress(self, progress: Progress) -> None:
        """A placed call's progress: the header says it; the answer starts the
        timer; an unanswered end opens the outcome picker on what the network
        said (one key accepts it); a customer's hang-up is said."""
        from callers.dialer.progress import ENDED, TALKING

        self.header.border_subtitle = progress.text
        if progress.state == TALKING and progress.answered_at is not None and self.timer.started_at is None:
            self.timer.started_at = progress.answered_at
            self.script.can_focus_children = True
            self.script.focus_current()
            self.refresh_bindings()
        elif progress.state == ENDED:
            self.refresh_bindings()
            if self._hanging_up:
                return  # F9 opens the picker itself
            if progress.by_customer:
                self.notify(f"{progress.text}. F9 ends the call.", title="Call ended", markup=False)
            elif progress.outcome is not None and not self.busy and self.app.screen is self:
                self.action_end_call(suggested=progress.outcome)

    def _poll_forwards(self) -> None:
        """Live data: a department may finish a forward while the customer is
        on the line; show it (one query at a time, never piling up)."""
        state = self.call
        if state is None or self.busy or self._polling_forwards:
            return
        self._polling_forwards = True

        def done(news) -> None:
            self._polling_forwards = False
            if news is None or self.call is not state:
                return
            for fact in news:
                what = "finished" if fact.status == "done" else "returned"
                self.notify(shown(fact.resolution or "(no note)"), title=shown(f"{fact.department} {what} a forward"),
                            markup=False)
            self.header.show(state.profile, clock.now())

        def failed(_error: BaseException) -> None:
            self._polling_forwards = False  # the next tick tries again; answers have their own path

        self._run(self.session.check_forwards, done, "checking forwards", group="desk-forwards", failed=failed)

    def _reload_profile(self) -> None:
        state = self.call
        if state is None:
            return

        def done(profile: Profile | None) -> None:
            if profile is not None and self.call is state:
                now = clock.now()
                self.header.show(profile, now)
                self.script.refresh_profile(profile, now)

        self._run(self.session.reload_profile, done, "reloading the customer", group="desk-profile")

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

    def action_end_call(self, suggested: str | None = None) -> None:
        """F9: hang up a placed call (then the picker opens on what the
        network said), else the outcome picker; `suggested`: the outcome to
        highlight (Enter takes it)."""
        from screens.widgets.outcome import OutcomePicker

        if self.call is None or self.busy:
            return
        if self.session.dialling.live and not self._hanging_up:
            self._hanging_up = True

            def hung_up(progress: Progress | None) -> None:
                self._hanging_up = False
                self.action_end_call(progress.outcome if progress is not None else None)

            def failed(error: BaseException) -> None:
                self._hanging_up = False
                self.notify(f"The dialler did not hang up ({describe_error(error)}): hang up on the phone.",
                            title="Dialler", severity="warning", markup=False)
                self.action_end_call()

            self._run(self.session.hangup, hung_up, "hanging up", group="dialler", failed=failed)
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
        picker.suggested = suggested
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

    def _hold_paint(self, seconds: float = HOLD_PAINT_SECONDS) -> None:
        """Between the digit and the next customer on screen (at most
        HOLD_PAINT_SECONDS): no repaint, since a repaint of the picker and
        the desk under it while the database works only delays what it waits
        for; and no garbage collection, whose full pass takes tens of
        milliseconds (it runs right after)."""
        if not self._paint_held:
            self._paint_held = True
            collector.hold()
            self.app._begin_batch()  # what App.batch_update() does, across callbacks (Textual 8)
            self._paint_timer = self.set_timer(seconds, self._release_paint)

    def _release_paint(self) -> None:
        if self._paint_held:
            self._paint_held = False
            if self._paint_timer is not None:
                self._paint_timer.stop()
                self._paint_timer = None
            self.app._end_batch()
            self._paint_now()
            self.call_after_refresh(collector.release)

    def _paint_now(self) -> None:
        """Lay out and paint what the hold kept back now, not at the screen's
        next frame tick: Textual paints at most every 1/60 s, so the customer
        the caller waited for would wait up to 17 ms more with nothing to do.
        (`Screen._on_timer_update` is what that tick runs; Textual 8.)"""
        if self.is_current and not self.app._batch_count:
            self._on_timer_update()

    def _close_picker(self, refocus: bool = True) -> None:
        picker, self._saving_picker = self._saving_picker, None
        if picker is not None and self.app.screen is picker:
            self.app.pop_screen()
            if refocus and self.call is not None:
                self._refocus()

    def _finish(self, outcome: str, callback_at: datetime | None = None) -> None:
        if self.call is None:
            return
        self.busy = True
        note = self.script.pending_note()
        self._run(lambda: self.session.finish_and_next(outcome, callback_at, note), self._finished, "ending the call")

    def _finished(self, result: Finished) -> None:
        self._close_picker(refocus=False)  # the same screen update as the next customer
        scheduled = result.scheduled
        if scheduled is not None and getattr(scheduled, "message", None):
            # After the next customer is painted: the toast is not in the way.
            self.call_after_refresh(self.notify, scheduled.message,
                                    title=calls.OUTCOME_LABELS.get(scheduled.outcome, "Saved"), markup=False)
        try:
            if result.error is not None:
                self._set_mode("error", f"{result.error}\nctrl+r looks again.")
                self.show_error("Could not load the next customer", result.error, self.load)
                return
            self._show(*result.opened)
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

            def done(result: Finished) -> None:
                self.notify(shown(f"Skipped {state.profile.customer.name}"), markup=False)
                self._finished(result)

            self._run(lambda: self.session.skip_and_next(reason), done, "skipping the customer")

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
        def done(filed) -> None:
            self.notify(shown(filed.message), markup=False)
            self.refresh_bindings()
            self._reload_profile()
            after()

        def failed(error: BaseException) -> None:
            self.notify(f"{describe_error(error)}\nYour note is kept: Enter tries again.",
                        title="Not forwarded", severity="error", markup=False)
            self._forward(dept.id, note, then=after)

        self._run(lambda: self.session.forward(dept.name, note), done, "forwarding", group="desk-forward",
                  failed=failed)

    def action_withdraw(self) -> None:
        from screens.widgets.withdraw import WithdrawPicker

        if not self.filed or self.call is None:
            return

        def chosen(forward_id: int | None) -> None:
            if forward_id is None:
                self._refocus()
                return
            def done(department: str) -> None:
                self.notify(shown(f"Withdrawn: forward to {department}"), markup=False)
                self.refresh_bindings()
                self._reload_profile()
                self._refocus()

            self._run(lambda: self.session.withdraw(forward_id), done, "withdrawing the forward",
                      group="desk-forward")

        self.app.push_screen(WithdrawPicker(list(self.filed)), chosen)
