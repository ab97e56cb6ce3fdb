"""The Textual application. The screens live in `screens/`; each command
(desk, queue, supervisor, references) opens the app on its own first screen.

Whatever the screen, the app delivers the departments' webhook events that
are due (`callers.webhooks`), in a thread worker that re-arms its own timer
when it finishes, so a slow endpoint never stacks runs up nor holds a key.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Callable

from callers import collector

collector.hold_start()  # while the app starts: ended when its first screen is up (`started`)

from textual import on, work  # noqa: E402
from textual.app import App  # noqa: E402
from textual.binding import Binding  # noqa: E402
from textual.screen import Screen  # noqa: E402
from textual.worker import Worker, WorkerState, get_current_worker  # noqa: E402

import screens  # noqa: E402

SCREENS_DIR = Path(screens.__file__).parent


def stylesheets() -> list[Path]:
    """callers.tcss (layout and theme) first, then each screen's own sheet."""
    sheets = sorted(SCREENS_DIR.glob("*.tcss"))
    main = SCREENS_DIR / "callers.tcss"
    return [main] + [s for s in sheets if s != main]


def first_sheets() -> list[Path]:
    """What the app starts with: callers.tcss and the desk's sheet (the desk
    is the first screen callers see; its modals bring their own CSS). The
    other screens' sheets are read when a screen from their module is first
    shown (`CallersApp._load_screen_css`), all at once and in the same order
    as `stylesheets()`, so every screen looks exactly as with all sheets."""
    return [SCREENS_DIR / "callers.tcss", SCREENS_DIR / "desk.tcss"]


def _needs_other_sheets(screen: Screen) -> bool:
    """True when the screen (or a class it extends) lives in a screens module
    with its own sheet other than the desk's."""
    loaded = {path.stem for path in first_sheets()}
    for cls in type(screen).__mro__:
        module = getattr(cls, "__module__", "") or ""
        if module.startswith("screens.") and module.count(".") == 1:
            name = module.split(".", 1)[1]
            if name not in loaded and (SCREENS_DIR / f"{name}.tcss").exists():
                return True
    return False


class Desk:
    """The caller's desk as the app's first screen, opened in two halves:
    `prepare(caller)` (the app calls it when it is made, before Textual
    starts) makes the desk's session (no Textual) and begins looking for the
    first customer in its database thread, so that the lookup runs while the
    app starts and the screen's modules are imported; calling it makes the
    screen on that session."""

    def __init__(self, dialer=None) -> None:
        self.dialer = dialer
        self.session = None

    def prepare(self, caller: str) -> None:
        from callers import clock
        from callers.desk import DeskSession

        self.session = DeskSession(caller, zone=clock.local_zone(), dialer=self.dialer)
        self.session.begin()

    def __call__(self, caller: str) -> Screen:
        if self.session is None or self.session.caller != caller:
            self.prepare(caller)
        from screens.desk import DeskScreen

        session, self.session = self.session, None
        return DeskScreen(caller=caller, dialer=self.dialer, session=session)


def desk_screen(caller: str, dialer=None) -> Screen:
    """The caller's desk (a new session)."""
    return Desk(dialer)(caller)


