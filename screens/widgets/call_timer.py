"""The call timer: mm:ss against the target, colour at 2:30 and past 3:00."""

from __future__ import annotations

from datetime import datetime

from textual.content import Content
from textual.reactive import reactive
from textual.widgets import Static

from callers import clock
from screens.widgets.formatting import mmss


class CallTimer(Static):
    """Counts from `started_at` using `callers.clock.now()` (so CALLERS_NOW
    controls it in tests). `tick()` redraws; the desk calls it every second."""

    DEFAULT_CSS = """
    CallTimer {
        width: auto;
        min-width: 16;
        padding: 0 1;
        background: $boost;
        text-style: bold;
    }
    CallTimer.-idle { color: $text-muted; text-style: none; }
    CallTimer.-running { background: $success 30%; }
    CallTimer.-warn { background: $warning 50%; }
    CallTimer.-over { background: $error 60%; color: $text; }
    """

    started_at: reactive[datetime | None] = reactive(None)

    def __init__(self, target_seconds: int = 180, **kwargs) -> None:
        super().__init__("", markup=False, **kwargs)
        self.target = target_seconds
        self.elapsed = 0.0

    @property
    def warn_at(self) -> int:
        return max(0, self.target - 30)

    def watch_started_at(self) -> None:
        self.tick()

    def tick(self) -> None:
        target = mmss(self.target).lstrip("0") or "0:00"
        if self.started_at is None:
            self.elapsed = 0.0
            self.update(Content.assemble("not started", f" / {target}"))
            self.set_classes("-idle")
            return
        self.elapsed = max(0.0, (clock.now() - self.started_at).total_seconds())
        state = "-over" if self.elapsed > self.target else "-warn" if self.elapsed >= self.warn_at else "-running"
        self.set_classes(state)
        self.update(Content.assemble("▶ ", mmss(self.elapsed), f" / {target}"))

    @property
    def state(self) -> str:
        for name in ("-over", "-warn", "-running", "-idle"):
            if self.has_class(name):
                return name[1:]
        return ""
