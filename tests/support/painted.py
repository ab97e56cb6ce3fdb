"""Reading what the terminal shows, for pilot tests: the painted screen, and
the toasts (notify) on it.

A confirmation is checked only once it has been painted: `toast_painted`
waits until a toast with the text is on the screen and returns the screen's
text, so a screen that cannot render its own toast (e.g. notify() handed a
rich Text) fails the test instead of passing before the paint."""

from __future__ import annotations


def screen_text(app) -> str:
    """The active screen as painted, one line of text per row."""
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


def update_text(update) -> str:
    """The text of one painted update (what Textual hands its driver): a
    whole-screen LayoutUpdate's strips, or a ChopsUpdate's changed pieces,
    each line joined left to right."""
    lines = []
    for line in getattr(update, "strips", None) or ():  # each line a Strip, or its Strips left to right
        pieces = [line] if hasattr(line, "text") else line
        lines.append("".join(strip.text for strip in pieces if strip is not None))
    for chops in getattr(update, "chops", None) or ():
        lines.append("".join(strip.text for _x, strip in sorted(chops.items()) if strip is not None))
    return "\n".join(lines)


def toast_texts(app) -> list[str]:
    """Each toast on the screen, as painted (its lines joined, spaces collapsed)."""
    from textual.widgets._toast import Toast

    rows = list(app.screen._compositor.render_strips())
    found = []
    for toast in app.screen.query(Toast):
        region = toast.content_region
        lines = [rows[y].crop(region.x, region.right).text for y in range(region.y, min(region.bottom, len(rows)))]
        found.append(" ".join(" ".join(lines).split()))
    return found


async def toast_painted(app, pilot, text: str, tries: int = 300) -> str:
    """Wait until a toast containing `text` is painted; the screen's text then."""
    wanted = " ".join(text.split())
    seen: list[str] = []
    for _ in range(tries):
        await pilot.pause()
        if app._exception is not None or not app.is_running:
            break
        seen = toast_texts(app)
        if any(wanted in shown for shown in seen):
            return screen_text(app)
    raise AssertionError(f"no toast saying {text!r} was painted (app error: {app._exception!r}); toasts: {seen}")


def key_bar_fits(app, width: int = 80) -> list[tuple[str, str, bool]]:
    """The keys on the active screen's key bar, checked: whole keys only,
    within `width`, ctrl+q last, and each painted on the bottom line."""
    from screens.widgets.key_bar import KeyBar

    bar = app.screen.query_one(KeyBar)
    assert sum(len(display) + len(description) + 3 for display, description, _ in bar.shown) <= width
    assert bar.shown and bar.shown[-1][:2] == ("^q", "Quit"), bar.shown
    bottom = screen_text(app).splitlines()[-1]
    for display, description, _ in bar.shown:
        assert f"{display} {description}" in bottom, (display, description, bottom)
    return bar.shown
