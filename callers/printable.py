"""Text from outside shown on a terminal, never driving it.

A name, a note or a file name may hold control characters (ESC starts the
sequences that retitle a terminal, move its cursor or rewrite its screen;
BEL rings it). The database keeps such text exactly; whatever shows it on a
terminal shows the characters instead of obeying them:

    printable("Acme\\x1b]0;pwned\\x07")   # 'Acme␛]0;pwned␇'
    printable("a\\x9bb")                  # 'a\\\\u009bb'

C0 controls become their Unicode "control pictures" (U+2400-U+241F: ␛ ␇ ␍
␊ ␉ ...), DEL and the C1 controls (U+0080-U+009F) a `\\u009b` escape (which
is also a valid JSON escape, so JSON output stays JSON).

The CLI writes everything through `SafeStream` (`safe_output()` in
`callers.cli.main`): line breaks, tabs and CRLF line ends pass, any other
control character is shown as above. A CSV written to a file or a pipe keeps
its cells exactly (`data_stream`); only on a terminal is it shown safe.
Screens call `printable` where customer text goes into a widget.
"""

from __future__ import annotations

import contextlib
import re
import sys
from typing import TextIO

# C0 (U+0000-U+001F), DEL (U+007F) and C1 (U+0080-U+009F).
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
# The same, but line breaks and tabs kept (multi-line text; a CRLF line end).
_CONTROL_IN_LINES = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]|\r(?!\n)")


def _shown(match: re.Match) -> str:
    code = ord(match.group())
    if code < 0x20:
        return chr(0x2400 + code)
    return f"\\u{code:04x}"


def printable(text, *, lines: bool = False) -> str:
    """`text` with its control characters shown, not obeyed. `lines`: keep
    line breaks and tabs (a note shown on several lines)."""
    if text is None:
        return ""
    text = str(text)
    pattern = _CONTROL_IN_LINES if lines else _CONTROL
    if pattern.search(text) is None:
        return text
    return pattern.sub(_shown, text)


class SafeStream:
    """A text stream that writes through `printable(..., lines=True)`."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream

    def write(self, text: str) -> int:
        self.stream.write(printable(text, lines=True))
        return len(text)

    def writelines(self, lines) -> None:
        for line in lines:
            self.write(line)

    def __getattr__(self, name: str):  # flush, isatty, fileno, encoding, buffer...
        return getattr(self.stream, name)


def unwrap(stream: TextIO) -> TextIO:
    """The stream under a SafeStream (for output that must reach the terminal
    as written: a progress bar's own escape sequences)."""
    return stream.stream if isinstance(stream, SafeStream) else stream


def data_stream(stream: TextIO) -> TextIO:
    """Where to write data (CSV): exactly, to a file or a pipe; shown safe on
    a terminal."""
    raw = unwrap(stream)
    try:
        tty = raw.isatty()
    except (AttributeError, ValueError):
        tty = False
    return SafeStream(raw) if tty else raw


@contextlib.contextmanager
def safe_output():
    """Standard output and error shown safe while the block runs."""
    out, err = sys.stdout, sys.stderr
    sys.stdout = out if isinstance(out, SafeStream) else SafeStream(out)
    sys.stderr = err if isinstance(err, SafeStream) else SafeStream(err)
    try:
        yield
    finally:
        sys.stdout, sys.stderr = out, err
