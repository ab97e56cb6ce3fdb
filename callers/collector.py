"""The garbage collector held off for a moment: while the app starts (until
the first screen shows what it opened for) and between the desk's outcome key
and the next customer on screen. The collector is one switch for the whole
process, so the holds are counted here: it runs again when the last hold is
released, and only if it was running when the first was taken."""

from __future__ import annotations

import gc

_holds = 0
_was_on = True


def hold() -> None:
    global _holds, _was_on
    if _holds == 0:
        _was_on = gc.isenabled()
        gc.disable()
    _holds += 1


def release() -> None:
    """Give back one hold (one more than were taken changes nothing)."""
    global _holds
    if _holds == 0:
        return
    _holds -= 1
    if _holds == 0 and _was_on:
        gc.enable()
