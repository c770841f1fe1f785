"""Benchmarks: `python benchmarks/run.py [--quick]`. Figures and the machine go to stdout as Markdown.

Measured as ratios within one run as well as seconds, since the machines are shared and noisy:
1. ingest: `likstall ingest` of generated CSV against DuckDB's bare `read_csv` of the same files
   (the floor: reading each file once), wall time and peak memory of each as a child process;
2. the yearly report for the Stockholm demo (HTML + Excel + CSV) end to end.
Not yet: national-scale report, statistics against peers, dashboard latency (issue 7, parts 2–4).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PY = sys.executable


def run(cmd: list[str], env=None) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of one child process (wait4 gives that child's own rusage)."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, env=env)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"failed: {' '.join(cmd)}")
    return wall, usage.ru_maxrss / 1024


BARE = """
import duckdb, sys, glob
con = duckdb.connect(sys.argv[2])
for i, f in enumerate(sorted(glob.glob(sys.argv[1] + '/*.csv'))):
    con.execute(f"CREATE TABLE t{i} AS SELECT * FROM read_csv('{f}', all_varchar=true)")
con.close()
"""


def bench_ingest(districts: int, years: str, tmp: Path, env) -> dict:
    data = tmp / f"data-{districts}"
    subprocess.run([PY, "-m", "likstall", "demo-data", "--out", str(data), "--districts", str(districts),
                    "--years", years], check=True, stdout=subprocess.DEVNULL, env=env)
    rows = json.loads((data / "demo-data.json").read_text())["rows"]
    (data / "LASMIG.txt").unlink()
    bare_wall, bare_mem = run([PY, "-c", BARE, str(data), str(tmp / f"bare-{districts}.duckdb")], env)
    wall, mem = run([PY, "-m", "likstall", "ingest", str(data), "--db", str(tmp / f"store-{districts}.duckdb"),
                     "--extract-date", "2022-01-31", "--json"], env)
    return {"districts": districts, "placements": rows["placements"], "cases": rows["cases"],
            "ingest_s": round(wall, 1), "ingest_mb": round(mem), "bare_s": round(bare_wall, 1),
            "bare_mb": round(bare_mem), "ratio": round(wall / bare_wall, 1)}


def bench_report(tmp: Path, env) -> dict:
    data = tmp / "sthlm"
    db = tmp / "sthlm.duckdb"
    subprocess.run([PY, "-m", "likstall", "demo-data", "--out", str(data)], check=True, stdout=subprocess.DEVNULL, env=env)
    subprocess.run([PY, "-m", "likstall", "ingest", str(data), "--db", str(db), "--extract-date", "2022-01-31",
                    "--json"], check=True, stdout=subprocess.DEVNULL, env=env)
    wall, mem = run([PY, "-m", "likstall", "rapport", "--db", str(db), "--year", "2021", "--out", str(tmp / "rep"),
                     "--format", "html,xlsx,csv", "--draft"], env)
    return {"report_s": round(wall, 1), "report_mb": round(mem)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="small sizes only (minutes, not hours)")
    args = ap.parse_args()
    sizes = [(300, "2015-2021")] if args.quick else [(300, "2015-2021"), (3000, "2015-2021"), (6000, "2012-2021")]
    with tempfile.TemporaryDirectory(prefix="likstall-bench-") as d:
        tmp = Path(d)
        env = {**os.environ, "LIKSTALL_KEY_FILE": str(tmp / "secret.key")}
        print(f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}\n")
        print("| districts | placements | cases | ingest s | ingest MB | bare read_csv s | bare MB | ratio |")
        print("|---|---|---|---|---|---|---|---|")
        for n, years in sizes:
            r = bench_ingest(n, years, tmp, env)
            print(f"| {r['districts']} | {r['placements']:,} | {r['cases']:,} | {r['ingest_s']} | {r['ingest_mb']} | "
                  f"{r['bare_s']} | {r['bare_mb']} | {r['ratio']}× |", flush=True)
        r = bench_report(tmp, env)
        print(f"\nStockholm demo, `likstall rapport --format html,xlsx,csv`: {r['report_s']} s, peak {r['report_mb']} MB")


if __name__ == "__main__":
    main()
