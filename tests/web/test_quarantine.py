"""The quarantine knows each row's district (so a district's users see their own rows): a case's own
district code, a placement's case's district (from the same load or from the store), none otherwise."""

from __future__ import annotations

import datetime as dt

import duckdb

from helpers import base_tables, write_tables
from likstall.ingest.load import ingest

EXTRACT = dt.date(2022, 1, 31)


def districts(db) -> dict[tuple[str, int], str | None]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return {(r[0], r[1]): r[2] for r in con.execute(
            "SELECT table_name, row_number, district FROM quarantine ORDER BY 1, 2").fetchall()}
    finally:
        con.close()


def test_quarantined_rows_carry_their_district(tmp_path):
    t = base_tables()
    t["cases"][0]["sex"] = "??"  # row 2: a bad code in a case of norr
    t["cases"][1]["district"] = "atlantis"  # row 3: an unknown district: no district to give it
    t["placements"][2]["type"] = "slott"  # row 4: a placement of AR-3, a case of norr (by its name)
    db = tmp_path / "s.duckdb"
    ingest([write_tables(tmp_path / "a", t)], db, extract_date=EXTRACT)
    got = districts(db)
    assert got[("cases", 2)] == "norr" and got[("cases", 3)] is None and got[("placements", 4)] == "norr"
    # A later load of placements alone: the case's district comes from the store.
    later = {"placements": [dict(t["placements"][2], placement_id="IN-9", type="slott")]}  # AR-3, in the store
    ingest([write_tables(tmp_path / "b", later)], db, extract_date=EXTRACT)
    con = duckdb.connect(str(db), read_only=True)
    row = con.execute("SELECT district FROM quarantine WHERE load_id = 2").fetchall()
    con.close()
    assert row == [("norr",)]
