"""The garbage collector held off for a moment: while callers starts (its
imports, until the first screen shows what it opened for) and between the
desk's outcome key and the next customer on screen. The collector is one
switch for the whole process, so the holds are counted here: it runs again
when the last hold is released, and only if it was running when the first
was taken.

Start-up makes tens of thousands of objects that live as long as the process
(modules, classes, styles, widgets); the collector's passes over them while
they are made find nothing to free and took about 12 ms of every start. The
start hold (`hold_start`) ends when the first screen is up (`end_start`), when
a command that opens no screen begins its work, or at the latest after
START_SECONDS, whatever happens: a script that only imports callers is never
left without its collector."""

from __future__ import annotations

import gc
import threading

START_SECONDS = 2.0

_lock = threading.Lock()
_holds = 0
_was_on = True
_start_timer: threading.Timer | None = None


def _take() -> None:  # (with _lock held)
    global _holds, _was_on
    if _holds == 0:
        _was_on = gc.isenabled()
        gc.disable()
    _holds += 1


def _give() -> None:  # (with _lock held)
    global _holds
    if _holds == 0:
        return
    _holds -= 1
    if _holds == 0 and _was_on:
        gc.enable()


def hold() -> None:
    with _lock:
        _take()


def release() -> None:
    """Give back one hold (one more than were taken changes nothing)."""
    with _lock:
        _give()


def hold_start(seconds: float = START_SECONDS) -> None:
    """The start hold, if it is not held now: ends with `end_start()` or after `seconds`."""
    global _start_timer
    with _lock:
        if _start_timer is not None:
            return
        _take()
        _start_timer = threading.Timer(seconds, _expire)
        _start_timer.daemon = True
        _start_timer.start()


def _expire() -> None:
    global _start_timer
    with _lock:
        if _start_timer is threading.current_thread():
            _start_timer = None
            _give()


def end_start() -> None:
    """End the start hold (nothing when it is not held)."""
    global _start_timer
    with _lock:
        timer, _start_timer = _start_timer, None
        if timer is None:
            return
        timer.cancel()
        _give()
