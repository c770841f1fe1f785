"""Secondary suppression: greedy vs MILP vs τ-Argus, every pattern judged by likstall's own full audit.

    nice -n 10 .venv/bin/python benchmarks/suppression.py --sizes 8,13,30,50 --seeds 1,2 --time-limit 60

Generated cities (`likstall.demo.write.write_demo_data` + `likstall.ingest.load.ingest`, years
2015–2021, the release's registry for 2021 as `likstall publish` builds it). Two comparisons:

A. **Single tables** — the breakdowns by target group, age and referring unit as plain 2-D tables
   (districts × categories with both margins; region rows left out, since τ-Argus protects one table
   at a time and these are what it takes as they are). The small-total rule applies to all three
   methods alike: the breakdown of a row whose total is 1–4 is not shown (those cells are then
   primaries for τ-Argus's FREQ rule anyway). τ-Argus (`pytauargus`, the bench extra) gets the same
   table as microdata (one record per person), safety rule FREQ(5,100) — 100 % is the widest
   frequency range the engine accepts — and its OPT and MOD secondary suppression. Its pattern is
   mapped cell by cell onto likstall's cells and audited by `run_attack` (full, every criterion).
B. **The whole release** — every measure with all its linked tables, regions, year spans and the
   fallback ladder (`protect_publication`), greedy vs MILP (`optimal_measure`). τ-Argus cannot take
   this: one measure's cells sit in up to eleven overlapping tables that share margins.

Printed: one Markdown table per size, sums over the seeds (and tables). "Hidden" counts the
suppressed cells that are shown as `..` (primaries included; equal across methods), "secondary"
those beyond the primaries, "mass" the sum of the secondaries' values, "loss" the MILP's objective
(Σ 1 + ln(1 + v) over the secondaries, doubled for headline cells and shared margins).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import duckdb

from likstall.disclosure.audit import run_attack
from likstall.disclosure.cells import CountTable, Registry
from likstall.disclosure.keys import HIDDEN, OMITTED, PRIMARY, PUBLISHED, SECONDARY, TOTAL, row_level
from likstall.disclosure.ladder import protect_publication
from likstall.disclosure.optimal import _Protector, cell_costs, optimal_measure, protect_optimal
from likstall.disclosure.policy import Policy
from likstall.disclosure.secondary import protect
from likstall.disclosure.visibility import initial_status

TABLES = ("victims_by_target_group", "victims_by_age", "sb_by_target", "shis_by_target", "shis_by_referrer",
          "applications_by_target")
YEAR = 2021


def city(districts: int, seed: int, root: Path) -> Path:
    """Demo data of one city, ingested into a fresh store."""
    from likstall.demo.write import write_demo_data
    from likstall.ingest.load import ingest

    d = root / f"c{districts}_{seed}"
    d.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("LIKSTALL_KEY_FILE", str(root / "secret.key"))
    write_demo_data(d / "data", seed=seed, districts=districts, years=list(range(2015, YEAR + 1)))
    ingest(sorted(p for p in (d / "data").iterdir() if p.suffix == ".csv"), d / "store.duckdb",
           extract_date=dt.date(YEAR + 1, 1, 31))
    return d / "store.duckdb"


def release_registry(db: Path, policy: Policy):
    """The registry (and fixed cells, history) that `release.build.build` protects for the year."""
    from likstall.aggregate import frames as F
    from likstall.aggregate.inputs import quarantine_by_rule
    from likstall.indicators import Context, count_registry
    from likstall.release import history as H

    con = duckdb.connect(str(db), read_only=True)
    try:
        hist = H.load(con)
        ctx = Context(F.load(con, YEAR, hist.frames, revise=False), policy, 0.95)
        ctx.memo["quarantine"] = [{"rule": r.rule, "rows": int(r.rows)} for r in quarantine_by_rule(con).itertuples()]
        reg = count_registry(ctx)
        fixed = hist.merge_into(reg)
    finally:
        con.close()
    return reg, fixed, hist.legacy


def single_table(reg: Registry, name: str) -> Registry:
    """One table of the release as a plain 2-D table: its district and city rows."""
    t = reg.tables[name]
    cells = {k: v for k, v in t.cells.items() if row_level(k) in ("district", "city")}
    out = Registry()
    out.add_table(CountTable(t.name, t.measure, t.unit, t.dims, cells, t.title, t.varying, t.row_total, tier=t.tier))
    return out


def tau_argus(sub: Registry, name: str, method: str, workdir: Path) -> tuple[dict, float]:
    """τ-Argus's pattern for a 2-D table (districts × `varying`), as likstall statuses."""
    from pytauargus import protect as tau_protect

    t = sub.tables[name]
    v = t.varying
    inner = [k for k in sub.values if k.get("district") != TOTAL and k.get(v) != TOTAL]
    dcode = {d: f"d{i:03d}" for i, d in enumerate(sorted({k.get('district') for k in inner}))}
    ccode = {c: f"c{i:02d}" for i, c in enumerate(sorted({k.get(v) for k in inner}))}
    rows = [{"D": dcode[k.get("district")], "G": ccode[k.get(v)], "one": 1.0}
            for k in inner for _ in range(sub.values[k])]
    workdir.mkdir(parents=True, exist_ok=True)
    here = os.getcwd()
    os.chdir(workdir)  # the engine writes its solver logs (CSPlogfile.txt, HiTaS.log …) to the working directory
    try:
        t0 = time.perf_counter()
        res = tau_protect(rows, ["D", "G"], response="one", safety_rules="FREQ(5,100)", suppress=method,
                          workdir=str(workdir))
        seconds = time.perf_counter() - t0
    finally:
        os.chdir(here)
    df = res.tables[0].dataframe()
    back_d = {c: d for d, c in dcode.items()}
    back_c = {c: g for g, c in ccode.items()}
    tau = {}
    for D, G, st in zip(df["D"], df["G"], df["status"]):
        tau[(back_d.get(str(D).strip(), TOTAL), back_c.get(str(G).strip(), TOTAL))] = str(st).strip()
    return tau, seconds


