"""Real telephony for the dialler's tests and benchmark, on 127.0.0.1.

- `Baresip`: the caller's softphone (Debian `baresip-core`), without a sound
  card (a 440 Hz sine as microphone, a null player), with `ctrl_tcp` on a free
  port and one account that needs no registration (it calls sip: URIs
  directly).
- `Sipp`: the customer (Debian `sip-tester`), running one scenario from
  tests/data/sip/ for one call (or `calls`); it exits 0 only if every message
  of the scenario came as written, and logs `INVITE <s> <us>` and
  `ANSWER <s> <us>` (wall clock, just before the 200 OK goes out).
- `RtpListener`: where the customer's SDP sends baresip's audio; it decodes
  the RFC 4733 telephone-events (DTMF) that baresip's `sndcode` puts in the
  RTP stream. SIPp cannot check what an RTP stream carries, so the test
  listens itself.

Every process is killed when its context ends, whatever happened.
"""

from __future__ import annotations

import shutil
import socket
import struct
import subprocess
import threading
import time
from pathlib import Path

SIP_DATA = Path(__file__).parents[1] / "data" / "sip"
MODULES = Path("/usr/lib/baresip/modules")
EVENTS = "0123456789*#ABCD"


def missing() -> str | None:
    """Why the real-parts tests cannot run here, or None."""
    absent = [name for name in ("baresip", "sipp") if shutil.which(name) is None]
    if absent:
        return (f"{' and '.join(absent)} not installed: apt-get install baresip-core sip-tester "
                "(.ci/run does it)")
    needed = ["ctrl_tcp.so", "menu.so", "account.so", "g711.so", "ausine.so", "aubridge.so"]
    gone = [m for m in needed if not (MODULES / m).exists()]
    if gone:
        return f"baresip modules missing from {MODULES}: {', '.join(gone)}"
    return None


def free_port(tls: bool = False) -> int:
    """A port free for both TCP and UDP on 127.0.0.1 (SIP listens on both);
    with `tls`, the next port too (baresip puts SIP over TLS on port + 1)."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
            tcp.bind(("127.0.0.1", 0))
            port = tcp.getsockname()[1]
            if _free(socket.SOCK_DGRAM, port) and (not tls or _free(socket.SOCK_STREAM, port + 1)):
                return port
    raise RuntimeError("no free port")


def _free(kind: int, port: int) -> bool:
    with socket.socket(socket.AF_INET, kind) as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def wait_for(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise RuntimeError(f"gave up waiting for {what} after {timeout:g} s")
        time.sleep(0.02)


async def until(condition, timeout: float, what: str) -> None:
    """`wait_for` for async tests: the event loop keeps running meanwhile."""
    import asyncio

    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise RuntimeError(f"gave up waiting for {what} after {timeout:g} s")
        await asyncio.sleep(0.02)


def _stop(process: subprocess.Popen | None) -> None:
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(3)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(3)


class _Program:
    """A program run for a test, stopped when its context ends, whatever happened."""

    process: subprocess.Popen | None = None
    folder: Path

    def __enter__(self):
        self.folder.mkdir(parents=True, exist_ok=True)
        for attempt in range(3):  # another process may take a free port before the program binds it
            try:
                self._start()
                return self
            except RuntimeError as exc:
                if "Address already in use" not in str(exc) or attempt == 2:
                    raise
                self._choose_ports()

    def _choose_ports(self) -> None:
        raise NotImplementedError

    def _start(self) -> None:
        raise NotImplementedError

    def _launch(self, argv: list[str], output: Path, ready, what: str, **popen) -> None:
        self.output = output
        self._log = open(output, "wb")
        self.process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=self._log,
                                        stderr=subprocess.STDOUT, **popen)
        try:
            wait_for(lambda: self._running(what) and ready(), 10, what)
        except BaseException:
            self.__exit__()
            raise

    def _running(self, what: str) -> bool:
        if self.process.poll() is not None:
            text = self.output.read_text(errors="replace")
            # The reason is near the top (SIPp prints its statistics after it);
            # "Address already in use" makes __enter__ try other ports.
            reasons = [line.strip() for line in text.splitlines()
                       if "in use" in line or "Unable to" in line or "rror:" in line]
            raise RuntimeError(f"gave up waiting for {what}: it exited: "
                               f"{' / '.join(reasons[:3]) or text[-500:]}")
        return True

    def stop(self) -> None:
        _stop(self.process)

    def __exit__(self, *exc) -> None:
        _stop(self.process)
        self._log.close()


class Baresip(_Program):
    def __init__(self, folder: Path):
        self.folder = folder
        self._choose_ports()

    def _choose_ports(self) -> None:
        self.ctrl_port = free_port()
        self.sip_port = free_port(tls=True)

    def url(self, to: str, **options) -> str:
        query = "&".join([f"to={to}"] + [f"{k}={v}" for k, v in options.items()])
        return f"baresip://127.0.0.1:{self.ctrl_port}?{query}"

    def _start(self) -> None:
        (self.folder / "config").write_text(f"""\
