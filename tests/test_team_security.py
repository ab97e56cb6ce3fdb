"""A team on PostgreSQL, tested through real logins (one per person, each
with a password, connecting as itself): who you are is your login, and the
database keeps each login to its role's rows (`callers db roles`).

Every case from issue 16's "Why" is here: impersonation with --as, a
department reading or changing another department's forwards, a caller
changing another caller's calls or any customer, a failed --login leaving a
user behind, the last supervisor removing themselves. Then every command as
every role, the screens as their logins, and `callers db check`'s posture.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import peewee
import pytest

from callers import clock, due, forwards
from callers.cli import main
from models.db import database, make_database
from models.tables import Call, CallAnswer, Contact, Customer, Department, Forward, ForwardEvent, User
from tests.support import factories, pglogins

NOW = "2026-11-24T15:30:00+00:00"  # a Tuesday: London inside calling hours
PEOPLE = {
    "sam": ("supervisor", None),
    "cal": ("caller", None),
    "cat": ("caller", None),
    "bill": ("department", "Billing"),
    "sue": ("department", "Support"),
    "rita": ("requester", None),
}


@dataclass
class Team:
    admin: peewee.Database  # the administrator's connection (the schema's owner)
    url: str  # the administrator's URL
    people: dict[str, pglogins.Member]
    data: dict

    def __getitem__(self, key: str) -> pglogins.Member:
        return self.people[key]

    def run(self, capsys, who: str | None, *argv: str) -> tuple[int, str, str]:
        """`callers ARGV` connected as `who`'s login (None: the administrator)."""
        url = self.url if who is None else self.people[who].url
        capsys.readouterr()
        try:
            code = main(["--db", url, *argv])
        finally:
            pglogins.close_others(self.admin)
        out, err = capsys.readouterr()
        return code, out, err

    def connect(self, who: str) -> peewee.Database:
        """A raw connection as `who`'s login, for SQL typed as in psql."""
        other = make_database(self.people[who].url)
        other.connect()
        return other


def _seed(team_people: dict[str, pglogins.Member]) -> dict:
    now = clock.now()
    acme = factories.customer("Acme Ltd", external_id="ACC-1", industry="Software",
                              due=now - timedelta(days=3), ref_prospect_call="yes")
    beta = factories.customer("Beta GmbH", external_id="ACC-2", phone="+442079460959",
                              due=now - timedelta(days=2))
    gamma = factories.customer("Gamma Inc", external_id="ACC-3", phone="+442079460957",
                               due=now - timedelta(days=1))
    cat = team_people["cat"].name
    their_call = Call.create(customer=gamma, caller=cat, shown_at=clock.db_now(), note="cat's own words")
    billing = forwards.create(acme.id, "Billing", cat, note="invoice twice", call_id=their_call.id)
    support = forwards.create(beta.id, "Support", cat, note="cannot log in")
    return {"acme": acme.id, "beta": beta.id, "gamma": gamma.id, "their_call": their_call.id,
            "billing": billing.id, "support": support.id}


@pytest.fixture
def team(team_db, now):
    now(NOW)
    with pglogins.team(team_db.url, PEOPLE, roles=not team_db.roles_applied) as people:
        yield Team(database.obj, team_db.url, people, _seed(people))


def one_line(err: str) -> str:
    assert err.count("\n") == 1 and err.startswith("callers: error: "), err
    return err[len("callers: error: "):].rstrip("\n")


# ---- 1. identity is the connection's login --------------------------------------------


def test_the_login_is_who_you_are(team, capsys):
    code, out, err = team.run(capsys, "cal", "next", "--claim")
    assert code == 0, err
    cal = team["cal"].name
    assert f"held for {cal} until" in out
    assert Customer.get_by_id(team.data["acme"]).claim_holder == cal
    code, out, err = team.run(capsys, "cal", "next", "--as", cal)  # naming oneself is fine
    assert code == 0 and "Acme Ltd" in out


@pytest.mark.parametrize("who, named", [("cal", "sam"), ("bill", "sam"), ("rita", "sam"), ("sam", "cal"),
                                        ("bill", "sue")])
def test_as_naming_someone_else_is_refused(team, capsys, who, named):
    code, out, err = team.run(capsys, who, "users", "--as", team[named].name)
    assert code == 1 and out == ""
    assert one_line(err) == f"connected as {team[who].name}; --as {team[named].name} is not allowed"


def test_a_login_with_no_user_gets_one_line(team, capsys):
    stray = pglogins.unique("stray")
    team.admin.execute_sql(f'CREATE ROLE "{stray}" LOGIN PASSWORD \'pw-stray\' IN ROLE callers_caller')
    try:
        url = pglogins.login_url(team.url, stray, "pw-stray")
        for argv in (["next"], ["users"], ["forwards"]):
            code = main(["--db", url, *argv])
            pglogins.close_others(team.admin)
            err = capsys.readouterr().err
            assert code == 1
            assert one_line(err).startswith(f"connected as {stray}, which is no callers user's login")
        raw = make_database(url)
        raw.connect()
        assert raw.execute_sql("SELECT count(*) FROM customer").fetchone()[0] == 0  # and sees nothing
        raw.close()
    finally:
        pglogins.drop([stray])


def test_the_administrator_acts_for_a_named_supervisor_only(team, capsys, tmp_path):
    out_file = tmp_path / "customers.csv"
    code, _out, err = team.run(capsys, None, "export", "customers", "-o", str(out_file), "--as", team["sam"].name)
    assert code == 0, err
    assert "Acme Ltd" in out_file.read_text()
    code, _out, err = team.run(capsys, None, "export", "customers", "--as", team["cal"].name)
    assert code == 1
    assert one_line(err) == (f"connected as postgres, the database's administrator: --as may name a supervisor, "
                             f"and {team['cal'].name} is a caller")
    code, _out, err = team.run(capsys, None, "export", "customers")
    assert code == 1 and "say which supervisor you act for with --as NAME" in one_line(err)


