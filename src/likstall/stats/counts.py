"""Target-group coverage, trends and multiple testing on small aggregate tables."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from . import _sm as sm
from scipy import stats as st
from statsmodels.stats.multitest import multipletests

from ._common import Estimate, check_count, check_positive, conf_level, z_value

MIN_TREND_POINTS = 5


@dataclass(frozen=True)
class Coverage:
    """Observed against expected under Poisson(expected)."""

    observed: float
    expected: float
    p_at_most: float  # P(X ≤ observed): the chance of seeing so few
    p_at_least: float  # P(X ≥ observed): the chance of seeing so many
    method: str = "Poisson"

    @property
    def p_two_sided(self) -> float:
        return min(1.0, 2 * min(self.p_at_most, self.p_at_least))


def coverage(observed: float, expected: float) -> Coverage:
    """"0 cases of sex mot ersättning where 3,1 were expected": P(X ≤ 0) = e^−3,1 = 4,5 %."""
    o = float(check_count(observed, "observed", integer=True))
    e = float(check_positive(expected, "expected"))
    return Coverage(o, e, float(st.poisson.cdf(o, e)), float(st.poisson.sf(o - 1, e)))


@dataclass
class Trend:
    """Change per year from a Poisson GLM log E[count] = log(exposure) + a + b·year."""

    rate_ratio: Estimate  # exp(b) per year, with Wald CI
    p: float
    n_points: int
    enough_points: bool  # ≥ 5 points are needed to report a trend (PHE/Fingertips practice)
    dispersion: float  # Pearson χ²/df; > 1 means extra-Poisson variation (the CI is then scaled)

    @property
    def percent_per_year(self) -> float:
        return 100 * (self.rate_ratio.value - 1)


def trend(counts, exposure, years, conf: float = 0.95) -> Trend:
    """Rate ratio per year with a CI from a Poisson GLM (quasi-Poisson scaled when overdispersed)."""
    c = conf_level(conf)
    y = check_count(counts, "counts")
    x = check_positive(exposure, "exposure")
    t = np.asarray(years, dtype=float)
    if not (len(y) == len(x) == len(t)):
        raise ValueError("counts, exposure and years must have the same length")
    n = len(y)
    if n < 2 or len(np.unique(t)) < 2:
        raise ValueError("a trend needs at least two different years")
    X = sm.add_constant(t - t.mean())
    res = sm.GLM(y, X, family=sm.families.Poisson(), offset=np.log(x)).fit()
    disp = float(res.pearson_chi2 / res.df_resid) if res.df_resid > 0 else math.nan
    scale = max(1.0, disp) if not math.isnan(disp) else 1.0
    b, se = float(res.params[1]), float(res.bse[1]) * math.sqrt(scale)
    z = z_value(c)
    p = float(2 * st.norm.sf(abs(b / se))) if se > 0 else math.nan
    method = "Poisson-GLM" + (" (kvasi-Poisson)" if scale > 1 else "")
    rr = Estimate(math.exp(b), math.exp(b - z * se), math.exp(b + z * se), "kvot per år", method, c,
                  n=float(y.sum()), denominator=float(x.sum()))
    return Trend(rr, p, n, n >= MIN_TREND_POINTS, disp)


def adjust_pvalues(p, method: str = "fdr_bh") -> np.ndarray:
    """Adjusted p-values (q-values for "fdr_bh", Benjamini–Hochberg) via statsmodels; NaN stay NaN."""
    arr = np.asarray(p, dtype=float)
    out = np.full(arr.shape, np.nan)
    ok = ~np.isnan(arr)
    if np.any((arr[ok] < 0) | (arr[ok] > 1)):
        raise ValueError("p-values must lie in [0, 1]")
    if ok.any():
        out[ok] = multipletests(arr[ok], method=method)[1]
    return out
