"""Text from the data (district names, regions) cannot become a formula in any export."""

from __future__ import annotations

import csv
import re
import zipfile

import pytest
from openpyxl import load_workbook

from likstall.render.safe_csv import neutralise


def test_neutralise():
    for bad in ("=1+1", "+cmd", "-2+3", "@SUM(A1)", "\t=1", "\r=1"):
        assert neutralise(bad).startswith("'")
    assert neutralise("Farsta") == "Farsta" and neutralise(3) == 3


def test_formula_in_a_district_name_stays_text_everywhere(tmp_path):
    import datetime as dt

    import duckdb

    from likstall.release import make_release
    from likstall.ingest.load import ingest
    from likstall.render.report import write_report

    from helpers import write_tables
    from report.test_golden import build  # the hand-made golden store

    fu = build(tmp_path)
    # Rename district a to a formula in the reference data and rebuild from a new load.
    con_path = tmp_path / "golden.duckdb"
    districts = [{"code": "a", "name": '=HYPERLINK("http://x","y")', "region": "+cmd|' /C calc'!A0", "year": 2021,
                  "has_emergency_flats": "ja", "rvt_refers_to_shis": "ja"},
                 {"code": "b", "name": "@SUM(1)", "region": "Syd", "year": 2021, "has_emergency_flats": "nej",
                  "rvt_refers_to_shis": "ja"}]
    ingest([write_tables(tmp_path / "rename", {"districts": districts})], con_path, extract_date=dt.date(2022, 1, 31))
    fu = make_release(con_path, 2021)[0]
    out = tmp_path / "out"
    write_report(fu, out, ["xlsx", "csv"])
    wb = load_workbook(out / "uppfoljning-2021.xlsx")
    texts = [v for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for v in row if isinstance(v, str)]
    assert any("HYPERLINK" in t for t in texts)
    assert not [t for t in texts if t[:1] in "=+@" or (t[:1] == "-" and t != "-")]
    with zipfile.ZipFile(out / "uppfoljning-2021.xlsx") as z:
        sheets = b"".join(z.read(n) for n in z.namelist() if n.startswith("xl/worksheets/"))
    assert b"<f>" not in sheets  # no formula cell at all
    for p in [out / "tables.csv", *(out / "tabeller").glob("*.csv")]:
        for row in csv.reader(open(p, encoding="utf-8-sig"), delimiter=";" if p.parent.name == "tabeller" else ","):
            for cell in row:
                assert not re.match(r"^[=+@]", cell), (p.name, cell)
                assert not (cell.startswith("-") and cell not in ("-",) and not re.match(r"^-?[0-9.,\s]+$", cell)), cell
