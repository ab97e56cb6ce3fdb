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

from callers.desk.session import DeskSession, Finished, Opened
from callers.desk.thread import DatabaseThread

# The events are imported the first time one is asked for (PEP 562): the desk
# starts without them.
_EVENTS = ("CallProgress", "Connection", "Notice", "ProfileStale", "SaveFailed")


def __getattr__(name: str):
    if name in _EVENTS:
        from callers.desk import events

        return getattr(events, name)
    raise AttributeError(f"module 'callers.desk' has no attribute {name!r}")


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
