"""Intervals for counts, rates, proportions and means (METHODS.md §1.1, §1.2, §1.5, §4).

Library calls where they exist: statsmodels' `confint_poisson(method="exact-c")` (Garwood, = R
`poisson.test`) and `proportion_confint` (Wilson; "beta" = Clopper–Pearson), scipy's t
distribution. Hand-written: Byar's approximation (Breslow & Day 1987, as PHEindicatormethods
uses it for 10 or more events).
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats as st
from statsmodels.stats.proportion import proportion_confint
from statsmodels.stats.rates import confint_poisson

from ._common import (
    Estimate, check_count, check_finite, check_positive, check_scalar, conf_level, fmt_per, nan_estimate, z_value,
)


def _count(x, name: str) -> float:
    """One observed count: a finite whole number ≥ 0 (a NaN or 2,5 would give a garbage interval)."""
    check_scalar(x, name)
    return float(check_count(x, name, integer=True))


def _amount(x, name: str) -> float:
    """A finite number ≥ 0 that may be fractional (Wilson's score interval is defined for weighted k)."""
    check_scalar(x, name)
    return float(check_count(x, name))


def _positive(x, name: str) -> float:
    check_scalar(x, name)
    return float(check_positive(x, name))

PHE_EXACT_BELOW = 10  # PHE: exact (Garwood) below 10 events, Byar from 10


def byar_ci(count: float, conf: float = 0.95) -> tuple[float, float]:
    """Byar's approximation to the Poisson CI of a count (Breslow & Day 1987, via PHEindicatormethods).

    L = x(1 − 1/(9x) − z/(3√x))³ and U = (x+1)(1 − 1/(9(x+1)) + z/(3√(x+1)))³. A negative lower
    limit is returned as NaN, as PHE does (x = 1 at 99.8 %).
    """
    x = _count(count, "count")
    z = z_value(conf)
    if x == 0:
        lower = 0.0
    else:
        lower = x * (1 - 1 / (9 * x) - z / (3 * math.sqrt(x))) ** 3
        if (1 - 1 / (9 * x) - z / (3 * math.sqrt(x))) < 0:
            lower = math.nan
    upper = (x + 1) * (1 - 1 / (9 * (x + 1)) + z / (3 * math.sqrt(x + 1))) ** 3
    return lower, upper


def exact_poisson_ci(count: float, conf: float = 0.95) -> tuple[float, float]:
    """Garwood's exact interval: L = ½χ²_{α/2}(2x) (0 when x = 0), U = ½χ²_{1−α/2}(2x+2)."""
    x = _count(count, "count")
    lo, hi = confint_poisson(x, 1.0, method="exact-c", alpha=1 - conf_level(conf))
    return (0.0 if x == 0 else float(lo)), float(hi)


def poisson_ci(count: float, exposure: float = 1.0, conf: float = 0.95, method: str = "exact") -> tuple[float, float]:
    """CI of a Poisson count divided by `exposure`. Methods: "exact" (Garwood), "byar", "phe" (exact below 10, Byar from 10)."""
    x = _count(count, "count")
    e = _positive(exposure, "exposure")
    if method == "phe":
        method = "exact" if x < PHE_EXACT_BELOW else "byar"
    if method == "exact":
        lo, hi = exact_poisson_ci(x, conf)
    elif method == "byar":
        lo, hi = byar_ci(x, conf)
    else:
        raise ValueError(f"method must be 'exact', 'byar' or 'phe', not {method!r}")
    return lo / e, hi / e


def rate(count: float, population: float, per: float = 10_000, conf: float = 0.95, method: str = "exact",
         unit: str | None = None) -> Estimate:
    """A crude rate count/population × per with its CI and unit ("per 10 000" unless a unit is given).

    method "exact" (Garwood), "byar", or "phe" (PHE's rule: exact below 10 events, Byar from 10).
    A missing count or population (None) gives NaN with a reason, as PHE returns NA; a NaN, an
    infinity, a negative or a fractional count is a ValueError (it is a bug upstream, not "missing").
    """
    c = conf_level(conf)
    unit = unit or f"per {fmt_per(per)}"
    if method not in ("exact", "byar", "phe"):
        raise ValueError(f"method must be 'exact', 'byar' or 'phe', not {method!r}")
    if count is None or population is None:
        return nan_estimate(unit, method, c, "täljare eller nämnare saknas")
    x = _count(count, "count")
    n = _positive(population, "population")
    used = method if method != "phe" else ("exact" if x < PHE_EXACT_BELOW else "byar")
    lo, hi = poisson_ci(x, n, c, used)
    name = {"exact": "exakt Poisson (Garwood)", "byar": "Byar"}[used]
    return Estimate(x / n * per, lo * per, hi * per, unit, name, c, n=x, denominator=n)


def proportion_ci(k: float, n: float, conf: float = 0.95, method: str = "wilson") -> tuple[float, float]:
    """CI of a proportion k/n: "wilson" (score; PHE's standard) or "exact" (Clopper–Pearson).

    Wilson accepts a fractional k and n (PHE does, for weighted counts); Clopper–Pearson needs
    whole numbers.
    """
    read = _count if method == "exact" else _amount
    k_ = read(k, "k")
    n_ = read(n, "n")
    if k_ > n_:
        raise ValueError(f"k ({k_:g}) cannot exceed n ({n_:g})")
    if n_ == 0:
        return math.nan, math.nan
    sm = {"wilson": "wilson", "exact": "beta"}.get(method)
    if sm is None:
        raise ValueError(f"method must be 'wilson' or 'exact', not {method!r}")
    lo, hi = proportion_confint(k_, n_, alpha=1 - conf_level(conf), method=sm)
    if sm == "beta":  # statsmodels returns NaN at the edges; Clopper–Pearson is 0 or 1 there
        lo = 0.0 if k_ == 0 else lo
        hi = 1.0 if k_ == n_ else hi
    return float(lo), float(hi)


def proportion(k: float, n: float, conf: float = 0.95, method: str = "wilson", multiplier: float = 100,
               unit: str | None = None) -> Estimate:
    """A share k/n × multiplier (100 → per cent) with its CI."""
    c = conf_level(conf)
    unit = unit or ("%" if multiplier == 100 else f"per {fmt_per(multiplier)}")
    read = _count if method == "exact" else _amount
    k_, n_ = read(k, "k"), read(n, "n")
    if n_ == 0:
        if k_ > 0:
            raise ValueError(f"k ({k_:g}) cannot exceed n (0)")
        return nan_estimate(unit, method, c, "nämnaren är 0", n=k_, denominator=0.0)
    lo, hi = proportion_ci(k_, n_, c, method)
    name = {"wilson": "Wilson", "exact": "Clopper–Pearson"}[method]
    return Estimate(k_ / n_ * multiplier, lo * multiplier, hi * multiplier, unit, name, c,
                    n=k_, denominator=n_)


def mean_ci(values, conf: float = 0.95, unit: str = "") -> Estimate:
    """Mean with a Student-t interval (PHE `phe_mean`): mean ± t_{n−1}·s/√n, s with n−1.

    NaN or infinite values are a ValueError (dropping them silently would change n).
    """
    c = conf_level(conf)
    v = check_finite(values, "values").ravel()
    if len(v) == 0:
        return nan_estimate(unit, "Student t", c, "inga värden", n=0)
    m = float(v.mean())
    if len(v) == 1:
        return Estimate(m, math.nan, math.nan, unit, "Student t", c, n=1, reason="ett värde: inget intervall")
    half = float(st.t.ppf(0.5 + c / 2, len(v) - 1) * v.std(ddof=1) / math.sqrt(len(v)))
    return Estimate(m, m - half, m + half, unit, "Student t", c, n=len(v))
