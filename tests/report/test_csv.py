"""CSV: numbers and status symbols are written plainly and read back as numbers; only text is guarded."""

from __future__ import annotations

import copy
import csv
import dataclasses

import pandas as pd
import pytest

from likstall.disclosure.gate import Publication
from likstall.render.report import provenance_lines, write_findings_csv, write_view_csvs
from likstall.render.safe_csv import neutralise
from likstall.render.tables_csv import write_tables_csv
from likstall.render.views import all_views
from likstall.render.workbook import flat_columns


def with_negative_flag(pub: Publication) -> Publication:
    """The publication with one district's flag set to -1 ('lower than expected'), whatever the data say."""
    tab = pub.tables["sb_funnel"]
    i = next(i for i, c in enumerate(tab.cells) if c.published)
    cells = tuple(dataclasses.replace(c, value=-1.0) if j == i else c for j, c in enumerate(tab.cells))
    tables = {**pub.tables, "sb_funnel": dataclasses.replace(tab, cells=cells)}
    return Publication(pub.year, pub.policy, tables, pub.audit, dict(pub._pattern), dict(pub.regions),
                       dict(pub.labels))


def test_neutralise_guards_text_only():
    for bad in ("=1+1", "+cmd", "-2+3", "-1 ", "@SUM(A1)", "\t=1", "\r=1", '=HYPERLINK("http://x","y")'):
        assert neutralise(bad) == "'" + bad
    for plain in ("..", "-", ".", "Farsta", "", -1, -1.5, 0, None):
        assert neutralise(plain) == plain


def test_tables_csv_reads_back_as_numbers(demo_fu, tmp_path):
    path = tmp_path / "tables.csv"
    write_tables_csv(with_negative_flag(demo_fu.publication), path)
    df = pd.read_csv(path, keep_default_na=False, na_values=[""], dtype={"year": str}, comment="#")
    for c in ("value", "ci_low", "ci_high"):
        assert pd.api.types.is_float_dtype(df[c]), c
    flags = df[df["table"] == "sb_funnel"]
    assert -1.0 in set(flags["value"]) and set(flags["value"].dropna()) <= {-1.0, 0.0, 1.0}
    status = df["status"].fillna("")
    assert set(status) <= {"", "..", "-", "."} and {"", ".."} <= set(status)
    assert df.loc[status != "", "value"].isna().all() and df.loc[status == "", "value"].notna().all()
    raw = path.read_text(encoding="utf-8")
    assert ",-1," in raw and "'-" not in raw and "'." not in raw
    # Python's csv module sees the same: a plain -1 and plain symbols
    rows = list(csv.DictReader(line for line in raw.splitlines() if not line.startswith("# ")))
    assert any(r["table"] == "sb_funnel" and r["value"] == "-1" for r in rows)
    assert {r["status"] for r in rows} <= {"", "..", "-", "."}


def test_per_table_csvs_read_back_as_numbers_with_decimal_comma(demo_fu, demo_out):
    folder = demo_out / "tabeller"
    views = all_views(demo_fu)
    assert sorted(p.name for p in folder.glob("*.csv")) == sorted(f"{v.name}.csv" for v in views)
    numeric_seen = 0
    skip = len(provenance_lines(demo_fu))
    for v in views:
        cols = flat_columns(v)
        df = pd.read_csv(folder / f"{v.name}.csv", sep=";", decimal=",", encoding="utf-8-sig",
                         keep_default_na=False, na_values=[""], skiprows=skip)
        assert list(df.columns) == [c.header for c in cols]
        for c in cols:
            if c.numeric and df[c.header].notna().any():
                assert pd.api.types.is_numeric_dtype(df[c.header]), (v.name, c.header, df[c.header].tolist())
                numeric_seen += 1
            elif c.part == "status":
                assert set(df[c.header].dropna()) <= {"..", "-", "."}, (v.name, c.header)
        with open(folder / f"{v.name}.csv", encoding="utf-8-sig", newline="") as f:
            rows = list(csv.reader(f, delimiter=";"))
        assert len(rows) == skip + 1 + len(v.rows)
        for row in rows[skip + 1:]:
            for c, text in zip(cols, row):
                if c.numeric and text:
                    float(text.replace(",", "."))  # a plain number: no apostrophe, no thousands separator
    assert numeric_seen > 50
    over = pd.read_csv(folder / "oversikt.csv", sep=";", decimal=",", encoding="utf-8-sig", skiprows=skip)
    city = over.iloc[-1]
    cell = demo_fu.publication.tables["rate_sb"].cell(district="total")
    rate = "Placeringar i skyddat boende per 10 000 invånare (95 % KI)"
    assert city[rate] == pytest.approx(round(cell.value, 1))
    assert city[rate + ", nedre gräns"] == pytest.approx(round(cell.ci_low, 1))


def test_a_negative_number_in_a_view_csv_is_a_number(demo_fu, tmp_path):
    """The equality flag -1 ('lower') is written as -1, not '-1."""
    fu = copy.copy(demo_fu)
    fu.publication = with_negative_flag(demo_fu.publication)
    write_view_csvs(fu, tmp_path, [v for v in all_views(fu) if v.name == "likstallighet"])
    df = pd.read_csv(tmp_path / "likstallighet.csv", sep=";", decimal=",", encoding="utf-8-sig",
                     skiprows=len(provenance_lines(fu)))
    flag = df["Jämfört med förväntat"]
    assert pd.api.types.is_numeric_dtype(flag) and -1 in set(flag)
    assert "lägre" in set(df["Jämfört med förväntat, som i rapporten"])


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_findings_csv_has_the_sentence(demo_fu, tmp_path, lang):
    fu = demo_fu.in_language(lang)
    write_findings_csv(fu, tmp_path / "findings.csv")
    df = pd.read_csv(tmp_path / "findings.csv", comment="#")
    column = f"text_{lang}"
    assert list(df.columns)[-1] == column
    assert df[column].tolist() == [f.text_sv if lang == "sv" else f.text_en for f in fu.findings]
    assert pd.api.types.is_float_dtype(df["estimate"]) and pd.api.types.is_float_dtype(df["q_value"])
    assert len(df) == len(fu.findings) > 0
