"""Files the system writes about people are readable by their owner only (issue 14: the store was 0644).

The store holds pseudonyms, unsuppressed counts and password and token hashes; its write-ahead log
and spill files hold the same; the access log holds who saw what. All 0600, folders 0700, whatever
the umask of the shell that started the process.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

from likstall.web.app import create_app
from likstall.web.downloads import reports_root
from likstall.web.sidedb import side_path
from likstall.web.staging import staging_root
from webkit import logged_in, make_store

SCRIPT = """
import os, sys
os.umask(0o022)  # a shell's usual umask: files 0644 unless the program takes care
from likstall.store.connection import connect
db = sys.argv[1]
con = connect(db)  # creates the store
con.execute("SET checkpoint_threshold = '1GB'")
con.execute("CREATE TABLE scratch AS SELECT range AS i FROM range(100000)")  # a write: the WAL exists now
print(os.path.exists(db + ".wal"), flush=True)
con.execute("SET memory_limit = '20MB'")
con.execute("SET temp_directory = ?", [db + ".tmp"])
con.execute("SELECT i, md5(i::VARCHAR) AS h FROM range(3000000) t(i) ORDER BY h DESC LIMIT 1").fetchall()
os.makedirs(db + ".tmp", exist_ok=True)  # (DuckDB removes it after the sort; what we make after is private too)
open(db + ".other", "w").close()
"""


def mode(p: Path) -> int:
    return stat.S_IMODE(p.stat().st_mode)


def test_the_store_its_wal_and_temporary_files_are_private(tmp_path):
    db = tmp_path / "s.duckdb"
    out = subprocess.run([sys.executable, "-c", SCRIPT, str(db)], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "True"  # the WAL was there to be checked
    assert mode(db) == 0o600
    wal = Path(str(db) + ".wal")
    if wal.exists():
        assert mode(wal) == 0o600
    assert mode(Path(str(db) + ".tmp")) == 0o700
    assert mode(Path(str(db) + ".other")) == 0o600


def test_the_wal_is_private_while_it_exists(tmp_path):
    from likstall.store.connection import connect

    old = os.umask(0o022)
    try:
        db = tmp_path / "w.duckdb"
        con = connect(db)
        con.execute("SET checkpoint_threshold = '1GB'")
        con.execute("CREATE TABLE scratch AS SELECT range AS i FROM range(1000)")
        wal = Path(str(db) + ".wal")
        assert wal.exists() and mode(wal) == 0o600 and mode(db) == 0o600
        con.close()
    finally:
        os.umask(old)


def test_an_old_world_readable_store_is_tightened_when_opened(tmp_path):
    from likstall.store.connection import connect

    db = tmp_path / "old.duckdb"
    connect(db).close()
    db.chmod(0o644)
    connect(db).close()
    assert mode(db) == 0o600


def test_the_servers_own_files_are_private(web_template, tmp_path):
    db = make_store(web_template, tmp_path)
    old = os.umask(0o022)
    try:
        app = create_app(db, login_delay=0)
        c = logged_in(app, "analytiker")
        assert c.get("/rapporter/2021/csv").status_code == 200
    finally:
        os.umask(old)
    log = side_path(db)
    assert mode(log) == 0o600
    for suffix in ("-wal", "-shm"):
        p = Path(str(log) + suffix)
        assert p.exists() and mode(p) == 0o600, suffix
    assert mode(staging_root(db)) == 0o700 and mode(reports_root(db)) == 0o700
    files = [p for p in reports_root(db).rglob("*") if p.is_file()]
    assert files and all(mode(p) == 0o600 for p in files)