def test_the_audit_trail_names_the_logged_in_user(team, capsys):
    bill = team["bill"].name
    code, _out, err = team.run(capsys, "bill", "forwards", "ack", str(team.data["billing"]))
    assert code == 0, err
    row = Forward.get_by_id(team.data["billing"])
    assert row.acknowledged_by == bill
    assert [e.by for e in ForwardEvent.select().where(ForwardEvent.forward == row.id)
            .order_by(ForwardEvent.id)][-1] == bill
    code, _out, err = team.run(capsys, "rita", "references", "use", "ACC-1", "--type", "prospect-call",
                               "--for", "Prospect Co")
    assert code == 0, err
    from models.tables import ReferenceRequest

    assert ReferenceRequest.select().order_by(ReferenceRequest.id.desc()).first().requested_by == team["rita"].name
    # Who asked may be someone else (a salesperson); who logged it is the login.
    code, _out, err = team.run(capsys, "rita", "references", "use", "ACC-1", "--type", "prospect-call",
                               "--for", "Other Co", "--requested-by", "Sally Sales", "--override", "test")
    assert code == 0, err
    from models.tables import ReferenceUse

    use = ReferenceUse.select().order_by(ReferenceUse.id.desc()).first()
    assert (use.requested_by, use.logged_by, use.request.logged_by) == ("Sally Sales", team["rita"].name,
                                                                        team["rita"].name)


# ---- 2. the cases from the Why -----------------------------------------------------------


def test_a_department_cannot_export_contacts_as_a_supervisor(team, capsys, tmp_path):
    target = tmp_path / "contacts.csv"
    code, out, err = team.run(capsys, "bill", "export", "contacts", "-o", str(target), "--as", team["sam"].name)
    assert code == 1 and not target.exists()
    assert one_line(err) == f"connected as {team['bill'].name}; --as {team['sam'].name} is not allowed"
    code, out, err = team.run(capsys, "bill", "export", "contacts", "-o", str(target))
    assert code == 1 and not target.exists() and "managing the database needs a supervisor" in one_line(err)


def test_a_caller_cannot_import_as_a_supervisor(team, capsys, tmp_path):
    export = tmp_path / "c.csv"
    export.write_text("Account ID,Account Name,Industry,Contact Name,Phone,Country\n"
                      "ACC-1,Acme Ltd,Mining,New Person,+442079460900,GB\n")
    contacts = Contact.select().count()
    for extra in (["--as", team["sam"].name], []):
        code, _out, err = team.run(capsys, "cal", "import", str(export), *extra)
        assert code == 1, err
    assert Customer.get_by_id(team.data["acme"]).industry == "Software"
    assert Contact.select().count() == contacts


def test_a_department_cannot_acknowledge_another_departments_forward(team, capsys):
    code, _out, err = team.run(capsys, "bill", "forwards", "ack", str(team.data["support"]))
    assert code == 1
    assert Forward.get_by_id(team.data["support"]).status == "open"
    assert [e.status for e in ForwardEvent.select().where(ForwardEvent.forward == team.data["support"])] == ["open"]


def test_raw_sql_as_a_department_sees_and_changes_only_its_own_forwards(team):
    billing = Department.get(Department.name == "Billing").id
    support = Department.get(Department.name == "Support").id
    dept = team.connect("bill")
    try:
        q = dept.execute_sql
        assert q("SELECT count(*) FROM forward WHERE department_id = %s", (support,)).fetchone()[0] == 0
        assert q("SELECT count(*) FROM forward").fetchone()[0] == 1
        assert q("SELECT count(*) FROM forward_event f JOIN forward w ON w.id = f.forward_id "
                 "WHERE w.department_id = %s", (support,)).fetchone()[0] == 0
        assert q("SELECT count(*) FROM forward_event WHERE forward_id = %s",
                 (team.data["support"],)).fetchone()[0] == 0
        assert q("UPDATE forward SET status = 'done', resolved_by = 'x' WHERE department_id = %s",
                 (support,)).rowcount == 0
        assert q("UPDATE forward SET status = 'done'").rowcount == 1  # its own one only
        # customers and contacts: only those its forwards are about
        assert [r[0] for r in q("SELECT name FROM customer").fetchall()] == ["Acme Ltd"]
        assert q("SELECT count(*) FROM contact").fetchone()[0] == 1
        with pytest.raises(peewee.ProgrammingError, match="row-level security"):
            q("UPDATE forward SET department_id = %s", (support,))  # cannot hand it to another department
        dept.rollback()
        with pytest.raises(peewee.ProgrammingError, match="row-level security"):
            q("INSERT INTO forward_event (forward_id, status, at, by) VALUES (%s, 'done', now(), %s)",
              (team.data["support"], team["bill"].name))
        dept.rollback()
        with pytest.raises(peewee.ProgrammingError, match="row-level security"):  # the trail names the login
            q("INSERT INTO forward_event (forward_id, status, at, by) VALUES (%s, 'done', now(), 'someone else')",
              (team.data["billing"],))
        dept.rollback()
        with pytest.raises(peewee.ProgrammingError, match="permission denied"):
            q("SELECT note FROM call").fetchall()
        dept.rollback()
    finally:
        dept.close()
    assert Forward.get_by_id(team.data["support"]).status == "open"
    assert Forward.get_by_id(team.data["billing"]).department_id == billing


