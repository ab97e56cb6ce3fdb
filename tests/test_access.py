"""Roles: each person kept to their part, in the app and (PostgreSQL) in the database."""

from __future__ import annotations

import uuid

import peewee
import pytest

from callers import access
from callers.cli import main
from callers.errors import CallersError
from tests import factories


def test_no_users_means_single_user_mode(db):
    who = access.person("anyone")
    assert who.everything
    for activity in access.ACTIVITIES:
        assert access.require("anyone", activity, department="Billing")


def test_first_user_must_be_a_supervisor(db, capsys):
    assert main(["users", "add", "cal", "--role", "caller", "--as", "sam"]) == 1
    assert "the first user must be a supervisor" in capsys.readouterr().err
    assert main(["users", "add", "sam", "--role", "supervisor", "--as", "sam"]) == 0
    assert "sam is a supervisor" in capsys.readouterr().out


@pytest.fixture
def team(db):
    access.add_user("sam", "supervisor")
    access.add_user("cal", "caller")
    access.add_user("bill", "department", "billing")  # case-insensitive department
    access.add_user("rita", "requester")
    return db


@pytest.mark.parametrize(
    "name, activity, department, ok",
    [
        ("cal", "call", None, True),
        ("cal", "queue", "Billing", False),
        ("cal", "supervise", None, False),
        ("bill", "queue", "Billing", True),
        ("bill", "queue", "billing", True),
        ("bill", "queue", "Support", False),
        ("bill", "forwards", "Support", False),
        ("bill", "call", None, False),
        ("bill", "references", None, False),
        ("sam", "supervise", None, True),
        ("sam", "queue", "Support", True),
        ("sam", "references", None, True),
        ("sam", "call", None, False),  # read-only on calls
        ("rita", "references", None, True),
        ("rita", "supervise", None, False),
        ("rita", "call", None, False),
    ],
)
def test_each_role_is_kept_to_its_part(team, name, activity, department, ok):
    assert access.allowed(access.person(name), activity, department) is ok
    if not ok:
        with pytest.raises(CallersError):
            access.require(name, activity, department)


def test_refusals_say_who_and_why(team):
    with pytest.raises(CallersError, match="bill works in Billing: only that department's queue"):
        access.require("bill", "queue", "Support")
    with pytest.raises(CallersError, match="rita is a reference requester; the caller's desk needs a caller"):
        access.require("rita", "call")
    with pytest.raises(CallersError, match="'nobody' is not a callers user here"):
        access.require("nobody", "call")


def test_only_supervisors_manage_users(team, capsys):
    assert main(["users", "add", "eve", "--role", "supervisor", "--as", "cal"]) == 1
    assert "managing the database needs a supervisor" in capsys.readouterr().err
    assert main(["users", "add", "ann", "--role", "department", "--department", "Support", "--as", "sam"]) == 0
    assert main(["users", "--format", "json"]) == 0
    out = capsys.readouterr().out
    assert '"name": "ann"' in out and '"department": "Support"' in out


def test_unknown_department_lists_the_known_ones(team):
    with pytest.raises(CallersError, match="known: Billing, Support, Account management"):
        access.add_user("x", "department", "Legal")


def test_db_roles_on_sqlite_says_postgresql_only(db, capsys, engine):
    if engine != "sqlite":
        pytest.skip("the SQLite message")
    assert main(["db", "roles"]) == 1
    assert "database roles need PostgreSQL" in capsys.readouterr().err


# ---- PostgreSQL: the same rules through a direct connection -----------------


def _login_db(db_url: str, login: str) -> peewee.PostgresqlDatabase:
    from models.db import make_database

    other = make_database(db_url)
    other.connect_params["user"] = login
    other.connect()
    return other


@pytest.fixture
def pg_logins(db, engine):
    if engine != "postgresql":
        pytest.skip("database roles are PostgreSQL's")
    from models import roles

    roles.create_roles()
    made = []

    def login(role: str) -> peewee.PostgresqlDatabase:
        name = f"t_{role}_{uuid.uuid4().hex[:8]}"
        roles.create_login(name, role)
        made.append(name)
        return _login_db(db.url, name)

    yield login
    for name in made:
        db.db.execute_sql(f'DROP OWNED BY "{name}"')
        db.db.execute_sql(f'DROP ROLE "{name}"')


