"""Question 1 — are placements granted equally? Observed against expected placements in skyddat
boende (age and sex, then socio-economics), the funnel with overdispersion, smoothed levels, the
grant rate, and how large a difference the data can show at all (detectability)."""

from __future__ import annotations

import numpy as np

from .. import stats as S
from ..disclosure.keys import TOTAL
from .base import Context, Row, count_cells, indicator
from .dims import DECISIONS, SB
from .overview import population_totals, sb_key

COVARIATES = ("median_income", "share_economic_assistance")
DETECT_YEARS = (1, 3, 5)
FUNNEL_LEVELS = (0.95, 0.998)


def analysis(ctx: Context) -> dict:
    """Expected placements per district: age and sex, then a negative-binomial GLM on socio-economics
    fitted without the district itself (a district with an extreme count would otherwise pull its own
    expected value towards itself), and the overdispersion between districts on the CQC scale."""
    if "equal_placement" in ctx.memo:
        return ctx.memo["equal_placement"]
    codes = ctx.codes
    pop_y = ctx.population()
    strata = ctx.inputs.get("sb_by_stratum")
    known = strata[strata["sex"].isin(["K", "M"]) & strata["age_band"].notna()]
    city_rates = (known.groupby(["sex", "age_band"])["n"].sum()
                  / pop_y.groupby(["sex", "age_band"])["count"].sum()).fillna(0.0)
    e_raw = np.array([float((pop_y[pop_y["district"] == c].set_index(["sex", "age_band"])["count"]
                             * city_rates).fillna(0).sum()) for c in codes])
    o = np.array([ctx.v(sb_key(ctx, c)) for c in codes], dtype=float)
    # Persons of unknown sex or age are spread evenly: the expected counts sum to the observed.
    e_agesex = np.maximum(e_raw * (o.sum() / max(e_raw.sum(), 1e-9)), 1e-9)
    socio = ctx.inputs.get("socioeconomics")
    covars = [c for c in COVARIATES if c in getattr(socio, "columns", [])]
    out = {"codes": codes, "observed": o, "e_agesex": e_agesex, "model": None}
    e_adj = e_agesex
    if covars and len(codes) > len(covars) + 3 and o.sum() > 0:
        X = socio.set_index("district").reindex(codes)[covars]
        X = X.fillna(X.mean())
        try:
            fit = S.expected_from_model(o, e_agesex, X, family="negbin", leave_one_out=True)
            e_adj = np.maximum(fit.expected_loo, 1e-9)
            out["loo_logvar"] = fit.expected_loo_logvar
            out["model"] = {"family": "negativ binomial", "covariates": covars,
                            "coef": {k: float(v) for k, v in fit.params.items()},
                            "ci": {k: {"lower": float(r.lower), "upper": float(r.upper)}
                                   for k, r in fit.conf_int.iterrows()},
                            "alpha": None if fit.alpha is None else float(fit.alpha)}
        except (ValueError, np.linalg.LinAlgError):
            out["model"] = None
    out["e_adj"] = e_adj
    od = S.overdispersion(o, e_adj, method="CQC") if len(codes) >= 3 and o.sum() > 0 else None
    out["od"] = od if od is not None else S.Overdispersion.fixed("SR", "CQC", tau2=0.0)
    out["od_estimated"] = od is not None
    out["p"] = out["od"].pvalues(o, e_adj)
    ctx.memo["equal_placement"] = out
    return out


# ---- count tables ---------------------------------------------------------------------------------------

@indicator("applications_sb", "placements", "count", "applications", ("district", "decision"), varying="decision", tier=1,
           row_total=TOTAL)
def applications_sb(ctx):
    return count_cells(ctx, ctx.inputs.get("applications"), "applications",
                       {"district": ctx.all_rows, "decision": [*DECISIONS, TOTAL]},
                       {"year": ctx.year, "placement_type": SB})


# ---- derived --------------------------------------------------------------------------------------------

@indicator("sb_ratio_agesex", "placements", "derived", "sb_ratio_agesex", ("district",), decimals=2,
           tests=("tests/stats/test_standardise_reference.py",))
def sb_ratio_agesex(ctx):
    return _ratio_rows(ctx, "e_agesex")


@indicator("sb_ratio_socio", "placements", "derived", "sb_ratio_socio", ("district",), decimals=2,
           finding="placements", tests=("tests/stats/test_standardise_reference.py",))
def sb_ratio_socio(ctx):
    return _ratio_rows(ctx, "e_adj")


def _ratio_rows(ctx, expected: str) -> list[Row]:
    """Observed/expected per district (PHE intervals), with `expected` one of the analysis' expected counts."""
    a = analysis(ctx)
    rows = []
    for c, o, e in zip(a["codes"], a["observed"], a[expected]):
        r = S.isr(o, e, conf=ctx.conf, method="phe")
        rows.append(Row({"district": c}, (sb_key(ctx, c),), r.value, r.lower, r.upper))
    return rows


