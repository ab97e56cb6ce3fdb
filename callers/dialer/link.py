"""What the baresip and Asterisk diallers share: one TCP connection to a
server that answers requests by id and sends events in between.

The connection opens on first use, within `connect_timeout`; a request not
answered in COMMAND_TIMEOUT seconds, a refused connection or a lost one is a
DialerError of one line; when the connection goes, every live call ends with
the reason (the call itself may go on in the phone). A subclass says how to
greet and log in, how to read one message (`_read`) and what to do with it
(`_receive`, which hands replies to `_answer`), and how to end its calls.
"""

from __future__ import annotations

import asyncio
import itertools

from callers.dialer.base import COMMAND_TIMEOUT, Clock, Dialer, reason
from callers.dialer.url import DialerError, Spec


class Linked(Dialer):
    server = ""  # its name in messages: "baresip", "Asterisk"
    hint = ""  # what to check when the server refuses the connection
    limit = 1 << 16  # the longest message the server may send

    def __init__(self, spec: Spec, clock: Clock | None = None):
        super().__init__(spec, clock)
        self.host, self.port = spec.host, spec.port
        self.where = f"{self.server} at {self.host}:{self.port}"
        self._writer: asyncio.StreamWriter | None = None
        self._listener: asyncio.Task | None = None
        self._replies: dict[str, asyncio.Future] = {}
        self._ids = itertools.count(1)
        self._connecting = asyncio.Lock()
        self._logging_in = False
        self._closing = False

    @property
    def connected(self) -> bool:
        return self._listener is not None and not self._listener.done()

    def _next_id(self) -> str:
        return f"callers-{next(self._ids)}"

    async def _connect(self) -> None:
        async with self._connecting:
            if self.connected:
                return
            try:
                reader, self._writer = await asyncio.wait_for(
                    asyncio.open_connection(self.host, self.port, limit=self.limit), self.connect_timeout)
                await asyncio.wait_for(self._greet(reader), self.connect_timeout)
            except TimeoutError:
                self._drop()
                raise DialerError(f"{self.where} does not answer (nothing in {self.connect_timeout:g} s)") from None
            except OSError as exc:
                self._drop()
                raise DialerError(f"{self.where} does not answer ({reason(exc)}): {self.hint}") from None
            except DialerError:
                self._drop()
                raise
            self._closing = False
            self._listener = asyncio.get_running_loop().create_task(self._listen(reader))
            self._logging_in = True
            try:
                await self._login()
            except DialerError:
                self._drop()
                raise
            finally:
                self._logging_in = False

    async def _request(self, key: str, payload: bytes, what: str) -> dict:
        """Send `payload`; the reply is whatever `_answer(key, …)` is given."""
        if not self.connected:
            if self._logging_in:  # it went between the greeting and the login's reply
                raise DialerError(f"{self.where} closed the connection before callers had logged in")
            await self._connect()
        reply = asyncio.get_running_loop().create_future()
        self._replies[key] = reply
        try:
            self._writer.write(payload)
            await self._writer.drain()
            return await asyncio.wait_for(reply, COMMAND_TIMEOUT)
        except TimeoutError:
            raise DialerError(f"{self.where} did not answer {what} in {COMMAND_TIMEOUT:g} s") from None
        except OSError as exc:
            raise DialerError(f"lost the connection to {self.where} ({reason(exc)})") from None
        finally:
            self._replies.pop(key, None)

    def _answer(self, key: str, message: dict) -> None:
        reply = self._replies.get(key)
        if reply is not None and not reply.done():
            reply.set_result(message)

    async def _listen(self, reader: asyncio.StreamReader) -> None:
        why = "it closed the connection"
        try:
            while True:
                message = await self._read(reader)
                if message is not None:
                    self._receive(message)
        except (asyncio.IncompleteReadError, ConnectionError, OSError):
            pass
        except ValueError as exc:
            why = f"it sent {exc}"
        finally:
            self._lost("callers let go of the call" if self._closing else f"lost {self.where}: {why}")

    def _lost(self, why: str) -> None:
        if self._writer is not None:
            self._writer.close()
        for reply in self._replies.values():
            if not reply.done():
                reply.set_exception(DialerError(why))
        self._end_calls(why)

    def _drop(self) -> None:
        if self._writer is not None:
            self._writer.close()
        if self._listener is not None:
            self._listener.cancel()
            self._listener = None

    async def close(self) -> None:
        if self._writer is None:
            return
        self._closing = True
        if self.connected:
            await self._goodbye()
        self._writer.close()
        if self._listener is not None:
            try:
                await asyncio.wait_for(asyncio.shield(self._listener), 1.0)
            except (TimeoutError, asyncio.CancelledError):
                self._listener.cancel()
        self._listener = None

    # -- what a subclass provides --------------------------------------------

    async def _greet(self, reader: asyncio.StreamReader) -> None:
        """Read what the server says first (raise DialerError if it is not the server expected)."""

    async def _login(self) -> None:
        """Log in once the connection is read (requests work from here)."""

    async def _goodbye(self) -> None:
        """Say goodbye before the connection is closed."""

    async def _read(self, reader: asyncio.StreamReader) -> dict | None:
        """One message (None: unreadable, skip it); ValueError ends the connection."""
        raise NotImplementedError

    def _receive(self, message: dict) -> None:
        raise NotImplementedError

    def _end_calls(self, why: str) -> None:
        raise NotImplementedError
