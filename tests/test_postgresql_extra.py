"""PostgreSQL support is the extra `callers[postgresql]`: without its driver a
SQLite desk starts as before, and a postgresql:// URL gets one clear line."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# As if psycopg2 (and psycopg) were not installed: an import of either fails.
WITHOUT_DRIVER = "import sys; sys.modules['psycopg2'] = None; sys.modules['psycopg'] = None\n"


def _run(code: str, tmp_path) -> subprocess.CompletedProcess:
    env = {**os.environ, "CALLERS_HOME": str(tmp_path / "home")}
    env.pop("CALLERS_DB", None)
    return subprocess.run([sys.executable, "-c", WITHOUT_DRIVER + code], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


def test_a_postgresql_url_without_the_driver_says_how_to_install_it(tmp_path):
    done = _run("from callers.cli import main\n"
                "sys.exit(main(['--db', 'postgresql://callers@127.0.0.1:5432/callers', 'db', 'check']))",
                tmp_path)
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == ("callers: error: PostgreSQL support is not installed: "
                           "pip install 'callers[postgresql]'\n")


def test_sqlite_needs_no_postgresql_driver(tmp_path):
    url = str(tmp_path / "c.db")
    done = _run("from callers.cli import main\n"
                f"assert main(['--db', {url!r}, 'db', 'init']) == 0\n"
                f"sys.exit(main(['--db', {url!r}, 'db', 'check']))", tmp_path)
    assert done.returncode == 0, done.stderr
    assert "psycopg2" not in done.stderr


def _fresh(code: str, tmp_path) -> subprocess.CompletedProcess:
    """`code` in a new interpreter with the driver installed as it is here."""
    env = {**os.environ, "CALLERS_HOME": str(tmp_path / "home")}
    env.pop("CALLERS_DB", None)
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120)


def test_a_sqlite_desk_does_not_import_the_postgresql_driver(tmp_path):
    """With the driver installed (as here), a desk on an existing SQLite file
    never imports it (a new file's migrations may: peewee's migrator does)."""
    url = str(tmp_path / "c.db")
    made = _fresh(f"from callers.cli import main\nassert main(['--db', {url!r}, 'db', 'init']) == 0\n", tmp_path)
    assert made.returncode == 0, made.stderr
    done = _fresh("import sys\n"
                  "from callers.cli import main\n"
                  f"assert main(['--db', {url!r}, 'next']) == 0\n"
                  "import screens.desk\n"
                  "print(sorted(m for m in sys.modules if m.split('.')[0] in ('psycopg2', 'psycopg')))\n",
                  tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "[]"


def test_the_driver_comes_in_when_a_postgresql_database_is_opened_after_sqlite(tmp_path):
    """peewee was imported without psycopg2 (models.driver): opening PostgreSQL
    later in the same process brings it in and peewee's adapter works."""
    pg = os.environ.get("CALLERS_TEST_PG")
    if not pg:
        import pytest

        pytest.skip("PostgreSQL tests need CALLERS_TEST_PG=postgresql://user@host:port/db")
    done = _fresh("import sys, uuid\n"
                  "import models\n"
                  "import peewee\n"
                  "assert peewee.psycopg2 is None and 'psycopg2' not in sys.modules\n"
                  "from models.db import make_database\n"
                  f"db = make_database({pg!r})\n"
                  "db.connect()\n"
                  "key = uuid.UUID(int=7)\n"
                  "print(db.execute_sql('SELECT %s::uuid, 1', (key,)).fetchone() == (key, 1))\n"
                  "print(db.in_transaction() is False, peewee.Psycopg2Adapter.txn_idle)\n"
                  "db.close()\n",
                  tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["True", "True", "0"]
