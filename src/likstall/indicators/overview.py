"""Overview: known victims, placements and persons placed per district, with rates per population."""

from __future__ import annotations

import pandas as pd

from .. import stats as S
from ..disclosure.keys import TOTAL
from .base import Context, Row, count_cells, indicator
from .dims import AGE, AGE_MAP, SB, SEX, SEX_MAP, TARGET, TYPES


def victims_frame(ctx: Context) -> pd.DataFrame:
    if "victims" not in ctx.memo:
        v = ctx.inputs.get("victims")
        ctx.memo["victims"] = v.assign(sex=v["sex"].replace(SEX_MAP), age_band=v["age_band"].replace(AGE_MAP))
    return ctx.memo["victims"]


def population_totals(ctx: Context, year: int | None = None) -> pd.Series:
    """Inhabitants per district (the year's, or `year`'s); computed once per year (trends ask per area)."""
    key = ("population_totals", ctx.year if year is None else year)
    if key not in ctx.memo:
        pop = ctx.population(year)
        ctx.memo[key] = pop.groupby("district")["count"].sum()
    return ctx.memo[key]


def women_18plus(ctx: Context) -> pd.Series:
    pop = ctx.population()
    return pop[(pop["sex"] == "K") & (pop["age_band"] != "0-17")].groupby("district")["count"].sum()


def area_sum(ctx: Context, series: pd.Series, area: str) -> float:
    return float(sum(series.get(c, 0) for c in ctx.members(area)))


def rate_rows(ctx: Context, measure_key, denom: pd.Series, per: int = 10_000) -> list[Row]:
    rows = []
    for a in ctx.areas:
        k = measure_key(a)
        d = area_sum(ctx, denom, a)
        if d <= 0:
            rows.append(Row({"district": a}, (k,), None))
            continue
        e = S.rate(ctx.v(k), d, per=per, conf=ctx.conf)
        rows.append(Row({"district": a}, (k,), e.value, e.lower, e.upper))
    return rows


def victims_key(ctx, a, **kw):
    return ctx.key("known_victims", district=a, **kw)


def sb_key(ctx, a, year=None):
    return ctx.key("placements", district=a, placement_type=SB, **({"year": year} if year else {}))


# ---- count tables ---------------------------------------------------------------------------------------

@indicator("victims_by_sex", "overview", "count", "known_victims", ("district", "sex"), varying="sex", row_total=TOTAL, tier=1)
def victims_by_sex(ctx):
    return count_cells(ctx, victims_frame(ctx), "known_victims", {"district": ctx.all_rows, "sex": [*SEX, TOTAL]},
                       {"year": ctx.year})


@indicator("victims_by_age", "overview", "count", "known_victims", ("district", "age_band"), varying="age_band", tier=1,
           row_total=TOTAL)
def victims_by_age(ctx):
    return count_cells(ctx, victims_frame(ctx), "known_victims",
                       {"district": ctx.all_rows, "age_band": [*AGE, TOTAL]}, {"year": ctx.year})


@indicator("victims_by_target_group", "overview", "count", "known_victims", ("district", "target_group"), tier=1,
           varying="target_group", row_total=TOTAL)
def victims_by_target_group(ctx):
    return count_cells(ctx, victims_frame(ctx), "known_victims",
                       {"district": ctx.all_rows, "target_group": [*TARGET, TOTAL]}, {"year": ctx.year})


@indicator("victims_by_region", "overview", "count", "known_victims", ("district",), show_regions=True, tier=1)
def victims_by_region(ctx):
    return count_cells(ctx, victims_frame(ctx), "known_victims", {"district": [*ctx.region_rows, TOTAL]},
                       {"year": ctx.year})


@indicator("placements_by_type", "overview", "count", "placements", ("district", "placement_type"), tier=1,
           varying="placement_type")
def placements_by_type(ctx):
    # No all-types total per district: a rare type (förtur, jourlägenhet) with 1–4 placements would
    # otherwise force the district's skyddat-boende count to be hidden as its complement.
    return count_cells(ctx, ctx.inputs.get("placements"), "placements",
                       {"district": ctx.all_rows, "placement_type": list(TYPES)}, {"year": ctx.year})


@indicator("persons_placed", "overview", "count", "persons_placed", ("district",), show_regions=True, decimals=0, tier=1)
def persons_placed(ctx):
    return count_cells(ctx, ctx.inputs.get("persons_placed"), "persons_placed", {"district": ctx.all_rows},
                       {"year": ctx.year})


# ---- derived --------------------------------------------------------------------------------------------

@indicator("rate_victims", "overview", "derived", "known_victims_per_10000", ("district",),
           tests=("tests/stats/test_intervals_reference.py",))
def rate_victims(ctx):
    return rate_rows(ctx, lambda a: victims_key(ctx, a), population_totals(ctx))


@indicator("rate_women_victims", "overview", "derived", "women_victims_per_10000_women_18plus", ("district",),
           tests=("tests/stats/test_intervals_reference.py",))
def rate_women_victims(ctx):
    return rate_rows(ctx, lambda a: victims_key(ctx, a, sex="K"), women_18plus(ctx))


@indicator("rate_sb", "overview", "derived", "sb_placements_per_10000", ("district",),
           tests=("tests/stats/test_intervals_reference.py",))
def rate_sb(ctx):
    return rate_rows(ctx, lambda a: sb_key(ctx, a), population_totals(ctx))


@indicator("rate_persons_placed", "overview", "derived", "persons_placed_per_10000_women_18plus", ("district",),
           tests=("tests/stats/test_intervals_reference.py",))
def rate_persons_placed(ctx):
    return rate_rows(ctx, lambda a: ctx.key("persons_placed", district=a), women_18plus(ctx))


@indicator("sb_days", "overview", "derived", "sb_days", ("district",), decimals=0,
           tests=("tests/indicators/test_catalogue.py::test_sb_days_sums_the_risk_sets",))
def sb_days(ctx):
    dur = ctx.inputs.get("durations")
    rows = []
    for a in ctx.areas:
        part = dur[dur["district"].isin(ctx.members(a))]
        rows.append(Row({"district": a}, (sb_key(ctx, a),), float((part["days"] * part["n"]).sum())))
    return rows