def test_raw_sql_as_a_caller_changes_no_other_callers_call_and_no_unclaimed_customer(team):
    cat = team["cat"].name
    cal = team["cal"].name
    caller = team.connect("cal")
    try:
        q = caller.execute_sql
        assert q("UPDATE call SET note = 'rewritten' WHERE caller = %s", (cat,)).rowcount == 0
        assert q("UPDATE call SET note = 'rewritten'").rowcount == 0
        assert q("SELECT count(*) FROM call").fetchone()[0] == 1  # it reads the history
        with pytest.raises(peewee.ProgrammingError, match="row-level security"):
            q("INSERT INTO call (customer_id, caller, shown_at) VALUES (%s, %s, now())", (team.data["acme"], cat))
        caller.rollback()
        with pytest.raises(peewee.ProgrammingError, match="row-level security"):
            q("INSERT INTO call_answer (call_id, step, key, value, answered_at) "
              "VALUES (%s, 'comment', 'note', 'x', now())", (team.data["their_call"],))
        caller.rollback()
        # customers: none it does not hold, and no claim taken by hand
        assert q("UPDATE customer SET industry = 'Mining'").rowcount == 0
        assert q("UPDATE customer SET claim_holder = %s, claim_expires_at = now() + interval '1 hour' "
                 "WHERE id = %s", (cal, team.data["acme"])).rowcount == 0
        with pytest.raises(peewee.ProgrammingError, match="may not claim customers for"):
            q("SELECT * FROM callers_claim(ARRAY['Europe/London'], now()::timestamp, false, false, false, 9, "
              "now()::timestamp, %s, now()::timestamp + interval '1 hour')", (cat,))
        caller.rollback()
        with pytest.raises(peewee.ProgrammingError, match="may not claim customers for"):
            q("SELECT callers_hold(%s, %s, now()::timestamp, now()::timestamp)", (team.data["acme"], cat))
        caller.rollback()
        assert q("UPDATE contact SET name = 'Someone' ").rowcount == 0
        assert q("UPDATE forward SET note = 'x' WHERE caller = %s", (cat,)).rowcount == 0
        # through the claim statement it holds one customer, and may change that one
        q("SELECT (customer_row).id FROM callers_claim(ARRAY['Europe/London'], %s, false, false, false, 9, %s, %s, %s)",
          (clock.db_now(), clock.db_now(), cal, clock.db_now() + timedelta(minutes=15)))
        assert q("UPDATE customer SET industry = 'Mining'").rowcount == 1
        assert q("UPDATE contact SET title = 'Boss'").rowcount == 1
    finally:
        caller.close()
    assert Call.get_by_id(team.data["their_call"]).note == "cat's own words"
    assert Customer.get_by_id(team.data["acme"]).industry == "Mining"  # the one cal holds (the most overdue)
    assert Customer.get_by_id(team.data["beta"]).industry is None


def test_a_caller_cannot_steal_a_live_lease_by_naming_a_later_time(team):
    """The claim functions read "now" as no later than the server's clock."""
    real_now = clock.to_db(datetime.now(timezone.utc))
    Customer.update(next_due_at=real_now - timedelta(days=5)).execute()
    cat = team.connect("cat")
    cal = team.connect("cal")
    try:
        cat.execute_sql("SELECT callers_hold(%s, %s, %s, %s)",
                        (team.data["acme"], team["cat"].name, real_now + timedelta(minutes=15), real_now))
        assert cal.execute_sql("SELECT callers_hold(%s, %s, %s, %s)",
                               (team.data["acme"], team["cal"].name, real_now + timedelta(days=2),
                                real_now + timedelta(days=1))).fetchone()[0] is False
        got = cal.execute_sql(
            "SELECT (customer_row).id FROM callers_claim(ARRAY['Europe/London'], %s, false, false, false, 9, %s, %s, %s)",
            (real_now + timedelta(days=1), real_now + timedelta(days=1), team["cal"].name,
             real_now + timedelta(days=30))).fetchall()
        assert got and got[0][0] != team.data["acme"]
        until = cal.execute_sql("SELECT claim_expires_at FROM customer WHERE id = %s", (got[0][0],)).fetchone()[0]
        assert until <= real_now + timedelta(days=1, minutes=1)  # a lease of a day at most
    finally:
        cat.close()
        cal.close()
    assert Customer.get_by_id(team.data["acme"]).claim_holder == team["cat"].name


def test_a_failed_login_leaves_no_user(team, capsys):
    """A supervisor's own login may not create database logins (no
    CREATEROLE): the user it tried to add is not left behind."""
    newbie = pglogins.unique("newbie")
    code, _out, err = team.run(capsys, "sam", "users", "add", newbie, "--role", "supervisor", "--login",
                               "--password", "pw-newbie")
    assert code == 1
    assert "could not be made" in one_line(err) and "nothing was saved" in one_line(err)
    assert not User.select().where(User.name == newbie).exists()
    assert not team.admin.execute_sql("SELECT 1 FROM pg_roles WHERE rolname = %s", (newbie,)).fetchone()
    code, _out, err = team.run(capsys, None, "users", "add", "Ann Lee", "--role", "caller", "--login",
                               "--as", team["sam"].name)
    assert code == 1 and "cannot be a database login name" in one_line(err)
    assert not User.select().where(User.name == "Ann Lee").exists()


def test_users_add_login_makes_both_in_one_go(team, capsys):
    ann = pglogins.unique("ann")
    try:
        code, out, err = team.run(capsys, None, "users", "add", ann, "--role", "department", "--department",
                                  "support", "--login", "--password", "pw-ann", "--as", team["sam"].name)
        assert code == 0, err
        assert out == f"{ann} is a department member in Support; database login {ann} (member of " \
                      "callers_department)\n"
        assert User.get(User.name == ann).login == ann
        url = pglogins.login_url(team.url, ann, "pw-ann")
        code = main(["--db", url, "forwards", "--format", "json"])
        pglogins.close_others(team.admin)
        assert code == 0
        assert [f["id"] for f in json.loads(capsys.readouterr().out)] == [team.data["support"]]
        # a new role moves the login to that role's group
        code, _out, err = team.run(capsys, None, "users", "add", ann, "--role", "requester", "--as", team["sam"].name)
        assert code == 0, err
        groups = {r[0] for r in team.admin.execute_sql(
            "SELECT g.rolname FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid "
            "JOIN pg_roles u ON u.oid = m.member WHERE u.rolname = %s", (ann,)).fetchall()}
        assert groups == {"callers_requester"}
        # removed: the login stays, but in no callers group
        code, _out, err = team.run(capsys, None, "users", "remove", ann, "--as", team["sam"].name)
        assert code == 0, err
        assert not team.admin.execute_sql(
            "SELECT 1 FROM pg_auth_members m JOIN pg_roles u ON u.oid = m.member WHERE u.rolname = %s",
            (ann,)).fetchone()
    finally:
        pglogins.drop([ann])


