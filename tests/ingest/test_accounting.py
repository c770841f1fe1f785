"""rows_read = inserted + updated + unchanged + quarantined; re-ingest changes nothing; corrections update."""

from __future__ import annotations

import copy
import datetime as dt

import duckdb
import pytest

from likstall.demo.messy import FAULTS
from likstall.demo.write import write_demo_data
from likstall.errors import InputError
from likstall.ingest.load import ingest

from helpers import EXTRACT, base_tables, store_rows, write_csv, write_tables


def _total(r):
    return r.inserted + r.updated + r.unchanged + r.quarantined


@pytest.fixture(scope="module")
def messy_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("messy")
    write_demo_data(out, messy=True)
    return out


def test_messy_demo_balances_and_every_fault_is_caught(messy_dir, tmp_path):
    db = tmp_path / "s.duckdb"
    r = ingest([messy_dir], db, extract_date=dt.date(2022, 1, 31))
    assert r.rows_read == _total(r)
    assert r.rows_read == sum(f["rows"] for f in r.files)
    expected_rules = {rule for table in FAULTS.values() for rule in table.values()}
    assert expected_rules <= set(r.by_rule), f"missing {expected_rules - set(r.by_rule)}"
    # Per table the same balance holds.
    for name, c in r.by_table.items():
        assert c["rows_read"] == c["inserted"] + c["updated"] + c["unchanged"] + c["quarantined"], name
    # The ingest log holds the counts and the files' SHA-256, never content.
    con = duckdb.connect(str(db), read_only=True)
    log = con.execute("SELECT rows_read, inserted, quarantined, files FROM loads").fetchall()
    con.close()
    assert log[0][:3] == (r.rows_read, r.inserted, r.quarantined)
    assert "sha256" in log[0][3] and "P-0000" not in log[0][3]


def test_reingest_changes_nothing(messy_dir, tmp_path):
    db = tmp_path / "s.duckdb"
    first = ingest([messy_dir], db, extract_date=dt.date(2022, 1, 31))
    second = ingest([messy_dir], db, extract_date=dt.date(2022, 1, 31))
    assert second.inserted == 0 and second.updated == 0
    assert second.unchanged == first.inserted
    assert second.quarantined == first.quarantined
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT count(*) FROM cases").fetchone()[0] == first.by_table["cases"]["inserted"]
    assert con.execute("SELECT count(*) FROM loads").fetchone()[0] == 2
    con.close()


def test_a_later_export_that_corrects_a_row_updates_it(tmp_path):
    db = tmp_path / "s.duckdb"
    tables = base_tables()
    ingest([write_tables(tmp_path / "a", tables)], db, extract_date=dt.date(2021, 12, 31))
    corrected = copy.deepcopy(tables)
    corrected["placements"][1]["end"] = "2021-12-20"  # the ongoing SHIS placement has ended
    r = ingest([write_tables(tmp_path / "b", corrected)], db, extract_date=EXTRACT)
    assert (r.inserted, r.updated, r.quarantined) == (0, 1, 0)
    assert r.unchanged == r.rows_read - 1
    con = duckdb.connect(str(db), read_only=True)
    end, extract, first = con.execute(
        "SELECT \"end\", extract_date, first_extract_date FROM placements WHERE \"end\" = DATE '2021-12-20'"
    ).fetchone()
    # Unchanged rows are still confirmed by the newer extract (censoring moves with it).
    ongoing_extract = con.execute("SELECT extract_date FROM placements WHERE \"end\" IS NULL AND start IS NOT NULL").fetchall()
    con.close()
    assert (str(extract), str(first)) == ("2022-01-31", "2021-12-31")
    assert ongoing_extract == []  # the only ongoing placement ended


def test_an_older_export_never_overwrites_a_newer_one(tmp_path):
    db = tmp_path / "s.duckdb"
    tables = base_tables()
    newer = copy.deepcopy(tables)
    newer["placements"][1]["end"] = "2021-12-20"
    ingest([write_tables(tmp_path / "new", newer)], db, extract_date=EXTRACT)
    r = ingest([write_tables(tmp_path / "old", tables)], db, extract_date=dt.date(2021, 12, 31))
    assert r.by_rule == {"older_extract": 1}
    assert r.rows_read == _total(r)
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT count(*) FROM placements WHERE \"end\" IS NULL AND start IS NOT NULL").fetchone()[0] == 0
    con.close()


def test_nothing_may_be_dated_after_the_extract_date(export, tmp_path):
    r = ingest([export], tmp_path / "s.duckdb", extract_date=dt.date(2021, 5, 1))
    assert r.by_rule["date_after_extract"] >= 1
    assert r.rows_read == _total(r)


def test_extract_date_in_the_future_is_refused(export, tmp_path):
    with pytest.raises(InputError, match="framtiden"):
        ingest([export], tmp_path / "s.duckdb", extract_date=dt.date.today() + dt.timedelta(days=2))


def test_files_of_the_same_name_in_two_folders_are_kept_apart(tmp_path):
    # cases.csv from the 2020 and the 2021 folder: each row is counted once, and a quarantined row is named
    # by its folder and file, not mistaken for the other file's row of the same number.
    t = copy.deepcopy(base_tables())
    ref = write_tables(tmp_path / "ref", {k: t[k] for k in ("districts", "population", "socioeconomics")})
    first = [dict(r) for r in t["cases"]]
    first[1]["sex"] = "??"
    second = [dict(r, case_id=r["case_id"] + "b") for r in t["cases"]]
    a = write_csv(tmp_path / "2020" / "cases.csv", first)
    b = write_csv(tmp_path / "2021" / "cases.csv", second)
    r = ingest([ref, a, b, a], tmp_path / "s.duckdb", extract_date=EXTRACT)  # `a` given twice: read once
    assert r.rows_read == 9 + 3 + 3 and r.quarantined == 1 and r.inserted == 14
    assert sorted(f["file"] for f in r.files if f["table"] == "cases") == ["2020/cases.csv", "2021/cases.csv"]
    assert store_rows(tmp_path / "s.duckdb", "SELECT file, row_number FROM quarantine") == [("2020/cases.csv", 3)]
