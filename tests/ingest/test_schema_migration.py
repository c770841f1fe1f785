"""A store made by an earlier schema is brought up to date without losing or changing a row."""

from __future__ import annotations

import datetime as dt

import duckdb

from likstall.demo.write import write_demo_data
from likstall.ingest.load import ingest
from likstall.store import connection, schema

DATA = ("districts", "population", "socioeconomics", "cases", "placements")


def contents(db) -> dict:
    """Every row of every data table (row_hash aside: schema 6 changes how it is computed)."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        return {t: sorted(con.execute(f"SELECT * EXCLUDE (row_hash) FROM {t}").fetchall()) for t in DATA}
    finally:
        con.close()


def test_a_schema_4_store_gets_tables_without_primary_keys_and_keeps_every_row(tmp_path, monkeypatch):
    data = tmp_path / "data"
    write_demo_data(data)
    db = tmp_path / "old.duckdb"
    monkeypatch.setattr(connection, "MIGRATIONS", schema.MIGRATIONS[:4])  # as version 4 made stores
    ingest([data], db, extract_date=dt.date(2022, 1, 31))
    before = contents(db)
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT count(*) FROM duckdb_constraints() WHERE constraint_type = 'PRIMARY KEY' "
                       "AND table_name IN ('cases', 'placements')").fetchone()[0] == 2
    con.close()

    monkeypatch.setattr(connection, "MIGRATIONS", schema.MIGRATIONS)
    con = connection.connect(db)
    assert con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0] == str(len(schema.MIGRATIONS))
    kinds = {r[0] for r in con.execute(
        f"SELECT constraint_type FROM duckdb_constraints() WHERE table_name IN {DATA}").fetchall()}
    con.close()
    assert "PRIMARY KEY" not in kinds and {"NOT NULL", "CHECK"} <= kinds
    assert contents(db) == before
    # And the migrated store takes the same data again as unchanged, with no duplicate.
    r = ingest([data], db, extract_date=dt.date(2022, 1, 31))
    assert r.inserted == 0 and r.unchanged == r.rows_read
    assert contents(db) == before


def test_a_store_survives_a_process_killed_right_after_creating_it(tmp_path):
    # The migrations must be in the file, not only in the write-ahead log: DuckDB cannot replay some of them,
    # and a store whose first ingest was killed (kill -9, a power cut) could never be opened again.
    import subprocess
    import sys

    db = tmp_path / "s.duckdb"
    script = ("import os, sys\nfrom likstall.store.connection import connect\n"
              "con = connect(sys.argv[1])\nos._exit(9)  # no close, no checkpoint: as if killed\n")
    assert subprocess.run([sys.executable, "-c", script, str(db)]).returncode == 9
    from likstall.store.connection import connect

    con = connect(db)
    try:
        assert con.execute("SELECT value FROM meta WHERE key = 'magic'").fetchone() == ("likstall-store",)
    finally:
        con.close()
