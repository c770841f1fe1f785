"""Empirical-Bayes smoothing of small-district rates (METHODS.md §5).

- Marshall (1991) global EB by moments, through esda's `Empirical_Bayes`, wrapped so that a
  negative between-area variance is floored at 0 (esda does not, and then over-shoots the mean).
- Clayton–Kaldor (1987) gamma–Poisson EB by maximum likelihood: an NB2 model with offset log E
  (statsmodels `NegativeBinomial`), as SpatialEpi's `eBayes` fits it with MASS::glm.nb.

Use smoothed rates for maps and rankings of small districts; keep significance and funnel flags
on the raw counts with exact intervals, and show both.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
from statsmodels.tools.sm_exceptions import ConvergenceWarning, HessianInversionWarning

from . import _sm as sm
from scipy import stats as st

from ._common import check_count, check_positive, check_same_length


def marshall_moments(events, population) -> dict[str, float]:
    """m = Σe/Σb, s² = Σb(r − m)²/Σb, A = s² − m/b̄ (b̄ = mean population), and A floored at 0."""
    e = check_count(events, "events", integer=True)
    b = check_positive(population, "population")
    check_same_length(events=e, population=b)
    r = e / b
    m = e.sum() / b.sum()
    s2 = float((b * (r - m) ** 2).sum() / b.sum())
    a = s2 - m / b.mean()
    return {"m": float(m), "s2": s2, "A_raw": float(a), "A": max(float(a), 0.0)}


def eb_smooth(events, population=None, method: str = "marshall", *, expected=None, per: float = 1.0) -> pd.DataFrame:
    """Smoothed rates with their weights on each district's own rate.

    marshall: columns raw_rate, eb_rate, weight (Cᵢ = A/(A + m/bᵢ)), with m, s2, A in `attrs`;
    rates per `per` persons.
    clayton-kaldor: relative risks against the whole (expected = population × city rate unless
    `expected` is given): smr, eb_rr (posterior mean), eb_rr_median, weight (on the SMR),
    p_above (posterior probability that the district's rate exceeds the city's, P(θ > 1)),
    and eb_rate = eb_rr × city rate × per when populations are given; μ̂ and α̂ in `attrs`.
    """
    e = check_count(events, "events", integer=True)
    if method == "marshall":
        b = check_positive(population, "population")
        check_same_length(events=e, population=b)
        mom = marshall_moments(e, b)
        weight = mom["A"] / (mom["A"] + mom["m"] / b) if mom["A"] > 0 else np.zeros(len(b))
        if mom["A_raw"] > 0:
            from esda.smoothing import Empirical_Bayes

            eb = np.asarray(Empirical_Bayes(e.reshape(-1, 1), b.reshape(-1, 1)).r, dtype=float).ravel()
        else:
            eb = np.full(len(b), mom["m"])  # no between-area variance left: every district shrinks to m
        out = pd.DataFrame({"events": e, "population": b, "raw_rate": e / b * per, "eb_rate": eb * per,
                            "weight": weight})
        out.attrs.update(mom, method="Marshall global EB (momentmetoden, A ≥ 0)", per=per)
        return out
    if method == "clayton-kaldor":
        if expected is None:
            b = check_positive(population, "population")
            check_same_length(events=e, population=b)
            city = e.sum() / b.sum()
            ex = b * city
        else:
            ex = check_positive(expected, "expected")
            check_same_length(events=e, expected=ex)
            city = None
        mu, alpha = _nb2_fit(e, ex)
        post_shape = alpha + e
        post_rate = (alpha + ex * mu) / mu  # Gamma(α + O, rate (α + Eμ)/μ)
        out = pd.DataFrame({
            "observed": e, "expected": ex, "smr": e / ex,
            "eb_rr": post_shape / post_rate,
            "eb_rr_median": st.gamma.median(post_shape, scale=1 / post_rate),
            "weight": ex * mu / (alpha + ex * mu),
            "p_above": st.gamma.sf(1.0, post_shape, scale=1 / post_rate),
        })
        if city is not None:
            out["eb_rate"] = out["eb_rr"] * city * per
        out.attrs.update(mu=mu, alpha=alpha, method="Clayton–Kaldor gamma–Poisson EB (ML, NB2)", per=per)
        return out
    raise ValueError(f"method must be 'marshall' or 'clayton-kaldor', not {method!r}")


class _OutsideTheModel(Exception):
    pass


def _stop_outside_the_model(params: np.ndarray) -> None:
    """Newton's callback: a step to alpha_NB2 ≤ 0 (or to NaN) leaves the NB2 model."""
    if not (np.all(np.isfinite(params)) and params[-1] > 0):
        raise _OutsideTheModel


def _nb2_fit(observed: np.ndarray, expected: np.ndarray) -> tuple[float, float]:
    """μ̂ and the gamma shape α̂ = 1/alpha_NB2 from an intercept-only NB2 model with offset log E."""
    model = sm.NegativeBinomial(observed, np.ones((len(observed), 1)), offset=np.log(expected), loglike_method="nb2")
    start = np.array([math.log(max(observed.sum(), 0.5) / expected.sum()), 0.5])
    # log(0) at α's boundary is -inf, not an error; and there the fit cannot invert its Hessian nor meet its
    # tolerance, which statsmodels says in English on the analyst's terminal (the boundary is handled below).
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        warnings.simplefilter("ignore", HessianInversionWarning)
        res = model.fit(start_params=start, disp=0, maxiter=500, method="bfgs")
    # Newton polishes the BFGS optimum; with no extra-Poisson variation (α at 0, on the boundary)
    # it can step to a negative α, outside the model. Keep BFGS's answer then. The polish stops at
    # that step: the next Hessian, at α < 0 (1/α ≈ −4·10⁷), took scipy's special functions 6,5 s.
    try:
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            warnings.simplefilter("ignore", HessianInversionWarning)
            polished = model.fit(start_params=res.params, disp=0, maxiter=200, method="newton",
                                 callback=_stop_outside_the_model)
    except _OutsideTheModel:
        polished = None
    if polished is not None and np.all(np.isfinite(polished.params)) and polished.llf >= res.llf - 1e-9:
        res = polished
    # α = 0 belongs to the parameter space: there the model is the Poisson, whose MLE is μ₀ = ΣO/ΣE. Where the
    # optimisers (BFGS from α = 0,5, then Newton) end at a tiny α and the boundary is a local maximum (the
    # likelihood's slope in α at 0, ½Σ((O − μ₀E)² − O), not positive), the answer is the boundary's, exactly:
    # BFGS stops near it only within its gradient tolerance (μ off by 10⁻⁶–10⁻⁵, by how much depending on the
    # machine's BLAS kernels), and statsmodels' NB2 log-likelihood at 1/α ≈ 10⁹ is rounded by more than the
    # difference (≈ 10⁻⁵), so comparing the two likelihoods cannot decide it. An interior optimum that BFGS found
    # (α = 0,138 for O = 16, 3, 64: tests/stats) is kept.
    mu0 = float(observed.sum() / expected.sum())
    alpha_sm = float(res.params[1])
    if mu0 > 0 and alpha_sm < 1e-6 and float(((observed - mu0 * expected) ** 2 - observed).sum()) <= 0:
        return mu0, 1e12
    mu = float(math.exp(res.params[0]))
    if alpha_sm <= 1e-10:
        # No extra-Poisson variation: the prior is (nearly) a point mass at μ, every district gets μ.
        return mu, 1e12
    return mu, 1.0 / alpha_sm