def test_the_password_is_stored_as_a_scram_verifier_the_server_agrees_with(team):
    from models import roles

    row = team.admin.execute_sql("SELECT rolpassword FROM pg_authid WHERE rolname = %s",
                                 (team["cal"].name,)).fetchone()[0]
    assert row.startswith("SCRAM-SHA-256$4096:")
    # the server's own verifier of a known password, made again here from its salt
    probe = pglogins.unique("probe")
    team.admin.execute_sql(f"CREATE ROLE \"{probe}\" LOGIN PASSWORD 'correct horse'")
    try:
        server = team.admin.execute_sql("SELECT rolpassword FROM pg_authid WHERE rolname = %s",
                                        (probe,)).fetchone()[0]
        import base64

        salt = base64.b64decode(server.split("$")[1].split(":")[1])
        assert roles.scram_verifier("correct horse", salt=salt) == server
    finally:
        pglogins.drop([probe])


def test_the_last_supervisor_stays(team, capsys):
    sam = team["sam"].name
    code, _out, err = team.run(capsys, "sam", "users", "remove", sam)
    assert code == 1 and "is the last supervisor" in one_line(err)
    code, _out, err = team.run(capsys, "sam", "users", "add", sam, "--role", "caller")
    assert code == 1 and "is the last supervisor" in one_line(err)
    assert User.get(User.name == sam).role == "supervisor"
    code, _out, err = team.run(capsys, "sam", "users", "add", "Deputy", "--role", "supervisor")
    assert code == 0, err
    code, _out, err = team.run(capsys, "sam", "users", "remove", "Deputy")
    assert code == 0, err


def test_users_list_needs_a_user(team, capsys):
    code, out, err = team.run(capsys, "rita", "users", "--format", "json")
    assert code == 0, err
    listed = {u["name"]: u for u in json.loads(out)}
    assert listed[team["bill"].name] == {"name": team["bill"].name, "role": "department", "department": "Billing",
                                         "login": team["bill"].name}


# ---- 3. every command as every role -------------------------------------------------------

ROLES = ("sam", "cal", "bill", "rita")


def _argv(team, tmp_path, command: str) -> list[str]:
    billing_csv = tmp_path / "billing.csv"
    billing_csv.write_text("Account ID,Account Name,Plan,MRR,Status\nB-1,Acme Ltd,Team,300,active\n")
    fresh = forwards.create(team.data["acme"], "Billing", team["cat"].name, note="another").id
    referenceable = factories.customer(pglogins.unique("Ref"), external_id=pglogins.unique("R"), phone=None,
                                       ref_prospect_call="yes").external_id
    import_csv = tmp_path / "import.csv"
    import_csv.write_text("Account ID,Account Name,Contact Name,Phone,Country\nACC-9,Delta Ltd,Dee,+442079460911,GB\n")
    return {
        "next": ["next", "--format", "json"],
        "next --claim": ["next", "--claim"],
        "forwards": ["forwards", "--format", "json"],
        "forwards ack": ["forwards", "ack", str(fresh)],
        "forwards done": ["forwards", "done", str(fresh), "--note", "credited"],
        "departments": ["departments"],
        "departments add": ["departments", "add", "Legal"],
        "report": ["report", "--format", "json"],
        "report features": ["report", "features"],
        "leads": ["leads", "professional-services"],
        "reconcile": ["reconcile", str(billing_csv)],
        "references": ["references", "find", "--format", "json"],
        "references use": ["references", "use", referenceable, "--type", "prospect-call"],
        "references thanks": ["references", "thanks"],
        "references log": ["references", "log"],
        "export customers": ["export", "customers", "-o", str(tmp_path / "out.csv")],
        "export calls": ["export", "calls", "-o", str(tmp_path / "calls.csv")],
        "import": ["import", str(import_csv), "--json"],
        "users": ["users"],
        "users add": ["users", "add", "Zed", "--role", "caller"],
        "where": ["where"],
        "db check": ["db", "check"],
        "db upgrade": ["db", "upgrade"],
        "db roles": ["db", "roles"],
        "db recount": ["db", "recount"],
        "desk": ["desk"],
        "queue": ["queue", "Support"],
        "supervisor": ["supervisor"],
        "demo": ["demo", "--no-ui", "--replace"],
        "settings": ["settings"],
        "settings nps on": ["settings", "nps", "on"],
    }[command]


# command -> the roles that may run it (the others get one line saying why not)
MAY = {
    "next": {"cal"}, "next --claim": {"cal"},
    "forwards": {"sam", "bill"}, "forwards ack": {"sam", "bill"}, "forwards done": {"sam", "bill"},
    "departments": {"sam", "cal", "bill", "rita"}, "departments add": {"sam"},
    "report": {"sam"}, "report features": {"sam"}, "leads": {"sam"}, "reconcile": {"sam"},
    "references": {"sam", "rita"}, "references use": {"sam", "rita"}, "references thanks": {"sam", "rita"},
    "references log": {"sam", "rita"},
    "export customers": {"sam"}, "export calls": {"sam"}, "import": {"sam"},
    "users": {"sam", "cal", "bill", "rita"}, "users add": {"sam"}, "where": {"sam", "cal", "bill", "rita"},
    "db check": set(), "db upgrade": set(), "db roles": set(), "db recount": set(),
    # the screens: refused before they open; those allowed are driven below
    "desk": set(), "queue": set(), "supervisor": set(), "demo": set(),
    "settings": {"sam"}, "settings nps on": {"sam"},
}
SCREENS = {"desk": "cal", "queue": "sam", "supervisor": "sam"}


