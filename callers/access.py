"""Who may do what: roles that keep each person to their part.

- caller: the desk and `callers next`; forwards problems; sees call notes.
- department: its own department's queue only; never call notes.
- supervisor: everything; read-only on calls (never makes or changes a call).
- requester: references and their log; no call notes.

A database with no users at all is in single-user mode: whoever runs callers
may do everything (one caller on a laptop needs no accounts). Once the first
user is added, every person must be a user, and only supervisors manage users.

Who is doing the work (`identify`):

- SQLite: the name given with `--as`, else the OS user name (the file's
  permissions are the access control);
- PostgreSQL, once users exist: the user whose `login` is the connection's
  login (`session_user`); `--as` may only repeat that name. The
  administrator's connection (a superuser or the schema's owner, who can do
  anything in the database anyway) has no user of its own and acts for the
  supervisor named with `--as`. `callers db roles` makes the database itself
  hold each login to its role's rows (models/roles.py).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from peewee import JOIN, IntegrityError

from callers import clock
from callers.errors import CallersError
from models import engine
from models.db import connection, lock_key, write_transaction
from models.tables import Department, User

ROLES = ("caller", "department", "supervisor", "requester")
ROLE_LABELS = {
    "caller": "a caller",
    "department": "a department member",
    "supervisor": "a supervisor",
    "requester": "a reference requester",
}
NAME_MAX = User.name.max_length

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
    login: str | None = None  # PostgreSQL: the database login linked to this user

    @property
    def everything(self) -> bool:
        return self.role is None


def single_user() -> bool:
    with connection():
        return not User.select().exists()


def _person(user: User) -> Person:
    return Person(user.name, user.role, user.department.name if user.department_id else None, user.login)


def _users():
    return User.select(User, Department).join(Department, join_type=JOIN.LEFT_OUTER)


def person(name: str) -> Person:
    """Who `name` is. Single-user mode gives a Person with role None."""
    with connection():
        if not User.select().exists():
            return Person(name, None)
        user = _users().where(User.name == name).first()
    if user is None:
        raise CallersError(
            f"{name!r} is not a callers user here; a supervisor adds people with "
            "`callers users add NAME --role caller|department|supervisor|requester`"
        )
    return _person(user)


# ---- who is connected -------------------------------------------------------------


def identify(named: str | None, fallback: str) -> str:
    """The name this command works under: see the module's docstring.
    `named`: the `--as` value, if given; `fallback`: the OS user name.
    Raises CallersError (one line) when the connection may not act so."""
    with connection():
        if not engine.supports_logins() or single_user():
            return named or fallback
        from models import roles

        session = roles.session()
        own = _users().where(User.login == session.login).first()
    if own is not None and not (session.admin and named and named != own.name):
        if named and named != own.name:
            raise CallersError(f"connected as {session.login}; --as {named} is not allowed")
        return own.name
    if session.admin:
        if not named:
            raise CallersError(
                f"connected as {session.login}, the database's administrator, who is no callers user: "
                "say which supervisor you act for with --as NAME")
        who = person(named)
        if who.role != "supervisor":
            raise CallersError(
                f"connected as {session.login}, the database's administrator: --as may name a supervisor, "
                f"and {who.name} is {ROLE_LABELS[who.role]}")
        return who.name
    raise CallersError(
        f"connected as {session.login}, which is no callers user's login: a supervisor links it with "
        f"`callers users add NAME --role ROLE --login` (or connect with your own login)")


def administrator() -> bool:
    """Whether this connection may change the schema: SQLite (whoever may
    write the file), or PostgreSQL's superuser or schema owner."""
    with connection():
        if not engine.supports_logins():
            return True
        from models import roles

        return roles.session().admin


# ---- rules ------------------------------------------------------------------------


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


# ---- managing users ----------------------------------------------------------------


