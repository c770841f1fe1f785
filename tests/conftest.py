"""Shared fixtures: a private key file per test and a small valid export."""

from __future__ import annotations

from pathlib import Path

import pytest

# Before any test module imports duckdb: DuckDB's allocator reads its settings when duckdb is imported,
# and likstall asks it to zero memory (likstall/heap.py; an ingest refuses otherwise).
import likstall  # noqa: F401

from helpers import base_tables, write_tables


@pytest.fixture(autouse=True)
def _private_key(tmp_path_factory, monkeypatch):
    """Every test gets its own key file; no test touches ~/.config."""
    monkeypatch.delenv("LIKSTALL_SECRET_KEY", raising=False)
    monkeypatch.setenv("LIKSTALL_KEY_FILE", str(tmp_path_factory.mktemp("key") / "secret.key"))


@pytest.fixture
def export(tmp_path) -> Path:
    return write_tables(tmp_path / "export", base_tables())


@pytest.fixture(scope="session")
def demo_store(tmp_path_factory):
    """The Stockholm demo data ingested once for the whole session (read-only use)."""
    import datetime as dt
    import os

    from likstall.demo.write import write_demo_data
    from likstall.ingest.load import ingest

    root = tmp_path_factory.mktemp("demo_store")
    old = os.environ.get("LIKSTALL_KEY_FILE")
    os.environ["LIKSTALL_KEY_FILE"] = str(root / "secret.key")
    try:
        write_demo_data(root / "data", seed=2021, messy=True)
        db = root / "demo.duckdb"
        ingest([root / "data"], db, extract_date=dt.date(2022, 1, 31))
    finally:
        if old is None:
            os.environ.pop("LIKSTALL_KEY_FILE", None)
        else:
            os.environ["LIKSTALL_KEY_FILE"] = old
    return db


@pytest.fixture(scope="session")
def demo_released(demo_store, tmp_path_factory):
    """The demo store with its 2021 release made, once for the session (copy it before writing)."""
    import shutil

    from likstall.release import make_release

    db = tmp_path_factory.mktemp("demo_released") / "demo.duckdb"
    shutil.copy(demo_store, db)
    make_release(db, 2021)
    return db


# Modules whose tests are independent and long (one city, one shard of files each): spread over the
# workers one test at a time. Every other module runs on one worker as a unit (`--dist loadgroup` in
# test.sh), so that its module-scoped fixtures — a demo release, a browser, 20 calibration cities — are
# built once, not once per worker that happens to get one of its tests.
SPREAD = {"tests/attack/test_cities.py", "tests/reliability/test_fuzz.py"}


# The longest units first (each several times the median module): the workers then end together, instead
# of one of them starting a minute-long unit when the other has nothing left to do.
LONGEST_FIRST = ["tests/stats/test_findings_calibration.py", "tests/attack/test_cities.py", "tests/web/test_browser.py",
                 "tests/reliability/test_fuzz.py", "tests/reliability/test_outputs.py", "tests/web/test_concurrency.py",
                 "tests/ingest/test_atomic.py"]


def pytest_collection_modifyitems(config, items):
    rank = {path: i for i, path in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.nodeid.split("::", 1)[0].split("@", 1)[0], len(rank)))


def pytest_itemcollected(item):
    # At collection, before any `pytest_collection_modifyitems` (xdist reads the groups in its own).
    path = item.nodeid.split("::", 1)[0]
    if path not in SPREAD:
        item.add_marker(pytest.mark.xdist_group(path))
