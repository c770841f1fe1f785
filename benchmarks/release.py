"""Time a release and the report from it, at a given size: `python benchmarks/release.py --districts 290 --years 2012-2021`.

Generates demo data of that size, ingests it, then times `likstall publish` (the year's release, protected
jointly with the history) and `likstall rapport` (HTML, Excel, CSV from the stored release) as the user
runs them, each in its own process, with its peak memory. Prints one Markdown row for docs/performance.md.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PY = sys.executable


def timed(cmd: list[str], env: dict) -> tuple[float, float, int]:
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        raise SystemExit(f"{' '.join(cmd[2:4])} failed ({code}): {proc.stderr.read().decode(errors='replace')[-400:]}")
    return wall, usage.ru_maxrss / 1024, code


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--districts", type=int, default=13)
    ap.add_argument("--years", default="2015-2021")
    ap.add_argument("--seed", type=int, default=2021)
    args = ap.parse_args()
    year = args.years.split("-")[1]
    with tempfile.TemporaryDirectory(prefix="likstall-release-bench-") as d:
        tmp = Path(d)
        env = {**os.environ, "LIKSTALL_KEY_FILE": str(tmp / "secret.key")}
        data, db = tmp / "data", tmp / "store.duckdb"
        subprocess.run([PY, "-m", "likstall", "demo-data", "--out", str(data), "--districts", str(args.districts),
                        "--years", args.years, "--seed", str(args.seed)], check=True, stdout=subprocess.DEVNULL, env=env)
        subprocess.run([PY, "-m", "likstall", "ingest", str(data), "--db", str(db), "--extract-date", "2022-01-31",
                        "--json"], check=True, stdout=subprocess.DEVNULL, env=env)
        pub_s, pub_mb, _ = timed([PY, "-m", "likstall", "publish", "--db", str(db), "--year", year], env)
        rep_s, rep_mb, _ = timed([PY, "-m", "likstall", "rapport", "--db", str(db), "--year", year, "--out",
                                  str(tmp / "rep"), "--format", "html,xlsx,csv"], env)
        print("| districts | years | publish s | publish MB | rapport s (from the release) | rapport MB |")
        print("|---|---|---|---|---|---|")
        print(f"| {args.districts} | {args.years} | {pub_s:.1f} | {pub_mb:.0f} | {rep_s:.1f} | {rep_mb:.0f} |")


if __name__ == "__main__":
    main()
