"""`tel`: hand the number to the desktop's handler for tel: links.

`tel` opens `tel:+12125550284` with `xdg-open` (Linux and BSD), `open`
(macOS) or the Windows shell's association (`os.startfile`), so Linphone,
Zoiper, MicroSIP, Teams or whatever the desktop has for tel: links places the
call. `tel?to=sip:{number}@pbx.example.com` (or `callto:{number}`) hands that
URI instead. The handler runs as a program with the URI as its one argument,
never through a shell. Nothing comes back from the softphone: a call yields
only `HandedOver`, and the caller keeps the time by hand as with `manual`.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time

from callers.dialer.base import Call, Clock, Dialer
from callers.dialer.events import Stamp
from callers.dialer.url import DialerError, Spec, fill

HANDOVER_WAIT = 2.0  # seconds: a handler that fails says so at once; one still running has taken it
_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*:", re.IGNORECASE)


def opener() -> str:
    if sys.platform == "darwin":
        return "open"
    if sys.platform.startswith("win"):
        return "the Windows shell"
    return "xdg-open"


class TelDialer(Dialer):
    kind = "tel"
    reports_progress = False

    def __init__(self, spec: Spec, clock: Clock | None = None):
        super().__init__(spec, clock)
        self.to = spec.template("to", "tel:{number}")
        if not _SCHEME.match(self.to):
            raise spec.fail(f"to={self.to} needs a scheme, like tel:{{number}} or sip:{{number}}@pbx.example.com")
        spec.finish()
        self.handler = opener()

    async def _place(self, number: str, extension: str | None, at: Stamp) -> Call:
        uri = fill(self.to, number)
        call = Call(self, number, extension, uri, at, announce=False)
        if self.handler == "the Windows shell":
            try:
                await asyncio.to_thread(os.startfile, uri)  # type: ignore[attr-defined]
            except OSError as exc:
                raise DialerError(f"Windows could not open {uri}: {exc.strerror or exc}") from None
        else:
            await self._run(uri)
        call._handed_over(uri, self.handler)
        return call

    async def _run(self, uri: str) -> None:
        with tempfile.TemporaryFile() as err:
            try:
                process = subprocess.Popen([self.handler, uri], stdin=subprocess.DEVNULL,
                                           stdout=subprocess.DEVNULL, stderr=err, start_new_session=True)
            except FileNotFoundError:
                raise DialerError(f"tel: {self.handler} is not installed (on Linux it comes with xdg-utils); "
                                  "install it or use another dialler") from None
            except OSError as exc:
                raise DialerError(f"tel: cannot run {self.handler}: {exc.strerror or exc}") from None
            deadline = time.monotonic() + HANDOVER_WAIT
            while process.poll() is None and time.monotonic() < deadline:
                await asyncio.sleep(0.01)
            if process.returncode is None:  # still running: the handler has the URI
                threading.Thread(target=process.wait, daemon=True).start()  # reaped whenever it ends
                return
            if process.returncode:
                err.seek(0)
                said = next((line.strip() for line in err.read().decode(errors="replace").splitlines()
                             if line.strip()), "")
                raise DialerError(f"tel: {self.handler} could not open {uri}: "
                                  + (said or f"it exited with status {process.returncode}"))

    async def test(self) -> str:
        scheme = self.to.partition(":")[0].lower()
        if self.handler == "the Windows shell":
            return f"tel: hands {scheme}: links to the Windows shell"
        path = shutil.which(self.handler)
        if path is None:
            raise DialerError(f"tel: {self.handler} is not installed (on Linux it comes with xdg-utils)")
        app = await _default_app(scheme) if self.handler == "xdg-open" else None
        if app == "":
            raise DialerError(f"tel: no application is set to open {scheme}: links "
                              f"(xdg-mime query default x-scheme-handler/{scheme} says nothing); "
                              "install or configure a softphone")
        return f"tel: hands {scheme}: links to {path}" + (f", which opens {app}" if app else "")



async def _default_app(scheme: str) -> str | None:
    """The desktop file xdg-mime names for the scheme ("" none; None unknown)."""
    if shutil.which("xdg-mime") is None:
        return None
    try:
        done = await asyncio.to_thread(
            subprocess.run, ["xdg-mime", "query", "default", f"x-scheme-handler/{scheme}"],
            stdin=subprocess.DEVNULL, capture_output=True, timeout=HANDOVER_WAIT)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.decode(errors="replace").strip()
