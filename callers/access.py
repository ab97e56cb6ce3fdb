"""Who may do what: roles that keep each person to their part.

- caller: the desk and `callers next`; forwards problems; sees call notes.
- department: its own department's queue only; never call notes.
- supervisor: everything; read-only on calls (never makes or changes a call).
- requester: references and their log; no call notes.

A database with no users at all is in single-user mode: whoever runs callers
may do everything (one caller on a laptop needs no accounts). Once the first
user is added, every person must be a user, and only supervisors manage users.
On PostgreSQL, `callers db roles` backs this with database GRANTs, so that a
department's login cannot read call notes even with psql.
"""

from __future__ import annotations

from dataclasses import dataclass

from peewee import JOIN

from callers import clock
from callers.errors import CallersError
from models.db import connection
from models.tables import Department, User

ROLES = ("caller", "department", "supervisor", "requester")
ROLE_LABELS = {
    "caller": "a caller",
    "department": "a department member",
    "supervisor": "a supervisor",
    "requester": "a reference requester",
}

# What each activity needs. A department member is further limited to its own
# department (see `require`).
ACTIVITIES: dict[str, tuple[str, ...]] = {
    "call": ("caller",),  # the desk, callers next, forwarding from a call
    "queue": ("department", "supervisor"),
    "forwards": ("department", "supervisor"),
    "supervise": ("supervisor",),  # dashboard, report, leads, reconcile, export of calls
    "references": ("requester", "supervisor"),
    "admin": ("supervisor",),  # import, demo, departments, users, settings
}
ACTIVITY_LABELS = {
    "call": "the caller's desk",
    "queue": "a department queue",
    "forwards": "forwards",
    "supervise": "the supervisor's figures",
    "references": "references",
    "admin": "managing the database",
}


@dataclass(frozen=True)
class Person:
    name: str
    role: str | None  # None: single-user mode, may do everything
    department: str | None = None

    @property
    def everything(self) -> bool:
        return self.role is None


def single_user() -> bool:
    with connection():
        return not User.select().exists()


def person(name: str) -> Person:
    """Who `name` is. Single-user mode gives a Person with role None."""
    with connection():
        if not User.select().exists():
            return Person(name, None)
        user = (User.select(User, Department).join(Department, join_type=JOIN.LEFT_OUTER)
                .where(User.name == name).first())
    if user is None:
        raise CallersError(
            f"{name!r} is not a callers user here; a supervisor adds people with "
            "`callers users add NAME --role caller|department|supervisor|requester`"
        )
    return Person(user.name, user.role, user.department.name if user.department_id else None)


def allowed(who: Person, activity: str, department: str | None = None) -> bool:
    if who.everything:
        return True
    if who.role not in ACTIVITIES[activity]:
        return False
    if who.role == "department" and activity in ("queue", "forwards"):
        return department is not None and who.department is not None and \
            department.casefold() == who.department.casefold()
    return True


def require(name: str, activity: str, department: str | None = None) -> Person:
    """The person, or CallersError saying why they may not."""
    who = person(name)
    if allowed(who, activity, department):
        return who
    if who.role == "department" and activity in ("queue", "forwards"):
        raise CallersError(
            f"{who.name} works in {who.department or 'no department'}: only that department's queue is open to them"
        )
    needed = " or ".join(ROLE_LABELS[r] for r in ACTIVITIES[activity])
    raise CallersError(f"{who.name} is {ROLE_LABELS[who.role]}; {ACTIVITY_LABELS[activity]} needs {needed}")


def add_user(name: str, role: str, department: str | None = None) -> Person:
    name = name.strip()
    if not name:
        raise CallersError("a user needs a name")
    if role not in ROLES:
        raise CallersError(f"unknown role {role!r}; roles are {', '.join(ROLES)}")
    dept = None
    with connection():
        if role == "department":
            if not department:
                raise CallersError("a department member needs --department NAME")
            dept = Department.get_or_none(Department.name ** department)  # case-insensitive
            if dept is None:
                known = ", ".join(d.name for d in Department.select().order_by(Department.position))
                raise CallersError(f"unknown department {department!r}; known: {known}")
        elif department:
            raise CallersError("--department is only for the department role")
        existing = User.get_or_none(User.name == name)
        if existing:
            existing.role, existing.department = role, dept
            existing.save()
        else:
            User.create(name=name, role=role, department=dept, created_at=clock.db_now())
    return Person(name, role, dept.name if dept else None)


def remove_user(name: str) -> bool:
    with connection():
        return User.delete().where(User.name == name).execute() > 0


def users() -> list[Person]:
    with connection():
        rows = (User.select(User, Department).join(Department, join_type=JOIN.LEFT_OUTER)
                .order_by(User.role, User.name))
        return [Person(u.name, u.role, u.department.name if u.department_id else None) for u in rows]
