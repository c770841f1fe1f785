"""Generated data stay marked as generated: a load of `likstall demo-data` files is synthetic, and every
release made from it says DEMODATA; a city's own files are not marked."""

from __future__ import annotations

import datetime as dt
import json

import duckdb

from likstall.ingest.load import ingest
from likstall.release.build import provenance


def _loads(db):
    con = duckdb.connect(str(db), read_only=True)
    try:
        return provenance(con), [json.loads(f) for (f,) in con.execute("SELECT files FROM loads").fetchall()]
    finally:
        con.close()


def test_demo_files_are_marked_synthetic(demo_store):
    prov, loads = _loads(demo_store)
    assert prov["synthetic"] is True
    assert all(f.get("synthetic") for files in loads for f in files)


def test_a_citys_own_files_are_not(tmp_path, monkeypatch):
    monkeypatch.setenv("LIKSTALL_KEY_FILE", str(tmp_path / "secret.key"))
    folder = tmp_path / "export"
    folder.mkdir()
    (folder / "cases.csv").write_text("case_id,person_id,district,opened,sex\nA-1,P-1,farsta,2021-03-01,K\n",
                                      encoding="utf-8")
    ingest([folder], tmp_path / "s.duckdb", extract_date=dt.date(2022, 1, 31))
    prov, loads = _loads(tmp_path / "s.duckdb")
    assert prov["synthetic"] is False and not any(f.get("synthetic") for files in loads for f in files)