@pytest.mark.parametrize("command", list(MAY))
def test_every_command_as_every_role(team, capsys, tmp_path, command):
    for who in ROLES:
        if SCREENS.get(command) == who:
            continue  # opens a screen: see the pilot tests below
        code, out, err = team.run(capsys, who, *_argv(team, tmp_path, command))
        if who in MAY[command]:
            assert code == 0, (who, command, err)
        else:
            assert code == 1, (who, command, out, err)
            line = one_line(err)
            assert team[who].name in line or "administrator" in line, (who, command, line)


def test_what_each_role_sees_through_its_commands(team, capsys):
    code, out, _err = team.run(capsys, "bill", "forwards", "--format", "json")
    assert [f["id"] for f in json.loads(out)] == [team.data["billing"]]
    code, out, _err = team.run(capsys, "sam", "forwards", "--format", "json")
    assert sorted(f["id"] for f in json.loads(out)) == sorted([team.data["billing"], team.data["support"]])
    code, out, _err = team.run(capsys, "rita", "references", "find", "--format", "json", "--state", "any")
    assert [c["name"] for c in json.loads(out)] == ["Acme Ltd"]
    rita = team.connect("rita")
    try:  # a requester reads the customers references need, and no other
        assert [r[0] for r in rita.execute_sql("SELECT name FROM customer").fetchall()] == ["Acme Ltd"]
        assert rita.execute_sql("SELECT count(*) FROM contact").fetchone()[0] == 1
    finally:
        rita.close()


def test_in_psql_a_reference_is_logged_only_under_the_logins_own_name(team, capsys):
    """The database keeps `logged_by` to the login's user: a request, a use or
    a thank-you marked sent under another name is refused, and who asked or
    who logged cannot be rewritten afterwards."""
    code, out, err = team.run(capsys, "rita", "references", "use", "ACC-1", "--type", "prospect-call",
                              "--for", "Prospect Co", "--requested-by", "Sally Sales", "--format", "json")
    assert code == 0, err
    logged = json.loads(out)
    rita_name, sam_name = team["rita"].name, team["sam"].name
    rita = team.connect("rita")
    try:
        at = clock.db_now()
        insert = ("INSERT INTO reference_request (requested_at, requested_by, ref_type, logged_by) "
                  "VALUES (%s, 'Sally Sales', 'any', %s)")
        with pytest.raises(peewee.ProgrammingError, match="row-level security"):
            with rita.atomic():
                rita.execute_sql(insert, (at, sam_name))
        with rita.atomic():
            rita.execute_sql(insert, (at, rita_name))  # under her own name: logged
        for sql in ("UPDATE reference_request SET logged_by = 'someone' WHERE id = %s",
                    "UPDATE reference_request SET requested_by = 'someone' WHERE id = %s"):
            with pytest.raises(peewee.ProgrammingError, match="permission denied"):
                with rita.atomic():
                    rita.execute_sql(sql, (logged["request_id"],))
        with pytest.raises(peewee.ProgrammingError, match="row-level security"):
            with rita.atomic():
                rita.execute_sql("UPDATE thank_you SET sent_at = %s, sent_by = 'Mona', logged_by = %s WHERE id = %s",
                                 (at, sam_name, logged["thank_you_id"]))
    finally:
        rita.close()
    code, out, err = team.run(capsys, "rita", "references", "thanked", str(logged["thank_you_id"]), "--by", "Mona",
                              "--format", "json")
    assert code == 0, err
    assert (json.loads(out)["sent_by"], json.loads(out)["logged_by"]) == ("Mona", rita_name)


# ---- the screens, as their logins ------------------------------------------------------------


def _as_login(team, who: str):
    from callers import database as opening

    return opening.open(team[who].url)


async def test_the_desk_as_a_callers_login_saves_a_whole_call(team):
    from screens.desk import DeskScreen
    from tests.support.desk import Keys, shown

    _as_login(team, "cal")
    cal = team["cal"].name
    try:
        from callers.app import CallersApp

        app = CallersApp(caller=cal)
        async with app.run_test(size=(80, 24)) as pilot:
            keys = Keys(app, pilot)
            await keys.settle()
            assert shown(app) == "Acme Ltd"
            call_id = keys.desk.call.call_id
            await keys.press("f2", "enter", "enter", "enter", "enter")
            await keys.press("f5")  # forward to Billing (a one-line note, left empty)
            await keys.press("enter")
            await keys.press("f9", "1")
            assert shown(app) == "Beta GmbH"
            assert isinstance(keys.desk, DeskScreen)
    finally:
        pglogins.close_others(team.admin)
    call = Call.get_by_id(call_id)
    assert (call.caller, call.outcome) == (cal, "completed")
    # Acme's contacts and its referenceability are on file, so Enter confirms
    # them; its implementation and features were never given, so Enter moves
    # on and records nothing (the truthful desk).
    assert [a.step for a in CallAnswer.select().where(CallAnswer.call == call_id).order_by(CallAnswer.id)] == \
        ["contacts", "referenceability"]
    acme = Customer.get_by_id(team.data["acme"])
    assert acme.claim_holder is None and acme.last_reached_at == clock.db_now()
    filed = Forward.select().where(Forward.call == call_id).get()
    assert filed.caller == cal
    assert Customer.get_by_id(team.data["beta"]).claim_holder == cal


async def test_the_queue_as_a_departments_login(team):
    from callers.app import CallersApp
    from screens.queue import QueueScreen
    from tests.support.queue_ui import rows, settle

    _as_login(team, "bill")
    bill = team["bill"].name
    try:
        app = CallersApp(caller=bill, first=lambda user: QueueScreen("Billing", user))
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(app, pilot)
            assert [r[1] for r in rows(app)] == ["Acme Ltd"]
            await pilot.press("a")
            await settle(app, pilot)
            assert rows(app)[0][-1] == "ack"
    finally:
        pglogins.close_others(team.admin)
    assert Forward.get_by_id(team.data["billing"]).acknowledged_by == bill


