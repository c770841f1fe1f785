"""Calibration of the findings: simulated cities with known truth through the release's own findings code.

One city: `likstall.demo.generate(truth=mode)` writes the files and `likstall.ingest` loads them. Then
either (`release=True`) `likstall.release.build.build(..., draft=True)` makes the year's draft release
exactly as `likstall draft`/`follow_up` does (nothing stored); its findings (`content["findings"]`:
Benjamini–Hochberg over every candidate of the release, published cells only) are what a release
would say. Or (`release=False`, the benchmark's default: the disclosure protection is most of a
build's time) the same inputs, context, count registry and derived indicators as a build, the same
candidates (`findings.build.candidates`) and the same Benjamini–Hochberg selection
(`findings.build.significant`), without the protection and so without its publication check: the
findings a release would state, before cells it must suppress are left out. A release can only
state fewer of them (false findings and power alike; both paths are compared on a sample in
docs/statistics/calibration.md).

Scoring (docs/statistics/calibration.md):
- a candidate is *null* when its district carries no planted effect (every comparison of a
  null city; in a planted city every district but the effect districts, whatever the kind);
- a candidate is a *target* when its district carries the effect and its kind is the one that should
  report it (for an absent target group: that group);
- the candidates of effect districts in other kinds are neither (a planted effect can move other
  comparisons of the same district: twice the placements also means fewer SHIS per placement).

Used by `benchmarks/calibration.py` (≥ 200 cities) and `tests/stats/test_findings_calibration.py`.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import stats as st

RAW_ALPHA = 0.05


@dataclass
class City:
    mode: str
    seed: int
    n_districts: int
    truth: dict
    candidates: list[dict]  # kind, area, direction, p, group, role (null/target/other)
    findings: list[dict]  # kind, area, direction, group, role
    seconds: float
    release: bool = False  # findings from the full draft release (with protection) or before it


def _group(extra: dict | None, c) -> str | None:
    extra = extra or {}
    return extra.get("target_group") or extra.get("indicator")


def _role(truth: dict, kind: str, area: str, group: str | None) -> str:
    if area not in set(truth["effect_districts"]):
        return "null"
    if kind == truth["kind"] and (truth.get("target_group") is None or group == truth["target_group"]):
        return "target"
    return "other"


def _unprotected(con, year: int):
    """Inputs, context, count registry and derived indicators as `release.build.build` makes them,
    without the disclosure protection (no publication)."""
    from ..aggregate import frames as F
    from ..disclosure.policy import Policy
    from ..indicators import Context, catalogue, count_registry
    from ..release import history as H
    from ..release.build import check_year

    check_year(con, year)
    hist = H.load(con)
    ctx = Context(F.load(con, year, hist.frames, revise=True), Policy(), 0.95)
    count_registry(ctx)
    for ind in catalogue():
        if ind.kind == "derived" and ind.finding:
            ind.compute(ctx)
    return ctx


def run_city(mode: str, seed: int, n_districts: int = 13, years: list[int] | None = None, *,
             release: bool = False) -> City:
    """Generate, ingest and analyse one known-truth city; its candidates and findings with their roles."""
    import time

    from ..demo.write import write_demo_data
    from ..ingest.load import ingest
    from ..release.build import build
    from ..store.connection import connect
    from .build import candidates, significant

    years = years or list(range(2015, 2022))
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="likstall-calib-") as tmp:
        root = Path(tmp)
        old_key = os.environ.get("LIKSTALL_KEY_FILE")
        if old_key is None:
            os.environ["LIKSTALL_KEY_FILE"] = str(root / "secret.key")
        try:
            summary = write_demo_data(root / "data", seed=seed, years=years, districts=n_districts, truth=mode)
            db = root / "city.duckdb"
            ingest([root / "data"], db, extract_date=dt.date(years[-1] + 1, 1, 31))
            con = connect(db)
            try:
                if release:
                    built = build(con, years[-1], revise=True, draft=True)  # as likstall.draft does
                    ctx = built.context
                    found = [(f, f["q_value"]) for f in built.content["findings"]]
                else:
                    ctx = _unprotected(con, years[-1])
                    found = None
                cands_all = candidates(ctx)
                if found is None:
                    found = [({"kind": c.kind, "district": c.area, "direction": c.direction, **c.extra}, q)
                             for c, q in significant(cands_all)]
            finally:
                con.close()
        finally:
            if old_key is None:
                os.environ.pop("LIKSTALL_KEY_FILE", None)
    truth = summary["truth"]
    cands = []
    for c in cands_all:
        g = _group(c.extra, c)
        cands.append({"kind": c.kind, "area": c.area, "direction": c.direction, "p": float(c.p), "group": g,
                      "role": _role(truth, c.kind, c.area, g)})
    finds = []
    for f, q in found:
        g = f.get("target_group") or f.get("indicator")
        finds.append({"kind": f["kind"], "area": f["district"], "direction": f["direction"], "group": g,
                      "q": q, "role": _role(truth, f["kind"], f["district"], g)})
    return City(mode, seed, n_districts, truth, cands, finds, time.perf_counter() - t0, release)


# ---- summaries ------------------------------------------------------------------------------------------

def wilson(k: int, n: int, conf: float = 0.95) -> tuple[float, float]:
    if n == 0:
        return (math.nan, math.nan)
    z = st.norm.ppf(0.5 + conf / 2)
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return (max(0.0, centre - half), min(1.0, centre + half))


def null_rates(cities: list[City], kinds: list[str] | None = None) -> dict:
    """Per kind: raw false-flag rate among null candidates, and the share of cities with any false finding."""
    kinds = kinds or sorted({c["kind"] for city in cities for c in city.candidates})
    out = {}
    for k in kinds:
        raw = [c["p"] < RAW_ALPHA for city in cities for c in city.candidates if c["kind"] == k and c["role"] == "null"]
        any_false = [any(f["kind"] == k and f["role"] == "null" for f in city.findings) for city in cities]
        out[k] = {"n": len(raw), "flags": int(sum(raw)), "rate": float(np.mean(raw)) if raw else math.nan,
                  "cities": len(cities), "cities_false": int(sum(any_false)),
                  "city_rate": float(np.mean(any_false)) if cities else math.nan}
    any_city = [any(f["role"] == "null" for f in city.findings) for city in cities]
    out["*"] = {"cities": len(cities), "cities_false": int(sum(any_city)),
                "city_rate": float(np.mean(any_city)) if cities else math.nan}
    return out


def power(cities: list[City]) -> dict:
    """Share of the planted effects reported: raw (p < 0,05, right direction) and as a finding of the release."""
    tgt = [(city, c) for city in cities for c in city.candidates if c["role"] == "target"]
    n_effects = sum(len(city.truth["effect_districts"]) for city in cities)
    raw = sum(1 for city, c in tgt if c["p"] < RAW_ALPHA and c["direction"] == city.truth["direction"])
    found = sum(1 for city in cities for f in city.findings
                if f["role"] == "target" and f["direction"] == city.truth["direction"])
    return {"effects": n_effects, "candidates": len(tgt), "raw": raw, "found": found,
            "raw_rate": raw / n_effects if n_effects else math.nan,
            "rate": found / n_effects if n_effects else math.nan}
