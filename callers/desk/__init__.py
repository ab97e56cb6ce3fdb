"""The caller's desk without a screen: the session a desk screen talks to.

    session = DeskSession("alice", zone="Europe/London", listener=print)
    session.start()
    opened = await session.load()             # Opened("call", CallState) or Opened("nobody", message)
    session.mark_started(); await session.save_start()
    session.answer("contacts", "confirm")     # journalled at once, saved in order in the background
    done = await session.finish_and_next("completed")  # answers, outcome, next customer, their call
    session.close()

Everything that touches the database runs in the session's one database
thread (`DatabaseThread`); what happens in the background (the database
going away and coming back, answers refused, a profile to read again) comes
to `listener` as the small events in `callers.desk.events`. No Textual here:
`screens/desk.py` renders; tests drive the session directly.
"""

from callers.desk.events import (
    CallProgress,
    Connection,
    Notice,
    ProfileStale,
    SaveFailed,
)
from callers.desk.session import DeskSession, Finished, Opened
from callers.desk.thread import DatabaseThread

__all__ = [
    "CallProgress",
    "Connection",
    "DatabaseThread",
    "DeskSession",
    "Finished",
    "Notice",
    "Opened",
    "ProfileStale",
    "SaveFailed",
]
