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
