"""The demo follow-up and its report files, built once for the output tests (Excel, CSV, PDF, charts)."""

from __future__ import annotations

import shutil

import duckdb
import pytest

from likstall.followup.build import follow_up
from likstall.render.report import write_report


@pytest.fixture(scope="session")
def demo_fu(demo_store, tmp_path_factory):
    db = tmp_path_factory.mktemp("outputs") / "demo.duckdb"
    shutil.copy(demo_store, db)
    con = duckdb.connect(str(db), read_only=True)
    try:
        return follow_up(con, 2021)
    finally:
        con.close()


@pytest.fixture(scope="session")
def demo_out(demo_fu, tmp_path_factory):
    """Every format of the Swedish demo report (no helper process: everything drawn here)."""
    out = tmp_path_factory.mktemp("outputs-sv")
    write_report(demo_fu, out, ["html", "pdf", "xlsx", "csv"])
    return out
