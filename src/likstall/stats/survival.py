"""Lengths of stay with ongoing placements censored (METHODS.md §3), following R survival.

- Kaplan–Meier: statsmodels `SurvfuncRight`; pointwise CI with R's default `conf.type="log"`
  (S·exp(±z·se(log S)), Greenwood); the median's CI read where that band crosses 0.5, as R's
  `print.survfit` does. (statsmodels' `quantile_ci(0.5, method="log")` agrees except when the
  curve reaches 0, where R has no band and reports NA; we follow R.)
- RMST (restricted mean up to τ) and its standard error by R's `rmean` formula
  (survival:::survmean): Var = Σ_{tⱼ ≤ τ} Aⱼ² dⱼ / (nⱼ(nⱼ − dⱼ)), Aⱼ = ∫_{tⱼ}^{τ} S(u) du.
  Hand-written: lifelines returns the variance of min(T, τ), not of the estimate.
- log-rank: R's `survdiff` (survival:::survdiff.fit, ρ = 0) in numpy, with R's rule for
  degenerate data: groups with no expected events are left out, and fewer than two left gives
  χ² = 0 (statsmodels' `survdiff` raises LinAlgError there).
- Cox: the Efron partial likelihood of statsmodels `PHReg(ties="efron")`, maximised with R's
  own Newton–Raphson (survival's coxfit6: start at 0, step halving, convergence when the
  relative change in log-likelihood ≤ 1e-9, at most 20 iterations), so that degenerate fits end
  where R's end: a constant or collinear covariate is dropped (NA), no events gives NA with the
  likelihood-ratio test 0 on 0 df, and a coefficient that runs off to infinity is fitted and
  flagged as R warns ("Loglik converged before variable …; coefficient may be infinite").
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats as st
from statsmodels.duration.hazard_regression import PHReg
from statsmodels.duration.survfunc import SurvfuncRight

from ._common import Estimate, check_finite, check_same_length, conf_level, nan_estimate, z_value
from .intervals import mean_ci


def _check_durations(durations, ended, names: tuple[str, str] = ("durations", "ended")) -> tuple[np.ndarray, np.ndarray]:
    t = check_finite(durations, names[0])
    try:
        e = np.asarray(ended, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"{names[1]} must be 0/1 or False/True") from None
    check_same_length(**{names[0]: t, names[1]: e})
    if np.any(t < 0):
        raise ValueError(f"{names[0]} must be non-negative")
    if not np.all(np.isin(e, (0, 1))):
        raise ValueError(f"{names[1]} must be 0/1 or False/True")
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
        if not (isinstance(tau, (int, float, np.integer, np.floating)) and math.isfinite(tau) and tau > 0):
            raise ValueError(f"tau must be a positive number, not {tau!r}")
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
        """The median with R's CI. Not reached: value NaN with a reason, and the CI's lower limit
        (R keeps it: the median is at least that long) in `lower`; `upper` is then NaN too."""
        if math.isnan(self.median):
            est = nan_estimate(self.unit, "median, Kaplan–Meier (log-KI)", self.conf,
                               "färre än hälften har avslutats", n=self.n)
            return Estimate(est.value, self.median_ci[0], self.median_ci[1], est.unit, est.method, est.conf,
                            n=self.n, reason=est.reason)
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
    times = table["time"].to_numpy()
    median = _first_crossing(times, table["survival"].to_numpy()) if n_events else math.nan
    # R (print.survfit, quantile.survfit): the median's CI is where the pointwise log band crosses
    # 0.5 — each limit on its own, so the lower limit is kept when the median itself is not reached.
    ci = (_first_crossing(times, table["lower"].to_numpy()), _first_crossing(times, table["upper"].to_numpy())) \
        if n_events else (math.nan, math.nan)
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


class LogRank(tuple):
    """(χ², df, p) as R's `survdiff` prints them, plus the per-group observed and expected events.

    Unpacks as the three-tuple it always was: `chi2, df, p = logrank(...)`.
    """

    def __new__(cls, chi2, df, p, groups, observed, expected, variance, reason=None):
        obj = super().__new__(cls, (float(chi2), int(df), float(p)))
        obj.groups, obj.observed, obj.expected, obj.variance, obj.reason = groups, observed, expected, variance, reason
        return obj

    chi2 = property(lambda self: self[0])
    df = property(lambda self: self[1])
    p = property(lambda self: self[2])


def logrank(durations, ended, groups) -> LogRank:
    """Log-rank test across groups, as R's `survdiff(Surv(t, e) ~ g)` (ρ = 0).

    At each event time tⱼ with dⱼ events among nⱼ at risk: Eg += dⱼ·ngⱼ/nⱼ and
    Vgh += dⱼ(nⱼ − dⱼ)/(nⱼ²(nⱼ − 1))·ngⱼ(δgh·nⱼ − nhⱼ). As R: groups with E = 0 (never at risk at
    an event) are left out; with fewer than two left, χ² = 0 on 0 df and p = 1 (R prints exactly
    that). With no events at all R reports χ² 0 and p NA: so do we (p NaN, `reason` says why).
    Where R's `solve` would fail (V singular although E > 0, e.g. every event time empties its
    risk set) we use the generalised inverse and its rank as df instead of raising.
    """
    t, e = _check_durations(durations, ended)
    g = np.asarray(groups)
    if g.ndim != 1 or len(g) != len(t):
        raise ValueError(f"groups must have one value per duration ({len(g)} for {len(t)})")
    labels = pd.unique(g)
    if len(labels) < 2:
        raise ValueError("logrank needs at least two groups")
    k = len(labels)
    gi = pd.Categorical(g, categories=labels).codes
    event_times = np.unique(t[e == 1])
    obs = np.bincount(gi, weights=e, minlength=k)
    # At-risk counts per event time and group (J × k), vectorised: n_gj = #{t_g ≥ τ_j}.
    n_g = np.empty((len(event_times), k))
    for j in range(k):
        tj = np.sort(t[gi == j])
        n_g[:, j] = len(tj) - np.searchsorted(tj, event_times, side="left")
    d = np.bincount(np.searchsorted(event_times, t[e == 1]), minlength=len(event_times)).astype(float)
    n = n_g.sum(axis=1)
    exp_ = (d / n) @ n_g if len(event_times) else np.zeros(k)
    with np.errstate(divide="ignore", invalid="ignore"):
        w = np.where(n > 1, d * (n - d) / (n * n * (n - 1)), 0.0)
    var = np.diag((w * n) @ n_g) - n_g.T @ (n_g * w[:, None])
    out = dict(groups=list(labels), observed=obs, expected=exp_, variance=var)
    if len(event_times) == 0:
        return LogRank(0.0, 0, math.nan, reason="inga avslut: inget att testa (R: p NA)", **out)
    keep = exp_ > 0
    if keep.sum() < 2:
        return LogRank(0.0, 0, 1.0, reason="bara en grupp var i risk vid avsluten (R: χ² 0 på 0 fg)", **out)
    diff = (obs - exp_)[keep][1:]
    vv = var[np.ix_(keep, keep)][1:, 1:]
    rank = int(np.linalg.matrix_rank(vv))
    if rank == len(diff):
        chi2 = float(diff @ np.linalg.solve(vv, diff))
        df = rank
    else:
        chi2 = float(diff @ np.linalg.pinv(vv) @ diff) if rank else 0.0
        df = rank
    chi2 = max(chi2, 0.0)
    p = float(st.chi2.sf(chi2, df)) if df > 0 else 1.0
    return LogRank(chi2, df, p, **out)


@dataclass
class CoxResult:
    table: pd.DataFrame  # covariate, coef, hazard_ratio, lower, upper, std_err, p, dropped, infinite
    conf: float
    n: int
    n_events: int
    method: str = "Cox, Efron-ties (R coxph)"
    loglik: tuple[float, float] = (math.nan, math.nan)  # at β = 0 and at the fit, as R's fit$loglik
    lr_test: tuple[float, int, float] = (math.nan, 0, math.nan)  # χ², df, p (R's "Likelihood ratio test")
    iterations: int = 0
    converged: bool = True
    dropped: tuple[str, ...] = ()  # covariates R would give NA: constant or collinear
    warnings: tuple[str, ...] = ()
    reason: str | None = None  # why nothing was estimated (no events)


COX_EPS = 1e-9  # survival::coxph.control(): eps
COX_TOLER_CHOL = np.finfo(float).eps ** 0.75  # toler.chol
COX_TOLER_INF = math.sqrt(COX_EPS)  # toler.inf
COX_ITER_MAX = 20


def _singular_columns(info: np.ndarray) -> np.ndarray:
    """Columns survival's cholesky2 zeroes: a pivot below toler.chol × the largest diagonal."""
    k = info.shape[0]
    diag_max = float(np.max(np.diag(info))) if k else 0.0
    tol = COX_TOLER_CHOL * diag_max if diag_max > 0 else COX_TOLER_CHOL
    kept: list[int] = []
    singular = np.zeros(k, dtype=bool)
    for i in range(k):
        if kept:
            a = info[np.ix_(kept, kept)]
            b = info[kept, i]
            pivot = info[i, i] - b @ np.linalg.solve(a, b)
        else:
            pivot = info[i, i]
        if not np.isfinite(pivot) or pivot < tol:
            singular[i] = True
        else:
            kept.append(i)
    return singular


