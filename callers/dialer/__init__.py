"""Diallers: the caller's softphone or the company's PBX places the call.

No Textual and no database here: the desk's session and `callers dial` use
it the same way, on one asyncio event loop (Textual's, or `asyncio.run`). A
dialler places one call at a time (the softphone's line): hang up, or let the
call end, before the next `dial()`.

    dialer = dialer_from("baresip://127.0.0.1:4444?to=sip:{number}@pbx.example.com")
    call = await dialer.dial("+12125550284", extension="23")
    async for event in call:          # Dialled, Ringing, Answered, Dtmf, Ended
        ...
    await call.hangup()
    await dialer.close()

URL forms (`url.py` reads them; a bad one raises DialerError naming what is
wrong):

- `manual` (the default): nothing dials.
- `tel` / `tel?to=sip:{number}@pbx.example.com`: the desktop's tel: handler.
- `baresip://HOST:PORT?to=sip:{number}@PROXY`: baresip's ctrl_tcp (port 4444
  by default; `to` defaults to `{number}`, which baresip completes with its
  account's domain).
- `ami://USER:SECRET@HOST:5038?channel=PJSIP/201&context=from-internal`
  (and `exten=`, `priority=`, `callerid=`): Asterisk's Manager interface.

baresip and ami also take `connect_timeout` (seconds, default 2),
`ring_timeout` (default 60: an unanswered call is given up after it) and
`dtmf_pause` (default 2: the wait between the answer and the extension's
digits).

Where the URL comes from (`choose`): `--dialer URL`, else `CALLERS_DIALER`,
else the person's setting in the database, else `manual`.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

if TYPE_CHECKING:
    from callers.dialer.base import Clock, Dialer

ENV = "CALLERS_DIALER"

# What the package gives, by the module that holds it. They are imported the
# first time one is asked for (PEP 562): the desk starts (manual dialling, and
# its `callers.dialer.progress`) without the dialler's events, URLs and base.
_FROM = {
    **dict.fromkeys(("Call", "Clock", "Dialer", "ManualDialer"), "callers.dialer.base"),
    **dict.fromkeys(("ANSWERED", "BUSY", "CANCELLED", "FAILED", "NO_ANSWER", "STATES", "Answered", "CallEvent",
                     "Dialled", "Dtmf", "Ended", "HandedOver", "Ringing", "Stamp"), "callers.dialer.events"),
    **dict.fromkeys(("DialerError", "hide_secret", "split"), "callers.dialer.url"),
}

__all__ = [
    "ANSWERED", "BUSY", "CANCELLED", "FAILED", "NO_ANSWER", "STATES", "ENV",
    "Answered", "Call", "CallEvent", "Choice", "Dialer", "DialerError", "Dialled", "Dtmf", "Ended",
    "HandedOver", "Ringing", "Stamp", "choose", "dialer_from",
]


def __getattr__(name: str):
    module = _FROM.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_FROM))


def dialer_from(url: str | None, clock: Clock | None = None) -> Dialer:
    """The dialler a URL describes (not yet connected: nothing is opened
    until the first `dial()` or `test()`)."""
    from callers.dialer.base import ManualDialer
    from callers.dialer.url import split

    spec = split(url)
    if spec.kind == "manual":
        return ManualDialer(spec, clock)
    if spec.kind == "tel":
        from callers.dialer.tel import TelDialer

        return TelDialer(spec, clock)
    if spec.kind == "baresip":
        from callers.dialer.baresip import BaresipDialer

        return BaresipDialer(spec, clock)
    from callers.dialer.ami import AmiDialer

    return AmiDialer(spec, clock)


@dataclass(frozen=True)
class Choice:
    url: str  # as given ("manual" when nothing was)
    source: str  # where it came from, in words: "from CALLERS_DIALER", "by default"

    @property
    def shown(self) -> str:
        from callers.dialer.url import hide_secret

        return hide_secret(self.url)


def choose(flag: str | None, environ: dict[str, str], stored: Callable[[], str | None],
           user: str = "this user") -> Choice:
    """`--dialer`, else CALLERS_DIALER, else `stored()` (the user's setting in
    the database; only called when needed), else manual."""
    if flag is not None and flag.strip():
        return Choice(flag.strip(), "from --dialer")
    if environ.get(ENV, "").strip():
        return Choice(environ[ENV].strip(), f"from {ENV}")
    saved = stored()
    if saved:
        return Choice(saved, f"from {user}'s setting in the database")
    return Choice("manual", "by default")
