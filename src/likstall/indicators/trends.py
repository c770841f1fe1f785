"""Question 6a — trends: placements in skyddat boende per year and region over seven years, the
change per year (Poisson GLM, quasi-Poisson when overdispersed, reported from five years), and the
median length of stay per year and region."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import stats as S
from .base import Row, count_cells, indicator
from .dims import SB
from .overview import area_sum, population_totals, sb_key
from .stays import durations_of, stays_frame

MIN_TREND_YEARS = 5


@indicator("sb_trend", "trends", "count", "placements", ("district", "year"), varying="year", show_regions=True, tier=1)
def sb_trend(ctx):
    frame = pd.concat([ctx.inputs.get("placements", y) for y in ctx.inputs.years], ignore_index=True)
    frame = frame.assign(year=frame["year"].astype(str))
    cells = count_cells(ctx, frame, "placements",
                        {"district": ctx.all_rows, "year": [*map(str, ctx.inputs.years), ctx.span]},
                        {"placement_type": SB})
    return cells


def _trend_rows_areas(ctx):
    return [*ctx.codes, *ctx.region_rows, "total"]


@indicator("sb_trend_rate", "trends", "derived", "sb_trend_rate", ("district", "year"),
           tests=("tests/stats/test_intervals_reference.py",))
def sb_trend_rate(ctx):
    rows = []
    for a in _trend_rows_areas(ctx):
        for y in ctx.inputs.years:
            k = sb_key(ctx, a, year=str(y))
            d = area_sum(ctx, population_totals(ctx, y), a)
            if d <= 0:
                rows.append(Row({"district": a, "year": str(y)}, (k,), None))
                continue
            e = S.rate(ctx.v(k), d, per=10_000, conf=ctx.conf)
            rows.append(Row({"district": a, "year": str(y)}, (k,), e.value, e.lower, e.upper))
    return rows


@indicator("sb_trend_rr", "trends", "derived", "sb_trend_rr", ("district",), decimals=2, finding="trends",
           tests=("tests/stats/test_r_reference.py",))
def sb_trend_rr(ctx):
    """The rate ratio per year; it rests on every year's count (a slope and a total would pin two
    hidden years), so it is published only when all of them are."""
    rows = []
    for a in _trend_rows_areas(ctx):
        keys, counts, expo, years = [], [], [], []
        for y in ctx.inputs.years:
            k = sb_key(ctx, a, year=str(y))
            keys.append(k)
            d = area_sum(ctx, population_totals(ctx, y), a)
            if d > 0:
                counts.append(ctx.v(k)); expo.append(d); years.append(y)
        if len(years) < MIN_TREND_YEARS or sum(counts) == 0:
            rows.append(Row({"district": a}, tuple(keys), None))
            continue
        tr = S.trend(counts, expo, years, conf=ctx.conf)
        ctx.memo.setdefault("trend_p", {})[a] = (float(tr.p), int(tr.n_points), float(tr.rate_ratio.value))
        rows.append(Row({"district": a}, tuple(keys), tr.rate_ratio.value, tr.rate_ratio.lower, tr.rate_ratio.upper))
    return rows


@indicator("sb_trend_median_los", "trends", "derived", "sb_trend_median_los", ("district", "year"),
           tests=("tests/stats/test_survival_reference.py",))
def sb_trend_median_los(ctx):
    rows = []
    for a in [*ctx.region_rows, "total"]:
        members = ctx.members(a)
        for y in ctx.inputs.years:
            s = stays_frame(ctx, y)
            part = s[s["district"].isin(members)]
            k = sb_key(ctx, a, year=str(y))
            t, e = durations_of(part)
            if not len(t):
                rows.append(Row({"district": a, "year": str(y)}, (k,), None, n=0))
                continue
            med = S.kaplan_meier(t, e, conf=ctx.conf).median_estimate()
            rows.append(Row({"district": a, "year": str(y)}, (k,), _f(med.value), _f(med.lower), _f(med.upper),
                            n=len(t)))
    return rows


def _f(x):
    return None if x is None or (isinstance(x, float) and np.isnan(x)) else float(x)
