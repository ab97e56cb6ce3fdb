"""Errors that carry a message meant for the person at the keyboard, and what
stopped a command part-way (`failure_cause`)."""

import errno


class CallersError(Exception):
    """A problem the user can act on. Its message is shown as-is, on one line."""

    exit_code = 1


def _chain(exc: BaseException):
    """`exc` and the errors it was raised while handling (a rollback that
    fails after the real error hides that error in its context)."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        exc = exc.__cause__ or exc.__context__


def is_disk_full(exc: BaseException) -> bool:
    """No space left: the OS's ENOSPC, SQLite's "database or disk is full",
    PostgreSQL's "could not extend file ... No space left on device"."""
    for error in _chain(exc):
        text = str(error).lower()
        if getattr(error, "errno", None) == errno.ENOSPC or "disk is full" in text or "no space left" in text:
            return True
    return False


def _database_file() -> str:
    from models import engine

    return engine.storage()


def _lost_connection(exc: BaseException) -> bool:
    text = str(exc).lower()
    return any(word in text for word in ("terminating connection", "server closed the connection",
                                         "connection already closed", "connection not open",
                                         "could not receive data", "ssl syscall", "connection refused",
                                         "could not connect", "no connection to the server"))


def failure_cause(exc: BaseException, file: str | None = None) -> tuple[str, str | None]:
    """What stopped a command part-way, for its one line: ("disk full", the
    file that filled up), ("the database connection dropped (...)", None),
    or another cause. `file`: the file being written when it happened (else
    the database's)."""
    from models.db import first_line

    if is_disk_full(exc):
        return "disk full", file or _database_file()
    first = next((e for e in _chain(exc) if "cannot rollback" not in str(e).lower()), exc)
    if any(_lost_connection(e) for e in _chain(exc)):
        return f"the database connection dropped ({first_line(first)})", None
    if isinstance(first, KeyboardInterrupt):
        return "it was interrupted", None
    if isinstance(first, OSError):
        where = file or getattr(first, "filename", None)
        return f"an error writing {where} ({first.strerror or first})" if where else \
            f"an error ({first.strerror or first})", where
    return f"a database error ({first_line(first)})", None


def root_error(exc: BaseException) -> BaseException:
    """The error behind `exc`: past a rollback that failed because the real
    error had already ended the transaction ("cannot rollback - no
    transaction is active")."""
    return next((e for e in _chain(exc) if "cannot rollback" not in str(e).lower()), exc)
