"""Opening a likstall store (one DuckDB file) and bringing its schema up to date."""

from __future__ import annotations

import os
import stat
import time
from pathlib import Path

import duckdb

from ..errors import StoreError
from .schema import MIGRATIONS

STORE_MAGIC = "likstall-store"


def configure(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    con.execute("SET enable_progress_bar = false")
    return con


def private_files() -> None:
    """From now on this process creates files only its user can read (umask 077).

    The store holds pseudonyms, unsuppressed counts and password and token hashes. DuckDB creates
    the file, its write-ahead log (`.wal`, created and removed again at every checkpoint) and its
    spill folder (`.tmp`) itself, at moments no caller sees, so a chmod after the fact would leave
    windows open; the process's umask is the one setting that covers them all. It stays tightened
    for the rest of the process: what a likstall process writes after opening a store (reports,
    staging copies, caches) is for its user, and is shared on purpose, by copying, when published.
    """
    old = os.umask(0o077)
    os.umask(old | 0o077)


def _tighten(path: Path) -> None:
    """Take group and other rights away from a store file made before this rule (ours only)."""
    for p in (path, Path(str(path) + ".wal")):
        try:
            st = p.stat()
            if st.st_uid == os.getuid() and stat.S_IMODE(st.st_mode) & 0o077:
                p.chmod(stat.S_IMODE(st.st_mode) & 0o700)
        except (FileNotFoundError, PermissionError):
            pass


def connect(path: str | Path, *, read_only: bool = False, wait: float = 0.0) -> duckdb.DuckDBPyConnection:
    """Open (and with read_only=False create or migrate) the store at `path`.

    DuckDB lets one process write a file or several read it. While another process has it, try
    again for up to `wait` seconds (the web server holds it only for moments) before giving up.
    The file, its write-ahead log and spill files are created 0600 (`private_files`).
    """
    path = Path(path)
    private_files()
    if read_only and not path.exists():
        raise StoreError(f"Databasen {path} finns inte. Läs in data först med `likstall ingest`.")
    deadline = time.monotonic() + wait
    delay = 0.02
    while True:
        try:
            con = duckdb.connect(str(path), read_only=read_only)
            break
        except duckdb.IOException as exc:
            if "lock" not in str(exc).lower():
                raise StoreError(f"Databasen {path} kunde inte öppnas: {_first_line(exc)}") from None
            if time.monotonic() + delay > deadline:
                raise StoreError(
                    f"Databasen {path} används av en annan process som skriver i den (till exempel en "
                    "pågående inläsning). Försök igen när den är klar."
                ) from None
            time.sleep(delay)
            delay = min(delay * 2, 0.5)
        except duckdb.Error as exc:
            raise StoreError(f"{path} är ingen likstall-databas som går att öppna: {_first_line(exc)}") from None
    configure(con)
    if not read_only:
        _tighten(path)
    if read_only:
        _check_magic(con, path)
    else:
        migrate(con, path)
    return con


def _first_line(exc: BaseException) -> str:
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


def _check_magic(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    try:
        row = con.execute("SELECT value FROM meta WHERE key = 'magic'").fetchone()
    except duckdb.CatalogException:
        row = None
    if not row or row[0] != STORE_MAGIC:
        raise StoreError(f"{path} är ingen likstall-databas.")


def migrate(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    has_tables = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'main'"
    ).fetchone()[0]
    if has_tables:
        _check_magic(con, path)
        version = int(con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0])
    else:
        version = 0
    if version > len(MIGRATIONS):
        raise StoreError(f"{path} är skapad av en nyare version av likstall (schema {version}).")
    if version == len(MIGRATIONS):
        return
    con.execute("BEGIN")
    for sql in MIGRATIONS[version:]:
        con.execute(sql)
    con.execute("INSERT OR REPLACE INTO meta VALUES ('magic', ?), ('schema_version', ?)",
                [STORE_MAGIC, str(len(MIGRATIONS))])
    con.execute("COMMIT")
    # Into the file at once, not left in the write-ahead log: DuckDB cannot replay some of the migrations'
    # statements (an ALTER ... USING hash()), so a process killed before its next checkpoint (an ingest
    # stopped with kill -9, a power cut) left a store no one could open again.
    con.execute("CHECKPOINT")


def get_meta(con: duckdb.DuckDBPyConnection, key: str) -> str | None:
    row = con.execute("SELECT value FROM meta WHERE key = ?", [key]).fetchone()
    return row[0] if row else None
