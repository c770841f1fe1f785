"""Target-group coverage, trends and multiple testing on small aggregate tables."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from . import _sm as sm
from scipy import stats as st
from statsmodels.stats.multitest import multipletests

from ._common import Estimate, check_count, check_finite, check_positive, check_same_length, check_scalar, conf_level

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
    check_scalar(observed, "observed")
    check_scalar(expected, "expected")
    o = float(check_count(observed, "observed", integer=True))
    e = float(check_positive(expected, "expected"))
    return Coverage(o, e, float(st.poisson.cdf(o, e)), float(st.poisson.sf(o - 1, e)))


@dataclass
class Trend:
    """Change per year from a Poisson GLM log E[count] = log(exposure) + a + b·year."""

    rate_ratio: Estimate  # exp(b) per year, with its CI
    p: float
    n_points: int
    enough_points: bool  # ≥ 5 points are needed to report a trend (PHE/Fingertips practice)
    dispersion: float  # Pearson χ²/df; > 1 means extra-Poisson variation (the CI is then scaled)
    family: str = "poisson"  # the model the p-value and CI come from: "poisson" or "quasipoisson"
    df_resid: int = 0

    @property
    def percent_per_year(self) -> float:
        return 100 * (self.rate_ratio.value - 1)


TREND_FAMILIES = ("auto", "poisson", "quasipoisson")


def trend(counts, exposure, years, conf: float = 0.95, family: str = "auto") -> Trend:
    """Rate ratio per year with a CI and p from a Poisson or quasi-Poisson GLM, as R's `glm` gives them.

    family "poisson": Wald z (R `glm(family=poisson)`). "quasipoisson": the SE scaled by
    √(Pearson χ²/df) and t on the residual degrees of freedom (R `glm(family=quasipoisson)`,
    `summary()`'s t value and Pr(>|t|)); with two points there is no residual df and no p.
    "auto" (default): quasi-Poisson when the Pearson dispersion exceeds 1, else Poisson — never
    narrower than Poisson. The CI uses the same reference distribution as the p (z or t_df), so
    it excludes 1 exactly when p < 1 − conf.
    """
    c = conf_level(conf)
    if family not in TREND_FAMILIES:
        raise ValueError(f"family must be one of {', '.join(TREND_FAMILIES)}, not {family!r}")
    y = check_count(counts, "counts", integer=True)
    x = check_positive(exposure, "exposure")
    t = check_finite(years, "years")
    n = check_same_length(counts=y, exposure=x, years=t)
    if n < 2 or len(np.unique(t)) < 2:
        raise ValueError("a trend needs at least two different years")
    if y.sum() == 0:
        raise ValueError("counts are all 0: there is no trend to estimate")
    X = sm.add_constant(t - t.mean())
    # Iterated past the default (relative deviance change 1e-8) so the SE is good to ~1e-9.
    res = sm.GLM(y, X, family=sm.families.Poisson(), offset=np.log(x)).fit(tol=1e-13, maxiter=100)
    df = int(res.df_resid)
    disp = float(res.pearson_chi2 / df) if df > 0 else math.nan
    used = family if family != "auto" else ("quasipoisson" if df > 0 and disp > 1 else "poisson")
    b, se = float(res.params[1]), float(res.bse[1])
    if used == "quasipoisson":
        se = se * math.sqrt(disp) if df > 0 else math.nan
        ref = st.t(df) if df > 0 else None
        method = f"kvasi-Poisson-GLM (t, {df} fg)"
    else:
        ref = st.norm()
        method = "Poisson-GLM"
    if ref is None or not se > 0:
        p, half = math.nan, math.nan
    else:
        p = float(2 * ref.sf(abs(b / se)))
        half = float(ref.ppf(0.5 + c / 2)) * se
    rr = Estimate(math.exp(b), math.exp(b - half), math.exp(b + half), "kvot per år", method, c,
                  n=float(y.sum()), denominator=float(x.sum()), extra={"std_err": se, "df_resid": df})
    return Trend(rr, p, n, n >= MIN_TREND_POINTS, disp, used, df)


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