def tau_status(sub: Registry, initial: dict, tau: dict, name: str) -> dict:
    v = sub.tables[name].varying
    out = {}
    for k, s in initial.items():
        if s == OMITTED:
            out[k] = OMITTED  # the small-total rule: not shown, whatever τ-Argus did with it
            continue
        st = tau.get((k.get("district"), k.get(v)), "S")  # an empty cell (0) is not in τ-Argus's table
        out[k] = PRIMARY if s == PRIMARY else (SECONDARY if st in ("M", "U") else PUBLISHED)
    return out


def summary(sub: Registry, status: dict, initial: dict, policy: Policy, costs_of) -> dict:
    sec = [k for k, s in status.items() if s in HIDDEN and initial[k] != PRIMARY]
    hidden = [k for k, s in status.items() if s in HIDDEN]
    return {"hidden": len(hidden), "secondary": len(sec), "mass": sum(sub.values[k] for k in sec),
            "loss": float(sum(costs_of(sec))) if sec else 0.0}


def costs_for(reg: Registry, policy: Policy, initial: dict):
    pr = _Protector(reg, policy, {}, initial=initial)
    return lambda keys: cell_costs(reg, pr, list(keys), "log")


def part_a(reg: Registry, policy: Policy, time_limit: float, work: Path, tau_methods) -> dict:
    rows: dict[str, dict] = defaultdict(lambda: defaultdict(float))
    for name in TABLES:
        if name not in reg.tables:
            continue
        sub = single_table(reg, name)
        if not any(sub.values.values()):
            continue  # an empty table (a city without SHIS placements): τ-Argus cannot read empty microdata
        initial, _ = initial_status(sub, policy, {name: "district"})
        costs = costs_for(sub, policy, initial)
        t0 = time.perf_counter()
        g = protect(sub, policy, initial=initial)
        tg = time.perf_counter() - t0
        t0 = time.perf_counter()
        o = protect_optimal(sub, policy, initial=initial, greedy=g, time_limit=time_limit)
        to = time.perf_counter() - t0 + tg  # the MILP starts from the greedy: its time includes it
        results = {"greedy": (g.status, g.audit, tg), "MILP": (o.status, o.audit, to)}
        for method in tau_methods:
            tau, ts = tau_argus(sub, name, method, work / f"tau-{name}-{method[:3]}")
            st = tau_status(sub, initial, tau, name)
            results[f"τ-Argus {method}"] = (st, run_attack(sub, st, policy), ts)
        # Totals over every table, and over the tables whose pattern passes for every method (there the
        # counts compare like with like: a pattern that fails hides too little by definition).
        all_pass = all(a.passed for _, a, _ in results.values())
        for label, (st, a, secs) in results.items():
            r = rows[label]
            s = summary(sub, st, initial, policy, costs)
            for key, val in s.items():
                r[key] += val
                if all_pass:
                    r["common_" + key] += val
            r["common"] += int(all_pass)
            r["tables"] += 1
            r["passed"] += int(a.passed)
            r["seconds"] += secs
            for c in sorted({f.criterion for f in a.findings}):
                r["fail:" + c] += 1
    return rows


