"""The protection of a publication's measures in worker processes gives the pattern of one process."""

from __future__ import annotations

import shutil
import sys

import pytest

from likstall.disclosure import ladder
from likstall.disclosure.ladder import protect_publication, protection_workers
from likstall.disclosure.policy import Policy
from likstall.errors import LikstallError

# Worker interpreters and whole releases: the full run (CI), not the quick run.
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def demo_registry(demo_store):
    from likstall.aggregate import frames as F
    from likstall.indicators import Context, count_registry
    from likstall.release import history as H
    from likstall.store.connection import connect

    con = connect(demo_store, read_only=True)
    try:
        hist = H.load(con)
        ctx = Context(F.load(con, 2021, hist.frames), Policy(), 0.95)
        ctx.memo["quarantine"] = []
        return count_registry(ctx)
    finally:
        con.close()


def _same(a, b) -> None:
    assert a.status == b.status
    assert a.levels == b.levels
    assert a.steps == b.steps
    assert a.displays == b.displays
    assert a.audit.findings == b.audit.findings and a.audit.passed == b.audit.passed
    assert a.audit.notes == b.audit.notes


@pytest.fixture(scope="module")
def in_one_process(demo_registry):
    return protect_publication(demo_registry, Policy(), workers=1)


def test_workers_give_the_pattern_of_one_process(demo_registry, in_one_process):
    assert len(demo_registry.measures()) > 2  # else there is nothing to share out
    in_two = protect_publication(demo_registry, Policy(), workers=2)
    _same(in_one_process, in_two)
    assert in_one_process.passed and in_one_process.suppressed


def test_a_worker_that_fails_is_done_in_this_process(demo_registry, in_one_process, monkeypatch):
    calls = []
    real = ladder._greedy_measure

    def counted(*a, **k):
        calls.append(a[0].measures())
        return real(*a, **k)

    monkeypatch.setattr(ladder, "_greedy_measure", counted)
    monkeypatch.setattr(sys, "executable", shutil.which("false"))  # every worker exits with 1 at once
    again = protect_publication(demo_registry, Policy(), workers=2)
    _same(in_one_process, again)
    assert len(calls) == len(demo_registry.measures())  # each measure done here instead


def test_how_many_workers(demo_registry, monkeypatch):
    monkeypatch.setenv("LIKSTALL_WORKERS", "1")
    assert protection_workers(demo_registry) == 1
    monkeypatch.setenv("LIKSTALL_WORKERS", "3")
    assert protection_workers(demo_registry) == 3
    for bad in ("tre", "0", "-2"):
        monkeypatch.setenv("LIKSTALL_WORKERS", bad)
        with pytest.raises(LikstallError, match="LIKSTALL_WORKERS"):  # the CLI prints it, no traceback
            protection_workers(demo_registry)
    monkeypatch.delenv("LIKSTALL_WORKERS")
    # A city's publication is protected in this process: a worker would cost more than it saves.
    assert len(demo_registry.values) < ladder.PARALLEL_MIN_CELLS
    assert protection_workers(demo_registry) == 1


def test_a_release_made_with_workers_is_the_release_made_without(demo_store, tmp_path, monkeypatch):
    """The whole build: with workers, the derived numbers and the findings' tests are computed while the
    measures are protected; the release is the same, to its content digest. (The one made in one process
    is made without its drawn charts, `charts=False`: the same digest, no `svg` kept.)"""
    from likstall.release import make_release, store
    from likstall.store.connection import connect

    # After a release of 2020, so that the one compared is protected jointly with it: its earlier cells go
    # to the workers as fixed statuses and history (the generated cities' test protects in one process).
    base = tmp_path / "base.duckdb"
    shutil.copy(demo_store, base)
    monkeypatch.setenv("LIKSTALL_WORKERS", "1")
    make_release(base, 2020, charts=False)
    delivered, fixed = [], []  # what each worker handed back (None: it failed and was redone here); its fixed cells
    run_worker = ladder._run_worker

    def recording(job):
        sub, _policy, sub_fixed, *_ = job
        fixed.append(len(sub_fixed) if any(n.startswith(ladder.HISTORY_PREFIX) for n in sub.tables) else 0)
        result = run_worker(job)  # two threads call this at once: keep this call's own result
        delivered.append(result)
        return result

    monkeypatch.setattr(ladder, "_run_worker", recording)
    made, drawn = [], []
    for n in ("1", "2"):
        db = tmp_path / f"w{n}.duckdb"
        shutil.copy(base, db)
        monkeypatch.setenv("LIKSTALL_WORKERS", n)
        make_release(db, 2021, charts=n == "2")
        con = connect(db, read_only=True)
        try:
            rid, pattern = con.execute("SELECT release_id, pattern_sha256 FROM releases WHERE year = 2021").fetchone()
            content = store.load_content(con, rid)
            made.append((pattern, store.content_digest(content)))
            drawn.append(set(content.get("svg", {})))
        finally:
            con.close()
    assert made[0] == made[1]
    assert drawn == [set(), {"sv", "en"}]
    assert delivered and None not in delivered  # the workers did the protecting, not the fallback
    assert max(fixed) > 0  # and they were sent the 2020 release's tables and its cells' statuses


def test_cell_keys_sent_to_a_process_with_other_string_hashes_are_found_there(tmp_path):
    # CellKey keeps its hash (keys.py); a pickled key must hash anew in the receiving process, whose string
    # hashes differ (PYTHONHASHSEED), or a worker would miss every key in its dicts.
    import os
    import pickle
    import subprocess

    from likstall.disclosure.keys import CellKey

    keys = [CellKey.of("victims", district=f"d{i}", sex=s) for i in range(50) for s in ("K", "M", "total")]
    (tmp_path / "keys.pickle").write_bytes(pickle.dumps({k: i for i, k in enumerate(keys)}))
    script = ("import pickle, sys; from likstall.disclosure.keys import CellKey\n"
              "d = pickle.load(open(sys.argv[1], 'rb'))\n"
              "print(sum(d[CellKey.of('victims', district=f'd{i}', sex=s)] == n for n, (i, s) in "
              "enumerate((i, s) for i in range(50) for s in ('K', 'M', 'total'))))")
    for seed in ("1", "2"):
        out = subprocess.run([sys.executable, "-c", script, str(tmp_path / "keys.pickle")], capture_output=True,
                             text=True, env={**os.environ, "PYTHONHASHSEED": seed}, check=True).stdout
        assert out.strip() == str(len(keys))


def test_cell_keys_sort_the_same_by_their_order_key_as_by_comparison():
    # The audit sorts with key=CellKey.order (cheaper); the variables' order, and so every LP, must not change.
    import random

    from likstall.disclosure.keys import CellKey

    rng = random.Random(3)
    dims = {"district": ["d1", "d10", "d2", "total"], "sex": ["K", "M", "total"], "age_band": ["0-17", "18-24", "65+"],
            "year": ["2020", "2021", "years:2017-2021"]}
    keys = [CellKey.of(rng.choice(["victims", "placements", "p"]),
                       **{d: rng.choice(v) for d, v in rng.sample(sorted(dims.items()), rng.randint(1, 4))})
            for _ in range(2000)]
    assert sorted(keys, key=CellKey.order) == sorted(keys)
    assert sorted(keys, key=CellKey.order) != keys  # the keys were not already in order
