"""One caller's desk session: the call on the desk, its answers queued and
journalled, the database going away and coming back, and "finish this call
and open the next".

Answers are saved one by one, in order, the moment they are given: each goes
first to the caller's journal (`callers.outbox`, so a killed desk loses none),
then to the database in the session's one thread (`DatabaseThread`). When the
database is unreachable the answers stay queued and the session tries again
by itself, waiting longer each time (`callers.outbox.backoff`); ending or
skipping a call first saves whatever is still queued, in the same job.

Every method that touches the database is an awaitable that returns a plain
value or raises (a screen runs it in a worker and shows the error with a
retry); the background saving reports through `listener` (`callers.desk.events`).
Calls are placed through `dialling` (`callers.desk.dialling`: F2 dials,
the answer starts the talk time, F9 hangs up); its progress reaches the
listener as `CallProgress`.

Longer than 500 lines because the session is one state (the open call, its
queued answers, online or not) that loading, answering, saving, forwarding
and finishing all read and change; split, each part would reach into the others.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import threading
from collections import deque
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, NamedTuple

from callers import calls, clock, due
from callers.calls import CallState, Profile, Scheduled
from callers.desk.dialling import Dialling
from callers.desk.thread import DatabaseThread
from callers.errors import CallersError, describe_error, first_line
from callers.outbox import Entry, Outbox, backoff, is_connection_error

# The events (`callers.desk.events`) are imported where one is emitted: the
# desk starts without them (five dataclasses, 2 ms), as without the dialler's.

Spawn = Callable[[Callable[[], Awaitable[Any]], str, str], Any]  # (start, name, group)


class Opened(NamedTuple):
    """What the desk shows next: ("call", CallState) or ("nobody", message)."""

    kind: str
    value: Any


class Finished(NamedTuple):
    """A call ended (or skipped) and the next one looked for. `scheduled`:
    when the customer is due again (None for a skip); `opened`: the next
    call or nobody, None when looking failed (`error`: one line why; the
    outcome is saved all the same)."""

    scheduled: Scheduled | None
    opened: Opened | None
    error: str | None = None


class _Answer(NamedTuple):
    entry: Entry | None  # its journal line (None: the journal could not be written)
    call_id: int
    step: str
    key: str
    value: str | None
    at: datetime
    seq: int
    seconds: int | None = None  # how long its step was on screen (None: not known)


class _Tasks:
    """The default way to run background saving: asyncio tasks, kept until done."""

    def __init__(self) -> None:
        self.running: set[asyncio.Task] = set()

    def __call__(self, start: Callable[[], Awaitable[Any]], name: str, group: str) -> asyncio.Task:
        async def run():
            return await start()

        task = asyncio.get_running_loop().create_task(run(), name=name)
        self.running.add(task)
        task.add_done_callback(self.running.discard)
        return task

    async def wait(self) -> None:
        while self.running:
            await asyncio.gather(*list(self.running), return_exceptions=True)


class DeskSession:
    """The desk of `caller`, without a screen.

    `zone`: the caller's own time zone (for "nobody is due until …");
    `listener(event)`: told of `callers.desk.events` on the event loop's
    thread; `spawn(start, name, group)`: runs background work (`start()`
    returns an awaitable), by default as an asyncio task (a Textual screen
    passes its `run_worker`)."""

    def __init__(self, caller: str, *, zone: str | None = None, outbox: Outbox | None = None,
                 listener: Callable[[Any], None] | None = None, spawn: Spawn | None = None,
                 dialer: Any = None) -> None:
        self.caller = caller
        self.zone = zone
        self.outbox = outbox or Outbox.for_caller(caller)
        self.listener = listener or (lambda _event: None)
        self._tasks = _Tasks()
        self.spawn: Spawn = spawn or self._tasks
        self.thread: DatabaseThread | None = None
        self.call: CallState | None = None
        self.filed: list[tuple[int, str, str | None]] = []  # this call's forwards (id, department, note)
        self.target = 180
        self.cycle_days = 90
        self.departments: list = []  # callers.departments.DepartmentInfo, read on the first load
        # Answers not yet in the database, oldest first, each also in the journal.
        self.pending: deque[_Answer] = deque()
        self._seq = 0  # the number of the last answer given in this call (calls.record_answer's seq)
        self._save_lock = threading.Lock()
        self._flushing = False
        self._offline_attempts = 0
        self._retry_handle: asyncio.TimerHandle | None = None
        self._first_load = True
        self._begun: concurrent.futures.Future | None = None  # the first load, begun early (`begin`)
        self.dialling = Dialling(self, dialer)  # `dialer`: a callers.dialer.Dialer, None for manual
        self.nps_on = False  # the company asks the 0-10 question (the `nps` setting, read on the first load)
        # The open call's extras: forwards to ask "Was it fixed?" about, the NPS score saved.
        self.to_ask: list = []  # callers.loop.Question, oldest done first
        self.nps_score: int | None = None
        self._extras: tuple | None = None  # (call_id, questions, score), from the database thread
        # Step times: when the step on screen came up (None: not known, after a
        # restore) and when the call's previous answer was given on this desk.
        self._step_since: datetime | None = None
        self._last_answer_at: datetime | None = None
        self._restored = False  # the open call had started before this desk showed it

    # ---- lifecycle --------------------------------------------------------------

    def start(self) -> None:
        """Start the database thread (before the first awaitable)."""
        if self.thread is None:
            self.thread = DatabaseThread()

    def close(self) -> None:
        if self._retry_handle is not None:
            self._retry_handle.cancel()
            self._retry_handle = None
        if self.thread is not None:
            self.thread.close()

    async def idle(self) -> None:
        """Wait until the default spawner's background saving is done."""
        await self._tasks.wait()

    def recover(self) -> None:
        """The next database job first drops connections the server closed
        (call it before trying again after an error)."""
        self._ready().recover()

    @property
    def online(self) -> bool:
        return self._offline_attempts == 0

    def _ready(self) -> DatabaseThread:
        self.start()
        return self.thread  # type: ignore[return-value]

    async def run(self, job: Callable[[], Any]) -> Any:
        """`job()` in the session's database thread."""
        return await self._ready().run(job)

    def _emit(self, event: Any) -> None:
        self.listener(event)

    # ---- the next call ------------------------------------------------------------

    def _replay_journal(self) -> int:
        """(thread) Answers a previous desk kept on disk while the database was
        away (and then was closed or killed): write them now, each once."""

        def apply(entry: Entry) -> None:
            if entry.kind != "answer":
                return
            a = entry.args
            try:
                calls.record_answer(int(a["call_id"]), a["step"], a["key"], a.get("value"),
                                    now=datetime.fromisoformat(a["at"]), seq=a.get("seq"),
                                    seconds=a.get("seconds"))
            except CallersError:
                pass  # the call ended elsewhere, or the answer is wrong: nothing to keep

        return self.outbox.flush(apply)

    def _next_call(self, restore: bool) -> Opened:
        """(thread) The caller's unfinished call, or a new one, or nobody due."""
        if restore:
            self._replay_journal()
        state = calls.restore(self.caller) if restore else None
        if state is None:
            customer = due.next_due(self.caller, claim=True)
            if customer is None:
                return Opened("nobody", due.nobody_due_message(caller_zone=self.zone))
            state = calls.open_call(self.caller, customer.id)
        self._extras = (state.call_id, *self._call_extras(state))
        return Opened("call", state)

    def _call_extras(self, state: CallState) -> tuple[list, int | None]:
        """(thread) The forwards to ask "Was it fixed?" about, and the NPS
        score already saved on the call (a restored call)."""
        try:
            from callers import loop
        except ImportError:  # forwarding not installed: nothing to ask
            questions = []
        else:
            questions = loop.to_ask(state.profile.customer.id)
        score = None
        if self.nps_on and state.started_at is not None:
            from callers import nps

            score = nps.given(state.call_id)
        return questions, score

    def _open(self, opened: Opened) -> Opened:
        self.dialling.forget()
        if opened.kind != "call":
            self.call = None
            self.filed = []
            return opened
        state: CallState = opened.value
        self.call = state
        extras = self._extras if self._extras and self._extras[0] == state.call_id else (None, [], None)
        self._extras = None
        self.to_ask, self.nps_score = list(extras[1]), extras[2]
        # A call restored (it had started) came up before this desk: its
        # step's time so far is not known.
        self._step_since, self._last_answer_at = None, None
        self._restored = state.started_at is not None
        self.filed = [(f.id, f.department, f.note) for f in state.profile.open_forwards
                      if state.shown_at is not None and f.created_at >= state.shown_at]
        self._seq = max((a.seq or 0 for a in state.answers), default=0)
        return opened

    @staticmethod
    def _load_departments() -> list:
        try:
            from callers import departments
        except ImportError:  # forwarding not installed: no forward keys
            return []
        return list(departments.departments())

    def begin(self) -> None:
        """Begin the first load (restoring an unfinished call) in the
        database thread now, with or without an event loop running (the app
        calls this when it is made, before Textual starts); the first
        `load()` takes the result (or the error) when it asks for it."""
        if self._first_load and self._begun is None:
            self._begun = self._ready().start(self._load_job(True, True))

    def _load_job(self, restore: bool, first: bool) -> Callable[[], tuple[Opened, dict]]:
        def job():
            extra = {}
            if first:
                from callers import settings

                extra["target"] = settings.get("target_seconds")
                extra["cycle_days"] = settings.get("cycle_days")
                extra["departments"] = self._load_departments()
                from callers import nps

                self.nps_on = nps.enabled()
            return self._next_call(restore), extra

        return job

    async def load(self, restore: bool = True) -> Opened:
        """The caller's unfinished call (answers kept in the journal written
        first), else the next due customer's new call, else nobody. The first
        load also reads the settings and the departments."""
        first = self._first_load
        begun, self._begun = self._begun, None
        if begun is not None and first and restore:
            opened, extra = await asyncio.wrap_future(begun)
        else:
            opened, extra = await self.run(self._load_job(restore, first))
        return self._loaded(opened, extra, first)

    def loaded_already(self) -> Opened | None:
        """The first load's result when `begin()` began it and it has finished
        without an error (a screen shows it as it is built, with no worker and
        no frame of "Looking for…" before it); else None: `load()` waits for it
        (and raises its error)."""
        begun = self._begun
        if begun is None or not self._first_load or not begun.done() or begun.exception() is not None:
            return None
        self._begun = None
        opened, extra = begun.result()
        return self._loaded(opened, extra, True)

    def _loaded(self, opened: Opened, extra: dict, first: bool) -> Opened:
        if first:
            self._first_load = False
            self.target = int(extra.get("target") or 180)
            self.cycle_days = int(extra.get("cycle_days") or 90)
            self.departments = list(extra.get("departments") or [])
        return self._open(opened)

    def first_step(self, state: CallState, now: datetime | None = None) -> str:
        """The script step a call starts at (the first one not fresh)."""
        return calls.first_step(state.profile, state.answers, now or clock.now(), self.cycle_days)

    # ---- during the call -----------------------------------------------------------

    def step_shown(self, step: str, at: datetime | None = None, opening: bool = False) -> None:
        """A script step came up on screen at `at` (default now). `opening`:
        the step a call opens on; for a call restored after a crash (it had
        started) its time on screen before is not known, so not counted."""
        if opening and self._restored:
            self._step_since = None
            return
        self._step_since = at or clock.now()

    def seconds_on_screen(self, at: datetime) -> int | None:
        """Whole seconds since the step came up or since the call's previous
        answer on this desk, whichever is later (never before the call
        started); None when neither is known."""
        state = self.call
        known = [t for t in (self._step_since, self._last_answer_at) if t is not None]
        if state is None or not known:
            return None
        since = max(known)
        if state.started_at is not None:
            since = max(since, state.started_at)
        return max(0, int((at - since).total_seconds()))

    def _timed(self) -> tuple[datetime, int | None]:
        """(now, seconds on screen) for an answer given now; the next answer counts from here."""
        at = clock.now()
        seconds = self.seconds_on_screen(at)
        self._last_answer_at = at
        return at, seconds

    def mark_started(self) -> datetime | None:
        """The caller started the call now (the timer runs from here); None
        when there is no call or it had started."""
        state = self.call
        if state is None or state.started_at is not None:
            return None
        state.started_at = clock.now()
        return state.started_at

    async def save_start(self) -> datetime | None:
        """Record the call's start; the time the database kept (the open call
        takes it), None when the call changed meanwhile."""
        state = self.call
        if state is None:
            return None
        at = await self.run(lambda: calls.start_call(state.call_id))
        if self.call is state and at is not None:
            state.started_at = at
            return at
        return None

    def answer(self, step: str, key: str, value: str | None = None) -> None:
        """An answer the customer gave: in the journal now (handed to the
        operating system, not waited for on the disk), saved in the database
        in the background, after every answer before it."""
        if self.call is None:
            return
        at, seconds = self._timed()
        call_id = self.call.call_id
        self._seq += 1
        try:
            entry = self.outbox.write("answer", call_id=call_id, step=step, key=key, value=value,
                                      at=at.isoformat(), seq=self._seq, seconds=seconds)
        except OSError as exc:  # a full disk, a journal folder gone: the database write still goes ahead
            from callers.desk import events

            entry = None
            self._emit(events.Notice(f"The answer is not in your journal ({exc.strerror or exc}); "
                                     "saving it to the database.", "Journal not written", "warning"))
        self.pending.append(_Answer(entry, call_id, step, key, value, at, self._seq, seconds))
        self.flush()

    def _drain(self) -> tuple[int, list[str], bool]:
        """(thread) Save every queued answer, oldest first. A database error
        stops here and leaves the answer queued; an answer the domain rejects
        (CallersError) is dropped and reported. Returns (saved, errors, added)."""
        saved, errors, added = 0, [], False
        with self._save_lock:
            while self.pending:
                a = self.pending[0]
                if a.entry is not None:
                    # Its journal line on disk before its database write (it
                    # may have come while the one before it was saved).
                    with contextlib.suppress(OSError):  # the database write below keeps it then
                        self.outbox.sync()
                try:
                    # `seq`: its number in the call, so a replay is saved once.
                    calls.record_answer(a.call_id, a.step, a.key, a.value, now=a.at, seq=a.seq,
                                        seconds=a.seconds)
                except CallersError as exc:
                    errors.append(first_line(exc))
                if a.entry is not None:
                    self.outbox.mark_done(a.entry)
                saved += 1
                added = added or a.key == "add" or a.step == "contacts" and ":phone" in a.key
                self.pending.popleft()
        return saved, errors, added

    def _report(self, drained: tuple[int, list[str], bool]) -> bool:
        """Say what a drain of the queued answers did (back online, answers
        refused). True when the profile should be read again."""
        from callers.desk import events

        saved, errors, added = drained
        if self._offline_attempts and not self.pending:
            self._offline_attempts = 0
            self._emit(events.Connection(online=True))
            self._emit(events.Notice(f"Database back: {saved} kept answer(s) saved.", "Back online"))
        for error in errors:
            self._emit(events.Notice(error, "Not saved", "error"))
        return bool(errors or added)

    def flush(self) -> None:
        """Save the queued answers in the background (nothing when a save is
        already under way: it takes what comes meanwhile)."""
        if self._flushing or not self.pending:
            return
        self._flushing = True
        if self._retry_handle is not None:
            self._retry_handle.cancel()
            self._retry_handle = None
        self.spawn(self._flush, "saving an answer", "desk-answers")

    async def _flush(self) -> None:
        from callers.desk import events

        try:
            drained = await self.run(self._drain)
        except Exception as error:  # noqa: BLE001 - every failure is said, the answers kept
            self._flushing = False
            self._save_failed(error)
            return
        self._flushing = False
        if self._report(drained) and self.call is not None:
            self._emit(events.ProfileStale(self.call.call_id))
        self.flush()

    async def save_answers(self) -> tuple[int, list[str], bool]:
        """Save the queued answers now (after any save under way); raises
        when the database refuses. Returns (saved, refused messages, a
        contact was added)."""
        drained = await self.run(self._drain)
        self._report(drained)
        return drained

    def _save_failed(self, error: BaseException) -> None:
        from callers.desk import events

        if is_connection_error(error):
            # Keep going: the answers are in memory and in the journal; try
            # again by itself, waiting longer each time.
            delay = backoff(self._offline_attempts)
            self._offline_attempts += 1
            self._emit(events.Connection(online=False, pending=len(self.pending), retry_in=delay))
            if self._offline_attempts == 1:
                self._emit(events.Notice(f"{describe_error(error)}\nYour answers are kept and saved when it is back.",
                                  "Database unreachable", "warning"))
            self._retry_handle = asyncio.get_running_loop().call_later(delay, self.flush)
            return
        self._emit(events.SaveFailed(describe_error(error)))

    async def reload_profile(self) -> Profile | None:
        """Read the open call's profile again; None when the call changed meanwhile."""
        state = self.call
        if state is None:
            return None
        profile = await self.run(lambda: calls.profile(state.profile.customer.id))
        if self.call is not state:
            return None
        state.profile = profile
        return profile

    async def check_forwards(self) -> list | None:
        """Live data: forwards a department finished or returned since the
        profile was read (the profile takes them). None when the call changed
        meanwhile."""
        state = self.call
        if state is None:
            return None
        open_fw, resolved = await self.run(lambda: calls.forward_facts(state.profile.customer.id))
        if self.call is not state:
            return None
        known = {f.id for f in state.profile.resolved_forwards}
        news = [fact for fact in resolved if fact.id not in known]
        if (open_fw, resolved) != (state.profile.open_forwards, state.profile.resolved_forwards):
            state.profile = state.profile._replace(open_forwards=open_fw, resolved_forwards=resolved)
        return news

    # ---- forwarding ------------------------------------------------------------------

    async def forward(self, department: str, note: str | None = None):
        """File a forward from the open call; `callers.forwards.Filed`."""
        from callers import forwards

        state = self.call
        if state is None:
            raise CallersError("No call is open.")
        contact = state.profile.customer.contact
        _at, seconds = self._timed()
        filed = await self.run(lambda: forwards.create(
            state.profile.customer.id, department, self.caller, note=note or None, call_id=state.call_id,
            contact_id=contact.id if contact else None, seconds=seconds))
        if self.call is state:
            self.filed.append((filed.id, filed.department, note or None))
        return filed

    async def answer_fixed(self, forward_id: int, key: str, words: str | None = None):
        """"Was it fixed?" answered for one forward (`key` y / n / p; a "no"
        reopens it with `words`): `callers.loop.Answered` (its `message` says
        what was done), None for Enter (nothing recorded). The forward is no
        longer in `to_ask` once answered."""
        from callers import loop

        state = self._open_call()
        if not (key or "").strip():
            return None
        at, seconds = self._timed()
        result = await self.run(lambda: loop.answer(state.call_id, forward_id, key, words=words or None,
                                                    seconds=seconds, now=at))
        if result is not None and self.call is state:
            self.to_ask = [q for q in self.to_ask if q.forward_id != forward_id]
        return result

    async def record_nps(self, text: str | None) -> int | None:
        """The customer's 0-10 answer typed as `text` (Enter: None, nothing
        saved); raises CallersError (one line) on anything else."""
        from callers import nps

        state = self._open_call()
        score = await self.run(lambda: nps.record(state.call_id, text))
        if score is not None and self.call is state:
            self.nps_score = score
        return score

    async def withdraw(self, forward_id: int) -> str:
        """Withdraw a forward filed in this call; its department's name."""
        from callers import forwards

        department = next((d for fid, d, _n in self.filed if fid == forward_id), "")
        await self.run(lambda: forwards.withdraw(forward_id, by=self.caller))
        self.filed = [f for f in self.filed if f[0] != forward_id]
        return department

    # ---- ending ---------------------------------------------------------------------

    async def finish_and_next(self, outcome: str, callback_at: datetime | None = None,
                              note: str | None = None) -> Finished:
        """Save the queued answers, end the call with `outcome`, claim the
        next due customer and open their call: one job in the database thread.
        Raises (the call still open) when the answers or the outcome cannot
        be saved."""
        state = self._open_call()

        def end() -> Scheduled:
            return calls.end_call(state.call_id, outcome, callback_at=callback_at, note=note)

        return await self._then_next(end)

    async def skip_and_next(self, reason: str) -> Finished:
        """Save the queued answers, skip the customer (why: `reason`), then as
        `finish_and_next`."""
        state = self._open_call()
        return await self._then_next(lambda: calls.skip(state.call_id, reason))

    def _open_call(self) -> CallState:
        if self.call is None:
            raise CallersError("No call is open.")
        return self.call

    async def _then_next(self, end: Callable[[], Scheduled | None]) -> Finished:
        def job():
            drained = self._drain()
            scheduled = end()
            try:
                return scheduled, self._next_call(restore=False), None, drained
            except Exception as exc:  # noqa: BLE001 - the outcome is saved; only the next customer failed
                return scheduled, None, exc, drained

        scheduled, following, error, drained = await self.run(job)
        self.call = None
        self.filed = []
        self._report(drained)
        if error is not None:
            return Finished(scheduled, None, describe_error(error))
        return Finished(scheduled, self._open(following))

    # ---- the dialler ---------------------------------------------------------------------

    async def dial(self):
        """F2 with a dialler: place the open call's number; the first
        `callers.dialer.progress.Progress` (later ones come as CallProgress)."""
        return await self.dialling.dial()

    async def hangup(self):
        """F9 with a placed call: hang it up; the final Progress, or None."""
        return await self.dialling.hangup()

    async def close_dialer(self) -> None:
        await self.dialling.close()