def check_name(name: str | None) -> str:
    """A user's name as it will be stored (trimmed), or CallersError saying
    what is wrong with it."""
    text = (name or "").strip()
    if not text:
        raise CallersError("a user name cannot be only spaces" if name else "a user needs a name")
    bad = next((ch for ch in text if unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp")),
               None)
    if bad is not None:
        raise CallersError(f"a user name cannot hold control or invisible characters (it has U+{ord(bad):04X})")
    if len(text) > NAME_MAX:
        raise CallersError(f"a user name is at most {NAME_MAX} characters; this one has {len(text)}")
    return text


def _supervisors_besides(user_id: int) -> int:
    return User.select().where(User.role == "supervisor", User.id != user_id).count()


def add_user(name: str, role: str, department: str | None = None, *, login: bool = False,
             password: str | None = None) -> Person:
    """Add a user, or change an existing user's role. With `login`
    (PostgreSQL), also create their database login, named as they are, in
    their role's group: user and login in one transaction, so either both
    exist afterwards or neither does. A user who already has a login moves to
    the new role's group. The last supervisor stays a supervisor."""
    name = check_name(name)
    if role not in ROLES:
        raise CallersError(f"unknown role {role!r}; roles are {', '.join(ROLES)}")
    if role != "department" and department:
        raise CallersError("--department is only for the department role")
    if role == "department" and not department:
        raise CallersError("a department member needs --department NAME")
    from models import roles

    with connection():
        if login:
            if not engine.supports_logins():
                raise CallersError("database logins need PostgreSQL; a SQLite file is protected by its file "
                                   "permissions")
            try:
                roles.check_login_name(name)
            except ValueError as exc:
                raise CallersError(f"{exc}: choose a user name that can be one") from None
        with write_transaction():
            lock_key("users", 0)  # one change of users at a time: the last supervisor stays
            dept = None
            if role == "department":
                dept = Department.get_or_none(Department.name ** department)  # case-insensitive
                if dept is None:
                    known = ", ".join(d.name for d in Department.select().order_by(Department.position))
                    raise CallersError(f"unknown department {department!r}; known: {known}")
            user = User.get_or_none(User.name == name)
            if user is not None and user.role == "supervisor" and role != "supervisor" \
                    and not _supervisors_besides(user.id):
                raise CallersError(f"{name} is the last supervisor: make someone else a supervisor first")
            if user is None:
                user = User(name=name, created_at=clock.db_now())
            user.role, user.department = role, dept
            if login:
                taken = User.get_or_none((User.login == name) & (User.name != name))
                if taken is not None:
                    raise CallersError(f"the login {name} is already {taken.name}'s")
                user.login = name
            try:
                user.save()
            except IntegrityError as exc:
                raise CallersError(f"cannot save {name}: {str(exc).splitlines()[0]}") from None
            if user.login and engine.supports_logins():
                _set_login(user.login, role, password if login else None, create=login)
    return Person(name, role, dept.name if dept else None, user.login)


def _set_login(login: str, role: str | None, password: str | None, create: bool) -> None:
    """Inside the user's transaction: create or move the login. A login this
    connection may not make (no CREATEROLE) undoes the whole change."""
    import peewee

    from models import roles

    try:
        if create:
            roles.create_login(login, role, password)
        elif roles.role_exists(login):
            roles.set_group(login, role)
    except peewee.ProgrammingError as exc:
        detail = str(exc).splitlines()[0]
        raise CallersError(f"the database login {login} could not be made or changed ({detail}); nothing "
                           "was saved: manage logins through the administrator's connection") from None


def remove_user(name: str) -> bool:
    """Remove a user (never the last supervisor). Their login, if any, leaves
    callers' groups (it may serve elsewhere, so it is not dropped)."""
    with connection(), write_transaction():
        lock_key("users", 0)
        user = User.get_or_none(User.name == name)
        if user is None:
            return False
        if user.role == "supervisor" and not _supervisors_besides(user.id):
            raise CallersError(f"{name} is the last supervisor: make someone else a supervisor first, "
                               "or nobody could manage users")
        user.delete_instance()
        if user.login and engine.supports_logins():
            _set_login(user.login, None, None, create=False)
        return True


def users() -> list[Person]:
    with connection():
        return [_person(u) for u in _users().order_by(User.role, User.name)]