async def test_the_supervisor_board_as_a_supervisors_login(team):
    from callers.app import CallersApp
    from screens.supervisor import SupervisorScreen

    _as_login(team, "sam")
    try:
        app = CallersApp(caller=team["sam"].name, first=lambda user: SupervisorScreen(user=user, period="30"))
        async with app.run_test(size=(120, 40)) as pilot:
            for _ in range(5):
                await pilot.pause()
                await app.workers.wait_for_complete()
            text = "\n".join(strip.text for strip in app.screen._compositor.render_strips())
            assert "Billing" in text and "Support" in text
    finally:
        pglogins.close_others(team.admin)


async def test_references_as_a_requesters_login(team):
    from callers.app import CallersApp
    from screens.references import references_screen

    _as_login(team, "rita")
    try:
        app = CallersApp(caller=team["rita"].name,
                         first=references_screen({"type": None, "state": "any", "industry": None, "size": None,
                                                  "country": None, "features": ""}))
        async with app.run_test(size=(120, 40)) as pilot:
            for _ in range(5):
                await pilot.pause()
                await app.workers.wait_for_complete()
            text = "\n".join(strip.text for strip in app.screen._compositor.render_strips())
            assert "Acme Ltd" in text and "Beta GmbH" not in text
    finally:
        pglogins.close_others(team.admin)


# ---- claims, holds and new cycles through the definer functions ------------------------


def test_a_caller_login_brings_parked_customers_back_and_keeps_its_lease(team):
    from callers import calls, due

    parked = factories.customer("Parked Ltd", phone="+442079460950", due=clock.now() - timedelta(days=10))
    Customer.update(due_rank=due.DUE_PARKED, unreachable=True, attempts=5,
                    next_due_at=clock.db_now() - timedelta(hours=1)).where(Customer.id == parked.id).execute()
    _as_login(team, "cal")
    cal = team["cal"].name
    try:
        due.forget_zone_keys()
        assert due.start_new_cycles(force=True) == 1
        found = due.next_due(cal, claim=True)
        state = calls.open_call(cal, found.id)
        calls.record_answer(state.call_id, "implementation", "state", "live")
        calls.end_call(state.call_id, "no_answer")
    finally:
        pglogins.close_others(team.admin)
    assert found.id == parked.id  # back in the queue, never reached: first
    back = Customer.get_by_id(parked.id)
    assert (back.unreachable, back.due_rank, back.attempts) == (False, due.DUE_NEVER_REACHED, 1)
    assert back.implementation_state == "live" and back.claim_holder is None


# ---- 4. `callers db check`: the server's posture ---------------------------------------------


def test_db_check_warns_about_trust_missing_policies_and_public_grants(team, capsys):
    code, out, err = team.run(capsys, None, "db", "check")
    assert code == 0, err
    warnings = [line for line in out.splitlines() if line.startswith("warning: ")]
    assert len(warnings) == 1  # this server trusts 127.0.0.1: every login gets in without a password
    assert warnings[0].startswith("warning: the server let postgres in at 127.0.0.1:5432 without a password: "
                                  "pg_hba.conf trusts this address")
    assert "use scram-sha-256" in warnings[0]
    team.admin.execute_sql("DROP POLICY callers_department_select ON forward")
    team.admin.execute_sql("ALTER TABLE call DISABLE ROW LEVEL SECURITY")
    team.admin.execute_sql("CREATE POLICY everyone ON contact FOR SELECT USING (true)")
    team.admin.execute_sql("GRANT SELECT ON customer TO PUBLIC")
    team.admin.execute_sql("GRANT EXECUTE ON FUNCTION callers_hold(integer, text, timestamp, timestamp) TO PUBLIC")
    code, out, err = team.run(capsys, None, "db", "check")
    assert code == 0, err
    for expected in ("warning: row-level security is off on call",
                     "warning: policy callers_department_select on forward is missing",
                     "warning: policy everyone on contact is not callers' own",
                     "warning: PUBLIC has SELECT on customer",
                     "warning: PUBLIC may execute callers_hold"):
        assert expected in out, out
    # `callers db upgrade` applies the roles again, and all is as callers sets it
    team.admin.execute_sql("DROP POLICY everyone ON contact")
    code, out, err = team.run(capsys, None, "db", "upgrade")
    assert code == 0 and "applied again" in out, err
    code, out, err = team.run(capsys, None, "db", "check")
    assert [line for line in out.splitlines() if line.startswith("warning: ")] == warnings


def test_db_check_without_the_team_roles_says_so(db, engine, capsys):
    if engine != "postgresql":
        pytest.skip("PostgreSQL's posture")
    assert main(["db", "check"]) == 0
    out = capsys.readouterr().out
    assert "warning: the database roles are not set up (`callers db roles`)" in out


def test_a_team_login_cannot_change_or_check_the_schema(team, capsys):
    for action in ("init", "upgrade", "roles", "recount", "check"):
        code, _out, err = team.run(capsys, "sam", "db", action)
        assert code == 1
        assert one_line(err).startswith(f"`callers db {action}` changes or reads every table: run it through the "
                                        "administrator's connection")


# ---- the tallies: triggers run as whoever writes ---------------------------------------------


def test_each_login_feeds_the_tallies_its_writes_touch(team, capsys):
    """A department marking a forward done, a caller ending a call: the
    triggers append to the tallies as that login. A department still cannot
    read what the calls found; a supervisor reads and folds the tallies."""
    from models import tallies

    code, _out, err = team.run(capsys, "bill", "forwards", "done", str(team.data["billing"]), "--note", "ok")
    assert code == 0, err
    dept = team.connect("bill")
    with pytest.raises(peewee.ProgrammingError, match="permission denied"):
        dept.execute_sql("SELECT * FROM tally_call").fetchall()
    dept.close()
    code, _out, err = team.run(capsys, "cal", "next", "--claim")
    assert code == 0, err
    cal = team.connect("cal")
    cal.execute_sql("INSERT INTO call (customer_id, caller, shown_at, started_at, ended_at, outcome) "
                    "VALUES (%s, %s, now(), now(), now(), 'completed')", (team.data["acme"], team["cal"].name))
    cal.close()
    sup = team.connect("sam")
    try:
        assert tallies.compact_if_needed(sup, threshold=1) > 0
    finally:
        sup.close()
    assert tallies.check() == []


