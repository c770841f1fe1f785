"""Benchmarks: `python benchmarks/run.py [--quick]`. Figures and the machine go to stdout as Markdown.

Measured as ratios within one run as well as seconds, since the machines are shared and noisy:
1. ingest: `likstall ingest` of generated CSV against DuckDB's bare `read_csv` of the same files
   (the floor: reading each file once), wall time and peak memory of each as a child process,
   the two taking turns `--repeat` times (best of each) — demo data at about 55 k, 110 k and
   1,1 M placements, and from `bigdata.py` 1 M placements + 1 M cases (`--mid N`) and 10 M + 10 M
   (`--big N`; 0 skips either); the ratios against the goal (≤ 2×) close the table; `--baseline SRC`
   also runs another version's ingest (`SRC` = its `src` folder, e.g. from `git archive main src`) in
   the same turns, so that before and after are measured under the same load; `--no-demo` skips the
   demo-data sizes;
2. the yearly report for the Stockholm demo (HTML + Excel + CSV) end to end as a draft, the Python start
   and imports apart, then from the stored release (as users make it), and the draft command for a
   national-scale store (290 districts × 10 years);
3. statistics against peers (`peers.py`: lifelines, pandas, esda);
4. dashboard latency at 1, 10 and 50 clients with one and two server processes, and the bare ASGI
   floor under the same load (`dashboard.py`).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PY = sys.executable
HERE = Path(__file__).resolve().parent


def run(cmd: list[str], env=None, cpu: list | None = None) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of one child process (wait4 gives that child's own rusage);
    its CPU seconds (user + system, all threads) are appended to `cpu` when given."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, env=env)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"failed: {' '.join(cmd)}")
    if cpu is not None:
        cpu.append(usage.ru_utime + usage.ru_stime)
    return wall, usage.ru_maxrss / 1024


BARE = """
import duckdb, sys, glob
con = duckdb.connect(sys.argv[2])
for i, f in enumerate(sorted(glob.glob(sys.argv[1] + '/*.csv'))):
    con.execute(f"CREATE TABLE t{i} AS SELECT * FROM read_csv('{f}', all_varchar=true)")
