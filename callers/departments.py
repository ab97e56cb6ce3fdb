"""Departments: where forwards go (billing, support, the account manager,
any other), each with its place in desk order and, optionally, its desk key.

Read by the desk on its first load (its forward keys), by the queue, the
`departments` command and `callers.forwards`.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from peewee import fn

from callers.errors import CallersError
from models.db import connection, write_transaction
from models.tables import Department

ACCOUNT_MANAGER = "account_manager"
KINDS = ("billing", "support", ACCOUNT_MANAGER, "other")
# Keys the desk uses for itself (screens/desk.py), or terminals take: a
# department may not have them.
DESK_KEYS = {
    "f1": "help",
    "f2": "start call",
    "f3": "skip",
    "f4": "their words",
    "f9": "end call",
    "f10": "the terminal's menu",
    "f11": "the terminal's full screen",
    "f12": "withdraw a forward",
}
_FKEY = re.compile(r"^f([1-9]|1[0-9]|2[0-4])$")


class DepartmentInfo(NamedTuple):
    id: int
    name: str
    kind: str  # billing / support / account_manager / other
    key: str | None  # desk key, e.g. "f5"


def _info(row: Department) -> DepartmentInfo:
    return DepartmentInfo(row.id, row.name, row.kind, row.key)


def departments() -> list[DepartmentInfo]:
    """Every department, in desk order."""
    with connection():
        rows = Department.select().order_by(Department.position, Department.id)
        return [_info(d) for d in rows]


def _norm(text: str) -> str:
    return re.sub(r"[\s_-]+", " ", text.strip()).casefold()


def department_row(name: str) -> Department:
    """A department by name (any case), kind ("billing", "account manager") or desk key ("f5")."""
    wanted = _norm(name or "")
    rows = list(Department.select().order_by(Department.position, Department.id))
    for row in rows:
        if _norm(row.name) == wanted:
            return row
    for row in rows:
        if _norm(row.kind) == wanted and row.kind != "other":
            return row
    for row in rows:
        if row.key and row.key == wanted:
            return row
    known = ", ".join(d.name for d in rows) or "none"
    raise CallersError(f"unknown department {name!r}; known departments: {known}")


def department(name: str) -> DepartmentInfo:
    """Look a department up; CallersError listing the known ones if none."""
    with connection():
        return _info(department_row(name))


def normalize_key(key: str | None) -> str | None:
    if key is None or not key.strip():
        return None
    return key.strip().lower()


def add_department(name: str, key: str | None = None, kind: str = "other") -> DepartmentInfo:
    """A new department, last in desk order, optionally on a desk F-key."""
    name = " ".join((name or "").split())
    if not name:
        raise CallersError("a department needs a name")
    if len(name) > 100:
        raise CallersError("a department name is at most 100 characters")
    if kind not in KINDS:
        raise CallersError(f"unknown department kind {kind!r}; kinds are {', '.join(KINDS)}")
    key = normalize_key(key)
    if key is not None and not _FKEY.match(key):
        raise CallersError(f"--key must be a function key F1..F24 (the desk's keys work while typing), not {key!r}")
    with connection(), write_transaction():
        rows = list(Department.select())
        taken = {row.key for row in rows if row.key}
        free = next((f"f{n}" for n in range(5, 25) if f"f{n}" not in DESK_KEYS and f"f{n}" not in taken), None)
        hint = f", e.g. {free.upper()}" if free else ""
        if key in DESK_KEYS:
            raise CallersError(
                f"{key.upper()} is the desk's own key ({DESK_KEYS[key]}); "
                f"the desk keeps {', '.join(k.upper() for k in DESK_KEYS)}: choose another{hint}"
            )
        for row in rows:
            if _norm(row.name) == _norm(name):
                raise CallersError(f"there is already a department named {row.name!r}")
            if key is not None and row.key == key:
                raise CallersError(f"{key.upper()} already forwards to {row.name}; choose another key{hint}")
        position = (Department.select(fn.MAX(Department.position)).scalar() or 0) + 1
        row = Department.create(name=name, kind=kind, key=key, position=position)
        return _info(row)
