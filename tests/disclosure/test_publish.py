"""Releases from the store: tables.csv, one release per data and history, the audit over everything released."""

from __future__ import annotations

import csv
import datetime as dt
import subprocess
import sys

import duckdb
import pytest

from likstall.demo.write import write_demo_data
from likstall.ingest.load import ingest
from likstall.publish import audit, publish
from likstall.render.tables_csv import COLUMNS


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory):
    root = tmp_path_factory.mktemp("pub")
    write_demo_data(root / "data", seed=2021)
    db = root / "demo.duckdb"
    ingest([root / "data"], db, extract_date=dt.date(2022, 1, 31))
    return db


@pytest.fixture(scope="module")
def released(demo_db, tmp_path_factory):
    out = tmp_path_factory.mktemp("tables")
    return publish(demo_db, 2021, out), out


def test_publish_writes_long_format_with_every_cell_and_margins(released):
    r, out = released
    lines = open(out / "tables.csv", encoding="utf-8").read().splitlines()
    assert lines[0] == "# DEMODATA — syntetiska uppgifter" and lines[1].startswith("# Källa:")
    rows = list(csv.DictReader(line for line in lines if not line.startswith("# ")))
    assert tuple(rows[0]) == COLUMNS and len(rows) == r["rows"]
    assert {row["status"] for row in rows} <= {"", "..", "-", "."}
    for row in rows:
        if row["status"]:
            assert row["value"] == "" and row["ci_low"] == "" and row["ci_high"] == ""
        else:
            assert row["value"] != ""
    by_sex = [row for row in rows if row["table"] == "victims_by_sex"]
    city = next(row for row in by_sex if row["district"] == "total" and row["region"] == "total" and row["sex"] == "total")
    assert city["status"] == "" and 2_700 <= int(city["value"]) <= 2_850
    regions = [row for row in rows if row["table"] == "victims_by_region" and row["region"] not in ("total", "")]
    assert len(regions) == 4 and all(row["district"] == "total" for row in regions)
    # Spans are written with their years, never as "total".
    trend = [row for row in rows if row["table"] == "sb_trend" and row["district"] == "total" and row["region"] == "total"]
    assert {row["year"] for row in trend} == {*map(str, range(2015, 2022)), "2015–2021"}
    assert r["share_suppressed"] < 0.5


def test_the_release_is_stored_once_and_keeps_no_hidden_value_in_public(released, demo_db):
    r, _ = released
    again = publish(demo_db, 2021)
    assert not again["new_release"] and again["release_id"] == r["release_id"]
    con = duckdb.connect(str(demo_db), read_only=True)
    try:
        n_rel = con.execute("SELECT count(*) FROM releases WHERE year = 2021 AND format = 2").fetchone()[0]
        leaked = con.execute("SELECT count(*) FROM release_cells WHERE kind <> 'published' AND value IS NOT NULL"
                             ).fetchone()[0]
    finally:
        con.close()
    assert n_rel == 1 and leaked == 0
    # The published release holds no value of a suppressed cell anywhere.
    rel = r["release"]
    for t in rel.publication.tables.values():
        for c in t.cells:
            if c.status:
                assert c.value is None and c.ci_low is None and c.ci_high is None


def test_audit_over_everything_released_passes(released, demo_db):
    rep = audit(demo_db)
    assert rep.passed, [f"{f.criterion} {f.cell.label() if f.cell else ''}" for f in rep.result.findings[:10]]


def test_audit_command_prints_swedish_verdicts_and_exit_codes(released, demo_db):
    p = subprocess.run([sys.executable, "-m", "likstall", "audit", "--db", str(demo_db), "--year", "2021"],
                       capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stderr
    assert "GODKÄND" in p.stdout and "C8" in p.stdout and "primär" in p.stdout
    bad = subprocess.run([sys.executable, "-m", "likstall", "audit", "--db", str(demo_db), "--year", "1999"],
                         capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and "1999" in bad.stderr


def test_a_year_without_a_release_has_no_report_but_a_draft(demo_db, tmp_path):
    from likstall.errors import LikstallError
    from likstall.rapport import make_report

    with pytest.raises(LikstallError, match="inte publicerat"):
        make_report(demo_db, 2020, tmp_path, formats=["csv"])
    r = make_report(demo_db, 2020, tmp_path, formats=["html"], draft=True)
    html = (tmp_path / "uppfoljning-2020.html").read_text(encoding="utf-8")
    assert r["draft"] and "UTKAST" in html


def test_lifted_tables_show_no_finer_rows_and_say_why(released):
    from likstall.disclosure.keys import row_level
    from likstall.render.views import all_views

    rel = released[0]["release"]
    for table, level, criteria in rel.publication.audit.steps:
        t = rel.publication.tables[table]
        assert t.level in ("region", "city", "omitted") and criteria
        finest = {"region": ("region", "city"), "city": ("city",), "omitted": ()}[t.level]
        assert all(row_level(c.key) in finest for c in t.cells)
    notes = " ".join(v.note for v in all_views(rel))
    for table, level, _ in rel.publication.audit.steps:
        if rel.publication.tables[table].level == level and level in ("region", "city"):
            title = rel.publication.tables[table].texts["sv"]["title"]
            assert title in notes or not any(title == v.title for v in all_views(rel))


def test_follow_up_is_the_latest_release_or_else_a_draft(demo_released, demo_store, tmp_path):
    import shutil

    import likstall

    fu = likstall.follow_up(demo_released, 2021)
    assert not fu.is_draft and fu.release_id == likstall.load_release(demo_released, 2021).release_id
    unreleased = tmp_path / "u.duckdb"
    shutil.copy(demo_store, unreleased)
    d = likstall.follow_up(unreleased, 2021)
    assert d.is_draft and likstall.list_releases(unreleased) == []  # a draft is never stored
