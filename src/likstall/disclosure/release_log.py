"""The release log in the store: every publication's pattern, so later releases treat earlier
published cells as known (C9, scenario S4)."""

from __future__ import annotations

import json
from dataclasses import asdict

import duckdb

from .attacker import PUBLISHED, HistoryCell
from .cells import CellKey
from .gate import Publication


def history(con: duckdb.DuckDBPyConnection) -> dict[CellKey, HistoryCell]:
    """Every cell of every earlier release, latest release winning for a cell published twice."""
    rows = con.execute(
        "SELECT release_id, cell, status, value FROM release_cells ORDER BY release_id"
    ).fetchall()
    out: dict[CellKey, HistoryCell] = {}
    for release_id, cell, status, value in rows:
        out[CellKey.from_json(cell)] = HistoryCell(PUBLISHED if status == "published" else "suppressed",
                                                   None if value is None else int(value), release_id)
    return out


def latest_release(con: duckdb.DuckDBPyConnection, year: int):
    return con.execute(
        "SELECT release_id, pattern_sha256, created FROM releases WHERE year = ? ORDER BY release_id DESC LIMIT 1",
        [year],
    ).fetchone()


def record(con: duckdb.DuckDBPyConnection, pub: Publication, kind: str) -> tuple[int, bool]:
    """Log the release (one transaction). An identical pattern for the same year is not logged twice.

    Returns (release_id, new).
    """
    digest = pub.pattern_hash()
    prev = latest_release(con, pub.year)
    if prev and prev[1] == digest:
        return prev[0], False
    con.execute("BEGIN TRANSACTION")
    try:
        rid = con.execute("SELECT coalesce(max(release_id), 0) + 1 FROM releases").fetchone()[0]
        last_load = con.execute("SELECT max(load_id) FROM loads").fetchone()[0]
        con.execute(
            "INSERT INTO releases VALUES (?, ?, now(), ?, ?, ?, ?, ?, ?, ?)",
            [rid, pub.year, kind, json.dumps(asdict(pub.policy)), digest, pub.audit.n_cells, pub.audit.n_suppressed,
             pub.audit.passed, last_load],
        )
        con.executemany("INSERT INTO release_cells VALUES (?, ?, ?, ?)",
                        [[rid, cell, status, value] for cell, status, value in pub.release_cells()])
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return rid, True


def releases(con: duckdb.DuckDBPyConnection):
    return con.execute(
        "SELECT release_id, year, created, kind, pattern_sha256, n_cells, n_suppressed, audit_passed "
        "FROM releases ORDER BY release_id"
    ).df()