def _newton_r(model: PHReg, k: int, info0: np.ndarray | None = None):
    """survival's coxfit6 main loop on `model`'s Efron log-likelihood, from β = 0."""
    beta = np.zeros(k)
    ll0 = float(model.loglike(beta))
    u = model.score(beta)
    info = -model.hessian(beta) if info0 is None else info0
    best = ll0
    newbeta = beta + np.linalg.solve(info, u)
    halving = 0
    for it in range(1, COX_ITER_MAX + 1):
        newlk = float(model.loglike(newbeta))
        u = model.score(newbeta)
        info = -model.hessian(newbeta)
        finite = np.isfinite(newlk) and np.all(np.isfinite(u)) and np.all(np.isfinite(info))
        if finite and (newlk == best or abs(1 - best / newlk) <= COX_EPS):
            return newbeta, ll0, newlk, u, info, it, True, halving > 0
        if not finite or newlk < best:
            halving += 1  # as coxfit6: more aggressive each time it does not improve
            newbeta = (newbeta + halving * beta) / (halving + 1.0)
        else:
            halving = 0
            best = newlk
            step = np.linalg.solve(info, u)
            beta = newbeta
            newbeta = newbeta + step
    # Ran out of iterations: R recomputes at the last good β.
    return beta, ll0, float(model.loglike(beta)), model.score(beta), -model.hessian(beta), COX_ITER_MAX, False, False


