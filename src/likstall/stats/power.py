"""Detectability: the smallest difference the data could show with the given power (issue 13 §4).

The direct answer to "the statistics cannot tell": for each unit, the ratio to its expected
value (or the share, or the hazard ratio) that the *same test the findings use* would flag with
probability `power` (80 %). Computed exactly where the test is exact:

- ratios O/E: the events needed to be flagged, c_high (smallest O flagged above) and c_low
  (largest O flagged below), from the test itself — PHE's CI of O/E (exact below 10 events,
  Byar from 10) or, with overdispersion, the CQC z with τ²; then the ratio R at which
  P(O ≥ c_high) + P(O ≤ c_low) = power for O ~ Poisson(R·E·years) (scipy's Poisson, brentq);
- proportions: the same with the binomial, for PHE's Wilson funnel or the arcsine z with τ²;
- durations: Schoenfeld's (1983) events formula for the log-rank/Cox hazard ratio, and the
  normal approximation for an RMST difference with the standard errors at hand.

Pooling years multiplies E (or n, or the events) by `years`; τ² is kept as it is, because it
stands for lasting differences between units that pooling does not average away. The tests are
two-sided at `conf` per unit: a Benjamini–Hochberg-controlled finding needs more, so pass a
higher `conf` (e.g. 1 − 0.05/m) for a conservative figure.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats as st
from scipy.optimize import brentq
from scipy.special import pdtr, pdtrc

from ._common import check_count, check_positive, conf_level, z_value
from .intervals import poisson_ci

RATIO_TESTS = ("phe", "cqc")
PROPORTION_TESTS = ("wilson", "arcsine")


def _check_power(power: float) -> float:
    try:
        p = float(power)
    except (TypeError, ValueError):
        raise ValueError(f"power must be a number in (0, 1), not {power!r}") from None
    if not 0 < p < 1:
        raise ValueError(f"power must lie in (0, 1), got {power!r}")
    return p


def _check_tau2(tau2: float) -> float:
    t = float(tau2)
    if not (math.isfinite(t) and t >= 0):
        raise ValueError(f"tau2 must be a finite number ≥ 0, got {tau2!r}")
    return t


def _first_true(pred, lo: int, hi: int) -> int | None:
    """Smallest integer k in [lo, hi] with pred(k) true, for a pred that is false then true."""
    if not pred(hi):
        return None
    if pred(lo):
        return lo
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if pred(mid):
            hi = mid
        else:
            lo = mid
    return hi


# -- ratios to an expected value -------------------------------------------------------------------

def ratio_thresholds(expected: float, conf: float = 0.95, *, tau2: float = 0.0, test: str = "phe") -> tuple[float, float]:
    """(c_low, c_high): the largest count flagged below E and the smallest flagged above (NaN: none).

    "phe": O/E's CI (`poisson_ci(..., method="phe")`) excludes 1 — what `isr(method="phe")` and
    `funnel_significance("ratio")` decide. "cqc": |√(O/E) − 1| > z·√(1/(4E) + τ²) — what
    `Overdispersion.flag` decides for method "CQC" (with that τ²).
    """
    e = float(expected)
    if test == "phe":
        cap = int(math.ceil(e + 12 * math.sqrt(e) + 40))
        high = _first_true(lambda o: poisson_ci(o, e, conf, "phe")[0] > 1, 0, cap)
        # U(O)/E < 1 holds for small O and then fails: the last O where it holds.
        first_not_low = _first_true(lambda o: not poisson_ci(o, e, conf, "phe")[1] < 1, 0, cap)
        low = math.nan if first_not_low in (None, 0) else float(first_not_low - 1)
        return low, (math.nan if high is None else float(high))
    if test == "cqc":
        zc = z_value(conf)
        sd = math.sqrt(1 / (4 * e) + tau2)
        hi_edge = e * (1 + zc * sd) ** 2  # flagged above when O > this
        high = math.floor(hi_edge) + 1
        if 1 - zc * sd <= 0:
            return math.nan, float(high)
        lo_edge = e * (1 - zc * sd) ** 2  # flagged below when O < this
        low = math.ceil(lo_edge) - 1
        return (float(low) if low >= 0 else math.nan), float(high)
    raise ValueError(f"test must be one of {', '.join(RATIO_TESTS)}, not {test!r}")


def _poisson_power(lam: float, low: float, high: float) -> float:
    # scipy.special's pdtrc/pdtr are what st.poisson.sf/cdf compute for whole-number thresholds, without
    # the distribution object's argument checks (the root search calls this ≈ 25 times per district).
    # (Below 0 they are NaN where the distribution says 1 and 0.)
    p = 0.0
    if not math.isnan(high):
        p = 1.0 if high < 1 else float(pdtrc(math.floor(high - 1), lam))
    if not math.isnan(low) and low >= 0:
        p += float(pdtr(math.floor(low), lam))
    return p


def _solve_ratio(e: float, low: float, high: float, power: float) -> tuple[float, float]:
    f = lambda r: _poisson_power(r * e, low, high) - power  # noqa: E731
    up = math.nan
    if not math.isnan(high) and f(1.0) < 0:
        r_hi = 2.0
        while f(r_hi) < 0:
            r_hi *= 2
        up = brentq(f, 1.0, r_hi, xtol=1e-12, rtol=1e-10)
    down = math.nan
    if not math.isnan(low) and f(1.0) < 0:
        down = brentq(f, 1e-12, 1.0, xtol=1e-14, rtol=1e-10)
    return down, up


def detectable_ratio(expected, *, conf: float = 0.95, power: float = 0.8, tau2: float = 0.0, years=1,
                     test: str | None = None) -> pd.DataFrame:
    """The smallest ratio to the expected value, above and below 1, flagged with probability `power`.

    `expected` is E per year (one value per unit); with `years` pooled, E·years. `test` None
    means "phe" when τ² = 0 and "cqc" otherwise (PHE's exact test has no overdispersion). Columns:
    expected, years, expected_pooled, lower_ratio (NaN: even 0 events would not be flagged),
    upper_ratio, events_low, events_high (the thresholds), test, power, conf, method, unit.
    """
    c = conf_level(conf)
    pw = _check_power(power)
    t2 = _check_tau2(tau2)
    used = test if test is not None else ("phe" if t2 == 0 else "cqc")
    if used not in RATIO_TESTS:
        raise ValueError(f"test must be one of {', '.join(RATIO_TESTS)}, not {test!r}")
    if used == "phe" and t2 > 0:
        raise ValueError("PHE's exact/Byar test has no overdispersion: use test='cqc' with tau2")
    e = np.atleast_1d(check_positive(expected, "expected"))
    y = np.atleast_1d(check_positive(years, "years"))
    e, y = np.broadcast_arrays(e, y)
    rows = []
    for ei, yi in zip(e.ravel(), y.ravel()):
        pooled = float(ei * yi)
        low, high = ratio_thresholds(pooled, c, tau2=t2, test=used)
        down, up = _solve_ratio(pooled, low, high, pw)
        rows.append((float(ei), float(yi), pooled, down, up, low, high))
    out = pd.DataFrame(rows, columns=["expected", "years", "expected_pooled", "lower_ratio", "upper_ratio",
                                      "events_low", "events_high"])
    out["test"] = used
    out["power"] = pw
    out["conf"] = c
    out["method"] = ("exakt Poisson under 10 händelser, Byar från 10 (PHE)" if used == "phe"
                     else "CQC-skala (√(O/E)) med överspridning τ²")
    out["unit"] = "kvot observerat/förväntat"
    return out


# -- proportions -------------------------------------------------------------------------------------

def _wilson_bounds(k: np.ndarray, n: float, z: float) -> tuple[np.ndarray, np.ndarray]:
    q = k / n
    centre = 2 * n * q + z * z
    half = z * np.sqrt(z * z + 4 * n * q * (1 - q))
    den = 2 * (n + z * z)
    return (centre - half) / den, (centre + half) / den


def proportion_thresholds(n: int, baseline: float, conf: float = 0.95, *, tau2: float = 0.0,
                          baseline_var: float = 0.0, test: str = "wilson") -> tuple[float, float]:
    """(k_low, k_high) out of n: the largest count flagged below the baseline share, the smallest above.

    "wilson": the Wilson interval of k/n excludes the baseline (PHE's proportion funnel,
    `funnel_significance("proportion")`). "arcsine": |asin√(k/n) − asin√p₀| > z·√(1/(4n) + τ² +
    baseline_var) — `Overdispersion.flag` for "PR" (with `exclude_self`, baseline_var is the
    rest's variance from `Overdispersion.reference`).
    """
    k = np.arange(int(n) + 1, dtype=float)
    zc = z_value(conf)
    if test == "wilson":
        lo, hi = _wilson_bounds(k, float(n), zc)
        above, below = lo > baseline, hi < baseline
    elif test == "arcsine":
        sd = math.sqrt(1 / (4 * n) + tau2 + baseline_var)
        zz = (np.arcsin(np.sqrt(k / n)) - math.asin(math.sqrt(baseline))) / sd
        above, below = zz > zc, zz < -zc
    else:
        raise ValueError(f"test must be one of {', '.join(PROPORTION_TESTS)}, not {test!r}")
    high = float(np.flatnonzero(above)[0]) if above.any() else math.nan
    low = float(np.flatnonzero(below)[-1]) if below.any() else math.nan
    return low, high


def _binom_power(n: int, p: float, low: float, high: float) -> float:
    out = 0.0 if math.isnan(high) else float(st.binom.sf(high - 1, n, p))
    if not math.isnan(low):
        out += float(st.binom.cdf(low, n, p))
    return out


def detectable_proportion(n, baseline, *, conf: float = 0.95, power: float = 0.8, tau2: float = 0.0,
                          baseline_var=0.0, years=1, test: str | None = None) -> pd.DataFrame:
    """The share furthest from `baseline`, below and above, that is still flagged with `power`.

    `n` is the denominator per year (e.g. applications; one per unit), `baseline` the share it is
    compared with (0..1; the rest of the city's share for a leave-one-out comparison, one per unit
    or one for all). `test` None: "wilson" (PHE) when τ² and baseline_var are 0, else "arcsine".
    With `years` pooled, n·years applications and baseline_var/years. Columns: n, years, n_pooled,
    baseline, lower_share, upper_share, lower_difference, upper_difference (share − baseline, in
    percentage points), events_low, events_high, test, power, conf, method, unit.
    """
    c = conf_level(conf)
    pw = _check_power(power)
    t2 = _check_tau2(tau2)
    nn = np.atleast_1d(check_count(n, "n", integer=True))
    check_positive(nn, "n")
    b = np.atleast_1d(np.asarray(baseline, dtype=float))
    if not np.all((b >= 0) & (b <= 1)):
        raise ValueError("baseline must be a share between 0 and 1")
    bv = np.atleast_1d(check_count(baseline_var, "baseline_var"))
    y = np.atleast_1d(check_count(years, "years", integer=True))
    check_positive(y, "years")
    used = test if test is not None else ("wilson" if t2 == 0 and not np.any(bv > 0) else "arcsine")
    if used not in PROPORTION_TESTS:
        raise ValueError(f"test must be one of {', '.join(PROPORTION_TESTS)}, not {test!r}")
    if used == "wilson" and (t2 > 0 or np.any(bv > 0)):
        raise ValueError("the Wilson funnel has no overdispersion: use test='arcsine' with tau2/baseline_var")
    try:
        nn, b, bv, y = np.broadcast_arrays(nn, b, bv, y)
    except ValueError:
        raise ValueError("n, baseline, baseline_var and years must have matching lengths") from None
    rows = []
    for ni, bi, vi, yi in zip(nn.ravel(), b.ravel(), bv.ravel(), y.ravel()):
        pooled = int(ni * yi)
        low, high = proportion_thresholds(pooled, float(bi), c, tau2=t2, baseline_var=float(vi) / yi, test=used)
        f = lambda p: _binom_power(pooled, p, low, high) - pw  # noqa: E731
        up = down = math.nan
        if f(bi) < 0:
            if not math.isnan(high) and f(1.0) > 0:
                up = brentq(f, float(bi), 1.0, xtol=1e-13, rtol=1e-11)
            if not math.isnan(low) and f(0.0) > 0:
                down = brentq(f, 0.0, float(bi), xtol=1e-13, rtol=1e-11)
        rows.append((float(ni), float(yi), float(pooled), float(bi), down, up, low, high))
    out = pd.DataFrame(rows, columns=["n", "years", "n_pooled", "baseline", "lower_share", "upper_share",
                                      "events_low", "events_high"])
    out["lower_difference"] = 100 * (out["lower_share"] - out["baseline"])
    out["upper_difference"] = 100 * (out["upper_share"] - out["baseline"])
    out["test"] = used
    out["power"] = pw
    out["conf"] = c
    out["method"] = ("Wilson (PHE:s trattdiagram)" if used == "wilson"
                     else "arcsinus-skala med överspridning τ²")
    out["unit"] = "andel (0–1); skillnad i procentenheter"
    return out


# -- durations ---------------------------------------------------------------------------------------

def detectable_hazard_ratio(events, allocation=0.5, *, conf: float = 0.95, power: float = 0.8) -> pd.DataFrame:
    """Schoenfeld's (1983) smallest hazard ratio a two-sided log-rank (or Cox) test detects.

    D events in all, a share π of the persons in the group tested (a district against the rest:
    π = its placements / all placements): log HR = (z_{1−α/2} + z_power) / √(D·π·(1 − π)).
    Returns upper_hr (leaving sooner: shorter stays) and lower_hr = 1/upper_hr (longer stays).
    Schoenfeld, D. (1983) Sample-size formula for the proportional-hazards regression model.
    Biometrics 39, 499–503.
    """
    c = conf_level(conf)
    pw = _check_power(power)
    d = np.atleast_1d(check_count(events, "events", integer=True))
    a = np.atleast_1d(np.asarray(allocation, dtype=float))
    if not np.all((a > 0) & (a < 1)):
        raise ValueError("allocation must lie strictly between 0 and 1")
    try:
        d, a = np.broadcast_arrays(d, a)
    except ValueError:
        raise ValueError("events and allocation must have matching lengths") from None
    k = z_value(c) + float(st.norm.ppf(pw))
    with np.errstate(divide="ignore"):
        log_hr = k / np.sqrt(d * a * (1 - a))
    up = np.exp(log_hr)
    return pd.DataFrame({"events": d.astype(float), "allocation": a, "lower_hr": 1 / up, "upper_hr": up,
                         "power": pw, "conf": c, "method": "Schoenfeld (1983), log-rank",
                         "unit": "hasardkvot"})


def detectable_rmst_difference(se_a, se_b, *, conf: float = 0.95, power: float = 0.8) -> np.ndarray:
    """(z_{1−α/2} + z_power)·√(se_a² + se_b²): the RMST difference `rmst_difference` detects.

    The normal approximation with the standard errors at hand (R's rmean SE per group), i.e.
    assuming they stay about the same under the alternative. In the unit of the durations.
    """
    c = conf_level(conf)
    pw = _check_power(power)
    a = check_count(se_a, "se_a")
    b = check_count(se_b, "se_b")
    return (z_value(c) + float(st.norm.ppf(pw))) * np.sqrt(a ** 2 + b ** 2)
