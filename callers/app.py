"""The Textual application. The screens live in `screens/`; each command
(desk, queue, supervisor, references) opens the app on its own first screen.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from textual.app import App
from textual.binding import Binding
from textual.screen import Screen

import screens

SCREENS_DIR = Path(screens.__file__).parent


def stylesheets() -> list[Path]:
    """callers.tcss (layout and theme) first, then each screen's own sheet."""
    sheets = sorted(SCREENS_DIR.glob("*.tcss"))
    main = SCREENS_DIR / "callers.tcss"
    return [main] + [s for s in sheets if s != main]


def desk_screen(caller: str) -> Screen:
    from screens.desk import DeskScreen

    return DeskScreen(caller=caller)


class CallersApp(App):
    """One app; which screen it opens on depends on the command."""

    TITLE = "callers"
    CSS_PATH = stylesheets()
    BINDINGS = [
        Binding("ctrl+q", "quit", "Quit", id="quit", priority=True),
    ]

    def __init__(self, caller: str = "caller", first: Callable[[str], Screen] | None = None) -> None:
        super().__init__()
        self.caller = caller
        self.first = first or desk_screen

    def on_mount(self) -> None:
        self.sub_title = self.caller
        self.push_screen(self.first(self.caller))
