"""The desk's one database thread.

One thread, one connection, kept open: jobs run in the order given, and
SQLite keeps its page cache warm (a connection must drop its cache whenever
another connection has written, so jobs spread over a pool of threads read
every page afresh, ten milliseconds an outcome).

    thread = DatabaseThread()
    rows = await thread.run(lambda: calls.profile(7))
    thread.close()
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")


class DatabaseThread:
    def __init__(self, name: str = "desk-db") -> None:
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=name)
        self._recover = False

    def recover(self) -> None:
        """Before the next job, drop pooled connections the server may have
        closed (after an error, when the person asks to try again)."""
        self._recover = True

    def call(self, job: Callable[[], T]) -> T:
        """(in the thread) `job()` with the thread's connection open."""
        from models.db import connection, database

        recover, self._recover = self._recover, False
        if recover and hasattr(database.obj, "close_idle"):
            database.obj.close_idle()
        with connection(keep=True):
            return job()

    async def run(self, job: Callable[[], T]) -> T:
        """`job()` in the thread; its result, or its error raised here."""
        return await self.submit(job)

    def start(self, job: Callable[[], T]) -> Future:
        """`job()` queued in the thread now, from any thread, with or without
        an event loop; `asyncio.wrap_future` awaits it."""
        return self.executor.submit(self.call, job)

    def submit(self, job: Callable[[], T]) -> asyncio.Future:
        """`job()` queued in the thread now (called on the event loop's
        thread); await the future for its result or its error."""
        return asyncio.get_running_loop().run_in_executor(self.executor, self.call, job)

    def close(self) -> None:
        self.executor.shutdown(wait=False, cancel_futures=True)


