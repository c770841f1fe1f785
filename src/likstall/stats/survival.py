"""Lengths of stay with ongoing placements censored (METHODS.md §3), following R survival.

- Kaplan–Meier: statsmodels `SurvfuncRight`; pointwise CI with R's default `conf.type="log"`
  (S·exp(±z·se(log S)), Greenwood); the median's CI read where that band crosses 0.5, as R's
  `print.survfit` does. (statsmodels' `quantile_ci(0.5, method="log")` agrees except when the
  curve reaches 0, where R has no band and reports NA; we follow R.)
- RMST (restricted mean up to τ) and its standard error by R's `rmean` formula
  (survival:::survmean): Var = Σ_{tⱼ ≤ τ} Aⱼ² dⱼ / (nⱼ(nⱼ − dⱼ)), Aⱼ = ∫_{tⱼ}^{τ} S(u) du.
  Hand-written: lifelines returns the variance of min(T, τ), not of the estimate.
- log-rank: statsmodels `survdiff`; Cox: statsmodels `PHReg(ties="efron")` (R's default).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from statsmodels.duration.hazard_regression import PHReg
from statsmodels.duration.survfunc import SurvfuncRight, survdiff

from ._common import Estimate, conf_level, nan_estimate, z_value
from .intervals import mean_ci


def _check_durations(durations, ended) -> tuple[np.ndarray, np.ndarray]:
    t = np.asarray(durations, dtype=float)
    e = np.asarray(ended, dtype=float)
    if t.shape != e.shape:
        raise ValueError("durations and ended must have the same length")
    if np.any(np.isnan(t)) or np.any(t < 0):
        raise ValueError("durations must be non-negative numbers")
    if not np.all(np.isin(e, (0, 1))):
        raise ValueError("ended must be 0/1 or False/True")
    return t, e


@dataclass
class KaplanMeier:
    """A Kaplan–Meier curve with R survival's conventions."""

    table: pd.DataFrame  # time, at_risk, events, survival, std_err, lower, upper
    conf: float
    n: int
    n_events: int
    median: float  # NaN when fewer than half have ended (not reached)
    median_ci: tuple[float, float]  # NaN where the band does not cross 0.5 (R prints NA)
    unit: str = "dagar"

    def survival_at(self, t: float) -> float:
        """S(t): the share still in the placement after t (right-continuous step function)."""
        tab = self.table
        idx = np.searchsorted(tab["time"].to_numpy(), t, side="right") - 1
        return 1.0 if idx < 0 else float(tab["survival"].iloc[idx])

    def rmst(self, tau: float) -> tuple[float, float]:
        """Restricted mean time in the placement up to τ, and its standard error (R's rmean formula)."""
        if tau <= 0:
            raise ValueError("tau must be positive")
        tab = self.table[self.table["time"] <= tau]
        times = np.concatenate([[0.0], tab["time"].to_numpy(), [tau]])
        surv = np.concatenate([[1.0], tab["survival"].to_numpy()])
        widths = np.diff(times)
        areas = surv * widths  # area of each step up to τ
        value = float(areas.sum())
        # A_j: area under the curve from event time t_j to τ.
        a = np.cumsum(areas[::-1])[::-1][1:]
        d = tab["events"].to_numpy(float)
        n = tab["at_risk"].to_numpy(float)
        keep = (d > 0) & (n > d)
        var = float(np.sum(a[keep] ** 2 * d[keep] / (n[keep] * (n[keep] - d[keep]))))
        return value, math.sqrt(var)

    def rmst_estimate(self, tau: float) -> Estimate:
        v, se = self.rmst(tau)
        z = z_value(self.conf)
        return Estimate(v, max(0.0, v - z * se), v + z * se, f"{self.unit} (restrikterat medelvärde till {tau:g})",
                        "RMST, Kaplan–Meier (R rmean)", self.conf, n=self.n, extra={"std_err": se, "tau": tau})

    def median_estimate(self) -> Estimate:
        if math.isnan(self.median):
            return nan_estimate(self.unit, "median, Kaplan–Meier (log-KI)", self.conf,
                                "färre än hälften har avslutats", n=self.n)
        return Estimate(self.median, self.median_ci[0], self.median_ci[1], self.unit,
                        "median, Kaplan–Meier (log-KI)", self.conf, n=self.n)

    def share_beyond(self, t: float) -> Estimate:
        """S(t) in per cent with its log-transform CI: e.g. the share still placed after 60 days."""
        tab = self.table
        idx = np.searchsorted(tab["time"].to_numpy(), t, side="right") - 1
        if idx < 0:
            return Estimate(100.0, 100.0, 100.0, "%", "Kaplan–Meier (log-KI)", self.conf, n=self.n)
        row = tab.iloc[idx]
        return Estimate(float(100 * row["survival"]), float(100 * row["lower"]), float(100 * row["upper"]), "%",
                        "Kaplan–Meier (log-KI)",
                        self.conf, n=self.n)


