"""Releases in the store: written once, in one transaction, never changed.

A release row keeps what it serves (`content`), the structure its protection rested on, and the
aggregate inputs it was built from; `release_cells` keeps every count cell's status, its published
value (public) and its true value (internal: later releases are protected jointly with this one).
"""

from __future__ import annotations

import hashlib
import json
import zlib

import duckdb

FORMAT = 2


# Stored as compressed JSON. Here rather than beside the frames (aggregate/frames.py imports pandas),
# so that reading a release back needs no pandas.
def pack(obj) -> bytes:
    return zlib.compress(json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode(), 6)


def unpack(blob: bytes):
    return json.loads(zlib.decompress(blob).decode())


def content_digest(content: dict) -> str:
    """SHA-256 of what a release serves, without its id, version, time and audit log: the same data,
    history and policy give the same digest, and an identical release is not made twice."""
    # The audit's notes and scenarios name the history (a second run has the first as history); what is
    # served — tables, findings, sentences, charts — decides whether two releases are the same.
    # The drawn charts ("svg") follow from the chart values and the drawing code, not from the data.
    body = {k: v for k, v in content.items() if k not in ("release_id", "version", "created", "audit", "svg")}
    return hashlib.sha256(json.dumps(body, ensure_ascii=False, sort_keys=True, default=str).encode()).hexdigest()


def latest(con: duckdb.DuckDBPyConnection, year: int) -> dict | None:
    # Integers written into the SQL, not bound: DuckDB's Python client imports numpy and pandas the first
    # time it binds a parameter (to check for their types), and reading a release needs neither.
    row = con.execute("SELECT release_id, version, pattern_sha256, created FROM releases "
                      f"WHERE year = {int(year)} AND format = {FORMAT} ORDER BY release_id DESC LIMIT 1").fetchone()
    return None if row is None else {"release_id": row[0], "version": row[1], "digest": row[2], "created": row[3]}


def list_releases(con: duckdb.DuckDBPyConnection) -> list[dict]:
    rows = con.execute("SELECT release_id, year, version, created, n_cells, n_suppressed, pattern_sha256 FROM releases "
                       "WHERE format = ? ORDER BY release_id", [FORMAT]).fetchall()
    return [{"release_id": r[0], "year": r[1], "version": r[2], "created": r[3], "n_cells": r[4],
             "n_suppressed": r[5], "digest": r[6]} for r in rows]


def released_years(con: duckdb.DuckDBPyConnection) -> list[int]:
    return [r[0] for r in con.execute("SELECT DISTINCT year FROM releases WHERE format = ? ORDER BY 1",
                                      [FORMAT]).fetchall()]


def load_content(con: duckdb.DuckDBPyConnection, release_id: int) -> dict:
    row = con.execute(f"SELECT content FROM releases WHERE release_id = {int(release_id)} AND format = {FORMAT}"
                      ).fetchone()  # integers in the SQL: see `latest`
    if row is None:
        raise KeyError(release_id)
    return unpack(row[0])


def save(con: duckdb.DuckDBPyConnection, content: dict, structure: dict, frames: dict,
         cells: list[tuple[str, str, str, int | None, int]], summary: dict, *,
         digest: str | None = None) -> tuple[int, int, bool]:
    """Write a release. Returns (release_id, version, new); an identical release of the same year is
    not written again (its id is returned). `digest`: `content_digest(content)` when already known."""
    digest = digest or content_digest(content)
    prev = latest(con, content["year"])
    if prev and prev["digest"] == digest:
        return prev["release_id"], prev["version"], False
    con.execute("BEGIN TRANSACTION")
    try:
        rid = con.execute("SELECT coalesce(max(release_id), 0) + 1 FROM releases").fetchone()[0]
        version = con.execute("SELECT coalesce(max(version), 0) + 1 FROM releases WHERE year = ? AND format = ?",
                              [content["year"], FORMAT]).fetchone()[0]
        content = {**content, "release_id": rid, "version": version}
        last_load = con.execute("SELECT max(load_id) FROM loads").fetchone()[0]
        con.execute(
            "INSERT INTO releases (release_id, year, created, kind, policy, pattern_sha256, n_cells, n_suppressed, "
            "audit_passed, last_load_id, format, version, content, structure, frames) "
            "VALUES (?, ?, ?, 'release', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [rid, content["year"], content["created"], json.dumps(content["policy"]), digest, summary["n_cells"],
             summary["n_suppressed"], summary["passed"], last_load, FORMAT, version, pack(content), pack(structure),
             pack(frames)])
        # One statement with the columns as lists (`executemany` took 20 s for the 10^5 cells of a national
        # release; this takes about 2 s).
        con.execute(
            "INSERT INTO release_cells (release_id, cell, status, value, table_name, kind, true_value) "
            "SELECT ?, unnest(?::VARCHAR[]), unnest(?::VARCHAR[]), unnest(?::BIGINT[]), unnest(?::VARCHAR[]), "
            "unnest(?::VARCHAR[]), unnest(?::BIGINT[])",
            [rid, [c[1] for c in cells],
             ["published" if c[2] == "published" else "omitted" if c[2] == "omitted" else "suppressed" for c in cells],
             [c[3] for c in cells], [c[0] for c in cells], [c[2] for c in cells], [c[4] for c in cells]])
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return rid, version, True


def stored_releases(con: duckdb.DuckDBPyConnection) -> list[dict]:
    """Every format-2 release with its structure and frames (for the history), oldest first."""
    out = []
    for rid, year, structure, frames in con.execute(
            "SELECT release_id, year, structure, frames FROM releases WHERE format = ? ORDER BY release_id",
            [FORMAT]).fetchall():
        cells = con.execute("SELECT table_name, cell, kind, value, true_value FROM release_cells WHERE release_id = ?",
                            [rid]).fetchall()
        out.append({"release_id": rid, "year": year, "structure": unpack(structure), "frames": unpack(frames),
                    "cells": cells})
    return out


def legacy_cells(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    """Cells of releases logged by earlier versions (format NULL): status and published value only."""
    return con.execute("SELECT r.release_id, c.cell, c.status, c.value FROM release_cells c JOIN releases r "
                       "USING (release_id) WHERE r.format IS NULL ORDER BY r.release_id").fetchall()