def test_call_notes_stay_hidden_from_departments_and_requesters(team):
    for who in ("bill", "rita"):
        other = team.connect(who)
        try:
            for table in ("call", "call_answer"):
                with pytest.raises(peewee.ProgrammingError, match="permission denied"):
                    other.execute_sql(f"SELECT * FROM {table}").fetchall()
                other.rollback()
        finally:
            other.close()
    sup = team.connect("sam")
    try:
        assert sup.execute_sql("SELECT note FROM call").fetchone()[0] == "cat's own words"
        with pytest.raises(peewee.ProgrammingError, match="permission denied"):
            sup.execute_sql("UPDATE call SET note = 'edited'")
    finally:
        sup.close()


def test_the_password_is_asked_for_twice_on_a_terminal(team, capsys, monkeypatch):
    import getpass
    import sys

    answers = iter(["pw-one", "pw-two", "pw-ok", "pw-ok"])
    monkeypatch.setattr(sys.stdin, "isatty", lambda: True)
    monkeypatch.setattr(getpass, "getpass", lambda prompt: next(answers))
    first, second = pglogins.unique("tty"), pglogins.unique("tty")
    try:
        code, _out, err = team.run(capsys, None, "users", "add", first, "--role", "caller", "--login",
                                   "--as", team["sam"].name)
        assert code == 1 and one_line(err) == "the two passwords differ; nothing was saved"
        assert not User.select().where(User.name == first).exists()
        code, _out, err = team.run(capsys, None, "users", "add", second, "--role", "caller", "--login",
                                   "--as", team["sam"].name)
        assert code == 0, err
        stored = team.admin.execute_sql("SELECT rolpassword FROM pg_authid WHERE rolname = %s",
                                        (second,)).fetchone()[0]
        assert stored.startswith("SCRAM-SHA-256$4096:")
    finally:
        pglogins.drop([first, second])


def test_schema_9_links_the_logins_an_earlier_version_made(db_url, engine, monkeypatch):
    """An earlier `users add NAME --login` made a login named as the user, in
    its role's group: the upgrade links it, so the team keeps working."""
    if engine != "postgresql":
        pytest.skip("database logins are PostgreSQL's")
    from models import connect, schema

    admin = connect(db_url)
    schema.upgrade(admin, target="0006_due_index_ends_with_id")
    kim, lee = pglogins.unique("kim"), pglogins.unique("lee")
    admin.execute_sql("INSERT INTO app_user (name, role, created_at) VALUES (%s, 'caller', now()), "
                      "(%s, 'caller', now())", (kim, lee))
    admin.execute_sql("DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'callers_caller') "
                      "THEN CREATE ROLE callers_caller NOLOGIN; END IF; "
                      "EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$")
    admin.execute_sql(f'CREATE ROLE "{kim}" LOGIN IN ROLE callers_caller')  # kim's login; lee has none
    try:
        schema.upgrade(admin)
        logins = dict(admin.execute_sql("SELECT name, login FROM app_user").fetchall())
        assert logins == {kim: kim, lee: None}
    finally:
        pglogins.drop([kim])


def test_webhooks_in_a_team_queue_every_login_s_events_and_only_supervisors_read_the_secrets(team, capsys):
    """Callers and departments queue the deliveries of the events they
    record, but never read a webhook's URL or secret (a Slack or Teams URL
    is itself a secret); a supervisor's `hooks --retry` delivers them."""
    from callers import webhooks

    billing = Department.get(Department.name == "Billing").id
    webhooks.set_hook(billing, "http://127.0.0.1:9/never", team["sam"].name, secret="s3cret")
    code, _out, err = team.run(capsys, "bill", "forwards", "ack", str(team.data["billing"]))
    assert code == 0, err
    waiting = team.admin.execute_sql(
        "SELECT count(*) FROM webhook_delivery WHERE department_id = %s AND delivered_at IS NULL",
        (billing,)).fetchone()[0]
    assert waiting == 1  # queued by the department's own login, with its event
    for who in ("cal", "bill"):
        other = team.connect(who)
        try:
            with pytest.raises(peewee.ProgrammingError, match="permission denied"):
                other.execute_sql("SELECT url, secret FROM department_webhook").fetchall()
            other.rollback()
            with pytest.raises(peewee.ProgrammingError, match="permission denied"):
                other.execute_sql("SELECT body FROM webhook_delivery").fetchall()
            other.rollback()
        finally:
            other.close()
    code, out, err = team.run(capsys, "sam", "departments", "hooks", "--format", "json")
    assert code == 0, err
    assert [row["department"] for row in json.loads(out)] == ["Billing"]


# ---- issue 20: closing the loop, step times, NPS as the logins ------------------------------


def test_a_caller_closes_the_loop_on_another_callers_forward_of_the_customer_it_holds(team, capsys):
    """cat filed Acme's forward to Billing; bill marks it done; cal, on the
    next call to Acme, records the customer's "no" (with words and seconds),
    an answer's seconds and an NPS score: the forward is open again in
    Billing, the trail names cal, and the tallies count cal's call."""
    from callers import calls, loop, nps

    billing = team.data["billing"]
    assert team.run(capsys, "bill", "forwards", "done", str(billing), "--note", "credited")[0] == 0
    assert team.run(capsys, "sam", "settings", "nps", "on")[0] == 0
    cal = team["cal"].name
    _as_login(team, "cal")
    try:
        found = due.next_due(cal, claim=True)
        assert found.id == team.data["acme"]
        state = calls.open_call(cal, found.id)
        calls.start_call(state.call_id)
        assert [q.forward_id for q in loop.to_ask(found.id)] == [billing]
        calls.record_answer(state.call_id, "contacts", "confirm", None, seconds=12)
        got = loop.answer(state.call_id, billing, "n", words="still billed twice", seconds=6)
        assert nps.record(state.call_id, 9) == 9
        calls.end_call(state.call_id, "completed")
    finally:
        pglogins.close_others(team.admin)
    assert got.message == "Reopened to Billing"
    row = Forward.get_by_id(billing)
    assert (row.status, row.reopened, row.caller) == ("open", 1, team["cat"].name)
    event = ForwardEvent.get(ForwardEvent.forward == billing, ForwardEvent.status == "reopened")
    assert (event.by, event.call_id, event.seconds) == (cal, state.call_id, 6)
    assert Call.get_by_id(state.call_id).nps == 9
    assert CallAnswer.get(CallAnswer.call == state.call_id).seconds == 12
    from models import tallies

    assert tallies.check() == []
    # the department sees its own forward's answer; the other department does not
    for who, seen in (("bill", 1), ("sue", 0)):
        dept = team.connect(who)
        try:
            assert dept.execute_sql("SELECT count(*) FROM forward_event WHERE status = 'reopened'").fetchone()[0] == seen
        finally:
            dept.close()


