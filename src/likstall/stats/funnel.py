"""Funnel plots: control limits, significance, and overdispersion (METHODS.md §1.6 and §2).

Hand-written, because no maintained Python package does it (METHODS.md §6):
- limits as PHEindicatormethods' `calculate_funnel_limits` computes them (Fingertips "PH
  methods"): proportions by inverting the Wilson interval, ratios and rates by the exact Poisson
  interval of the observed events;
- significance as its `assign_funnel_significance`;
- overdispersion as NHS-R FunnelPlotR computes it (Spiegelhalter 2005; Spiegelhalter et al.
  2012): z-scores, winsorised (or truncated, SHMI) φ, an additive DerSimonian–Laird-type τ², and
  overdispersion-adjusted limits.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.optimize import brentq

from ._common import check_count, check_positive, conf_level, z_value
from .intervals import PHE_EXACT_BELOW, exact_poisson_ci, poisson_ci

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
    o = check_count(events, "events")
    r = check_positive(rates, "rates")
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
    xs = np.asarray(x, dtype=float)
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
            cis = np.array([exact_poisson_ci(o, lv) for o in check_count(xs, "observed")])
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


def funnel_significance(statistic: str, numerator, denominator, *, baseline: float | None = None,
                        conf=DEFAULT_LEVELS, multiplier: float = 100, rate_type: str = "crude") -> list[str]:
    """PHE's labels: "High (0.001)", "High (0.025)", "Low (0.001)", "Low (0.025)" or "Not significant".

    - "proportion": numerator/denominator against the funnel limits at the denominator, i.e.
      whether its Wilson interval at each level excludes the baseline (Σnum/Σden when not given);
    - "ratio": numerator = O, denominator = E; the CI of O/E (exact below 10, Byar from 10)
      against 1;
    - "rate": numerator = O, denominator = the rate (per `multiplier`); the rate against the
      funnel limits at O; DSRs with fewer than 10 events are not applicable.
    The outer level is tested first, so "(0.001)" means outside the 99.8 % limits.
    """
    levels = sorted([conf] if isinstance(conf, (int, float)) else list(conf), reverse=True)
    tags = {lv: "0.001" if abs(conf_level(lv) - 0.998) < 1e-12 else
            ("0.025" if abs(conf_level(lv) - 0.95) < 1e-12 else f"{(1 - conf_level(lv)) / 2:g}") for lv in levels}
    num = np.asarray(numerator, dtype=float)
    den = np.asarray(denominator, dtype=float)
    labels: list[str] = []
    if statistic == "proportion":
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
    elif statistic == "rate":
        if baseline is None:
            baseline = funnel_rate_baseline(num, den, multiplier)
        limits = funnel_limits("rate", num, baseline=baseline, conf=levels, multiplier=multiplier)
        for i, (o, r) in enumerate(zip(num, den)):
            if rate_type == "dsr" and o < PHE_EXACT_BELOW:
                labels.append(DSR_NOT_APPLICABLE)
                continue
            label = NOT_SIGNIFICANT
            for lv in levels:
                tag = level_tag(lv)
                if r < limits[f"lower{tag}"].iloc[i]:
                    label = f"Low ({tags[lv]})"
                    break
                if r > limits[f"upper{tag}"].iloc[i]:
                    label = f"High ({tags[lv]})"
                    break
            labels.append(label)
    else:
        raise ValueError(f"statistic must be 'proportion', 'ratio' or 'rate', not {statistic!r}")
    return labels


# --------------------------------------------------------------------------------------------------
# Overdispersion (FunnelPlotR)


@dataclass
class Overdispersion:
    """φ, τ², which units were kept, and overdispersion-adjusted limits, as FunnelPlotR computes them."""

    statistic: str  # "SR", "PR" or "RC"
    method: str  # "SHMI" or "CQC" for SR; "PR"/"RC" use winsorisation
    phi: float
    tau2: float
    n_units: int
    kept: np.ndarray  # boolean mask of units kept after truncation (all True when winsorised)
    z: np.ndarray  # unadjusted z-scores per unit
    target: float
    trim: float
    adjusted: bool = field(init=False)

    def __post_init__(self):
        # FunnelPlotR draws the unadjusted limits when φ ≤ 1.
        self.adjusted = bool(self.phi > 1 and self.tau2 > 0)

    @property
    def n_trimmed(self) -> int:
        return int((~self.kept).sum())

    def limits(self, x, conf: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
        """Limits at x (expected events E for SR; denominators n for PR and RC)."""
        z = z_value(conf)
        x = np.asarray(x, dtype=float)
        t2 = self.tau2 if self.adjusted else 0.0
        with np.errstate(divide="ignore", invalid="ignore"):
            if self.statistic == "SR" and self.method == "SHMI":
                sd = np.sqrt(1 / x + t2)
                return np.exp(-z * sd), np.exp(z * sd)
            if self.statistic == "SR":
                sd = np.sqrt(1 / (4 * x) + t2)
                return 1 - z * sd, 1 + z * sd
            if self.statistic == "PR":
                sd = np.sqrt(1 / (4 * x) + t2)
                a = math.asin(math.sqrt(self.target))
                lo = np.sin(np.clip(a - z * sd, 0, math.pi / 2)) ** 2
                hi = np.sin(np.clip(a + z * sd, 0, math.pi / 2)) ** 2
                return lo, hi
            sd = np.sqrt(1 / (4 * x) + t2)
            return np.exp(math.log(self.target) - z * sd), np.exp(math.log(self.target) + z * sd)

    def outliers(self, values, x, conf: float = 0.95) -> np.ndarray:
        """-1 below, +1 above, 0 within the (adjusted) limits at each unit's x."""
        lo, hi = self.limits(x, conf)
        v = np.asarray(values, dtype=float)
        return np.where(v < lo, -1, np.where(v > hi, 1, 0))