def kaplan_meier(durations, ended, conf: float = 0.95, unit: str = "dagar") -> KaplanMeier:
    """Kaplan–Meier estimate of time in placement; `ended` = 0 for placements still running (censored)."""
    c = conf_level(conf)
    t, e = _check_durations(durations, ended)
    if len(t) == 0:
        raise ValueError("no durations")
    sf = SurvfuncRight(t, e)
    z = z_value(c)
    s = np.asarray(sf.surv_prob, dtype=float)
    se = np.asarray(sf.surv_prob_se, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        se_log = np.where(s > 0, se / s, np.nan)
        # R gives no band where S = 0 (log of 0); neither do we.
        lower = np.where(s > 0, s * np.exp(-z * se_log), np.nan)
        upper = np.where(s > 0, np.minimum(1.0, s * np.exp(z * se_log)), np.nan)
    table = pd.DataFrame({
        "time": np.asarray(sf.surv_times, dtype=float), "at_risk": np.asarray(sf.n_risk, dtype=int),
        "events": np.asarray(sf.n_events, dtype=int), "survival": s, "std_err": se, "lower": lower, "upper": upper,
    })
    n_events = int(e.sum())
    if n_events == 0 or s.min() > 0.5:
        median, ci = math.nan, (math.nan, math.nan)
    else:
        median = _first_crossing(table["time"].to_numpy(), table["survival"].to_numpy())
        # R (print.survfit): the median's CI is where the pointwise log band crosses 0.5.
        ci = (_first_crossing(table["time"].to_numpy(), table["lower"].to_numpy()),
              _first_crossing(table["time"].to_numpy(), table["upper"].to_numpy()))
    return KaplanMeier(table, c, len(t), n_events, median, ci, unit)


def _first_crossing(times: np.ndarray, curve: np.ndarray) -> float:
    """R's rule: the first time the curve is ≤ 0.5; where it is exactly 0.5 over an interval, the
    midpoint of that interval; NaN (R: NA) where it never gets there. NaN points (no band) are skipped."""
    ok = ~np.isnan(curve)
    hit = np.flatnonzero(ok & (curve <= 0.5 + 1e-12))
    if len(hit) == 0:
        return math.nan
    i = int(hit[0])
    if abs(curve[i] - 0.5) < 1e-12 and i + 1 < len(times):
        return float((times[i] + times[i + 1]) / 2)
    return float(times[i])


def logrank(durations, ended, groups) -> tuple[float, int, float]:
    """Log-rank test across groups: (χ², df, p), as R's survdiff."""
    t, e = _check_durations(durations, ended)
    g = np.asarray(groups)
    k = len(pd.unique(g))
    if k < 2:
        raise ValueError("logrank needs at least two groups")
    chi2, p = survdiff(t, e, g)
    return float(chi2), k - 1, float(p)


@dataclass
class CoxResult:
    table: pd.DataFrame  # covariate, coef, hazard_ratio, lower, upper, std_err, p
    conf: float
    n: int
    n_events: int
    method: str = "Cox, Efron-ties (R coxph)"


def cox(durations, ended, covariates, conf: float = 0.95) -> CoxResult:
    """Cox proportional hazards with Efron ties (R's default): hazard ratios with Wald CIs.

    `covariates` is a DataFrame (or array) of numeric columns; code categories as 0/1 columns.
    A hazard ratio above 1 here means leaving the placement sooner (shorter stays).
    """
    c = conf_level(conf)
    t, e = _check_durations(durations, ended)
    X = pd.DataFrame(covariates).astype(float)
    if len(X) != len(t):
        raise ValueError("covariates must have one row per duration")
    res = PHReg(t, X.to_numpy(), status=e, ties="efron").fit(disp=0)
    z = z_value(c)
    coef = np.asarray(res.params, dtype=float)
    se = np.asarray(res.bse, dtype=float)
    table = pd.DataFrame({
        "covariate": list(map(str, X.columns)), "coef": coef, "hazard_ratio": np.exp(coef),
        "lower": np.exp(coef - z * se), "upper": np.exp(coef + z * se), "std_err": se,
        "p": np.asarray(res.pvalues, dtype=float),
    })
    return CoxResult(table, c, len(t), int(e.sum()))


@dataclass
class MeanInfluence:
    """The mean of closed placements and how far it moves without the longest one and two stays."""

    mean: Estimate
    without_longest: float
    without_two_longest: float
    longest: tuple[float, ...]
    n: int

    @property
    def shift_one(self) -> float:
        return self.mean.value - self.without_longest

    @property
    def shift_two(self) -> float:
        return self.mean.value - self.without_two_longest


def mean_influence(durations, conf: float = 0.95, unit: str = "dagar") -> MeanInfluence:
    """Mean of closed durations (Student-t CI) beside the mean without the longest one and two.

    The seed's point: in a district with a few placements a year, one or two long stays drag the
    mean far up; showing both makes that visible.
    """
    d = np.sort(np.asarray(durations, dtype=float))
    if np.any(np.isnan(d)) or np.any(d < 0):
        raise ValueError("durations must be non-negative numbers")
    m = mean_ci(d, conf, unit=unit)
    w1 = float(d[:-1].mean()) if len(d) > 1 else math.nan
    w2 = float(d[:-2].mean()) if len(d) > 2 else math.nan
    return MeanInfluence(m, w1, w2, tuple(float(x) for x in d[-2:][::-1]), len(d))
