"""What a demo run writes holds no secret, person key, case id or personnummer; killed reports leave no half files."""

from __future__ import annotations

import os
import random
import re
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import duckdb
import pytest

PNR = "19121212-1212"  # the --messy data carry Skatteverket's example number in a free-text column


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    work = tmp_path_factory.mktemp("demo-run")
    key = work / "secret.key"
    env = {**os.environ, "LIKSTALL_KEY_FILE": str(key)}
    p = subprocess.run([sys.executable, "-m", "likstall", "demo", "--dir", str(work)], capture_output=True,
                       text=True, env=env, timeout=600)
    assert p.returncode == 0, p.stderr
    q = subprocess.run([sys.executable, "-m", "likstall", "quarantine", "--db", str(work / "likstall-demo.duckdb"),
                        "--csv", str(work / "karantan.csv")], capture_output=True, text=True, env=env, timeout=120)
    assert q.returncode == 0
    return work, key, p.stdout + p.stderr + q.stdout + q.stderr


@pytest.mark.slow
def test_the_demo_runs_end_to_end_and_says_what_to_do_next(demo_run):
    work, _, console = demo_run  # the fixture ran `likstall demo` and `likstall quarantine` (exit 0)
    assert (work / "likstall-demo.duckdb").exists() and (work / "likstall-demo-rapport").is_dir()
    assert "karantän" in console and "Nästa steg" in console


@pytest.mark.slow
def test_no_secret_person_key_or_personnummer_in_anything_written(demo_run):
    work, key, console = demo_run
    secret = key.read_text().strip()
    con = duckdb.connect(str(work / "likstall-demo.duckdb"), read_only=True)
    person_keys = {r[0] for r in con.execute("SELECT person_key FROM cases USING SAMPLE 200").fetchall()}
    case_keys = {r[0] for r in con.execute("SELECT case_key FROM cases USING SAMPLE 200").fetchall()}
    con.close()
    outputs = [p for p in work.rglob("*") if p.is_file() and "likstall-demo-data" not in p.parts and p != key]
    assert any(p.suffix == ".pdf" for p in outputs) and any(p.suffix == ".xlsx" for p in outputs)
    forbidden = [secret.encode(), PNR.encode(), PNR.replace("-", "").encode(), b"P-0000", b"AR-2021-"]
    for p in outputs:
        data = p.read_bytes()
        if p.suffix == ".xlsx":
            with zipfile.ZipFile(p) as z:
                data = b"".join(z.read(n) for n in z.namelist())
        for token in forbidden:
            assert token not in data, (p.name, token[:12])
        if p.suffix in (".html", ".csv", ".xlsx", ".pdf"):
            for k in list(person_keys)[:50] + list(case_keys)[:50]:
                assert k.encode() not in data, p.name
    for token in (secret, PNR, "P-0000"):
        assert token not in console


@pytest.mark.slow
def test_a_killed_report_leaves_no_half_written_file(demo_run, tmp_path):
    work, key, _ = demo_run
    env = {**os.environ, "LIKSTALL_KEY_FILE": str(key)}
    rng = random.Random(7)
    # The report from the demo's 2021 release, as `likstall demo` wrote it whole: the files a finished report has.
    whole = {p.relative_to(work / "likstall-demo-rapport") for p in (work / "likstall-demo-rapport").rglob("*")
             if p.is_file()}
    # Its output folder appears when it starts writing; the workbook and the HTML come within ≈ 0,4 s, the PDF
    # after ≈ 3 s (drawn in memory, then written), the CSV files last. Three kills at random moments of the
    # first 3 s after the folder appears, one as soon as the PDF is there (among the CSV files).
    interrupted = 0
    for attempt in range(4):
        out = tmp_path / f"rep{attempt}"
        proc = subprocess.Popen([sys.executable, "-m", "likstall", "rapport", "--db", str(work / "likstall-demo.duckdb"),
                                 "--year", "2021", "--out", str(out)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
        wait_for = out / "uppfoljning-2021.pdf" if attempt == 3 else out
        deadline = time.monotonic() + 120
        while not wait_for.exists() and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.005)
        if attempt < 3:
            time.sleep(rng.random() * 3)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        if not out.exists():
            continue
        written = {p.relative_to(out) for p in out.rglob("*") if p.is_file() and not p.name.startswith(".")}
        assert written <= whole, written - whole
        # Killed (not ended by itself) with some of the report's files written and some not.
        interrupted += proc.returncode == -signal.SIGKILL and bool(written) and written != whole
        for p in (out / name for name in written):  # (a temporary name, with a leading dot, may be partial)
            data = p.read_bytes()
            if p.suffix == ".html":
                assert data.rstrip().endswith(b"</html>"), p
            elif p.suffix == ".pdf":
                assert data.rstrip().endswith(b"%%EOF"), p
            elif p.suffix == ".xlsx":
                assert zipfile.is_zipfile(p), p
            elif p.suffix == ".csv":
                assert data.endswith(b"\n"), p
    assert interrupted >= 2, "too few kills landed while the report was being written"
