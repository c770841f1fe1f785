"""Many generated cities through the whole publication: `python benchmarks/cities.py --cities 100`.

Each city is demo data of its own size and seed (clean or messy generator mode), ingested into its own
store, with two consecutive releases (2020, then 2021 protected jointly with it) — what a city does in
its second year. For each city it records whether both years published (every table released, the
audit passed), the share of suppressed cells, how many tables fell back to a region or the city row
(the ladder), and what the independent attacker of `tests/attack/attacker.py` — written for the tests,
not the gate — finds when it reads everything both releases serve and solves the LP over both years:
exact small cells, cells pinned to 1–4, shares times counts. Prints one Markdown table per district
count and the cities that failed, for docs/performance.md.

The sample: district counts cycle through --sizes, seeds count up from --seed, every second city messy.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import warnings
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "attack"))

from attacker import attack, served_from, share_leaks  # noqa: E402
from cities import city_store, two_releases  # noqa: E402


def one_city(root: Path, districts: int, seed: int, messy: bool) -> dict:
    db = city_store(root, districts, seed, messy)
    contents, times = two_releases(db)
    audits = [c["audit"] for c in contents]
    leaks = attack(served_from(contents)) + [leak for c in contents for leak in share_leaks(c)]
    ladder = sum(1 for c in contents for t in c["tables"] if t.get("level") not in (None, "district"))
    return {"districts": districts, "seed": seed, "messy": messy, "published": all(a["passed"] for a in audits),
            "share_suppressed": max(a["share_suppressed"] for a in audits), "lifted": ladder,
            "leaks": [str(leak) for leak in leaks], "seconds": times}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cities", type=int, default=100)
    ap.add_argument("--sizes", default="8,13,13,30", help="district counts, cycled (default: 8, 13, 13, 30)")
    ap.add_argument("--seed", type=int, default=1000)
    args = ap.parse_args()
    # statsmodels warns on small synthetic districts (a model that does not converge is handled by likstall);
    # the benchmark prints one line per city instead.
    warnings.simplefilter("ignore")
    sizes = [int(s) for s in args.sizes.split(",")]
    rows = []
    t0 = time.perf_counter()
    for i in range(args.cities):
        districts, seed, messy = sizes[i % len(sizes)], args.seed + i, i % 2 == 1
        with tempfile.TemporaryDirectory(prefix="likstall-city-") as d:
            try:
                r = one_city(Path(d), districts, seed, messy)
            except Exception as e:  # a city that cannot be released is a result, not a crash of the benchmark
                r = {"districts": districts, "seed": seed, "messy": messy, "published": False,
                     "share_suppressed": float("nan"), "lifted": 0, "leaks": [], "seconds": [], "error": repr(e)[:300]}
        rows.append(r)
        print(f"{i + 1}/{args.cities} {districts}d seed {seed}{' messy' if messy else ''}: "
              f"{'published' if r['published'] else 'NOT PUBLISHED'}, {len(r['leaks'])} leaks, "
              f"suppressed {r['share_suppressed']:.3f}, {sum(r['seconds']):.1f} s", file=sys.stderr, flush=True)
    by_size = defaultdict(list)
    for r in rows:
        by_size[r["districts"]].append(r)
    print(f"{len(rows)} cities, {time.perf_counter() - t0:.0f} s\n")
    print("| stadsdelar | städer | publicerade | med läckor (angriparen) | andel undertryckta celler, median (max) "
          "| tabeller lyfta per stad, medel | s per release, median (max) |")
    print("|---|---|---|---|---|---|---|")
    for size in sorted(by_size):
        rs = by_size[size]
        shares = [r["share_suppressed"] for r in rs if r["seconds"]]
        secs = [s for r in rs for s in r["seconds"]]
        print(f"| {size} | {len(rs)} | {sum(r['published'] for r in rs)} | {sum(bool(r['leaks']) for r in rs)} | "
              f"{_sv(statistics.median(shares))} ({_sv(max(shares))}) | "
              f"{_sv(statistics.mean(r['lifted'] for r in rs), 1)} | "
              f"{_sv(statistics.median(secs), 1)} ({_sv(max(secs), 1)}) |")
    bad = [r for r in rows if not r["published"] or r["leaks"]]
    for r in bad:
        print(f"\n{r['districts']}d seed {r['seed']}{' messy' if r['messy'] else ''}: "
              f"{r.get('error') or ''} {r['leaks'][:5]}")


def _sv(x: float, digits: int = 3) -> str:
    return f"{x:.{digits}f}".replace(".", ",")


if __name__ == "__main__":
    main()
