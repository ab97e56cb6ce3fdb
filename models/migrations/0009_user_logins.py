"""Schema 9: each user's database login (`app_user.login`).

On PostgreSQL who you are is the login you connect with: the app user is
the one whose `login` is `session_user` (callers/access.py). A login is
linked to one user at most (unique). Logins made by an earlier
`callers users add NAME --login` were named after the user and are in the
group of the user's role: they are linked here, so an upgraded team keeps
working. On SQLite the column stays empty.
"""
from peewee import *

GROUPS = {
    "caller": "callers_caller",
    "department": "callers_department",
    "supervisor": "callers_supervisor",
    "requester": "callers_requester",
}


def up(migrator, db):
    migrator.migrate(
        migrator.add_column('app_user', 'login', CharField(null=True, max_length=63)),
        migrator.add_index('app_user', ('login',), True),
    )
    from models.db import is_postgres

    if is_postgres(db):
        for role, group in GROUPS.items():
            db.execute_sql(
                "UPDATE app_user u SET login = u.name WHERE u.role = %s AND u.login IS NULL "
                "AND EXISTS (SELECT 1 FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid "
                "JOIN pg_roles r ON r.oid = m.member WHERE g.rolname = %s AND r.rolname = u.name AND r.rolcanlogin)",
                (role, group))


def down(migrator, db):
    migrator.migrate(
        migrator.drop_index('app_user', 'app_user_login'),
        migrator.drop_column('app_user', 'login'),
    )
