"""The desk's footer: every active key with its description, on one line.

Textual's Footer mounts one widget per key and recomposes on every focus or
binding change; at a desk that changes focus on every answer that cost more
than the rest of the screen together. This bar renders the same information
(`screen.active_bindings`: ids, keymaps, check_action all apply) as one line
of text, redrawn at most once per refresh.
"""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Static


class KeyBar(Static):
    DEFAULT_CSS = """
    KeyBar {
        dock: bottom;
        height: 1;
        width: 1fr;
        background: $footer-background;
        color: $footer-foreground;
        text-wrap: nowrap;
        text-overflow: clip;
    }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__("", markup=False, **kwargs)
        self._pending = False
        self.shown: list[tuple[str, str, bool]] = []  # (key display, description, enabled)

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._changed)
        self._changed(self.screen)

    def _changed(self, _screen) -> None:
        if not self._pending:
            self._pending = True
            self.call_after_refresh(self.redraw)

    def redraw(self) -> None:
        self._pending = False
        if not self.is_attached:
            return
        shown: list[tuple[str, str, bool]] = []
        grouped: dict[object, int] = {}
        seen: set[str] = set()
        for _key, active in self.screen.active_bindings.items():
            binding = active.binding
            if not binding.show or binding.action in seen:
                continue
            seen.add(binding.action)
            display = self.app.get_key_display(binding)
            if display[:1] == "f" and display[1:].isdigit():
                display = display.upper()
            if binding.group is not None:
                if binding.group in grouped:
                    index = grouped[binding.group]
                    keys, description, enabled = shown[index]
                    shown[index] = (f"{keys}/{display}", description, enabled)
                    continue
                grouped[binding.group] = len(shown)
                shown.append((display, binding.group.description, active.enabled))
            else:
                shown.append((display, binding.description, active.enabled))
        self.shown = shown
        parts: list = []
        for display, description, enabled in shown:
            dim = "" if enabled else " dim"
            parts += [(f" {display}", f"bold $footer-key-foreground{dim}"), (f" {description} ", dim.strip())]
        self.update(Content.assemble(*parts))
