"""The content of a release: every table, finding, sentence, statistic and chart value it serves,
each taken from published cells (or from city-wide models whose figures are rounded)."""

from __future__ import annotations

import datetime as dt
import json
import math
from dataclasses import asdict

from .. import __version__
from ..disclosure.keys import TOTAL
from ..indicators import placements as Q1
from ..indicators import stays as Q2
from ..indicators.dims import STAY_EDGES
from ..text import LANGS, t
from .content import table_json


def _r(x, d=3):
    return None if x is None or (isinstance(x, float) and (math.isnan(x) or math.isinf(x))) else round(float(x), d)


def _cell(pub, table, **coords):
    tab = pub.tables.get(table)
    c = tab.cell(**coords) if tab else None
    return c if c is not None and c.published else None


def stats_of(ctx) -> dict:
    pub = ctx.publication
    a = Q1.analysis(ctx)
    out: dict = {"conf": ctx.conf}
    m = a.get("model")
    if m:  # model coefficients rounded: the exact fit over every district's count is not published
        out["model"] = {"family": m["family"], "covariates": m["covariates"],
                        "coef": {k: _r(v) for k, v in m["coef"].items()},
                        "ci": {k: {"lower": _r(v["lower"]), "upper": _r(v["upper"])} for k, v in m["ci"].items()},
                        "alpha": _r(m["alpha"])}
    if a["od_estimated"]:
        od = a["od"]
        out["overdispersion"] = {"phi": _r(od.phi), "tau2": _r(od.tau2, 4), "adjusted": bool(od.adjusted),
                                 "n_units": int(od.n_units), "method": "CQC, winsoriserad 10 %"}
    fl = Q2.flats_analysis(ctx)
    if fl and fl["n"] >= 4 * ctx.policy.T:
        out["flats"] = {k: (_r(v) if isinstance(v, float) else v) for k, v in fl.items()}
    tr = ctx.memo.get("trend_p", {}).get(TOTAL)
    rr = _cell(pub, "sb_trend_rr", district=TOTAL)
    if tr and rr:
        out["trends"] = {TOTAL: {"rr": rr.value, "p": _r(tr[0]), "points": tr[1]}}
    out["rvt_never_refers"] = [c for c in ctx.codes
                               if (s := _cell(pub, "shis_by_referrer", district=c, referring_unit=TOTAL)) and s.value > 0
                               and (r := _cell(pub, "shis_by_referrer", district=c, referring_unit="rvt")) and r.value == 0]
    return out


def _quarantine(earlier: list[dict]) -> list[dict]:
    """The quarantine's rows per rule are internal data-quality detail (the role-protected quarantine page), not
    part of a release: every public form of them leaked across releases. Counts over all loads showed a later
    load's bad rows as a difference (13 = 6 + 6 + 1); counts shown unless 1–4 away from an earlier release's showed
    the same by being hidden (a fifth attacker); and which rules were listed told which rule a late record failed.
    A revision of a year whose earlier version listed them (releases made before this change) lists them as it did."""
    return earlier[-1].get("quarantine", []) if earlier else []


def _funnel_limits(funnel: dict) -> dict:
    """The funnel chart's grid and limits (everything but its points)."""
    return {k: v for k, v in funnel.items() if k != "points"}


def _as_before(new: dict, olds: list[dict], strict: bool = False) -> dict:
    """`new` without the entries an earlier release of the same year showed otherwise (a revision's model
    summaries and limits move with counts the tables may hide; shown changed, they would show the change);
    `strict` (after a small revision): without every entry an earlier release showed."""
    new = json.loads(json.dumps(new))
    return {k: v for k, v in new.items() if all(k not in o or (o[k] == v and not strict) for o in olds)}