def cox(durations, ended, covariates, conf: float = 0.95) -> CoxResult:
    """Cox proportional hazards with Efron ties (R's default): hazard ratios with Wald CIs.

    `covariates` is a DataFrame (or array) of numeric columns; code categories as 0/1 columns.
    A hazard ratio above 1 here means leaving the placement sooner (shorter stays).

    Degenerate data as R's `coxph` treats it (survival 3.5): a constant or collinear covariate
    gets NA (NaN, `dropped`); no events gives NA for every covariate, `reason` "inga händelser"
    and the likelihood-ratio test 0 on 0 df, p 1 (no ValueError — R fits and says
    "number of events= 0"); a coefficient running off to infinity (an exposure only among the
    first to leave) is reported where R's iterations stop, `infinite` True and a warning — use
    the likelihood-ratio p (`lr_test`) there, the Wald p is meaningless.
    """
    c = conf_level(conf)
    t, e = _check_durations(durations, ended)
    X = pd.DataFrame(covariates)
    if len(X) != len(t):
        raise ValueError(f"covariates must have one row per duration ({len(X)} rows for {len(t)})")
    if X.shape[1] == 0:
        raise ValueError("covariates must have at least one column")
    try:
        X = X.astype(float)
    except (TypeError, ValueError):
        raise ValueError("covariates must be numeric (code categories as 0/1 columns)") from None
    x = check_finite(X.to_numpy(), "covariates")
    names = list(map(str, X.columns))
    k = x.shape[1]
    n_events = int(e.sum())
    coef = np.full(k, np.nan)
    se = np.full(k, np.nan)
    infinite = np.zeros(k, dtype=bool)
    warnings: list[str] = []
    loglik, lr, iters, converged, reason = (math.nan, math.nan), (0.0, 0, 1.0), 0, True, None
    if n_events == 0:
        reason = "inga händelser (R: number of events= 0; koefficienterna NA)"
        singular = np.ones(k, dtype=bool)
        loglik = (0.0, 0.0)  # the partial likelihood is an empty product
    else:
        # R centres each column and scales it by 1/mean|x − mean| before the Cholesky check.
        centred = x - x.mean(axis=0)
        mad = np.abs(centred).mean(axis=0)
        scale = np.where(mad > 0, 1 / np.where(mad > 0, mad, 1), 1.0)
        xs = centred * scale
        model_all = PHReg(t, xs, status=e, ties="efron")
        info_all = -model_all.hessian(np.zeros(k))
        singular = _singular_columns(info_all)
        use = ~singular
        if use.any():
            # The information at 0 is reused when nothing is dropped (PHReg's Hessian is the cost).
            model = model_all if use.all() else PHReg(t, xs[:, use], status=e, ties="efron")
            b, ll0, ll1, u, info, iters, converged, _ = _newton_r(model, int(use.sum()),
                                                                  info_all if use.all() else None)
            var_s = np.linalg.inv(info)
            sc = scale[use]
            b_orig = b * sc
            var = var_s * np.outer(sc, sc)
            u_orig = u / sc
            coef[use] = b_orig
            se[use] = np.sqrt(np.diag(var))
            step = np.abs(u_orig @ var)
            if not converged:
                warnings.append("Ran out of iterations and did not converge")
            else:
                inf_here = ~np.isfinite(u_orig) | ((step > COX_EPS) & (step > COX_TOLER_INF * np.abs(b_orig)))
                infinite[np.flatnonzero(use)[inf_here]] = True
            loglik = (ll0, ll1)
            chi = max(0.0, 2 * (ll1 - ll0))
            lr = (chi, int(use.sum()), float(st.chi2.sf(chi, int(use.sum()))))
        else:
            ll0 = float(model_all.loglike(np.zeros(k)))
            loglik = (ll0, ll0)
    dropped = tuple(n for n, s_ in zip(names, singular) if s_)
    if dropped and n_events:
        warnings.append(f"X matrix deemed to be singular; dropped: {', '.join(dropped)}")
    if infinite.any():
        warnings.append("Loglik converged before variable " + ",".join(str(i + 1) for i in np.flatnonzero(infinite))
                        + "; coefficient may be infinite.")
    z = z_value(c)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        zstat = coef / se
        table = pd.DataFrame({
            "covariate": names, "coef": coef, "hazard_ratio": np.exp(coef),
            "lower": np.exp(coef - z * se), "upper": np.exp(coef + z * se), "std_err": se,
            "p": 2 * st.norm.sf(np.abs(zstat)), "dropped": singular, "infinite": infinite,
        })
    return CoxResult(table, c, len(t), n_events, loglik=loglik, lr_test=lr, iterations=iters, converged=converged,
                     dropped=dropped, warnings=tuple(warnings), reason=reason)


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
    d = np.sort(check_finite(durations, "durations").ravel())
    if np.any(d < 0):
        raise ValueError("durations must be non-negative")
    m = mean_ci(d, conf, unit=unit)
    w1 = float(d[:-1].mean()) if len(d) > 1 else math.nan
    w2 = float(d[:-2].mean()) if len(d) > 2 else math.nan
    return MeanInfluence(m, w1, w2, tuple(float(x) for x in d[-2:][::-1]), len(d))