def _seed_call(db):
    from models.tables import Call

    customer = factories.customer("Notes Ltd")
    return Call.create(customer=customer, caller="cal", note="they hate the new UI")


def test_department_login_cannot_read_call_notes_even_with_psql(pg_logins, db):
    _seed_call(db)
    dept = pg_logins("department")
    with pytest.raises(peewee.ProgrammingError, match="permission denied"):
        dept.execute_sql("SELECT note FROM call").fetchall()
    dept.rollback()
    with pytest.raises(peewee.ProgrammingError, match="permission denied"):
        dept.execute_sql("SELECT value FROM call_answer").fetchall()
    dept.rollback()
    assert dept.execute_sql("SELECT count(*) FROM forward").fetchone()[0] == 0
    dept.close()


def test_requester_login_cannot_read_calls(pg_logins, db):
    _seed_call(db)
    req = pg_logins("requester")
    with pytest.raises(peewee.ProgrammingError, match="permission denied"):
        req.execute_sql("SELECT note FROM call").fetchall()
    req.rollback()
    assert req.execute_sql("SELECT count(*) FROM reference_use").fetchone()[0] == 0
    req.close()


def test_supervisor_login_reads_calls_but_cannot_change_them(pg_logins, db):
    _seed_call(db)
    sup = pg_logins("supervisor")
    assert sup.execute_sql("SELECT note FROM call").fetchone()[0] == "they hate the new UI"
    with pytest.raises(peewee.ProgrammingError, match="permission denied"):
        sup.execute_sql("UPDATE call SET note = 'edited'")
    sup.rollback()
    sup.close()


def test_caller_login_writes_calls(pg_logins, db):
    _seed_call(db)
    cal = pg_logins("caller")
    cal.execute_sql("UPDATE call SET note = 'in their words'")
    assert cal.execute_sql("SELECT note FROM call").fetchone()[0] == "in their words"
    cal.close()


@pytest.mark.parametrize(
    "argv, who, allowed",
    [
        (["next"], "cal", True),
        (["next"], "bill", False),
        (["next"], "sam", False),
        (["export", "customers"], "sam", True),
        (["export", "customers"], "cal", False),
        (["export", "calls"], "rita", False),
    ],
)
def test_commands_enforce_roles(team, capsys, argv, who, allowed):
    code = main([*argv, "--as", who])
    err = capsys.readouterr().err
    if allowed:
        assert code == 0, err
    else:
        assert code == 1 and err.startswith(f"callers: error: {who} is ")


def test_import_needs_a_supervisor(team, tmp_path, capsys):
    export = tmp_path / "c.csv"
    export.write_text("Account Name,Contact Name,Phone,Country\nAcme,Jo,+442079460958,GB\n")
    assert main(["import", str(export), "--as", "cal"]) == 1
    assert "managing the database needs a supervisor" in capsys.readouterr().err
    assert main(["import", str(export), "--as", "sam", "--json"]) == 0


# ---- the report's tallies: triggers run as whoever writes ---------------------


def test_each_login_feeds_the_tallies_its_writes_touch(pg_logins, db):
    """A department marking a forward done, a caller ending a call: the
    triggers append to the tallies as that login. A department still cannot
    read what the calls found; a supervisor reads and folds the tallies."""
    from models import tallies
    from models.tables import Department, Forward

    call = _seed_call(db)
    forward = Forward.create(customer=call.customer, caller="cal", department=Department.get(),
                             status="open", created_at=call.customer.created_at)
    dept = pg_logins("department")
    dept.execute_sql("UPDATE forward SET status = 'done', resolved_at = now() WHERE id = %s", (forward.id,))
    with pytest.raises(peewee.ProgrammingError, match="permission denied"):
        dept.execute_sql("SELECT * FROM tally_call").fetchall()
    dept.rollback()
    dept.close()
    cal = pg_logins("caller")
    cal.execute_sql("UPDATE call SET started_at = now(), ended_at = now(), outcome = 'completed' WHERE id = %s",
                    (call.id,))
    cal.close()
    sup = pg_logins("supervisor")
    try:
        assert tallies.compact_if_needed(sup, threshold=1) > 0
    finally:
        sup.close()
    assert tallies.check() == []
