"""The publication from the store: tables.csv, the release log, the audit command, no leaked values."""

from __future__ import annotations

import csv
import datetime as dt
import subprocess
import sys

import duckdb
import pytest

from likstall.demo.write import write_demo_data
from likstall.ingest.load import ingest
from likstall.publish import audit, prepare, publish
from likstall.render.tables_csv import COLUMNS


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory):
    root = tmp_path_factory.mktemp("pub")
    write_demo_data(root / "data", seed=2021)
    db = root / "demo.duckdb"
    ingest([root / "data"], db, extract_date=dt.date(2022, 1, 31))
    return db


def test_publish_writes_long_format_with_every_cell_and_margins(demo_db, tmp_path):
    r = publish(demo_db, 2021, tmp_path, record=False)
    rows = list(csv.DictReader(open(tmp_path / "tables.csv", encoding="utf-8")))
    assert tuple(rows[0]) == COLUMNS and len(rows) == r["rows"]
    assert {row["status"] for row in rows} <= {"", "..", "-", "."}
    for row in rows:
        if row["status"]:
            assert row["value"] == "" and row["ci_low"] == "" and row["ci_high"] == ""
        else:
            assert row["value"] != ""
    # The city total of known victims is published and equals the sum of the published + hidden districts.
    by_sex = [row for row in rows if row["table"] == "victims_by_sex"]
    city = next(row for row in by_sex if row["district"] == "total" and row["sex"] == "total")
    assert city["status"] == "" and 2_700 <= int(city["value"]) <= 2_850
    assert city["region"] == "total" and city["placement_type"] == "" and city["age_band"] == "total"
    regions = [row for row in rows if row["table"] == "victims_by_region" and row["region"] not in ("total", "")]
    assert len(regions) == 4 and all(row["district"] == "total" for row in regions)
    # Margins are sums of their cells wherever every cell is published.
    districts = [row for row in by_sex if row["district"] not in ("total",) and row["sex"] == "total"]
    if all(row["status"] == "" for row in districts):
        assert sum(int(row["value"]) for row in districts) == int(city["value"])
    trend = [row for row in rows if row["table"] == "sb_trend" and row["district"] == "total" and row["region"] == "total"]
    assert {row["year"] for row in trend} == {*map(str, range(2015, 2022)), "total"}
    assert r["share_suppressed"] < 0.5


def test_no_suppressed_value_reaches_the_publication_or_the_file(demo_db, tmp_path):
    con = duckdb.connect(str(demo_db))
    prep = prepare(con, 2021)
    con.close()
    pub = prep.publication
    assert pub.audit.passed
    hidden = [k for k, s in prep.protection.status.items() if s != "published"]
    assert hidden
    for t in pub.tables.values():
        for c in t.cells:
            if c.key in hidden:
                assert c.value is None and c.status == ".."
                assert pub.count(c.key) is None
    # Nothing in the Publication object keeps the true value of a hidden cell.
    assert all(pub.count(k) is None for k in hidden)
    publish(demo_db, 2021, tmp_path, record=False)
    text = (tmp_path / "tables.csv").read_text(encoding="utf-8").splitlines()
    for line in text[1:]:
        fields = next(csv.reader([line]))
        if fields[-1] == "..":
            assert fields[11:14] == ["", "", ""]


def test_release_log_is_written_once_per_pattern_and_audited(demo_db, tmp_path):
    first = publish(demo_db, 2021, tmp_path)
    again = publish(demo_db, 2021, tmp_path)
    assert first["pattern_sha256"] == again["pattern_sha256"]  # deterministic
    assert not again["new_release"]
    con = duckdb.connect(str(demo_db), read_only=True)
    n_rel = con.execute("SELECT count(*) FROM releases WHERE year = 2021").fetchone()[0]
    published_cells = con.execute(
        "SELECT count(*) FROM release_cells WHERE status = 'published' AND value IS NOT NULL").fetchone()[0]
    hidden_with_value = con.execute(
        "SELECT count(*) FROM release_cells WHERE status = 'suppressed' AND value IS NOT NULL").fetchone()[0]
    con.close()
    assert n_rel == 1 and published_cells > 0 and hidden_with_value == 0
    rep = audit(demo_db, 2021)
    assert rep.passed and rep.source.startswith("release")


def test_audit_command_prints_swedish_verdicts_and_exit_codes(demo_db):
    p = subprocess.run([sys.executable, "-m", "likstall", "audit", "--db", str(demo_db), "--year", "2021"],
                       capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stderr
    assert "GODKÄND" in p.stdout and "C8" in p.stdout and "primär" in p.stdout
    bad = subprocess.run([sys.executable, "-m", "likstall", "audit", "--db", str(demo_db), "--year", "1999"],
                         capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and "inga ärenden för 1999" in bad.stderr


def test_the_pattern_is_remembered_per_counts_history_and_policy(demo_db, tmp_path):
    import shutil

    from likstall.disclosure.policy import Policy
    from likstall.store.connection import connect

    db = tmp_path / "cache.duckdb"
    shutil.copy(demo_db, db)
    con = connect(db)
    try:
        first = prepare(con, 2021)
        n = con.execute("SELECT count(*) FROM protection_cache").fetchone()[0]
        second = prepare(con, 2021)
        assert con.execute("SELECT count(*) FROM protection_cache").fetchone()[0] == n  # a hit, not a new entry
        assert second.protection.status == first.protection.status
        assert second.publication.pattern_hash() == first.publication.pattern_hash()
        assert second.publication.audit.passed == first.publication.audit.passed
        other = prepare(con, 2021, Policy(threshold=6))  # another policy is another pattern
        assert other.publication.pattern_hash() != first.publication.pattern_hash()
        # The cache keeps statuses, never a count.
        stored = con.execute("SELECT pattern FROM protection_cache").fetchall()
        assert all('"value"' not in row[0] for row in stored)
    finally:
        con.close()
