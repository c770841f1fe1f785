"""Question 2 — how long do people stay in skyddat boende, and why does it differ? Kaplan–Meier with
ongoing stays censored at the extract date, the median, the restricted mean, the share still placed
after 60 days, the mean of closed stays beside what one or two long stays do to it, and each
district against the rest of the city (RMST difference)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from .. import stats as S
from ..disclosure.keys import TOTAL
from .base import Context, Row, count_cells, indicator
from .dims import ENDED, LONG_STAY, SB, STAY_EDGES, UPTO_60, over, stay_atom, stay_atoms
from .overview import sb_key

RMST_HORIZON = 90


def stays_frame(ctx: Context, year: int | None = None) -> pd.DataFrame:
    key = ("stays", year or ctx.year)
    if key not in ctx.memo:
        d = ctx.inputs.get("durations", year)
        ctx.memo[key] = d.assign(stay=[stay_atom(int(x)) for x in d["days"]],
                                 ended=np.where(d["ended"].astype(bool), "avslutad", "pagaende"),
                                 placement_type=SB)
    return ctx.memo[key]


def durations_of(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    n = frame["n"].to_numpy(int)
    return (np.repeat(frame["days"].to_numpy(float), n),
            np.repeat(frame["ended"].astype(str).eq("avslutad").to_numpy() if frame["ended"].dtype == object
                      else frame["ended"].to_numpy(bool), n))


def part(ctx: Context, area: str) -> pd.DataFrame:
    s = stays_frame(ctx)
    return s[s["district"].isin(ctx.members(area))]


def stay_key(ctx, a, **kw):
    return ctx.key("placements", district=a, placement_type=SB, **kw)


def _km(ctx, area):
    key = ("km", area)
    if key not in ctx.memo:
        t, e = durations_of(part(ctx, area))
        ctx.memo[key] = S.kaplan_meier(t, e, conf=ctx.conf) if len(t) else None
    return ctx.memo[key]


# ---- count tables ---------------------------------------------------------------------------------------

@indicator("stays_60", "stays", "count", "placements", ("district", "stay"), varying="stay", row_total=TOTAL)
def stays_60(ctx):
    return count_cells(ctx, stays_frame(ctx), "placements",
                       {"district": ctx.all_rows, "stay": [UPTO_60, over(LONG_STAY), TOTAL]},
                       {"year": ctx.year, "placement_type": SB})


@indicator("stays_closed", "stays", "count", "placements", ("district", "ended"), varying="ended", row_total=TOTAL)
def stays_closed(ctx):
    return count_cells(ctx, stays_frame(ctx), "placements", {"district": ctx.all_rows, "ended": [*ENDED, TOTAL]},
                       {"year": ctx.year, "placement_type": SB})


@indicator("stays_km", "stays", "count", "placements", ("district", "stay"), varying="stay", row_total=TOTAL,
           cumulative=tuple(over(t) for t in STAY_EDGES))
def stays_km(ctx):
    return count_cells(ctx, stays_frame(ctx), "placements",
                       {"district": [TOTAL], "stay": [*[over(t) for t in STAY_EDGES], TOTAL]},
                       {"year": ctx.year, "placement_type": SB})


@indicator("stays_by_interval", "stays", "count", "placements", ("district", "stay"), varying="stay",
           row_total=TOTAL, internal=True)
def stays_by_interval(ctx):
    """Stays per interval of days: never shown; they carry the equations between the published
    counts of stays beyond each day, so that a difference of two of them is protected too. The city
    only, as the curve: a district's intervals would add unknowns whose only equations are these sums
    (given its split at day 60, the city's intervals can be shared out among the districts), so leaving
    them out loses nothing the attacker could know."""
    return count_cells(ctx, stays_frame(ctx), "placements", {"district": [TOTAL], "stay": [*stay_atoms(), TOTAL]},
                       {"year": ctx.year, "placement_type": SB})


# ---- derived --------------------------------------------------------------------------------------------

def implies_small(percent: float, n: int, T: int) -> bool:
    """A Kaplan–Meier share times its number of stays reads as a count (with censoring it is not one, but
    a reader takes it so): hidden when that count, or its complement, rounds to 1..T−1."""
    if percent is None or not n:
        return False
    k = percent / 100 * n
    return any(0.5 <= x < T - 0.5 for x in (k, n - k))


def _n(ctx, a) -> int:
    return int(part(ctx, a)["n"].sum())


@indicator("los_median", "stays", "derived", "los_median", ("district",), tests=("tests/stats/test_survival_reference.py",))
def los_median(ctx):
    return _km_rows(ctx, lambda km: km.median_estimate())


def _km_rows(ctx, estimate) -> list[Row]:
    """One Kaplan–Meier estimate per area (value and interval), resting on the area's stays."""
    rows = []
    for a in ctx.areas:
        km = _km(ctx, a)
        if km is None:
            rows.append(Row({"district": a}, (sb_key(ctx, a),), None, n=0))
            continue
        e = estimate(km)
        rows.append(Row({"district": a}, (sb_key(ctx, a),), _f(e.value), _f(e.lower), _f(e.upper), n=_n(ctx, a)))
    return rows


@indicator("los_rmst", "stays", "derived", "los_rmst", ("district",), tests=("tests/stats/test_survival_reference.py",))
def los_rmst(ctx):
    return _km_rows(ctx, lambda km: km.rmst_estimate(RMST_HORIZON))


@indicator("los_share_over_60", "stays", "derived", "los_share_over_60", ("district",),
           tests=("tests/stats/test_survival_reference.py",))
def los_share_over_60(ctx):
    rows = []
    for a in ctx.areas:
        counts = (stay_key(ctx, a, stay=UPTO_60), stay_key(ctx, a, stay=over(LONG_STAY)), sb_key(ctx, a))
        km = _km(ctx, a)
        if km is None:
            rows.append(Row({"district": a}, counts, None, n=0))
            continue
        sh = km.share_beyond(LONG_STAY)
        rows.append(Row({"district": a}, counts, sh.value, sh.lower, sh.upper, n=_n(ctx, a),
                        hide=implies_small(sh.value, _n(ctx, a), ctx.policy.T)))
    return rows


def _closed_counts(ctx, a):
    # The mean of closed stays rests on the district's stays (published with it) and on at least T
    # closed ones (the n rule). The number of closed stays itself is not published with the mean: a mean
    # in whole days, even with the mean without the longest, does not give it back, and publishing it
    # beside the total would show the few stays still running.
    return (sb_key(ctx, a),)


def _mean_rows(ctx, pick) -> list[Row]:
    rows = []
    for a in ctx.areas:
        t, e = durations_of(part(ctx, a))
        closed = t[e]
        if not len(closed):
            rows.append(Row({"district": a}, _closed_counts(ctx, a), None, n=0))
            continue
        mi = S.mean_influence(closed, conf=ctx.conf)
        v = pick(mi)
        rows.append(Row({"district": a}, _closed_counts(ctx, a), None if v is None or math.isnan(v) else _whole(v),
                        n=len(closed)))
    return rows


def _whole(x: float) -> int:
    """Round half up to whole days (27,5 → 28), as a reader expects; also blurs single stays."""
    return int(math.floor(x + 0.5))


@indicator("los_mean_closed", "stays", "derived", "los_mean_closed", ("district",), decimals=0,
           tests=("tests/stats/test_intervals_reference.py",))
def los_mean_closed(ctx):
    return _mean_rows(ctx, lambda mi: mi.mean.value)


@indicator("los_mean_without_longest", "stays", "derived", "los_mean_without_longest", ("district",), decimals=0,
           tests=("tests/stats/test_survival_reference.py",))
def los_mean_without_longest(ctx):
    return _mean_rows(ctx, lambda mi: mi.without_longest)


@indicator("los_mean_without_two_longest", "stays", "derived", "los_mean_without_two_longest", ("district",),
           decimals=0, tests=("tests/stats/test_survival_reference.py",))
def los_mean_without_two_longest(ctx):
    return _mean_rows(ctx, lambda mi: mi.without_two_longest)


@indicator("km_survival", "stays", "derived", "km_survival", ("district", "day"),
           tests=("tests/stats/test_survival_reference.py",))
def km_survival(ctx):
    """The city's Kaplan–Meier curve at fixed days: the share still placed, with the counts of stays
    beyond each day declared (a curve's steps would otherwise show single stays). Regions are compared
    through their medians per year (trends) and districts through the share beyond 60 days and the RMST."""
    rows = []
    for a in [TOTAL]:
        km = _km(ctx, a)
        for t in STAY_EDGES:
            counts = (stay_key(ctx, a, stay=over(t)), sb_key(ctx, a))
            if km is None:
                rows.append(Row({"district": a, "day": str(t)}, counts, None, n=0))
                continue
            sh = km.share_beyond(t)
            rows.append(Row({"district": a, "day": str(t)}, counts, sh.value, sh.lower, sh.upper, n=_n(ctx, a),
                            hide=implies_small(sh.value, _n(ctx, a), ctx.policy.T)))
    return rows


@indicator("los_rmst_difference", "stays", "derived", "los_rmst_difference", ("district",), finding="stays",
           tests=("tests/stats/test_r_reference.py",))
def los_rmst_difference(ctx):
    """Each district's restricted mean stay (to 90 days) minus the rest of the city's, censoring respected."""
    rows = []
    all_t, all_e = durations_of(stays_frame(ctx))
    s = stays_frame(ctx)
    for c in ctx.codes:
        mine, rest = s[s["district"] == c], s[s["district"] != c]
        ta, ea = durations_of(mine)
        tb, eb = durations_of(rest)
        if not len(ta) or not len(tb):
            rows.append(Row({"district": c}, (sb_key(ctx, c),), None, n=len(ta)))
            continue
        d = S.rmst_difference(ta, ea, tb, eb, RMST_HORIZON, conf=ctx.conf)
        rows.append(Row({"district": c}, (sb_key(ctx, c),), d.value, d.lower, d.upper, n=len(ta)))
        ctx.memo.setdefault("rmst_p", {})[c] = d.extra["p"]
        ctx.memo.setdefault("rmst_d", {})[c] = d.value
        ctx.memo.setdefault("rmst_se", {})[c] = (d.extra["std_err_a"], d.extra["std_err_b"])
    return rows


@indicator("los_detectable", "stays", "derived", "los_detectable", ("district", "years"), decimals=1,
           tests=("tests/stats/test_power.py",))
def los_detectable(ctx):
    """The smallest difference in the restricted mean stay (days, to 90) that the comparison with the
    rest of the city would show with 80 % power, with one, three and five years (standard errors
    shrink with the square root of the years pooled). Rests on no count of its own beyond the stays."""
    if "rmst_se" not in ctx.memo:
        los_rmst_difference(ctx)
    rows = []
    for years in (1, 3, 5):
        for c in ctx.codes:
            se = ctx.memo.get("rmst_se", {}).get(c)
            if se is None:
                rows.append(Row({"district": c, "years": str(years)}, (sb_key(ctx, c),), None))
                continue
            d = S.detectable_rmst_difference(se[0] / math.sqrt(years), se[1] / math.sqrt(years), conf=ctx.conf)
            rows.append(Row({"district": c, "years": str(years)}, (sb_key(ctx, c),), float(np.atleast_1d(d)[0])))
    return rows


def flats_analysis(ctx: Context) -> dict | None:
    """Do districts with jourlägenheter have shorter stays? Log-rank and Cox (adjusted for target group)."""
    s = stays_frame(ctx)
    if not len(s):
        return None
    flats = ctx.districts.set_index("code")["has_emergency_flats"].fillna(False).astype(bool)
    n = s["n"].to_numpy(int)
    t, e = durations_of(s)
    has = np.repeat(s["district"].map(flats).fillna(False).to_numpy(bool), n)
    tg = np.repeat(s["target_group"].to_numpy(), n)
    if not (has.any() and (~has).any()) or not e.any():
        return None
    lr = S.logrank(t, e, np.where(has, "med", "utan"))
    chi2, df_, p_lr = lr
    X = pd.DataFrame({"jourlagenheter": has.astype(float)})
    for g in sorted(set(tg) - {"vald_i_nara_relation"}):
        if (tg == g).sum() >= 5:
            X[f"malgrupp_{g}"] = (tg == g).astype(float)
    cx = S.cox(t, e, X, conf=ctx.conf)
    hr = cx.table.iloc[0]
    out = {"logrank_chi2": float(chi2), "df": int(df_), "p": float(p_lr), "hr": float(hr.hazard_ratio),
           "hr_lower": float(hr.lower), "hr_upper": float(hr.upper), "hr_p": float(hr.p),
           "adjusted_for": [c for c in X.columns[1:]], "n": int(len(t))}
    for label, mask in (("med", has), ("utan", ~has)):
        km = S.kaplan_meier(t[mask], e[mask], conf=ctx.conf)
        out[f"median_{label}"] = None if math.isnan(km.median) else float(km.median)
    return out


def _f(x):
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else float(x)
