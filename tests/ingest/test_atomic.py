"""An ingest killed with SIGKILL at any point (20 times) leaves the store exactly as before or fully loaded."""

from __future__ import annotations

import datetime as dt
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import duckdb
import pytest

from likstall.demo.write import write_demo_data
from likstall.ingest.load import ingest

EXTRACT = dt.date(2022, 1, 31)
TABLES = ("districts", "population", "socioeconomics", "cases", "placements", "loads", "quarantine")


def snapshot(db) -> dict:
    con = duckdb.connect(str(db), read_only=True)
    try:
        out = {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES}
        out["hash"] = con.execute("SELECT md5(string_agg(row_hash, '' ORDER BY row_hash)) FROM placements").fetchone()[0]
        return out
    finally:
        con.close()


@pytest.mark.slow
def test_sigkill_during_ingest_leaves_store_as_before_or_complete(tmp_path):
    first, second = tmp_path / "first", tmp_path / "second"
    write_demo_data(first, seed=1, districts=40, years=[2020, 2021])
    write_demo_data(second, seed=2, districts=40, years=[2020, 2021])
    db = tmp_path / "s.duckdb"
    ingest([first], db, extract_date=EXTRACT)
    before = snapshot(db)
    assert not db.with_name(db.name + ".wal").exists()  # closed and checkpointed: the file is the whole store
    pristine = tmp_path / "pristine.duckdb"  # the store before the second load, byte for byte
    shutil.copy(db, pristine)

    # How long a full second ingest takes, on a copy, to aim the kills inside it.
    ref_db = tmp_path / "ref.duckdb"
    shutil.copy(pristine, ref_db)
    t0 = time.perf_counter()
    ingest([second], ref_db, extract_date=EXTRACT)
    duration = time.perf_counter() - t0
    after = snapshot(ref_db)
    assert after != before

    rng = random.Random(20211231)
    outcomes = []
    for attempt in range(20):
        delay = 0.35 + rng.random() * duration  # python start-up takes ~0.4 s before the ingest begins
        proc = subprocess.Popen(
            [sys.executable, "-m", "likstall", "ingest", str(second), "--db", str(db),
             "--extract-date", EXTRACT.isoformat(), "--json"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=os.environ.copy(),
        )
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        state = snapshot(db)  # the store opens and every table reads (DuckDB replays or drops the WAL)
        if state == before:
            outcomes.append("before")
        else:
            assert state == after, f"half-written store after kill at {delay:.2f}s: {state}"
            outcomes.append("after")
            # Back to the state before the second load, so every kill tests the same transaction.
            wal = db.with_name(db.name + ".wal")
            if wal.exists():
                wal.unlink()
            shutil.copy(pristine, db)
            assert snapshot(db) == before
    assert "before" in outcomes


def test_a_killed_ingests_temporary_folder_is_removed_by_the_next_ingest(tmp_path, monkeypatch):
    # A killed ingest cannot clean up after itself, and its spill files hold raw rows: the next ingest
    # removes the folders of processes that are gone, and leaves those of running ones alone.
    monkeypatch.setenv("TMPDIR", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    monkeypatch.setattr(tempfile, "tempdir", None)  # read TMPDIR again
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    dead = tmp_path / "tmp" / f"likstall-{gone.pid}-abcd1234"
    dead.mkdir()
    (dead / "spill.tmp").write_text("rådata")
    alive = tmp_path / "tmp" / f"likstall-{os.getppid()}-abcd1234"
    alive.mkdir()
    other = tmp_path / "tmp" / "likstall-calib-abcd1234"
    other.mkdir()
    write_demo_data(tmp_path / "d", seed=3, districts=8, years=[2021])
    ingest([tmp_path / "d"], tmp_path / "s.duckdb", extract_date=EXTRACT)
    assert not dead.exists()
    assert alive.exists() and other.exists()
    assert sorted(p.name for p in (tmp_path / "tmp").iterdir()) == sorted([alive.name, other.name])  # its own folder is gone too


@pytest.mark.parametrize("size", ["small", "large"])
def test_ingests_in_a_process_that_keeps_the_store_open(tmp_path, export, size, monkeypatch):
    """A notebook that has the store open: each ingest joins that DuckDB instance (it does not start one of
    its own), so what an ingest attaches for its staging must go with it, or the next ingest fails. Both
    kinds of export: a large one (from 1 GB; here by lowering the bound) sets other allocator settings."""
    from likstall.ingest import load

    if size == "large":
        monkeypatch.setattr(load, "KEEP_FREED_PAGES_BELOW", 0)
    db = tmp_path / "s.duckdb"
    first = ingest([export], db, extract_date=EXTRACT)
    con = duckdb.connect(str(db))
    names = ("temp_directory", "threads", "allocator_bulk_deallocation_flush_threshold", "allocator_flush_threshold",
             "allocator_background_threads")
    settings = lambda: [con.execute("SELECT current_setting(?)", [n]).fetchone()[0] for n in names]  # noqa: E731
    memory = lambda: con.execute("SELECT current_setting('memory_limit')").fetchone()[0]  # noqa: E731
    try:
        mine, my_memory = settings(), memory()
        for _ in range(2):
            again = ingest([export], db, extract_date=EXTRACT)
            assert again.inserted == again.updated == 0 and again.unchanged == first.inserted
            # The instance's settings are as the notebook had them, not the ingest's (one thread, 1,5 GB, its
            # private spill folder).
            assert settings() == mine and memory() == my_memory
        assert [r[0] for r in con.execute("SELECT database_name FROM duckdb_databases() WHERE NOT internal").fetchall()] == ["s"]
        assert con.execute("SELECT count(*) FROM loads").fetchone()[0] == 3  # this connection sees what they wrote
    finally:
        con.close()


def test_an_ingest_into_an_instance_that_has_spilled_says_so(tmp_path, export):
    """DuckDB keeps an instance's spill folder once it has been used, and the ingest spills only to a private
    folder of its own: into a store this process keeps open, after a query there spilled, it stops with a
    clear message and leaves the store as it was."""
    from likstall.errors import InputError

    db = tmp_path / "s.duckdb"
    ingest([export], db, extract_date=EXTRACT)
    con = duckdb.connect(str(db))
    try:
        con.execute("SET memory_limit = '30MB'")
        con.execute("SET threads = 1")
        con.execute("SELECT count(*) FROM (SELECT range::VARCHAR || repeat('x', 30) AS x FROM range(2000000) ORDER BY x)")
        loads = con.execute("SELECT count(*) FROM loads").fetchone()[0]
        with pytest.raises(InputError, match="redan skrivit över data till disk") as err:
            ingest([export], db, extract_date=EXTRACT)
        assert err.value.rule == "store_open"
        assert con.execute("SELECT count(*) FROM loads").fetchone()[0] == loads
    finally:
        con.close()
