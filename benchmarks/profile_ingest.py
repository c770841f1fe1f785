"""Where an ingest's time goes: every SQL statement it runs, timed in the process.

    python benchmarks/profile_ingest.py DATA [--db STORE] [--twice] [--top 25]

Runs `likstall.ingest` on DATA with the store connection wrapped, so that each `execute` is timed,
and prints the statements grouped by what they do (the first words of the SQL, numbers and names
of staging tables folded), slowest first, with the wall time of the whole ingest and the peak RSS.
A statement during which the process's peak RSS rose gets that new peak in the last column; the line
under the table names the one that set the run's peak (or says it was set outside SQL). The peak is the
process's: with `--twice` the second run's column shows only what rose above the first run's peak. Labels
fold similar statements (the five `read_csv` are one line), so the line names a group; the statements'
parameters are never printed (some are key material).
`--twice` loads the same files a second time into the same store (the re-load: every row unchanged).
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
import resource
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from likstall.ingest import load


class Timed:
    """A DuckDB connection whose execute/executemany calls are timed by statement."""

    def __init__(self, con, times: dict):
        self._con = con
        self._times = times

    def _timed(self, fn, sql, *args):
        t0, c0, peak0 = time.perf_counter(), time.process_time(), _peak_mb()
        try:
            return fn(sql, *args)
        finally:
            entry = self._times[_label(sql)]
            entry[0] += time.perf_counter() - t0
            entry[1] += time.process_time() - c0  # all of the process's threads: less noisy on a shared machine
            entry[2] += 1
            peak = _peak_mb()
            if peak > peak0:
                entry[3] = max(entry[3], peak)

    def execute(self, sql, *args):
        return self._timed(self._con.execute, sql, *args)

    def executemany(self, sql, *args):
        return self._timed(self._con.executemany, sql, *args)

    def __getattr__(self, name):
        return getattr(self._con, name)


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _label(sql: str) -> str:
    s = " ".join(sql.split())
    s = re.sub(r"'[^']*'", "'…'", s)
    s = re.sub(r"\b(f|rej|c|t|ok|u)_?\d+\b", r"\1N", s)
    return s[:150]


def profile(data: Path, db: Path, times: dict) -> float:
    real_connect = load.connect
    load.connect = lambda *a, **k: Timed(real_connect(*a, **k), times)
    try:
        t0 = time.perf_counter()
        r = load.ingest([data], db, extract_date=dt.date(2022, 1, 31))
        wall = time.perf_counter() - t0
    finally:
        load.connect = real_connect
    print(f"rows {r.rows_read:,}: inserted {r.inserted:,}, updated {r.updated:,}, unchanged {r.unchanged:,}, "
          f"quarantined {r.quarantined:,}; {wall:.1f} s")
    return wall


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("data", type=Path)
    ap.add_argument("--db", type=Path)
    ap.add_argument("--twice", action="store_true")
    ap.add_argument("--top", type=int, default=25)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="likstall-prof-") as d:
        db = a.db or Path(d) / "store.duckdb"
        for run in range(2 if a.twice else 1):
            times: dict = defaultdict(lambda: [0.0, 0.0, 0, 0.0])
            start_peak = _peak_mb()
            wall = profile(a.data, db, times)
            total = sum(v[0] for v in times.values())
            cpu = sum(v[1] for v in times.values())
            peak = _peak_mb()
            print(f"\nrun {run + 1}: {wall:.1f} s wall, {total:.1f} s in SQL ({cpu:.1f} s CPU), peak RSS {peak:.0f} MB\n")
            print("| wall s | CPU s | n | statement | peak RSS raised to, MB |\n|---|---|---|---|---|")
            for label, (t, c, n, raised) in sorted(times.items(), key=lambda kv: -kv[1][1])[: a.top]:
                print(f"| {t:.2f} | {c:.2f} | {n} | `{label}` | {f'{raised:.0f}' if raised else ''} |")
            top_label, top = max(times.items(), key=lambda kv: kv[1][3])
            if peak <= start_peak:
                print(f"\npeak RSS not raised in this run (still {start_peak:.0f} MB from before it)")
            elif top[3] >= peak:
                print(f"\npeak RSS {top[3]:.0f} MB set during `{top_label[:80]}`")
            else:
                print(f"\npeak RSS {peak:.0f} MB set outside SQL (the largest during a statement: {top[3]:.0f} MB)")


if __name__ == "__main__":
    main()
