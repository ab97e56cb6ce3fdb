"""`callers where` and `callers db init|upgrade|check|roles|recount`."""

from __future__ import annotations

from callers.cli import add_command, db_url, refuse_missing
from callers.errors import CallersError

ORDER = 90


def run_where(args) -> int:
    from callers.commands import dial
    from models.db import describe

    print(describe(db_url(args)))
    print(dial.describe(args))
    return 0


def run_db(args) -> int:
    from models import connect
    from models import schema

    url = db_url(args)
    action = args.action
    if action != "init":
        refuse_missing(args, url)  # only init makes a database
    connect(url)
    if action in ("init", "upgrade"):
        applied = schema.upgrade()
        from callers import bootstrap

        bootstrap.seed()
        state = schema.status()
        if applied:
            print(f"applied {', '.join(applied)}; schema version {state.database_version}")
        else:
            print(f"schema version {state.database_version}: up to date")
        return 0
    if action == "roles":
        from models import roles

        schema.ensure_current()
        try:
            lines = roles.create_roles()
        except roles.RolesUnsupported as exc:
            raise CallersError(str(exc)) from None
        for line in lines:
            print(line)
        print("Add people with `callers users add NAME --role ROLE --login`.")
        return 0
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
    from models import tallies
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
    return 0


def register(sub, common) -> None:
    add_command(sub, common, "where", run_where, "print which database and dialler callers would use",
                example=["callers where", "CALLERS_DB=postgresql://me@db.example/callers callers where"])
    p = add_command(sub, common, "db", run_db, "create, upgrade or check a (shared) database",
                    example=["callers --db team.db db init",
                             "callers --db postgresql://admin@db.example/callers db check"])
    p.add_argument("action", choices=["init", "upgrade", "check", "roles", "recount"],
                   help="init: create the schema; upgrade: apply pending migrations; "
                   "check: verify version, schema and the report's tallies; roles: (PostgreSQL) create the "
                   "database roles and grants for callers' roles; recount: count the report's "
                   "tallies again from the data")
