"""Direct and indirect standardisation, and expected counts from a model (METHODS.md §1.3, §1.4).

Hand-written: the DSR with Dobson's interval (Dobson et al. 1991, as PHEindicatormethods'
`calculate_dsr`; no maintained Python implementation). Library: statsmodels GLMs for expected
counts adjusted for socio-economics.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from statsmodels.tools.sm_exceptions import ConvergenceWarning, HessianInversionWarning

from . import _sm as sm

from ._common import (
    Estimate, check_count, check_finite, check_positive, check_same_length, check_scalar, conf_level, fmt_per, nan_estimate,
)
from .intervals import PHE_EXACT_BELOW, byar_ci, poisson_ci

# European Standard Population 2013, 19 bands 0–4 … 85–89, 90+ (PHEindicatormethods' default).
ESP2013 = (5000, 5500, 5500, 5500, 6000, 6000, 6500, 7000, 7000, 7000, 7000, 6500, 6000, 5500, 5000, 4000, 2500,
           1500, 1000)

DSR_MIN_EVENTS = 10


def dsr(counts, populations, standard, per: float = 100_000, conf: float = 0.95, unit: str | None = None) -> Estimate:
    """Directly standardised rate with Dobson's CI.

    DSR = Σ wᵢxᵢ/nᵢ / Σwᵢ × per; var = Σ wᵢ²xᵢ/nᵢ² / (Σwᵢ)²; with O = Σxᵢ and (O_L, O_U) Byar's CI of O:
    L = DSR + √(var/O)·(O_L − O), U = DSR + √(var/O)·(O_U − O). Not given (NaN with a reason)
    when O < 10, as PHE suppresses it. Missing stratum counts are taken as 0, as PHE does.
    """
    c = conf_level(conf)
    unit = unit or f"per {fmt_per(per)} (åldersstandardiserad)"
    # As PHE: a stratum with a missing count has no recorded events (counted as 0).
    x = np.nan_to_num(check_count(counts, "counts", integer=True, allow_nan=True), nan=0.0)
    n = check_positive(populations, "populations")
    w = check_count(standard, "standard")
    check_same_length(counts=x, populations=n, standard=w)
    o = float(x.sum())
    method = "DSR, Dobson (Byar)"
    if o < DSR_MIN_EVENTS:
        return nan_estimate(unit, method, c, f"färre än {DSR_MIN_EVENTS} händelser", n=o, denominator=float(n.sum()))
    value = float((w * x / n).sum() / w.sum())
    var = float((w ** 2 * x / n ** 2).sum() / w.sum() ** 2)
    o_lo, o_hi = byar_ci(o, c)
    k = math.sqrt(var / o)
    return Estimate(value * per, (value + k * (o_lo - o)) * per, (value + k * (o_hi - o)) * per, unit, method, c,
                    n=o, denominator=float(n.sum()))


def expected_counts(populations, reference_rates) -> float:
    """E = Σ nᵢ·rᵢ: expected events from stratum populations and reference rates (per person).

    A stratum with a missing population or rate contributes nothing, as PHE sums with na.rm.
    """
    n = check_count(populations, "populations", allow_nan=True)
    r = check_count(reference_rates, "reference_rates", allow_nan=True)
    check_same_length(populations=n, reference_rates=r)
    return float(np.nansum(n * r))


def expected_by_group(frame: pd.DataFrame, group: str, strata: list[str], events: str = "events",
                      population: str = "population") -> pd.DataFrame:
    """Observed and expected events per group, with the pooled rates of all groups per stratum as reference.

    This is indirect standardisation against the whole (the city): E_g = Σ_s n_gs · (Σ_g x_gs / Σ_g n_gs).
    """
    df = frame[[group, *strata, events, population]].copy()
    check_count(df[events], events, integer=True)
    check_count(df[population], population)
    ref = df.groupby(strata, dropna=False)[[events, population]].sum()
    ref_rate = (ref[events] / ref[population]).replace([np.inf], np.nan).fillna(0.0).rename("_r")
    df = df.join(ref_rate, on=strata)
    df["_e"] = df[population] * df["_r"]
    out = df.groupby(group, dropna=False).agg(observed=(events, "sum"), expected=("_e", "sum")).reset_index()
    return out


def isr(observed: float, expected: float, conf: float = 0.95, method: str = "exact",
        reference_rate: float | None = None, per: float = 100_000, multiplier: float = 1) -> Estimate:
    """Indirectly standardised ratio O/E with the CI of O divided by E.

    method "exact" (Garwood) or "phe" (exact below 10, Byar from 10, as `calculate_ISRatio`).
    With `reference_rate` (events per person in the reference), returns the indirectly
    standardised *rate* O/E × reference_rate × per instead. `multiplier` 100 gives the ratio in per cent.
    """
    c = conf_level(conf)
    check_scalar(observed, "observed")
    check_scalar(expected, "expected")
    o = float(check_count(observed, "observed", integer=True))
    e = float(check_positive(expected, "expected"))
    used = method if method != "phe" else ("exact" if o < PHE_EXACT_BELOW else "byar")
    lo, hi = poisson_ci(o, e, c, used)
    name = {"exact": "O/E, exakt Poisson", "byar": "O/E, Byar"}[used]
    if reference_rate is None:
        k = float(multiplier)
        unit = "kvot observerat/förväntat" if k == 1 else f"observerat/förväntat × {k:g}"
        return Estimate(o / e * k, lo * k, hi * k, unit, name, c, n=o, denominator=e)
    k = float(reference_rate) * per
    return Estimate(o / e * k, lo * k, hi * k, f"per {fmt_per(per)} (indirekt standardiserad)", name, c, n=o,
                    denominator=e)


@dataclass
class ModelFit:
    """Expected counts per unit from a count GLM with offset log(population), and the fit itself."""

    expected: np.ndarray
    family: str
    params: pd.Series
    conf_int: pd.DataFrame
    alpha: float | None  # negative-binomial dispersion (NB2, var = μ + αμ²); None for Poisson
    deviance: float
    df_resid: float
    pearson_chi2: float
    # With leave_one_out: unit i's expected count from the model fitted without unit i.
    expected_loo: np.ndarray | None = None
    # With leave_one_out: the variance of log(expected_loo[i]) from that fit, xᵢ'Cov(β̂₋ᵢ)xᵢ (Poisson:
    # scaled by the fit's Pearson χ²/df when above 1): how uncertain the expected value itself is.
    expected_loo_logvar: np.ndarray | None = None

    @property
    def dispersion(self) -> float:
        """Pearson χ²/df: far above 1 means more variation between units than Poisson allows."""
        return self.pearson_chi2 / self.df_resid if self.df_resid > 0 else math.nan


def _design(covariates, n: int) -> tuple[np.ndarray, list[str]]:
    if covariates is None:
        return np.ones((n, 1)), ["const"]
    cov = pd.DataFrame(covariates)
    try:
        cov = cov.astype(float)
    except (TypeError, ValueError):
        raise ValueError("covariates must be numeric") from None
    if len(cov) != n:
        raise ValueError(f"covariates must have one row per unit ({len(cov)} rows for {n} units)")
    check_finite(cov.to_numpy(), "covariates")
    z = (cov - cov.mean()) / cov.std(ddof=0).replace(0, 1)
    return sm.add_constant(z.to_numpy(), has_constant="add"), ["const", *map(str, cov.columns)]


def _fit_glm(y, X, offset, family):
    alpha = None
    if family == "poisson":
        fam = sm.families.Poisson()
    elif family == "negbin":
        model = sm.NegativeBinomial(y, X, offset=offset, loglike_method="nb2")
        # With no extra-Poisson variation the ML dispersion is on the boundary (α → 0, seen at 1e-9 in an 8-district
        # city): Newton then cannot invert its Hessian nor meet its tolerance, and statsmodels warns in English on
        # the analyst's terminal. α ≈ 0 is the answer there (the GLM below is then the Poisson fit). Off the
        # boundary a fit that did not converge is tried once more with BFGS, and the better likelihood kept.
        # (np.errstate: the likelihood takes log(0) on the way to that boundary, which is -inf, not an error.)
        with warnings.catch_warnings(), np.errstate(divide="ignore", over="ignore", invalid="ignore"):
            warnings.simplefilter("ignore", ConvergenceWarning)
            warnings.simplefilter("ignore", HessianInversionWarning)
            nb = model.fit(disp=0, maxiter=200)
            if not nb.mle_retvals.get("converged", True) and float(nb.params[-1]) > 1e-6:
                again = model.fit(start_params=nb.params, disp=0, maxiter=500, method="bfgs")
                if np.all(np.isfinite(again.params)) and again.llf >= nb.llf:
                    nb = again
        alpha = float(nb.params[-1])
        fam = sm.families.NegativeBinomial(alpha=max(alpha, 1e-8))
    else:
        raise ValueError(f"family must be 'poisson' or 'negbin', not {family!r}")
    return sm.GLM(y, X, family=fam, offset=offset).fit(), alpha


def expected_from_model(events, population, covariates: pd.DataFrame | np.ndarray | None = None,
                        family: str = "poisson", *, leave_one_out: bool = False) -> ModelFit:
    """Expected counts from a Poisson or negative-binomial GLM: log E[Yᵢ] = log(popᵢ) + β₀ + Xᵢβ.

    Used for the socio-economically adjusted ratio O/E: the covariates are the districts'
    socio-economic indicators (centred and scaled here so coefficients are per standard deviation).
    For "negbin" the dispersion α is estimated by maximum likelihood (statsmodels NegativeBinomial,
    NB2) and the GLM refitted with it.

    `leave_one_out=True` also refits the model once per unit without that unit and predicts the
    unit from it (`expected_loo`): a district with an extreme count then does not pull its own
    expected value towards itself (with 13 districts and 3 parameters it visibly does). Use
    `expected_loo` *instead of* a leave-one-out target in the funnel, not on top of it.
    """
    y = check_count(events, "events", integer=True)
    pop = check_positive(population, "population")
    check_same_length(events=y, population=pop)
    X, names = _design(covariates, len(y))
    if family not in ("poisson", "negbin"):
        raise ValueError(f"family must be 'poisson' or 'negbin', not {family!r}")
    if len(y) <= X.shape[1]:
        raise ValueError(f"a model with {X.shape[1]} parameters needs more than {X.shape[1]} units, got {len(y)}")
    offset = np.log(pop)
    res, alpha = _fit_glm(y, X, offset, family)
    params = pd.Series(res.params, index=names)
    ci = pd.DataFrame(res.conf_int(), index=names, columns=["lower", "upper"])
    loo = None
    if leave_one_out:
        if len(y) <= X.shape[1] + 1:
            raise ValueError("leave_one_out needs at least two more units than model parameters")
        loo = np.empty(len(y))
        loo_var = np.empty(len(y))
        for i in range(len(y)):
            keep = np.arange(len(y)) != i
            r_i, _ = _fit_glm(y[keep], X[keep], offset[keep], family)
            loo[i] = float(np.exp(offset[i] + X[i] @ np.asarray(r_i.params)))
            scale = 1.0
            if family == "poisson" and r_i.df_resid > 0:
                scale = max(1.0, float(r_i.pearson_chi2) / float(r_i.df_resid))
            v = float(X[i] @ np.asarray(r_i.cov_params()) @ X[i]) * scale
            loo_var[i] = v if math.isfinite(v) and v >= 0 else 0.0
    return ModelFit(np.asarray(res.fittedvalues, dtype=float), family, params, ci, alpha, float(res.deviance),
                    float(res.df_resid), float(res.pearson_chi2), loo, loo_var if leave_one_out else None)
