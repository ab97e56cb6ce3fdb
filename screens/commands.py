"""The command palette (ctrl+p): every action of the screen it was opened
on, with its keys, including those the key bar has no room for.

One provider for every screen (each lists it in `COMMANDS`), in the manner of
posting's commands.py: what it lists depends on the screen and its state,
read from `screen.active_bindings`, so the keys are the ones that work there
now (a site's keymap and `check_action` apply), and choosing a command runs
what its key runs.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider

# The palette itself, and Textual's copy-to-clipboard, are not this screen's actions.
LEFT_OUT = {"command_palette", "app.command_palette", "screen.copy_text"}


def screen_commands(screen) -> list[tuple[str, Callable[[], object]]]:
    """(title with its keys, run) for each action that works on the screen now."""
    found: dict[tuple[int, str], list] = {}
    app = screen.app
    for _key, active in screen.active_bindings.items():
        binding = active.binding
        # Bindings with an id are callers' own (a site can remap them); the
        # others are Textual's widgets' (cursor keys of an Input, a table).
        if binding.action in LEFT_OUT or not active.enabled or not binding.description or not binding.id:
            continue
        display = app.get_key_display(binding)
        if display[:1] == "f" and display[1:].isdigit():
            display = display.upper()
        entry = found.setdefault((id(active.node), binding.action), [binding, active.node, []])
        if display not in entry[2]:
            entry[2].append(display)
    commands = []
    for binding, node, keys in found.values():
        title = f"{binding.tooltip or binding.description}  ({', '.join(keys)})"
        commands.append((title, partial(app.run_action, binding.action, node)))
    return commands


class ScreenActions(Provider):
    """The current screen's actions, each with its keys."""

    async def discover(self) -> Hits:
        for title, run in screen_commands(self.screen):
            yield DiscoveryHit(title, run)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, run in screen_commands(self.screen):
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), run)
