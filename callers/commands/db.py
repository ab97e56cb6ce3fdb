"""`callers where` and `callers db init|upgrade|check|roles|recount`."""

from __future__ import annotations

from callers.errors import CallersError
from callers.invocation import add_command, db_url, refuse_missing

ORDER = 90


def run_where(args) -> int:
    from callers.commands import dial
    from models.db import describe

    print(describe(db_url(args)))
    print(dial.describe(args))
    return 0


def _as_administrator(action: str) -> None:
    """Once the team's roles are set up, the schema is changed and checked
    only through the administrator's connection."""
    from callers import access
    from models import roles

    if roles.installed() and not access.administrator():
        raise CallersError(f"`callers db {action}` changes or reads every table: run it through the "
                           "administrator's connection (the schema's owner), not a team member's login")


def _apply_roles() -> list[str]:
    from models import queue, roles

    return roles.create_roles(functions=queue.definer_functions())


def run_db(args) -> int:
    from models import connect
    from models import schema

    url = db_url(args)
    action = args.action
    if action != "init":
        refuse_missing(args, url)  # only init makes a database
    connect(url)
    if action in ("init", "upgrade"):
        _as_administrator(action)
        applied = schema.upgrade()
        from callers import bootstrap
        from models import roles

        bootstrap.seed()
        state = schema.status()
        if applied:
            print(f"applied {', '.join(applied)}; schema version {state.database_version}")
        else:
            print(f"schema version {state.database_version}: up to date")
        if roles.installed():
            _apply_roles()
            print("the team's database roles, grants and row-level security: applied again")
        return 0
    if action == "roles":
        from models import roles

        schema.ensure_current()
        try:
            _as_administrator(action)
            lines = _apply_roles()
        except roles.RolesUnsupported as exc:
            raise CallersError(str(exc)) from None
        for line in lines:
            print(line)
        print("Add people with `callers users add NAME --role ROLE --login`.")
        return 0
    _as_administrator(action)
    state = schema.status()
    schema.check_not_newer(state)
    if state.pending:
        raise CallersError(
            f"schema version {state.database_version}, callers needs {state.code_version}: "
            f"run `callers db upgrade` ({len(state.pending)} pending)"
        )
    drift = schema.drift()
    if drift:
        raise CallersError("the schema differs from what callers expects: " + "; ".join(drift))
    from models import engine, tallies
    from models.db import connection, write_transaction

    if action == "recount":
        with connection(), write_transaction():
            tallies.install_triggers()
            tallies.rebuild()
        print("the report's tallies: triggers installed, every count made again from the data")
        return 0
    with connection():
        wrong = tallies.check()
    if wrong:
        shown = "; ".join(wrong[:5]) + (f"; and {len(wrong) - 5} more" if len(wrong) > 5 else "")
        raise CallersError(f"the report's tallies differ from the data ({shown}): "
                           "run `callers db recount`")
    print(f"schema version {state.database_version}: up to date and as expected; the report's tallies agree "
          "with the data")
    if engine.supports_logins():  # the server's posture: logins, row-level security, grants
        from models import queue, roles

        with connection():
            warnings = roles.posture(functions=queue.definer_functions())
        for warning in warnings:
            print(f"warning: {warning}")
        if not warnings:
            print("the server asks every login for a password; row-level security, its policies and the "
                  "grants are as callers sets them")
    return 0


def register(sub, common) -> None:
    add_command(sub, common, "where", run_where, "print which database and dialler callers would use",
                example=["callers where", "CALLERS_DB=postgresql://me@db.example/callers callers where"])
    p = add_command(sub, common, "db", run_db, "create, upgrade or check a (shared) database",
                    example=["callers --db team.db db init",
                             "callers --db postgresql://admin@db.example/callers db check"])
    p.add_argument("action", choices=["init", "upgrade", "check", "roles", "recount"],
                   help="init: create the schema; upgrade: apply pending migrations; "
                   "check: verify version, schema and the report's tallies (PostgreSQL: and warn about the "
                   "server's posture: logins let in without a password, row-level security or a policy "
                   "missing, PUBLIC grants); roles: (PostgreSQL) create the database roles, grants and "
                   "row-level security for callers' roles; recount: count the report's "
                   "tallies again from the data")