class CallersApp(App):
    """One app; which screen it opens on depends on the command."""

    TITLE = "callers"
    CSS_PATH = first_sheets()
    HOOKS_FIRST = 2.0  # seconds after start, then every HOOKS_SECONDS: deliver due webhook events
    HOOKS_SECONDS = 15.0
    # Start-up (the first screen's modules, styles and widgets) makes tens of
    # thousands of objects that live as long as the app; the collector's
    # passes over them (two full ones before the desk's first customer) only
    # delay the first screen. The collector is held from mount until the first
    # screen says it is up (`started`), or at the latest this many seconds.
    START_GC_SECONDS = 2.0
    # While the desk's first load runs in its database thread beside start-up's
    # imports and layout, the interpreter hands the GIL over every half
    # millisecond instead of every 5: each query lets go of the GIL and the
    # main thread took it back for a whole interval, so the load's thirty-odd
    # queries took 70 ms where they need 15. Restored when the first screen is up.
    START_SWITCH_SECONDS = 0.0005
    BINDINGS = [
        Binding("ctrl+q", "quit", "Quit", id="quit", priority=True),
    ]

    def __init__(self, caller: str = "caller", first: Callable[[str], Screen] | None = None) -> None:
        super().__init__()
        self.caller = caller
        self.first = first or Desk()
        self._all_sheets = False  # only first_sheets() until another screen is shown
        self._checkpointer = None
        self._gc_held = False  # the collector is held for start-up (`started` releases it)
        self._switch_interval: float | None = None  # the interpreter's, while start-up's is in force
        prepare = getattr(self.first, "prepare", None)
        if prepare is not None:
            self._start_checkpointer()  # before the desk's database thread opens its connection
            self._switch_interval = sys.getswitchinterval()
            sys.setswitchinterval(min(self._switch_interval, self.START_SWITCH_SECONDS))
            prepare(caller)  # the desk's first customer is looked for while Textual starts

    def _start_checkpointer(self) -> None:
        """SQLite: before the screens open their connections, so that none of
        their commits waits for the log to be copied back (models.db.Checkpointer)."""
        from models import engine
        from models.db import Checkpointer, database

        if self._checkpointer is None and database.obj is not None and engine.is_file_database():
            self._checkpointer = Checkpointer(database.obj).start()

    def _load_screen_css(self, screen: Screen) -> None:
        # Textual reads a screen's own CSS here, before the screen is styled.
        if not self._all_sheets and _needs_other_sheets(screen):
            self._all_sheets = True
            for path in stylesheets():
                if not self.stylesheet.has_source(str(path), ""):
                    self.stylesheet.read(path)
            self.stylesheet.reparse()
            self.stylesheet.update(self)
        super()._load_screen_css(screen)

    def on_mount(self) -> None:
        self._gc_held = True
        collector.hold()
        self.set_timer(self.START_GC_SECONDS, self.started, name="start-up collector")
        from models.db import database

        self.sub_title = self.caller
        self._start_checkpointer()
        self.push_screen(self.first(self.caller))
        if database.obj is not None:
            self.set_timer(self.HOOKS_FIRST, self.deliver_hooks, name="webhooks")

    def started(self) -> None:
        """The first screen shows what it opened for: the collector runs again
        (the desk calls this once its first customer is painted)."""
        if self._switch_interval is not None:
            sys.setswitchinterval(self._switch_interval)
            self._switch_interval = None
        collector.end_start()
        if self._gc_held:
            self._gc_held = False
            collector.release()

    def on_unmount(self) -> None:
        self.started()
        if self._checkpointer is not None:
            self._checkpointer.stop()
            self._checkpointer = None

    # ---- webhooks ----------------------------------------------------------------

    @work(thread=True, exclusive=True, exit_on_error=False, group="webhooks", name="webhooks")
    def deliver_hooks(self):
        from callers import webhooks

        worker = get_current_worker()
        return webhooks.deliver_due(limit=50, cancelled=lambda: worker.is_cancelled)

    @on(Worker.StateChanged)
    def hooks_delivered(self, event: Worker.StateChanged) -> None:
        """Re-arm after each run: at once while more is due, else in HOOKS_SECONDS.
        An error (the database away) is retried the same way; a login that
        may not read the deliveries leaves them to others."""
        from peewee import ProgrammingError

        worker = event.worker
        if worker.name != "webhooks" or event.state not in (WorkerState.SUCCESS, WorkerState.ERROR):
            return
        if event.state == WorkerState.ERROR and isinstance(worker.error, ProgrammingError):
            return
        more = event.state == WorkerState.SUCCESS and worker.result.more
        self.set_timer(0.1 if more else self.HOOKS_SECONDS, self.deliver_hooks, name="webhooks")
