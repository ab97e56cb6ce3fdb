"""The Textual application: one App, the screens live in `screens/`."""

from __future__ import annotations

from pathlib import Path

from textual.app import App
from textual.binding import Binding

import screens

CSS_FILE = Path(screens.__file__).parent / "callers.tcss"


class CallersApp(App):
    """The caller's desk (and, later, the queues and the supervisor board)."""

    TITLE = "callers"
    CSS_PATH = CSS_FILE
    ENABLE_COMMAND_PALETTE = True
    BINDINGS = [
        Binding("ctrl+q", "quit", "Quit", id="quit", priority=True),
    ]

    def __init__(self, caller: str = "caller", start: str = "desk") -> None:
        super().__init__()
        self.caller = caller
        self.start = start

    def on_mount(self) -> None:
        from screens.desk import DeskScreen

        self.sub_title = self.caller
        self.push_screen(DeskScreen(caller=self.caller))
