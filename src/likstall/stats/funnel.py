"""Funnel plots without overdispersion: PHE's control limits and significance (METHODS.md §1.6).

Hand-written, because no maintained Python package does it (METHODS.md §6):
- limits as PHEindicatormethods' `calculate_funnel_limits` computes them (Fingertips "PH
  methods"): proportions by inverting the Wilson interval, ratios and rates by the exact Poisson
  interval of the observed events;
- significance as its `assign_funnel_significance`: proportions by Wilson, ratios and rates by
  the CI of the observed events, exact below 10 and Byar from 10 (its `funnel_ratio_significance`).
The overdispersed funnel (FunnelPlotR's φ and τ²) is in `overdispersion.py`; it is re-exported here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.optimize import brentq

from ._common import check_count, check_positive, check_same_length, conf_level, z_value
from .intervals import PHE_EXACT_BELOW, exact_poisson_ci, poisson_ci
from .overdispersion import Overdispersion, overdispersion  # noqa: F401  (re-exported: the old home)

DEFAULT_LEVELS = (0.95, 0.998)
NOT_SIGNIFICANT = "Not significant"
DSR_NOT_APPLICABLE = "Not applicable for events less than 10 for dsrs"


def level_tag(conf: float) -> str:
    """0.95 → "95", 0.998 → "99_8" (column suffixes, as in PHE's outputs)."""
    c = conf_level(conf) * 100
    return f"{c:g}".replace(".", "_")


def _wilson_upper(q: float, n: float, z: float) -> float:
    return (2 * n * q + z * z + z * math.sqrt(z * z + 4 * n * q * (1 - q))) / (2 * (n + z * z))


def _wilson_lower(q: float, n: float, z: float) -> float:
    return (2 * n * q + z * z - z * math.sqrt(z * z + 4 * n * q * (1 - q))) / (2 * (n + z * z))


def proportion_limits(p0: float, n: float, conf: float) -> tuple[float, float]:
    """The observed proportions at denominator n whose Wilson interval just touches p0 (0..1)."""
    z = z_value(conf)
    n = float(check_positive(n, "n"))
    if _wilson_upper(0.0, n, z) >= p0:
        lower = 0.0
    else:
        lower = brentq(lambda q: _wilson_upper(q, n, z) - p0, 0.0, p0, xtol=1e-14, rtol=1e-13)
    if _wilson_lower(1.0, n, z) <= p0:
        upper = 1.0
    else:
        upper = brentq(lambda q: _wilson_lower(q, n, z) - p0, p0, 1.0, xtol=1e-14, rtol=1e-13)
    return lower, upper


def funnel_rate_baseline(events, rates, multiplier: float = 100_000) -> float:
    """PHE's rate baseline r̄ = ΣO / Σ(multiplier·O/rate), in the same units as the rates."""
    o = check_count(events, "events", integer=True)
    r = check_positive(rates, "rates")
    check_same_length(events=o, rates=r)
    return float(o.sum() / (multiplier * o / r).sum() * multiplier)


def funnel_limits(statistic: str, x, *, baseline: float, conf=DEFAULT_LEVELS, multiplier: float = 100,
                  ratio_type: str = "isr", years_of_data: float = 1) -> pd.DataFrame:
    """Control limits for a funnel plot at each x, one lower/upper column pair per confidence level.

    - "proportion": x = denominators; baseline = Σnum/Σden (0..1); limits in multiplied units,
      clipped to [0, 100] as PHE does (so use multiplier 100).
    - "ratio": x = observed events O; limits O/U_exact(O) and O/L_exact(O) (× multiplier, 100 for
      an ISR in per cent); ratio_type "count" gives O/E* − 1 instead.
    - "rate": x = events O; baseline = r̄ per `multiplier` (see `funnel_rate_baseline`); limits
      O·r̄/U_exact(O) and O·r̄/L_exact(O); also the population per year at each limit.
    """
    levels = [conf] if isinstance(conf, (int, float)) else list(conf)
    xs = np.atleast_1d(check_count(x, "x", integer=statistic != "proportion"))
    if statistic == "proportion":
        check_positive(xs, "x")
    out = pd.DataFrame({"x": xs})
    for lv in levels:
        tag = level_tag(lv)
        lo, hi = np.full(len(xs), np.nan), np.full(len(xs), np.nan)
        extra = {}
        if statistic == "proportion":
            if not 0 < baseline < 1:
                raise ValueError("baseline proportion must lie strictly between 0 and 1")
            for i, n in enumerate(xs):
                lo[i], hi[i] = proportion_limits(baseline, n, lv)
            lo, hi = np.clip(lo * multiplier, 0, 100), np.clip(hi * multiplier, 0, 100)
        elif statistic in ("ratio", "rate"):
            cis = np.array([exact_poisson_ci(o, lv) for o in xs])
            e_low, e_high = cis[:, 1], cis[:, 0]  # expected events at the lower and upper limit
            with np.errstate(divide="ignore", invalid="ignore"):
                if statistic == "ratio":
                    lo, hi = xs / e_low, np.where(e_high > 0, xs / e_high, np.inf)
                    if ratio_type == "count":
                        lo, hi = lo - 1, hi - 1
                    else:
                        lo, hi = lo * multiplier, hi * multiplier
                    extra = {f"lower{tag}_expected_events": e_low, f"upper{tag}_expected_events": e_high}
                else:
                    per_person = baseline / multiplier
                    lo = xs * baseline / e_low
                    hi = np.where(e_high > 0, xs * baseline / e_high, np.inf)
                    extra = {f"lower{tag}_population_1_year": e_low / per_person / years_of_data,
                             f"upper{tag}_population_1_year": e_high / per_person / years_of_data}
        else:
            raise ValueError(f"statistic must be 'proportion', 'ratio' or 'rate', not {statistic!r}")
        out[f"lower{tag}"] = lo
        out[f"upper{tag}"] = hi
        for k, v in extra.items():
            out[k] = v
    return out


def _phe_count_limits(o: float, conf: float) -> tuple[float, float]:
    """PHE's `funnel_ratio_significance`: the CI of O, exact below 10 events and Byar from 10."""
    return poisson_ci(o, 1.0, conf, "phe")


def funnel_significance(statistic: str, numerator, denominator, *, baseline: float | None = None,
                        conf=DEFAULT_LEVELS, multiplier: float = 100, rate_type: str = "crude",
                        population=None) -> list[str]:
    """PHE's labels: "High (0.001)", "High (0.025)", "Low (0.001)", "Low (0.025)" or "Not significant".

    - "proportion": numerator/denominator against the funnel limits at the denominator, i.e.
      whether its Wilson interval at each level excludes the baseline (Σnum/Σden when not given);
    - "ratio": numerator = O, denominator = E; the CI of O/E (exact below 10, Byar from 10)
      against 1;
    - "rate": numerator = O, denominator = the rate (per `multiplier`); as PHE, the derived
      denominator D = multiplier·O/rate (for O = 0 the `population`, needed for crude rates) and
      the CI of O/D (exact below 10, Byar from 10) against the baseline; DSRs with fewer than 10
      events are not applicable.
    The outer level is tested first, so "(0.001)" means outside the 99.8 % limits.
    """
    levels = sorted([conf] if isinstance(conf, (int, float)) else list(conf), reverse=True)
    tags = {lv: "0.001" if abs(conf_level(lv) - 0.998) < 1e-12 else
            ("0.025" if abs(conf_level(lv) - 0.95) < 1e-12 else f"{(1 - conf_level(lv)) / 2:g}") for lv in levels}
    if statistic not in ("proportion", "ratio", "rate"):
        raise ValueError(f"statistic must be 'proportion', 'ratio' or 'rate', not {statistic!r}")
    num = np.atleast_1d(check_count(numerator, "numerator", integer=statistic != "proportion"))
    den = np.atleast_1d(check_count(denominator, "denominator"))
    check_same_length(numerator=num, denominator=den)
    labels: list[str] = []
    if statistic == "proportion":
        check_positive(den, "denominator")
        if np.any(num > den):
            raise ValueError("numerator cannot exceed the denominator for a proportion")
        p0 = float(num.sum() / den.sum()) if baseline is None else float(baseline)
        for k, n in zip(num, den):
            label = NOT_SIGNIFICANT
            for lv in levels:
                z = z_value(lv)
                q = k / n
                if _wilson_upper(q, n, z) < p0:
                    label = f"Low ({tags[lv]})"
                    break
                if _wilson_lower(q, n, z) > p0:
                    label = f"High ({tags[lv]})"
                    break
            labels.append(label)
    elif statistic == "ratio":
        check_positive(den, "denominator")
        for o, e in zip(num, den):
            label = NOT_SIGNIFICANT
            for lv in levels:
                lo, hi = poisson_ci(o, e, lv, "phe")
                if lo > 1:
                    label = f"High ({tags[lv]})"
                    break
                if hi < 1:
                    label = f"Low ({tags[lv]})"
                    break
            labels.append(label)
    else:
        if rate_type not in ("crude", "dsr"):
            raise ValueError(f"rate_type must be 'crude' or 'dsr', not {rate_type!r}")
        pop = None
        if population is not None:
            pop = np.atleast_1d(check_positive(population, "population"))
            check_same_length(numerator=num, population=pop)
        with np.errstate(divide="ignore", invalid="ignore"):
            derived = np.where(num > 0, multiplier * num / np.where(den > 0, den, np.nan), np.nan)
        if np.any((num > 0) & (den <= 0)):
            raise ValueError("denominator (the rate) must be positive where there are events")
        if rate_type == "crude" and np.any(num == 0):
            if pop is None:
                raise ValueError("for crude rates with 0 events the population is needed (population=...), as PHE")
            derived = np.where(num == 0, pop, derived)
        if baseline is None:
            baseline = float(num.sum() / np.nansum(derived) * multiplier)
        per_person = baseline / multiplier
        for o, d in zip(num, derived):
            if rate_type == "dsr" and o < PHE_EXACT_BELOW:
                labels.append(DSR_NOT_APPLICABLE)
                continue
            label = NOT_SIGNIFICANT
            for lv in levels:
                lo, hi = _phe_count_limits(o, lv)
                if per_person < lo / d:
                    label = f"High ({tags[lv]})"
                    break
                if per_person > hi / d:
                    label = f"Low ({tags[lv]})"
                    break
            labels.append(label)
    return labels
