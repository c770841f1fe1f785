"""Fuzzed and hand-made broken input: a clear error or quarantined rows, never a traceback, nothing lost.

For every file: either the ingest raises a LikstallError (a Swedish message naming the file) and
the store is exactly as before, or it completes and rows_read = inserted + updated + unchanged +
quarantined. 1 000 generated files per run (hypothesis, in four tests of 250 with fixed seeds, so CI is
repeatable and the four can run on different cores).
"""

from __future__ import annotations

import io
import os
import zipfile
from collections import Counter

import duckdb
import pytest
from hypothesis import HealthCheck, Phase, event, given, seed, settings
from hypothesis import strategies as hs

from likstall.errors import LikstallError
from likstall.ingest.load import ingest

from helpers import EXTRACT, base_tables, write_tables

TABLES = ("districts", "population", "socioeconomics", "cases", "placements", "loads", "quarantine")
NASTY = ["=HYPERLINK(\"http://x\",\"y\")", "+cmd|' /C calc'!A0", "@SUM(1+1)", "-2+3", "2021-02-30", "1e308", "-5",
         "99999999999999999999", "１９８５０１０１-1234", "850101\u200b-1234", "198501011234", "ok\u00e4nt", "",
         "Skyddat boende", "beviljad", "K", "rvt", "farsta", "norr", "2021-03-01", "NaN", "inf", "\u202e", "\x00x"]


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    root = tmp_path_factory.mktemp("fuzz")
    db = root / "fuzz.duckdb"
    os.environ["LIKSTALL_KEY_FILE"] = str(root / "secret.key")
    ingest([write_tables(root / "base", base_tables())], db, extract_date=EXTRACT)
    # The store stays open in this process for the module. Each ingest's connection then joins this DuckDB
    # instance instead of starting its own (≈ 10 ms to start and 5 to close with a checkpoint, twice per file
    # with the counts below); every ingest still runs in its own connection and transaction, and the counts
    # read what is committed. The file itself is checked by `assert_the_file_holds_what_was_seen`.
    _open[db] = duckdb.connect(str(db))
    yield db
    assert_the_file_holds_what_was_seen(db)
    _open.pop(db).close()


_open: dict = {}  # store → the connection that keeps its DuckDB instance open


def assert_the_file_holds_what_was_seen(db):
    """Close the shared instance (its checkpoint writes the log into the file), open the file afresh in a
    new instance, and find the counts seen through the shared one: what the ingests committed is on disk."""
    seen = counts(db)
    _open[db].close()
    fresh = duckdb.connect(str(db), read_only=True)
    try:
        assert _counts_on(fresh) == seen
    finally:
        fresh.close()
    _open[db] = duckdb.connect(str(db))


def counts(db):
    con = _open[db].cursor()
    try:
        return _counts_on(con)
    finally:
        con.close()


def _counts_on(con) -> tuple:
    return tuple(con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES)


_last_counts: dict = {}  # store → its counts after the last check (a rejected file leaves them as they were)


def check(path, db):
    # The store's own key (the per-test key fixture would otherwise hand each test another one).
    os.environ["LIKSTALL_KEY_FILE"] = str(db.parent / "secret.key")
    before = _last_counts.pop(db, None) or counts(db)
    try:
        r = ingest([path], db, extract_date=EXTRACT)
    except LikstallError as exc:
        msg = str(exc)
        assert msg and "Traceback" not in msg and "19850101" not in msg and "8501011234" not in msg
        assert counts(db) == before, "a rejected file changed the store"
        _last_counts[db] = before  # read just now: the next file's "before" (saves a connection per file)
        return "rejected"
    assert r.rows_read == r.inserted + r.updated + r.unchanged + r.quarantined
    return "loaded"


HEADERS = {
    "cases": ["case_id", "person_id", "district", "opened", "closed", "sex", "birth_year", "target_group", "anteckning"],
    "placements": ["placement_id", "case_id", "type", "decision", "applied", "start", "end", "children", "cost_sek"],
}