@indicator("sb_expected", "placements", "derived", "sb_expected", ("district",), decimals=1,
           tests=("tests/stats/test_standardise_reference.py",))
def sb_expected(ctx):
    """The expected count the ratio compares with (the funnel's x-axis); published with the ratio."""
    a = analysis(ctx)
    return [Row({"district": c}, (sb_key(ctx, c),), float(e)) for c, e in zip(a["codes"], a["e_adj"])]


@indicator("sb_funnel", "placements", "derived", "sb_funnel", ("district",), decimals=0,
           tests=("tests/stats/test_funnel_flags.py",))
def sb_funnel(ctx):
    """Outside the drawn 95 % funnel limit (+1 above, −1 below, 0 inside): the chart's own decision."""
    a = analysis(ctx)
    flags = a["od"].flag(a["observed"], a["e_adj"], 0.95)
    return [Row({"district": c}, (sb_key(ctx, c),), float(f)) for c, f in zip(a["codes"], flags)]


@indicator("sb_eb_rr", "placements", "derived", "sb_eb_rr", ("district",), decimals=2,
           tests=("tests/stats/test_smoothing_reference.py",))
def sb_eb_rr(ctx):
    a = analysis(ctx)
    eb = _eb(ctx, a)
    return [Row({"district": c}, (sb_key(ctx, c),), float(eb["eb_rr"].iloc[i])) for i, c in enumerate(a["codes"])]


@indicator("sb_eb_p_above", "placements", "derived", "sb_eb_p_above", ("district",), decimals=2,
           tests=("tests/stats/test_smoothing_reference.py",))
def sb_eb_p_above(ctx):
    a = analysis(ctx)
    eb = _eb(ctx, a)
    return [Row({"district": c}, (sb_key(ctx, c),), float(eb["p_above"].iloc[i])) for i, c in enumerate(a["codes"])]


def _eb(ctx, a):
    if "eb" not in ctx.memo:
        ctx.memo["eb"] = S.eb_smooth(a["observed"].astype(int), expected=a["e_adj"], method="clayton-kaldor")
    return ctx.memo["eb"]


def granted_key(ctx, a):
    return ctx.key("applications", district=a, placement_type=SB, decision="beviljad")


def applied_key(ctx, a):
    return ctx.key("applications", district=a, placement_type=SB)


def refused_key(ctx, a):
    return ctx.key("applications", district=a, placement_type=SB, decision="avslag")


@indicator("sb_grant_rate", "placements", "derived", "sb_grant_rate", ("district",), finding="grant_rate",
           tests=("tests/stats/test_intervals_reference.py",))
def sb_grant_rate(ctx):
    rows = []
    for a in ctx.areas:
        k, n = ctx.v(granted_key(ctx, a)), ctx.v(applied_key(ctx, a))
        counts = (granted_key(ctx, a), refused_key(ctx, a), applied_key(ctx, a))
        if n == 0:
            rows.append(Row({"district": a}, counts, None))
            continue
        e = S.proportion(k, n, conf=ctx.conf)
        rows.append(Row({"district": a}, counts, e.value, e.lower, e.upper))
    return rows


@indicator("sb_detectable", "placements", "derived", "sb_detectable", ("district", "years"), decimals=1,
           tests=("tests/stats/test_power.py",))
def sb_detectable(ctx):
    """The smallest ratio to the expected number of placements that would be flagged with 80 % power,
    with one, three and five years of data (above 1; the matching ratio below 1 beside it). Rests on
    the expected count alone (population and model), so it is shown for every district."""
    a = analysis(ctx)
    tau2 = a["od"].tau2_used
    rows = []
    for years in DETECT_YEARS:
        d = S.detectable_ratio(a["e_adj"], conf=ctx.conf, tau2=tau2, years=years)
        for c, up, lo in zip(a["codes"], d["upper_ratio"], d["lower_ratio"]):
            rows.append(Row({"district": c, "years": str(years)}, (), float(up), None if np.isnan(lo) else float(lo)))
    return rows


def funnel_grid(ctx: Context) -> dict:
    """The funnel's limits on a grid of expected counts (no data cell behind them)."""
    a = analysis(ctx)
    e = a["e_adj"]
    grid = np.linspace(max(float(e.min()) * 0.5, 0.5), float(e.max()) * 1.3, 80)
    out = {"expected": grid.tolist(), "phi": None, "tau2": None}
    for lv in FUNNEL_LEVELS:
        lo, hi = a["od"].limits(grid, lv)
        out[f"lower{lv}"], out[f"upper{lv}"] = lo.tolist(), hi.tolist()
    if a["od_estimated"]:
        od = a["od"]
        out.update(phi=float(od.phi), tau2=float(od.tau2), adjusted=bool(od.adjusted), n_units=int(od.n_units))
    return out


def population_of(ctx, c):
    return float(population_totals(ctx).get(c, 0))
