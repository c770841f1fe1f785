"""Calibration of the findings: simulated cities with known truth through the release's findings code.

    nice -n 10 python benchmarks/calibration.py [--seeds 15] [--districts 13,30] [--workers 1]
                                                [--modes null,null-socio,...] [--save results.json]
    python benchmarks/calibration.py --load results.json      # the tables again, from saved cities

Every mode of `likstall.demo.generate.TRUTHS` × every district count × `--seeds` seeds is one city:
generated, ingested and built as `likstall draft` builds it (likstall.findings.calibration.run_city).
Prints Markdown tables for docs/statistics/calibration.md: per finding kind the raw false-flag rate
among null districts (goal ≤ 5 %), the share of cities with any false finding after
Benjamini–Hochberg (goal ≤ 10 %), and the power for every planted effect.

The machine is shared: one worker by default; run it with `nice`.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
import warnings
from dataclasses import asdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from likstall.demo.generate import TRUTHS  # noqa: E402
from likstall.findings.calibration import City, null_rates, power, run_city, wilson  # noqa: E402

NULL_MODES = ("null", "null-socio")


def _one(args):
    mode, seed, n, release = args
    warnings.simplefilter("ignore")  # statsmodels' convergence chatter on small cities
    return run_city(mode, seed, n, YEARS, release=release)


YEARS = list(range(2017, 2022))  # five years: the least for a trend finding


def pct(x: float) -> str:
    return "–" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{100 * x:.1f}".replace(".", ",") + " %"


def ci(k: int, n: int) -> str:
    lo, hi = wilson(k, n)
    return "–" if n == 0 else f"{pct(k / n)} ({pct(lo)}–{pct(hi)})"


def fmt_int(n: int) -> str:
    return f"{n:,}".replace(",", " ")


def tables(cities: list[City]) -> str:
    out = []
    kinds = sorted({c["kind"] for city in cities for c in city.candidates})
    groups = {"null": [c for c in cities if c.mode == "null"],
              "null-socio": [c for c in cities if c.mode == "null-socio"],
              "planterade": [c for c in cities if c.mode not in NULL_MODES]}
    rates = {g: null_rates(cs, kinds) for g, cs in groups.items()}
    out.append("### Falska flaggor per fyndtyp\n")
    out.append("Rå andel = andel nolljämförelser med p < 0,05 (95 % Wilson-intervall); städer = andel städer med "
               "minst ett falskt fynd av typen efter Benjamini–Hochberg (q < 0,05; med `--release` även publiceringskontroll).\n")
    out.append("| fyndtyp | rå, null | rå, null-socio | rå, nolldistrikt i planterade | städer med falskt fynd, "
               "null + null-socio | städer med falskt fynd, planterade |")
    out.append("|---|---|---|---|---|---|")
    for k in kinds + ["*"]:
        row = [k if k != "*" else "**alla typer**"]
        for g in groups:
            r = rates[g][k]
            row.append(ci(r["flags"], r["n"]) + f", n = {fmt_int(r['n'])}" if k != "*" else "")
        nulls = [rates["null"][k], rates["null-socio"][k]]
        kc = sum(r["cities_false"] for r in nulls)
        nc = sum(r["cities"] for r in nulls)
        row.append(f"{ci(kc, nc)}, {kc} av {nc}")
        r = rates["planterade"][k]
        row.append(f"{ci(r['cities_false'], r['cities'])}, {r['cities_false']} av {r['cities']}")
        out.append("| " + " | ".join(row) + " |")
    out.append("\n### Styrka för planterade effekter\n")
    out.append("Andel av effektdistrikten som rapporteras av rätt fyndtyp i rätt riktning: rått (p < 0,05) och "
               "som fynd (BH q < 0,05; med `--release` bara publicerade celler).\n")
    out.append("| planterad effekt | fyndtyp | distrikt | effekter | rå styrka | styrka som fynd |")
    out.append("|---|---|---|---|---|---|")
    sizes = sorted({c.n_districts for c in cities})
    for mode in TRUTHS:
        if mode in NULL_MODES:
            continue
        for n in sizes + ["alla"]:
            cs = [c for c in cities if c.mode == mode and (n == "alla" or c.n_districts == n)]
            if not cs:
                continue
            p = power(cs)
            out.append(f"| {cs[0].truth['description']} | {cs[0].truth['kind']} | {n} | {p['effects']} | "
                       f"{ci(p['raw'], p['effects'])} | {ci(p['found'], p['effects'])} |")
    secs = [c.seconds for c in cities]
    by_size = ", ".join(f"{n} distrikt: {sum(c.n_districts == n for c in cities)}" for n in sizes)
    timing = f"{sum(secs) / 60:.1f} min beräkning, median {sorted(secs)[len(secs) // 2]:.1f} s per stad".replace(".", ",")
    path = "ur hela utkastet (med röjandeskydd)" if cities[0].release else "före röjandeskyddet"
    out.append(f"\n{len(cities)} städer ({by_size}), {timing}; fynd {path}.")
    return "\n".join(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seeds", type=int, default=15)
    ap.add_argument("--first-seed", type=int, default=1)
    ap.add_argument("--districts", default="13,30")
    ap.add_argument("--modes", default=",".join(TRUTHS))
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--release", action="store_true",
                    help="findings from the full draft release (with disclosure protection; ~3× slower)")
    ap.add_argument("--save", type=Path)
    ap.add_argument("--load", type=Path, nargs="*")
    args = ap.parse_args()
    if args.load:
        cities = [City(**c) for path in args.load for c in json.loads(path.read_text())]
        print(tables(cities))
        return
    jobs = [(m, args.first_seed + s, int(n), args.release) for s in range(args.seeds)
            for n in args.districts.split(",") for m in args.modes.split(",")]
    t0 = time.perf_counter()
    cities: list[City] = []
    if args.workers > 1:
        from multiprocessing import Pool

        with Pool(args.workers) as pool:
            for i, c in enumerate(pool.imap_unordered(_one, jobs), 1):
                cities.append(c)
                print(f"{i}/{len(jobs)} {c.mode} {c.n_districts} seed {c.seed}: {c.seconds:.1f} s", file=sys.stderr)
    else:
        for i, job in enumerate(jobs, 1):
            c = _one(job)
            cities.append(c)
            print(f"{i}/{len(jobs)} {c.mode} {c.n_districts} seed {c.seed}: {c.seconds:.1f} s", file=sys.stderr)
            if args.save and i % 10 == 0:
                args.save.write_text(json.dumps([asdict(x) for x in cities]))
    if args.save:
        args.save.write_text(json.dumps([asdict(x) for x in cities]))
    print(tables(cities))
    print(f"\nVäggtid {(time.perf_counter() - t0) / 60:.1f} min med {args.workers} process(er).".replace(".", ","))


if __name__ == "__main__":
    main()