def one_generated_file(store, tmp_path_factory, data):
    table = data.draw(hs.sampled_from(list(HEADERS)))
    required = {"cases": ["case_id", "person_id", "district", "opened"],
                "placements": ["placement_id", "case_id", "type", "decision", "applied"]}[table]
    extra = data.draw(hs.lists(hs.sampled_from(HEADERS[table]), max_size=4, unique=True))
    # Most files carry the required columns, so most reach the row-level rules.
    headers = list(dict.fromkeys(required + extra)) if data.draw(hs.integers(0, 9)) < 8 else extra or ["x"]
    cell = hs.one_of(hs.sampled_from(NASTY), hs.text(max_size=12), hs.integers(-10**12, 10**12).map(str))
    rows = data.draw(hs.lists(hs.lists(cell, min_size=0, max_size=len(headers) + 2), max_size=6))
    delim = data.draw(hs.sampled_from([",", ";", "\t"]))
    encoding = data.draw(hs.sampled_from(["utf-8", "utf-8-sig", "cp1252", "utf-16"]))
    lines = [delim.join(headers)] + [delim.join(r) for r in rows]
    text = "\n".join(lines) + data.draw(hs.sampled_from(["\n", "", "\r\n"]))
    folder = tmp_path_factory.mktemp("gen")
    path = folder / f"{table}.csv"
    try:
        path.write_bytes(text.encode(encoding))
    except UnicodeEncodeError:
        path.write_bytes(text.encode("utf-8", errors="replace"))
    if data.draw(hs.booleans()):
        raw = path.read_bytes()
        path.write_bytes(raw[: data.draw(hs.integers(0, max(len(raw), 1)))])  # truncated
    outcome = check(path, store)
    event(outcome)
    return outcome


def _shard(n: int):
    """One quarter of the 1 000 files, with a fixed seed of its own (repeatable, and different from
    the other quarters): four tests that pytest-xdist can run on different cores."""
    @seed(20261200 + n)
    @settings(max_examples=250, deadline=None, phases=[Phase.generate], database=None,
              suppress_health_check=list(HealthCheck))
    @given(data=hs.data())
    def files(store, tmp_path_factory, outcomes, data):
        outcomes[one_generated_file(store, tmp_path_factory, data)] += 1

    @pytest.mark.slow  # 250 ingests each: the full run (CI) has all 1 000, the quick run the hand-made files
    def test(store, tmp_path_factory):
        outcomes = Counter()
        files(store, tmp_path_factory, outcomes)
        assert_the_file_holds_what_was_seen(store)
        # Both ways out are exercised: an ingest that failed on every file (say, on something left behind
        # by the one before) would pass every check above while testing nothing.
        assert outcomes["loaded"] >= 50 and outcomes["rejected"] >= 50, outcomes

    test.__name__ = test.__qualname__ = f"test_generated_files_{n}"
    return test


test_generated_files_0, test_generated_files_1, test_generated_files_2, test_generated_files_3 = (
    _shard(n) for n in range(4))


def xlsx_bytes(valid: bool) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        # A fixed time: the same bytes in every run (the member's timestamp is in them; they were once part
        # of the test id, see below).
        z.writestr(zipfile.ZipInfo("[Content_Types].xml", date_time=(2021, 1, 1, 0, 0, 0)),
                   "<Types/>" if valid else "<<<")
    return buf.getvalue()


# Named ids: pytest would otherwise spell the bytes out as the test's id (10 MB for one of them), and
# pytest-xdist stops the whole run when its workers collect different ids (a zip's write time did that).
BROKEN_FILES = {
    "png-as-csv": ("cases.csv", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 50),
    "zip-header-only": ("cases.xlsx", b"PK\x03\x04" + b"\x00" * 100),
    "xlsx-broken-xml": ("cases.xlsx", xlsx_bytes(False)),
    "parquet-garbage": ("cases.parquet", b"PAR1garbagePAR1"),
    "10-mb-cell": ("cases.csv", ("case_id,person_id,district,opened\n" + "AR-1,P-1,norr," + "9" * (10 * 1024 * 1024) + "\n").encode()),
    "10000-columns": ("cases.csv", (",".join(f"c{i}" for i in range(10_000)) + "\n" + ",".join("x" for _ in range(10_000)) + "\n").encode()),
    "cp1252-formula": ("cases.csv", "case_id;person_id;district;opened;sex\nAR-Z;P-Z;norr;2021-02-30;=HYPERLINK(\"x\")\n".encode("cp1252")),
    "cut-mid-row": ("cases.csv", "case_id,person_id,district,opened\nAR-Q,P-Q,norr,2021-03-01\n".encode("utf-8")[:-7]),
    "negative-children": ("placements.csv", b"placement_id,case_id,type,applied,decision,children\nIN-Q,AR-1,shis,2021-01-01,avslag,-3\n"),
}


@pytest.mark.parametrize("name,content", list(BROKEN_FILES.values()), ids=list(BROKEN_FILES))
def test_hand_made_broken_files(store, tmp_path, name, content):
    path = tmp_path / name
    path.write_bytes(content)
    assert check(path, store) in ("rejected", "loaded")