def charts_of(ctx) -> dict:
    pub = ctx.publication
    rows = []
    for c in ctx.codes:
        cell = _cell(pub, "rate_sb", district=c)
        rows.append({"code": c, "value": None if cell is None else cell.value})
    funnel = Q1.funnel_grid(ctx)
    funnel["points"] = []
    for c in ctx.codes:
        e, r = _cell(pub, "sb_expected", district=c), _cell(pub, "sb_ratio_socio", district=c)
        if e and r:
            funnel["points"].append({"code": c, "expected": e.value, "ratio": r.value})
    funnel = {k: ([_r(x, 4) for x in v] if isinstance(v, list) and v and not isinstance(v[0], dict) else v)
              for k, v in funnel.items()}
    km = {}
    for a in [*ctx.region_rows, TOTAL]:
        pts = [{"day": 0, "survival": 100.0, "lower": 100.0, "upper": 100.0}]
        for d in STAY_EDGES:
            cell = _cell(pub, "km_survival", district=a, day=str(d))
            if cell is None:
                break  # the curve stops at the first day it cannot be shown
            pts.append({"day": d, "survival": cell.value, "lower": cell.ci_low, "upper": cell.ci_high})
        if len(pts) > 1:
            km[a] = pts
    trend = []
    for a in [*ctx.region_rows, TOTAL]:
        for y in ctx.inputs.years:
            cell = _cell(pub, "sb_trend_rate", district=a, year=str(y))
            if cell:
                trend.append({"area": a, "year": str(y), "rate": cell.value, "lower": cell.ci_low,
                              "upper": cell.ci_high})
    return {"tile_map": rows, "funnel": funnel, "km": km, "trend": trend}


def texts_of(ctx, findings: list[dict], stats: dict) -> dict:
    """The report's sentences in both languages, from released cells and rounded model figures."""
    from .sentences import sentences

    return {lang: sentences(ctx, findings, stats, lang) for lang in LANGS}


def assemble(ctx, findings: list[dict], provenance: dict, *, draft: bool) -> dict:
    pub = ctx.publication
    d = ctx.districts
    districts = [{"code": r.code, "name": r.name, "region": r.region,
                  "has_emergency_flats": None if r.has_emergency_flats is None or r.has_emergency_flats != r.has_emergency_flats
                  else bool(r.has_emergency_flats),
                  "rvt_refers_to_shis": None if r.rvt_refers_to_shis is None or r.rvt_refers_to_shis != r.rvt_refers_to_shis
                  else bool(r.rvt_refers_to_shis)} for r in d.itertuples()]
    earlier = ctx.memo.get("earlier_same_year", [])
    small = pub.small_revision
    stats = _as_before(stats_of(ctx), [c.get("stats", {}) for c in earlier], strict=small)
    charts = charts_of(ctx)
    if earlier:
        # The funnel's limits follow the city's rate: a revision whose limits moved would show the city's
        # count changing where the tables hide it. Kept only as the earlier version drew them.
        grid = {"grid": _funnel_limits(charts["funnel"])}
        if small or not _as_before(grid, [{"grid": _funnel_limits(c.get("charts", {}).get("funnel", {}))}
                                          for c in earlier]):
            charts["funnel"] = {"points": charts["funnel"]["points"]}
    return {
        "format": 2, "kind": "draft" if draft else "release", "year": ctx.year, "first_year": ctx.first_year,
        "created": dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat(),
        "likstall": __version__, "policy": asdict(ctx.policy), "provenance": provenance,
        "districts": districts,
        "groups": {"regions": {r: codes for r, codes in ctx.regions.items()},
                   "spans": {ctx.span: [str(y) for y in ctx.inputs.years]}},
        # The structure every table's margins follow: each group's finest members and each dimension's
        # finest categories (public metadata: what a reader needs to add the tables up).
        "dimensions": ctx.memo["dimensions"],
        "tables": [table_json(tab) for tab in pub.tables.values()],
        "audit": asdict(pub.audit),
        "findings": findings, "stats": stats, "charts": charts,
        "texts": texts_of(ctx, findings, stats),
        "quarantine": _quarantine(earlier),
    }
