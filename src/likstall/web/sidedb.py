"""The server's own SQLite file next to the store (`<store>.access.sqlite`): the access log and the
sessions. Its own file, so that a request never needs the store's write lock; created 0600 (SQLite
gives its -wal and -shm files the same mode); WAL, so the command line (`likstall user disable`) can
end sessions while the server runs, and several server processes (`likstall serve --workers N`) share
it: SQLite locks the file for each write, and every process waits for the others (busy_timeout)."""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
import threading
from contextlib import contextmanager
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS access_log (ts TEXT NOT NULL, username TEXT NOT NULL, role TEXT NOT NULL,
    action TEXT NOT NULL, path TEXT NOT NULL, detail TEXT, status INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS sessions (
    id_hash TEXT PRIMARY KEY,      -- SHA-256 of the cookie's value (the file never holds a live session id)
    username TEXT NOT NULL,
    csrf TEXT NOT NULL,
    created REAL NOT NULL,         -- unix time
    last_seen REAL NOT NULL,
    staging TEXT,                  -- the session's staged import (a folder name under <store>.import)
    staging_date TEXT              -- its extract date
);
CREATE INDEX IF NOT EXISTS sessions_user ON sessions (username);
"""


def side_path(db: Path) -> Path:
    return db.with_name(db.name + ".access.sqlite")


class SideDB:
    def __init__(self, path: Path):
        self.path = path
        if not path.exists():
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
        self._con = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=10)
        self._con.execute("PRAGMA journal_mode=WAL")
        # In WAL mode, NORMAL syncs the log at checkpoints instead of at every commit: a committed row
        # (an access-log entry, a session) survives this process being killed, and only a power loss
        # or an operating-system crash can lose the last commits. FULL cost 1,4 ms of fsync per
        # commit here, two commits per request, under one lock (docs/performance.md §4).
        self._con.execute("PRAGMA synchronous=NORMAL")
        self._con.execute("PRAGMA busy_timeout=10000")
        self._con.executescript(SCHEMA)
        self.lock = threading.Lock()

    def execute(self, sql: str, params=()) -> list[tuple]:
        with self.lock:
            return self._con.execute(sql, params).fetchall()

    @contextmanager
    def transaction(self):
        """One write transaction (BEGIN IMMEDIATE: other processes wait for it), committed at the end."""
        with self.lock:
            self._con.execute("BEGIN IMMEDIATE")
            try:
                yield self._con
            except BaseException:
                self._con.execute("ROLLBACK")
                raise
            self._con.execute("COMMIT")

    def close(self) -> None:
        with self.lock:
            self._con.close()


class AccessLog:
    """Who saw what, when (never a client address): append-only."""

    COLUMNS = ("ts", "username", "role", "action", "path", "detail", "status")

    def __init__(self, side: SideDB):
        self.side = side

    def add(self, username, role, action, path, detail, status) -> None:
        self.side.execute("INSERT INTO access_log VALUES (?, ?, ?, ?, ?, ?, ?)",
                          [dt.datetime.now().isoformat(timespec="seconds"), username, role, action, path, detail,
                           status])

    def rows(self, sql: str, params=()) -> list[tuple]:
        return self.side.execute(sql, params)

    def recent(self, n: int = 500) -> list[tuple]:
        """The latest entries, newest first, with the time as a datetime."""
        return [(dt.datetime.fromisoformat(r[0]), *r[1:])
                for r in self.rows("SELECT * FROM access_log ORDER BY rowid DESC LIMIT ?", (n,))]