def _winsorise(z: np.ndarray, trim: float) -> np.ndarray:
    lo, hi = np.quantile(z, [trim, 1 - trim])  # numpy's default = R quantile type 7
    return np.clip(z, lo, hi)


def _truncate(z: np.ndarray, trim: float) -> np.ndarray:
    """SHMI truncation: rank units, group by ⌊rank·k/(n+1)⌋ with k = 1/trim, drop groups 0 and k−1."""
    k = round(1 / trim)
    n = len(z)
    ranks = pd.Series(z).rank(method="first").to_numpy()
    groups = np.floor(ranks * k / (n + 1))
    return (groups != 0) & (groups != k - 1)


def overdispersion(observed, expected, method: str = "SHMI", trim: float = 0.1, statistic: str = "SR",
                   shmi_rounding: bool = True) -> Overdispersion:
    """Spiegelhalter's additive overdispersion, as FunnelPlotR.

    statistic "SR" (standardised ratio O/E; method "SHMI": z = √E·ln(O/E), truncated; "CQC":
    z = (√(O/E) − 1)·2√E, winsorised), "PR" (proportion O/n on the arcsine scale, winsorised) or
    "RC" (ratio of counts O/D on the log scale, winsorised). φ = mean of the damped z²; τ² =
    max(0, (nφ − (n−1)) / (Σw − Σw²/Σw)), w = 1/s². For SHMI, O = 0 is taken as 0.5 in ln(O/E).
    """
    o = check_count(observed, "observed")
    e = check_positive(expected, "expected")
    if len(o) != len(e) or len(o) < 3:
        raise ValueError("need observed and expected for at least three units")
    if not 0 < trim < 0.5:
        raise ValueError("trim must lie in (0, 0.5)")
    if statistic == "SR":
        if method == "SHMI":
            e_ = np.round(e, 2) if shmi_rounding else e
            z = np.sqrt(e_) * np.log(np.maximum(o, 0.5) / e_)
            s = 1 / np.sqrt(e_)
        elif method == "CQC":
            z = (np.sqrt(o / e) - 1) * 2 * np.sqrt(e)
            s = 1 / (2 * np.sqrt(e))
        else:
            raise ValueError("method must be 'SHMI' or 'CQC'")
        target = 1.0
    elif statistic == "PR":
        if np.any(o > e):
            raise ValueError("for proportions, observed cannot exceed the denominator")
        target = float(o.sum() / e.sum())
        z = (np.arcsin(np.sqrt(o / e)) - math.asin(math.sqrt(target))) * 2 * np.sqrt(e)
        s = 1 / (2 * np.sqrt(e))
        method = "PR"
    elif statistic == "RC":
        target = float(o.sum() / e.sum())
        y = np.log((o + 0.5) / (e + 0.5))
        s = np.sqrt(o / (o + 0.5) ** 2 + e / (e + 0.5) ** 2)
        z = (y - math.log(target)) / s
        method = "RC"
    else:
        raise ValueError("statistic must be 'SR', 'PR' or 'RC'")
    if statistic == "SR" and method == "SHMI":
        kept = _truncate(z, trim)
        zk, sk = z[kept], s[kept]
    else:
        kept = np.ones(len(z), dtype=bool)
        zk, sk = _winsorise(z, trim), s
    n = len(zk)
    phi = float(np.mean(zk ** 2))
    w = 1 / sk ** 2
    denom = w.sum() - (w ** 2).sum() / w.sum()
    tau2 = max(0.0, (n * phi - (n - 1)) / denom) if denom > 0 else 0.0
    return Overdispersion(statistic, method, phi, float(tau2), len(z), kept, z, target, trim)