poll_method\t\tepoll
sip_listen\t\t127.0.0.1:{self.sip_port}
call_local_timeout\t120
audio_player\t\taubridge,nil
audio_source\t\tausine,440
audio_alert\t\taubridge,nil
ausrc_srate\t\t48000
auplay_srate\t\t48000
ausrc_channels\t\t2
auplay_channels\t\t2
module_path\t\t{MODULES}
module\t\t\tg711.so
module\t\t\tausine.so
module\t\t\taubridge.so
module_app\t\taccount.so
module_app\t\tmenu.so
module_app\t\tctrl_tcp.so
ctrl_tcp_listen\t\t127.0.0.1:{self.ctrl_port}
""")
        (self.folder / "accounts").write_text("<sip:caller@127.0.0.1>;regint=0\n")
        self._launch(["baresip", "-f", str(self.folder)], self.folder / "baresip.log", self._listening,
                     "baresip's ctrl_tcp")

    def _listening(self) -> bool:
        try:
            # A connection that is let go at once: ctrl_tcp serves the newest one.
            socket.create_connection(("127.0.0.1", self.ctrl_port), timeout=0.2).close()
            return True
        except OSError:
            return False


class Sipp(_Program):
    """`with Sipp(folder, "busy.xml", rtp_port) as far: ... far.wait()`."""

    def __init__(self, folder: Path, scenario: str, rtp_port: int | None = None, calls: int = 1):
        self.folder = folder
        self.scenario = SIP_DATA / scenario
        self.rtp_port = rtp_port or free_port()
        self.calls = calls
        self._choose_ports()

    def _choose_ports(self) -> None:
        self.port = free_port()
        self.log_file = self.folder / f"sipp-{self.port}.log"

    @property
    def uri(self) -> str:
        return "sip:{number}@127.0.0.1:%d" % self.port

    def _start(self) -> None:
        self._launch(
            ["sipp", "-sf", str(self.scenario), "-i", "127.0.0.1", "-p", str(self.port), "-m", str(self.calls),
             "-key", "rtp_port", str(self.rtp_port), "-nostdin", "-timeout", f"{30 * self.calls}s",
             "-timeout_error", "-trace_logs", "-log_file", str(self.log_file)],
            self.folder / f"sipp-{self.port}.out", self._listening, "SIPp's port", cwd=self.folder)

    def _listening(self) -> bool:
        return not _free(socket.SOCK_DGRAM, self.port)  # SIPp holds it

    def wait(self, timeout: float = 15) -> int:
        """SIPp's exit status once its one call is over: 0 = the scenario went as written."""
        return self.process.wait(timeout)

    def logged(self, word: str) -> list[float]:
        """The wall-clock times SIPp logged `word` ("INVITE", "ANSWER") at, in order."""
        times = []
        if self.log_file.exists():
            for line in self.log_file.read_text().splitlines():
                parts = line.split()
                if len(parts) == 3 and parts[0] == word:
                    times.append(float(parts[1]) + float(parts[2]) / 1e6)
        return times


class RtpListener:
    """Collects the DTMF digits (RFC 4733, payload type 101) sent to its port."""

    PAYLOAD_TYPE = 101

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self.packets = 0
        self._ended: dict[int, str] = {}  # RTP timestamp -> digit whose end was seen
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> RtpListener:
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                data = self.sock.recv(2048)
            except (TimeoutError, OSError):
                continue
            self.packets += 1
            if len(data) >= 16 and data[1] & 0x7F == self.PAYLOAD_TYPE:
                timestamp = struct.unpack("!I", data[4:8])[0]
                event, flags = data[12], data[13]
                if flags & 0x80 and event < len(EVENTS):  # the end of the event (sent three times)
                    self._ended.setdefault(timestamp, EVENTS[event])

    def digits(self) -> str:
        return "".join(digit for _, digit in sorted(self._ended.items()))

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(2)
        self.sock.close()
