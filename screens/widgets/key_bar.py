"""Every screen's footer: the active keys with their descriptions, on one
line that always fits.

Textual's Footer mounts one widget per key and recomposes on every focus or
binding change; at a desk that changes focus on every answer that cost more
than the rest of the screen together. It also cuts keys off mid-word at 80
columns. This bar renders the same information (`screen.active_bindings`:
ids, keymaps, check_action all apply) as one line of text, redrawn at most
once per refresh, and shows only whole keys: ctrl+q (quit) always, then the
screen's essential keys (`KEY_BAR_ESSENTIAL`, binding ids), then the others
in the screen's order while they fit, and ctrl+p (every key, in the command
palette) when there is room. Nothing is cut in the middle of a word.
"""

from __future__ import annotations

from typing import NamedTuple

from textual.content import Content
from textual.widgets import Static

QUIT = {"quit", "app.quit"}
PALETTE = {"command_palette", "app.command_palette"}


class Key(NamedTuple):
    display: str
    description: str
    enabled: bool
    id: str | None = None

    @property
    def width(self) -> int:
        return len(self.display) + len(self.description) + 3  # " F9 End call "


def fit(keys: list[Key], width: int, essential: set[str] = frozenset()) -> list[Key]:
    """The keys shown in `width` cells, in their own order: quit always (it
    comes last), essential ones next, then the rest in order while each fits
    whole; the command palette last of all."""
    quit_keys = [k for k in keys if k.id == "quit"]
    palette = [k for k in keys if k.id == "palette"]
    others = [k for k in keys if k.id not in ("quit", "palette")]
    room = width - sum(k.width for k in quit_keys)
    chosen: set[int] = set()
    for first in (True, False):
        for index, key in enumerate(others):
            if index in chosen or (first and key.id not in essential):
                continue
            if key.width <= room:
                chosen.add(index)
                room -= key.width
    shown = [k for i, k in enumerate(others) if i in chosen]
    if palette and palette[0].width <= room:
        shown += palette
    return shown + quit_keys


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
        self.keys: list[Key] = []  # every active key, in the screen's order
        self.shown: list[tuple[str, str, bool]] = []  # (key display, description, enabled) on the bar

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._changed)
        self._changed(self.screen)

    def on_resize(self) -> None:
        self._changed(self.screen)

    def _changed(self, _screen) -> None:
        if not self._pending:
            self._pending = True
            self.call_after_refresh(self.redraw)

    def collect(self) -> list[Key]:
        keys: list[Key] = []
        grouped: dict[object, int] = {}
        seen: set[str] = set()
        palette = None
        for _key, active in self.screen.active_bindings.items():
            binding = active.binding
            if binding.action in PALETTE:
                palette = Key(self.app.get_key_display(binding), "Commands", True, "palette")
                continue
            if not binding.show or binding.action in seen:
                continue
            seen.add(binding.action)
            display = self.app.get_key_display(binding)
            if display[:1] == "f" and display[1:].isdigit():
                display = display.upper()
            key_id = "quit" if binding.action in QUIT else binding.id
            if binding.group is not None:
                if binding.group in grouped:
                    index = grouped[binding.group]
                    old = keys[index]
                    keys[index] = Key(f"{old.display}/{display}", old.description, old.enabled, old.id)
                    continue
                grouped[binding.group] = len(keys)
                keys.append(Key(display, binding.group.description, active.enabled, key_id))
            else:
                keys.append(Key(display, binding.description, active.enabled, key_id))
        if not any(k.id == "quit" for k in keys):
            # A modal screen leaves the app's keys out of its bindings; ctrl+q works all the same.
            quit_binding = next((b for bindings in self.app._bindings.key_to_bindings.values() for b in bindings
                                 if b.action in QUIT), None)
            if quit_binding is not None:
                keys.append(Key(self.app.get_key_display(quit_binding), quit_binding.description, True, "quit"))
        if palette is not None:
            keys.append(palette)
        return keys

    def redraw(self) -> None:
        self._pending = False
        if not self.is_attached:
            return
        self.keys = self.collect()
        essential = set(getattr(self.screen, "KEY_BAR_ESSENTIAL", ()))
        width = self.size.width or self.app.size.width
        shown = fit(self.keys, width, essential)
        self.shown = [(k.display, k.description, k.enabled) for k in shown]
        parts: list = []
        for key in shown:
            dim = "" if key.enabled else " dim"
            parts += [(f" {key.display}", f"bold $footer-key-foreground{dim}"), (f" {key.description} ", dim.strip())]
        self.update(Content.assemble(*parts))