def part_b(reg: Registry, fixed: dict, history: dict, policy: Policy, time_limit: float) -> dict:
    rows: dict[str, dict] = defaultdict(lambda: defaultdict(float))
    for label, pm in (("greedy", None), ("MILP", optimal_measure(history, time_limit=time_limit))):
        t0 = time.perf_counter()
        p = protect_publication(reg, policy, fixed=fixed, history=history, protect_measure=pm)
        secs = time.perf_counter() - t0
        initial = {k: (PRIMARY if s == PRIMARY else PUBLISHED) for k, s in p.status.items()}
        costs = costs_for(reg, policy, {k: (s if s != SECONDARY else PUBLISHED) for k, s in p.status.items()})
        r = rows[label]
        for key, val in summary(reg, p.status, initial, policy, costs).items():
            r[key] += val
        r["tables"] += 1
        r["passed"] += int(p.passed)
        r["seconds"] += secs
        r["steps"] += len(p.steps)
    return rows


def fmt(x: float, decimals: int = 0) -> str:
    """Swedish number format (for docs/performance.md): 2 779, 0,05."""
    s = f"{x:,.{decimals}f}".replace(",", " ").replace(".", ",")
    return s


def table(title: str, rows: dict, with_steps: bool = False) -> str:
    common = any("common" in r for r in rows.values())
    head = "| metod | tabeller | godkända | dolda celler | varav sekundära | sekundär massa | informationsförlust | tid s |"
    extra = (" steg på stegen |" if with_steps else "") + (" där alla godkänns: tabeller, sekundära, massa, förlust | "
                                                           "underkänd på |" if common else "")
    lines = [f"**{title}**", "", head + extra,
             "|---|---|---|---|---|---|---|---|" + ("---|" if with_steps else "") + ("---|---|" if common else "")]
    for label, r in rows.items():
        line = (f"| {label} | {fmt(r['tables'])} | {fmt(r['passed'])} | {fmt(r['hidden'])} | {fmt(r['secondary'])} | "
                f"{fmt(r['mass'])} | {fmt(r['loss'], 1)} | {fmt(r['seconds'], 1)} |")
        if with_steps:
            line += f" {fmt(r['steps'])} |"
        if common:
            fails = ", ".join(f"{k[5:]} ({fmt(v)})" for k, v in sorted(r.items()) if k.startswith("fail:")) or "–"
            line += (f" {fmt(r['common'])}: {fmt(r['common_secondary'])}, {fmt(r['common_mass'])}, "
                     f"{fmt(r['common_loss'], 1)} | {fails} |")
        lines.append(line)
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="8,13,30,50")
    ap.add_argument("--seeds", default="1,2")
    ap.add_argument("--time-limit", type=float, default=60.0, help="the MILP's seconds per measure")
    ap.add_argument("--tau", default="OPT(1),MOD(1)", help="τ-Argus methods ('' to skip)")
    ap.add_argument("--skip-release", action="store_true", help="only the single tables (part A)")
    args = ap.parse_args()
    policy = Policy()
    tau_methods = [m for m in args.tau.replace("),", ");").split(";") if m]
    with tempfile.TemporaryDirectory(prefix="likstall-suppression-bench-") as d:
        root = Path(d)
        for n in [int(x) for x in args.sizes.split(",")]:
            A: dict[str, dict] = {}
            B: dict[str, dict] = {}
            for seed in [int(x) for x in args.seeds.split(",")]:
                db = city(n, seed, root)
                reg, fixed, history = release_registry(db, policy)
                for part, rows in ((A, part_a(reg, policy, args.time_limit, root / f"w{n}_{seed}", tau_methods)),
                                   (B, {} if args.skip_release else
                                    part_b(reg, fixed, history, policy, args.time_limit))):
                    for label, r in rows.items():
                        acc = part.setdefault(label, defaultdict(float))
                        for key, val in r.items():
                            acc[key] += val
                print(f"<!-- {n} districts, seed {seed} done -->", file=sys.stderr, flush=True)
            print(f"### {n} stadsdelar, frön {args.seeds}\n")
            print(table("A. Enskilda tabeller (2-D, stadsdel × kategori)", A))
            print()
            if B:
                print(table("B. Hela releasen (alla mått, länkade tabeller, stegen)", B, with_steps=True))
                print()
            sys.stdout.flush()


if __name__ == "__main__":
    main()
