"""Settings stored in the database (calling hours, cycle, retry delays...).

Every caller on a shared database works to the same rules, so the rules live
with the data. `get()` returns the stored value or the default below.
"""

from __future__ import annotations

import json
from typing import Any

from models.db import connection, raw
from models.tables import Setting

DEFAULTS: dict[str, Any] = {
    "cycle_days": 90,
    "max_attempts": 6,
    "calling_days": [0, 1, 2, 3, 4],  # Monday..Friday (datetime.weekday())
    "calling_start": "09:00",
    "calling_end": "17:00",
    "retry_no_answer_minutes": 240,
    "retry_busy_minutes": 30,
    "claim_minutes": 15,
    "target_seconds": 180,
    "reference_cap": 2,
    "reference_window_days": 90,
    # One 0-10 "would you recommend us?" at the end of the words step
    # (callers/nps.py); off unless the company turns it on.
    "nps": False,
}


_changes = 0  # how many times this process has changed a setting


def version() -> int:
    """Grows whenever this process changes a setting (for readers that cache them)."""
    return _changes


def get(key: str) -> Any:
    if key not in DEFAULTS:
        raise KeyError(f"unknown setting {key!r}")
    with connection():
        row = next(iter(raw(Setting, "setting", lambda: Setting.select().where(Setting.key == ""), key)), None)
    return DEFAULTS[key] if row is None else json.loads(row.value)


def get_all() -> dict[str, Any]:
    with connection():
        stored = {row.key: json.loads(row.value) for row in raw(Setting, "settings", lambda: Setting.select())}
    return {key: stored.get(key, default) for key, default in DEFAULTS.items()}


def put(key: str, value: Any) -> None:
    global _changes
    if key not in DEFAULTS:
        raise KeyError(f"unknown setting {key!r}")
    try:
        with connection():
            (Setting.insert(key=key, value=json.dumps(value))
             .on_conflict(conflict_target=[Setting.key], update={Setting.value: json.dumps(value)})
             .execute())
    finally:
        _changes += 1


# Per-user settings live in the same table, one row per person: key
# "NAME:USER" (e.g. "dialer:ana"); `get_all()` ignores them.
USER_SETTINGS = ("dialer",)
_KEY_LENGTH = 100  # Setting.key's max_length


def _user_key(name: str, user: str) -> str:
    if name not in USER_SETTINGS:
        raise KeyError(f"unknown per-user setting {name!r}")
    key = f"{name}:{user}"
    if len(key) > _KEY_LENGTH:
        from callers.errors import CallersError

        raise CallersError(f"the user name {user[:40]!r}… is too long to keep a {name} setting for")
    return key


def get_user(name: str, user: str) -> Any:
    """The user's own value of a per-user setting, None when unset."""
    key = _user_key(name, user)
    with connection():
        row = Setting.get_or_none(Setting.key == key)
    return None if row is None else json.loads(row.value)


def put_user(name: str, user: str, value: Any) -> None:
    """Set (or, with None, clear) the user's own value of a per-user setting."""
    key = _user_key(name, user)
    with connection():
        if value is None:
            Setting.delete().where(Setting.key == key).execute()
            return
        (Setting.insert(key=key, value=json.dumps(value))
         .on_conflict(conflict_target=[Setting.key], update={Setting.value: json.dumps(value)})
         .execute())


def all_users(name: str) -> dict[str, Any]:
    """Every user's value of a per-user setting: {user: value}."""
    prefix = _user_key(name, "")
    with connection():
        rows = list(Setting.select().where(Setting.key.startswith(prefix)))
    return {row.key[len(prefix):]: json.loads(row.value) for row in rows}
