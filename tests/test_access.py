"""Roles: each person kept to their part, in the app; and user management.

On PostgreSQL the connection's login is who you are and the database holds
each login to its rows: tests/test_team_security.py, through real logins.
Here `--as` names the person, as on SQLite (and as the administrator's
PostgreSQL connection may, for a supervisor)."""

from __future__ import annotations

import pytest

from callers import access
from callers.cli import main
from callers.errors import CallersError


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


@pytest.fixture
def named(team, engine):
    """`--as NAME` names the person: SQLite (on PostgreSQL the login does)."""
    if engine != "sqlite":
        pytest.skip("on PostgreSQL the login decides who acts: tests/test_team_security.py")
    return team


def test_only_supervisors_manage_users(named, capsys):
    assert main(["users", "add", "eve", "--role", "supervisor", "--as", "cal"]) == 1
    assert "managing the database needs a supervisor" in capsys.readouterr().err
    assert main(["users", "add", "ann", "--role", "department", "--department", "Support", "--as", "sam"]) == 0
    assert main(["users", "--format", "json", "--as", "cal"]) == 0
    out = capsys.readouterr().out
    assert '"name": "ann"' in out and '"department": "Support"' in out


def test_users_list_needs_a_user(named, capsys):
    assert main(["users", "--as", "nobody"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "'nobody' is not a callers user here" in err
    assert main(["users", "--as", "rita"]) == 0
    assert "sam" in capsys.readouterr().out


@pytest.mark.parametrize("name, message", [
    ("   ", "a user name cannot be only spaces"),
    ("", "a user needs a name"),
    ("eve\x1b[31m", "a user name cannot hold control or invisible characters (it has U+001B)"),
    ("eve\u202e", "a user name cannot hold control or invisible characters (it has U+202E)"),
    ("bo\nb", "a user name cannot hold control or invisible characters (it has U+000A)"),
    ("x" * 201, "a user name is at most 200 characters; this one has 201"),
])
def test_a_bad_user_name_gets_one_clear_line(team, capsys, name, message):
    """Both engines: the administrator's PostgreSQL connection acts for sam."""
    assert main(["users", "add", name, "--role", "caller", "--as", "sam"]) == 1
    err = capsys.readouterr().err
    assert err == f"callers: error: {message}\n"
    assert sorted(p.name for p in access.users()) == ["bill", "cal", "rita", "sam"]


def test_a_name_that_is_fine_is_trimmed_and_kept_as_typed(team, capsys):
    assert main(["users", "add", "  Zoë O'Brien [ops] ", "--role", "requester", "--as", "sam"]) == 0
    assert "Zoë O'Brien [ops] is a reference requester" in capsys.readouterr().out
    assert access.person("Zoë O'Brien [ops]").role == "requester"


def test_the_last_supervisor_cannot_be_removed_or_demoted(team, capsys):
    assert main(["users", "remove", "sam", "--as", "sam"]) == 1
    assert "sam is the last supervisor: make someone else a supervisor first" in capsys.readouterr().err
    assert main(["users", "add", "sam", "--role", "caller", "--as", "sam"]) == 1
    assert "sam is the last supervisor" in capsys.readouterr().err
    assert access.person("sam").role == "supervisor"
    assert main(["users", "add", "eve", "--role", "supervisor", "--as", "sam"]) == 0
    assert main(["users", "remove", "sam", "--as", "eve"]) == 0
    assert "sam removed" in capsys.readouterr().out
    with pytest.raises(CallersError, match="eve is the last supervisor"):
        access.remove_user("eve")


def test_a_login_needs_postgresql(named, capsys):
    assert main(["users", "add", "zed", "--role", "caller", "--login", "--password", "x", "--as", "sam"]) == 1
    assert "database logins need PostgreSQL" in capsys.readouterr().err
    assert "zed" not in [p.name for p in access.users()]


def test_unknown_department_lists_the_known_ones(team):
    with pytest.raises(CallersError, match="known: Billing, Support, Account management"):
        access.add_user("x", "department", "Legal")


def test_db_roles_on_sqlite_says_postgresql_only(db, capsys, engine):
    if engine != "sqlite":
        pytest.skip("the SQLite message")
    assert main(["db", "roles"]) == 1
    assert "database roles need PostgreSQL" in capsys.readouterr().err


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
def test_commands_enforce_roles(named, capsys, argv, who, allowed):
    code = main([*argv, "--as", who])
    err = capsys.readouterr().err
    if allowed:
        assert code == 0, err
    else:
        assert code == 1 and err.startswith(f"callers: error: {who} is ")


def test_import_needs_a_supervisor(named, tmp_path, capsys):
    export = tmp_path / "c.csv"
    export.write_text("Account Name,Contact Name,Phone,Country\nAcme,Jo,+442079460958,GB\n")
    assert main(["import", str(export), "--as", "cal"]) == 1
    assert "managing the database needs a supervisor" in capsys.readouterr().err
    assert main(["import", str(export), "--as", "sam", "--json"]) == 0


def test_a_password_goes_with_a_login(team, capsys):
    assert main(["users", "add", "zed", "--role", "caller", "--password", "x", "--as", "sam"]) == 1
    assert capsys.readouterr().err == ("callers: error: --password goes with --login (it is the database "
                                       "login's password)\n")
    assert "zed" not in [p.name for p in access.users()]