con.close()
"""


def bench_ingest(districts: int, years: str, tmp: Path, env, repeat: int = 1, baseline: Path | None = None) -> dict:
    data = tmp / f"data-{districts}"
    subprocess.run([PY, "-m", "likstall", "demo-data", "--out", str(data), "--districts", str(districts),
                    "--years", years], check=True, stdout=subprocess.DEVNULL, env=env)
    rows = json.loads((data / "demo-data.json").read_text())["rows"]
    (data / "LASMIG.txt").unlink()
    (data / "demo-data.json").unlink()
    return {"districts": districts, "placements": rows["placements"], "cases": rows["cases"],
            **_ingest_against_bare(data, tmp, env, repeat, baseline)}


def bench_ingest_big(placements: int, tmp: Path, env, repeat: int = 1, baseline: Path | None = None,
                     keep: Path | None = None) -> dict:
    """10 M rows are past what the pandas demo generator does in memory: bigdata.py writes them in DuckDB.
    With `keep`, the files are written there once and kept for the next run."""
    data = (keep or tmp) / f"big-{placements}"
    if keep is None or not (data / "placements.csv").exists():
        subprocess.run([PY, str(HERE / "bigdata.py"), str(data), "--placements", str(placements)], check=True,
                       stdout=subprocess.DEVNULL, env=env)
    try:
        return {"districts": 290, "placements": placements, "cases": placements,
                **_ingest_against_bare(data, tmp, env, repeat, baseline)}
    finally:
        if keep is None:
            shutil.rmtree(data)  # 2,4 GB at 10 M


def _ingest_against_bare(data: Path, tmp: Path, env, repeat: int = 1, baseline: Path | None = None) -> dict:
    """Bare read and ingest in turns (the machine's load changes between them); the best of each.
    With `baseline`, the other version's ingest takes its turn too (same files, same key)."""
    bare, ingest, before = [], [], []
    cpu: dict[str, list[float]] = {"bare": [], "ingest": [], "before": []}
    cmd = [PY, "-m", "likstall", "ingest", str(data), "--db", str(tmp / f"store-{data.name}.duckdb"),
           "--extract-date", "2022-01-31", "--json"]
    for _ in range(repeat):
        bare.append(run([PY, "-c", BARE, str(data), str(tmp / f"bare-{data.name}.duckdb")], env, cpu["bare"]))
        ingest.append(run(cmd, env, cpu["ingest"]))
        _remove_stores(tmp, data)
        if baseline is not None:
            before.append(run(cmd, {**env, "PYTHONPATH": str(baseline)}, cpu["before"]))
            _remove_stores(tmp, data)
    (bare_wall, bare_mem), (wall, mem) = min(bare), min(ingest)
    out = {"ingest_s": round(wall, 1), "ingest_mb": round(max(m for _, m in ingest)), "bare_s": round(bare_wall, 1),
           "bare_mb": round(bare_mem), "ratio": round(wall / bare_wall, 1),
           "all_s": " / ".join(f"{w:.1f}" for w, _ in ingest), "bare_all_s": " / ".join(f"{w:.1f}" for w, _ in bare),
           # CPU seconds (best of each) are less sensitive to other work on a shared machine than wall time.
           "cpu_s": round(min(cpu["ingest"]), 1), "bare_cpu_s": round(min(cpu["bare"]), 1),
           "cpu_ratio": round(min(cpu["ingest"]) / min(cpu["bare"]), 1)}
    if before:
        out.update(before_s=round(min(before)[0], 1), before_mb=round(max(m for _, m in before)),
                   before_ratio=round(min(before)[0] / bare_wall, 1), before_all_s=" / ".join(f"{w:.1f}" for w, _ in before),
                   before_cpu_s=round(min(cpu["before"]), 1))
    return out


def _remove_stores(tmp: Path, data: Path) -> None:
    for f in tmp.glob(f"*-{data.name}.duckdb*"):
        f.unlink()


def _row(label: str, r: dict) -> str:
    line = (f"| {label} | {r['placements']:,} | {r['cases']:,} | {r['ingest_s']} | {r['ingest_mb']} | "
            f"{r['bare_s']} | {r['bare_mb']} | {r['ratio']}× |")
    if "before_s" in r:
        line += f" {r['before_s']} | {r['before_mb']} | {r['before_ratio']}× |"
    line += f" {r['cpu_s']} / {r['bare_cpu_s']} = {r['cpu_ratio']}×" + (f" (before {r['before_cpu_s']})" if "before_s" in r else "")
    return line + f" | {r['all_s']} / bare {r['bare_all_s']}" + (f" / before {r['before_all_s']}" if "before_s" in r else "")


def bench_report(tmp: Path, env, *, districts: int = 13, years: str = "2015-2021") -> dict:
    data = tmp / f"report-data-{districts}"
    db = tmp / f"report-{districts}.duckdb"
    subprocess.run([PY, "-m", "likstall", "demo-data", "--out", str(data), "--districts", str(districts),
                    "--years", years], check=True, stdout=subprocess.DEVNULL, env=env)
    (data / "LASMIG.txt").unlink()
    subprocess.run([PY, "-m", "likstall", "ingest", str(data), "--db", str(db), "--extract-date", "2022-01-31",
                    "--json"], check=True, stdout=subprocess.DEVNULL, env=env)
    cmd = [PY, "-m", "likstall", "rapport", "--db", str(db), "--year", "2021", "--out", str(tmp / f"rep-{districts}"),
           "--format", "html,xlsx,csv", "--draft"]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    verdict = "skriven" if os.waitstatus_to_exitcode(status) == 0 else "vägrad: " + " ".join(
        proc.stderr.read().decode(errors="replace").split())[:160]
    imports, _ = run([PY, "-c", "import likstall.cli, likstall.rapport, likstall.render.report, esda.smoothing"], env)
    out = {"report_s": round(wall, 1), "report_mb": round(usage.ru_maxrss / 1024), "imports_s": round(imports, 1),
           "verdict": verdict, "db": db}
    if verdict == "skriven" and districts <= 13:
        # The report as users make it: from the stored release (no statistics imported), three times.
        subprocess.run([PY, "-m", "likstall", "publish", "--db", str(db), "--year", "2021"], check=True,
                       stdout=subprocess.DEVNULL, env=env)
        times = [run([PY, "-m", "likstall", "rapport", "--db", str(db), "--year", "2021", "--out",
                      str(tmp / f"rel-{districts}-{i}"), "--format", "html,xlsx,csv"], env) for i in range(3)]
        out["release_s"] = [round(w, 2) for w, _ in times]
        out["release_mb"] = round(max(m for _, m in times))
        out["release_imports_s"] = round(run([PY, "-c", "import likstall.cli, likstall.rapport, likstall.release, "
                                              "likstall.render.report, likstall.render.views"], env)[0], 2)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="small sizes only (minutes, not hours)")
    ap.add_argument("--big", type=int, default=10_000_000,
                    help="also ingest this many placement rows (and as many cases) from bigdata.py; 0 skips it")
    ap.add_argument("--mid", type=int, default=1_000_000,
                    help="the same from bigdata.py at this size (also with --quick); 0 skips it")
    ap.add_argument("--repeat", type=int, default=1, help="bare read and ingest take turns this many times (best of each)")
    ap.add_argument("--ingest-only", action="store_true", help="stop after the ingest table")
    ap.add_argument("--data", type=Path, help="write bigdata.py's files here once and keep them (for the next run)")
    ap.add_argument("--no-demo", action="store_true", help="skip the demo-data sizes (only bigdata.py's)")
    ap.add_argument("--baseline", type=Path,
                    help="another version's src folder: its ingest runs in the same turns (before/after columns)")
    args = ap.parse_args()
    # About 55 k, 110 k and 1,1 M placement rows (the demo model has ~4,7 case rows per placement).
    sizes = [(300, "2015-2021")] if args.quick else [(300, "2015-2021"), (600, "2015-2021"), (6000, "2015-2021")]
    if args.no_demo:
        sizes = []
    base = args.baseline.resolve() if args.baseline else None
    with tempfile.TemporaryDirectory(prefix="likstall-bench-") as d:
        tmp = Path(d)
        env = {**os.environ, "LIKSTALL_KEY_FILE": str(tmp / "secret.key")}
        print(f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}\n")
        print("| districts | placements | cases | ingest s | ingest MB | bare read_csv s | bare MB | ratio |"
              + (" before s | before MB | before ratio |" if base else "") + " CPU s: ingest / bare | every run (wall s) |")
        print("|---|---|---|---|---|---|---|---|" + ("---|---|---|" if base else "") + "---|---|")
        for n, years in sizes:
            r = bench_ingest(n, years, tmp, env, args.repeat, base)
            print(_row(str(r["districts"]), r), flush=True)
        goal = []
        for size in (args.mid, 0 if args.quick else args.big):
            if size:
                r = bench_ingest_big(size, tmp, env, args.repeat, base, args.data.resolve() if args.data else None)
                print(_row(f"{r['districts']} (bigdata.py)", r), flush=True)
                goal.append(f"{size / 1e6:g} M + {size / 1e6:g} M rows {r['ratio']}× ({r['ingest_s']} s against "
                            f"{r['bare_s']} s, peak {r['ingest_mb']} MB)")
        if goal:
            print("\nIngest against bare read_csv (goal ≤ 2×, < 2 GB): " + "; ".join(goal), flush=True)
        if args.ingest_only:
            return
        r = bench_report(tmp, env)
        print(f"\nStockholm demo, `likstall rapport --format html,xlsx,csv`: {r['report_s']} s, peak {r['report_mb']} MB "
              f"(of which Python start and imports {r['imports_s']} s); {r['verdict']}")
        if "release_s" in r:
            print(f"The same from the stored release (`likstall publish`, then `likstall rapport`, three runs): "
                  f"{', '.join(str(x) for x in r['release_s'])} s, peak {r['release_mb']} MB (Python start and the "
                  f"release path's imports {r['release_imports_s']} s)")
        sthlm_db = r["db"]
        if not args.quick:
            r = bench_report(tmp, env, districts=290, years="2012-2021")
            print(f"National scale (290 districts × 10 years), same command: {r['report_s']} s, peak {r['report_mb']} MB; "
                  f"{r['verdict']}", flush=True)
        print("\nStatistics against peers (benchmarks/peers.py):\n", flush=True)
        subprocess.run([PY, str(HERE / "peers.py"), *(["--quick"] if args.quick else [])], check=True, env=env)
        print("\nDashboard (benchmarks/dashboard.py, Stockholm demo):\n", flush=True)
        subprocess.run([PY, str(HERE / "dashboard.py"), "--db", str(sthlm_db), "--workers", "1,2",
                        "--requests", "300" if args.quick else "600"], check=True, env=env)


if __name__ == "__main__":
    main()