def test_raw_sql_as_a_caller_records_no_loop_answer_for_a_customer_it_does_not_hold(team, capsys):
    billing, support = team.data["billing"], team.data["support"]
    for fid, who in ((billing, "bill"), (support, "sue")):
        assert team.run(capsys, who, "forwards", "done", str(fid), "--note", "done")[0] == 0
    cal = team["cal"].name
    caller = team.connect("cal")
    try:
        q = caller.execute_sql
        # holds no customer: no answer, no reopening
        with pytest.raises(peewee.ProgrammingError, match="row-level security"):
            q("INSERT INTO forward_event (forward_id, status, at, by) VALUES (%s, 'fixed', now(), %s)", (billing, cal))
        caller.rollback()
        assert q("UPDATE forward SET status = 'open' WHERE id = %s", (billing,)).rowcount == 0
        # holding Acme: its forward, in its own name, and only the loop's answers
        q("SELECT (customer_row).id FROM callers_claim(ARRAY['Europe/London'], %s, false, false, false, 9, %s, %s, %s)",
          (clock.db_now(), clock.db_now(), cal, clock.db_now() + timedelta(minutes=15)))
        with pytest.raises(peewee.ProgrammingError, match="row-level security"):
            q("INSERT INTO forward_event (forward_id, status, at, by) VALUES (%s, 'fixed', now(), %s)",
              (billing, team["cat"].name))
        caller.rollback()
        q("SELECT (customer_row).id FROM callers_claim(ARRAY['Europe/London'], %s, false, false, false, 9, %s, %s, %s)",
          (clock.db_now(), clock.db_now(), cal, clock.db_now() + timedelta(minutes=15)))
        with pytest.raises(peewee.ProgrammingError, match="row-level security"):
            q("INSERT INTO forward_event (forward_id, status, at, by) VALUES (%s, 'done', now(), %s)", (billing, cal))
        caller.rollback()
        q("SELECT (customer_row).id FROM callers_claim(ARRAY['Europe/London'], %s, false, false, false, 9, %s, %s, %s)",
          (clock.db_now(), clock.db_now(), cal, clock.db_now() + timedelta(minutes=15)))
        with pytest.raises(peewee.ProgrammingError, match="row-level security"):  # Beta: not held
            q("INSERT INTO forward_event (forward_id, status, at, by) VALUES (%s, 'fixed', now(), %s)", (support, cal))
        caller.rollback()
        assert q("UPDATE forward SET status = 'open' WHERE id = %s", (support,)).rowcount == 0
        # another caller's call: no seconds, no score
        assert q("UPDATE call SET nps = 10 WHERE id = %s", (team.data["their_call"],)).rowcount == 0
        with pytest.raises(peewee.ProgrammingError, match="row-level security"):
            q("INSERT INTO call_answer (call_id, step, key, value, answered_at, seconds) "
              "VALUES (%s, 'comment', 'note', 'x', now(), 5)", (team.data["their_call"],))
        caller.rollback()
        q("SELECT (customer_row).id FROM callers_claim(ARRAY['Europe/London'], %s, false, false, false, 9, %s, %s, %s)",
          (clock.db_now(), clock.db_now(), cal, clock.db_now() + timedelta(minutes=15)))
        q("INSERT INTO forward_event (forward_id, status, at, by) VALUES (%s, 'fixed', now(), %s)", (billing, cal))
        caller.commit()
    finally:
        caller.close()
    assert Forward.get_by_id(support).status == "done"
    assert ForwardEvent.select().where(ForwardEvent.status == "fixed").count() == 1
    # the department reads the answer about its forward, and may not write one in the caller's name
    dept = team.connect("bill")
    try:
        assert dept.execute_sql("SELECT by FROM forward_event WHERE status = 'fixed'").fetchone()[0] == cal
        with pytest.raises(peewee.ProgrammingError, match="row-level security"):
            dept.execute_sql("INSERT INTO forward_event (forward_id, status, at, by) VALUES (%s, 'fixed', now(), %s)",
                             (billing, cal))
    finally:
        dept.close()


def test_reconcile_as_a_supervisor_keeps_what_it_found_for_the_report(team, capsys, tmp_path):
    billing_csv = tmp_path / "billing.csv"
    billing_csv.write_text("Account ID,Account Name,Plan,MRR,Status\nB-1,Acme Ltd,Team,300,active\n"
                           "B-2,Nobody Ltd,Team,49.50,active\n")
    code, _out, err = team.run(capsys, "sam", "reconcile", str(billing_csv))
    assert code == 0, err
    code, out, err = team.run(capsys, "sam", "report", "--format", "json")
    assert code == 0, err
    found = json.loads(out)["value"]["reconciliation"]
    assert found["ran_by"] == team["sam"].name  # the login, never a typed name
    assert (found["unknown"], found["unknown_amount"]) == (1, 49.5)
    assert found["unbilled"] == 2  # Beta and Gamma
    # Nobody else reads or writes what billing found.
    for who in ("cal", "bill", "rita"):
        other = team.connect(who)
        try:
            with pytest.raises(peewee.ProgrammingError):
                other.execute_sql("SELECT * FROM reconciliation_finding").fetchall()
        finally:
            other.close()
