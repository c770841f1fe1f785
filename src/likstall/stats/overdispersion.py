"""Overdispersion and the overdispersed funnel: one rule for drawing and for flagging (METHODS.md §2).

φ and τ² as NHS-R FunnelPlotR computes them (Spiegelhalter 2005; Spiegelhalter et al. 2012):
z-scores on a variance-stabilising scale, winsorised (or truncated, SHMI), φ = mean z², and an
additive DerSimonian–Laird-type τ². Hand-written: no maintained Python package does it.

The funnel is drawn on the scale of the plotted statistic. A unit is tested on the transformed
scale g — √ for standardised ratios (CQC), log (SHMI and ratios of counts), arcsine √ for
proportions — by z = (g(value) − g(target)) / √(s²(x) + τ²), and the limit drawn at x is the
back-transform g⁻¹(g(target) ± z_c·√(s²(x) + τ²)): (1 ± z_c·√(1/(4E) + τ²))² for CQC,
exp(±z_c·√(1/E + τ²)) for SHMI, sin²(·) for proportions. So a point lies outside the drawn limit
at its x exactly when |z| > z_c (`flag`), which the tests check by property.

FunnelPlotR draws the CQC limit unsquared, 1 ± z_c·√(s² + τ²), against O/E (its issue 33), about
half as wide as the test behind it; and for ratios of counts it draws with s² = 1/(4x), the
arcsine variance, though its own z-scores use s² ≈ 1/O + 1/D. We square the CQC limit and use
s²(D) = (1 + 1/target)/D for ratios of counts, so the line and the flag are the same decision.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats as st

from ._common import check_count, check_positive, check_same_length, z_value

STATISTICS = ("SR", "PR", "RC")


@dataclass
class Overdispersion:
    """φ, τ², which units were kept, and the funnel (limits, z, p, flags) on one rule."""

    statistic: str  # "SR", "PR" or "RC"
    method: str  # "SHMI" or "CQC" for SR; "PR"/"RC" use winsorisation
    phi: float
    tau2: float
    n_units: int
    kept: np.ndarray  # boolean mask of units kept after truncation (all True when winsorised)
    z: np.ndarray  # unadjusted z-scores per unit (FunnelPlotR's, used for φ)
    target: float
    trim: float
    adjusted: bool = field(init=False)

    def __post_init__(self):
        # FunnelPlotR draws the unadjusted limits when φ ≤ 1.
        self.adjusted = bool(self.phi > 1 and self.tau2 > 0)

    @classmethod
    def fixed(cls, statistic: str, method: str | None = None, *, tau2: float = 0.0, target: float = 1.0) -> Overdispersion:
        """A funnel with a given τ² (0: none) instead of one estimated from the units.

        For a τ² carried over from earlier years, or for the plain funnel on the same scale.
        `method` is "CQC" or "SHMI" for SR (default CQC); `target` the share (PR) or ratio (RC).
        """
        if statistic not in STATISTICS:
            raise ValueError("statistic must be 'SR', 'PR' or 'RC'")
        if statistic == "SR":
            method = method or "CQC"
            if method not in ("CQC", "SHMI"):
                raise ValueError("method must be 'SHMI' or 'CQC'")
            target = 1.0
        else:
            method = statistic
        t2 = float(tau2)
        if not (math.isfinite(t2) and t2 >= 0):
            raise ValueError(f"tau2 must be a finite number ≥ 0, got {tau2!r}")
        if statistic == "PR" and not 0 <= target <= 1 or statistic == "RC" and not target > 0:
            raise ValueError("target must be a share in [0, 1] for PR and positive for RC")
        od = cls(statistic, method, math.nan, t2, 0, np.zeros(0, dtype=bool), np.zeros(0), float(target), math.nan)
        od.adjusted = t2 > 0
        return od

    @property
    def n_trimmed(self) -> int:
        return int((~self.kept).sum())

    @property
    def tau2_used(self) -> float:
        """τ² in the limits and tests: τ² when `adjusted`, else 0 (FunnelPlotR's rule)."""
        return self.tau2 if self.adjusted else 0.0

    # -- the scale ------------------------------------------------------------------------------
    def _g(self, v: np.ndarray) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            if self.method == "CQC":
                return np.sqrt(v)
            if self.statistic == "PR":
                return np.arcsin(np.sqrt(np.clip(v, 0.0, 1.0)))
            return np.log(v)  # SHMI and RC; log 0 = −∞ lies below every limit, as the point 0 does

    def _g_inv(self, y: np.ndarray) -> np.ndarray:
        if self.method == "CQC":
            return np.maximum(y, 0.0) ** 2  # √(O/E) ≥ 0: a limit below 0 cannot be crossed
        if self.statistic == "PR":
            return np.sin(np.clip(y, 0.0, math.pi / 2)) ** 2
        return np.exp(y)

    def _s2(self, x: np.ndarray) -> np.ndarray:
        """Within-unit variance on the transformed scale at x (E for SR, n for PR, D for RC)."""
        if self.method == "SHMI":
            return 1 / x
        if self.statistic == "RC":
            return (1 + 1 / self.target) / x
        return 1 / (4 * x)

    def _reference(self, observed: np.ndarray, x: np.ndarray, exclude_self: bool) -> tuple[np.ndarray, np.ndarray]:
        """g(target) per unit and the variance of that reference on the g scale.

        Without `exclude_self`: the fitted target (1 for SR), known. With it, unit i is compared
        with the rest: target_i = (ΣO − Oᵢ)/(Σx − xᵢ), whose variance is its own sampling
        variance s²_rest plus τ²·Σⱼ≠ᵢ wⱼ² (wⱼ = xⱼ/Σ_rest x), the additive model's share for the rest.
        """
        n = len(x)
        if not exclude_self:
            return np.full(n, float(self._g(np.array([self.target]))[0])), np.zeros(n)
        if n < 2:
            raise ValueError("exclude_self needs at least two units")
        o_rest = observed.sum() - observed
        x_rest = x.sum() - x
        if np.any(x_rest <= 0):
            raise ValueError("exclude_self needs a positive denominator in the rest of the units")
        t_rest = o_rest / x_rest
        # √ and arcsine are defined at 0 (and at 1): a rest that granted everything is a fine
        # reference. The log scales (SHMI, RC) need at least one event in the rest.
        if self.statistic != "PR" and self.method != "CQC" and np.any(t_rest <= 0):
            raise ValueError("the rest of the units has no events (or all): there is no reference to compare with")
        w2 = ((x ** 2).sum() - x ** 2) / x_rest ** 2
        if self.method == "SHMI":
            s2_rest = 1 / x_rest
        elif self.statistic == "RC":
            s2_rest = (1 + 1 / t_rest) / x_rest
        else:
            s2_rest = 1 / (4 * x_rest)
        return self._g(t_rest), s2_rest + self.tau2_used * w2

    def _inputs(self, observed, x) -> tuple[np.ndarray, np.ndarray]:
        o = np.atleast_1d(check_count(observed, "observed", integer=True))
        xx = np.atleast_1d(check_positive(x, "expected_or_n"))
        check_same_length(observed=o, expected_or_n=xx)
        if self.statistic == "PR" and np.any(o > xx):
            raise ValueError("for proportions, observed cannot exceed the denominator")
        return o, xx

    # -- drawing and testing --------------------------------------------------------------------
    def limits(self, x, conf: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
        """The funnel at x (E for SR; n for PR; D for RC) on the scale of the plotted statistic.

        SR: O/E (CQC (1 ± z√(1/(4E)+τ²))², floored at 0; SHMI exp(±z√(1/E+τ²))); PR: the share
        k/n (0..1); RC: O/D. This is the back-transformed limit: before this change the CQC limit
        was returned unsquared (FunnelPlotR's drawing).
        """
        zc = z_value(conf)
        xx = check_positive(x, "x")
        sd = np.sqrt(self._s2(xx) + self.tau2_used)
        centre = float(self._g(np.array([self.target]))[0])
        return self._g_inv(centre - zc * sd), self._g_inv(centre + zc * sd)

    def zscores(self, observed, expected_or_n, *, exclude_self: bool = False) -> np.ndarray:
        """z = (g(value) − g(reference)) / √(s²(x) + τ² + var(reference)) per unit."""
        o, x = self._inputs(observed, expected_or_n)
        ref, ref_var = self._reference(o, x, exclude_self)
        with np.errstate(divide="ignore", invalid="ignore"):
            return (self._g(o / x) - ref) / np.sqrt(self._s2(x) + self.tau2_used + ref_var)

    def pvalues(self, observed, expected_or_n, *, exclude_self: bool = False) -> np.ndarray:
        """Two-sided normal p of `zscores` (feed these to `adjust_pvalues` for Benjamini–Hochberg)."""
        return 2 * st.norm.sf(np.abs(self.zscores(observed, expected_or_n, exclude_self=exclude_self)))

    def flag(self, observed, expected_or_n, conf: float = 0.95, *, exclude_self: bool = False) -> np.ndarray:
        """+1 above, −1 below, 0 inside the limit at each unit's x: the decision the funnel draws.

        Without `exclude_self` a unit is flagged exactly when its point lies outside `limits(x)`;
        with it, exactly when it lies outside `unit_limits(...)` (its own limits against the rest).
        """
        zc = z_value(conf)
        z = self.zscores(observed, expected_or_n, exclude_self=exclude_self)
        return np.where(z > zc, 1, np.where(z < -zc, -1, 0))

    def unit_limits(self, observed, expected_or_n, conf: float = 0.95, *,
                    exclude_self: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """Each unit's own limits at its own x (with `exclude_self`: around the rest's value)."""
        zc = z_value(conf)
        o, x = self._inputs(observed, expected_or_n)
        ref, ref_var = self._reference(o, x, exclude_self)
        sd = np.sqrt(self._s2(x) + self.tau2_used + ref_var)
        return self._g_inv(ref - zc * sd), self._g_inv(ref + zc * sd)

    def reference(self, observed, expected_or_n, *, exclude_self: bool = False) -> pd.DataFrame:
        """What each unit is compared with: `target` (plotted scale) and `target_var` (g scale)."""
        o, x = self._inputs(observed, expected_or_n)
        ref, ref_var = self._reference(o, x, exclude_self)
        return pd.DataFrame({"target": self._g_inv(ref), "target_var": ref_var})

    def outliers(self, values, x, conf: float = 0.95) -> np.ndarray:
        """-1 below, +1 above, 0 within `limits(x)` for values already on the plotted scale."""
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
    if statistic not in STATISTICS:
        raise ValueError("statistic must be 'SR', 'PR' or 'RC'")
    o = check_count(observed, "observed", integer=True)
    e = check_positive(expected, "expected")
    if o.ndim != 1 or e.ndim != 1:
        raise ValueError("observed and expected must be one-dimensional sequences")
    if len(o) != len(e) or len(o) < 3:
        raise ValueError(f"need observed and expected for at least three units (got {len(o)} and {len(e)})")
    if statistic in ("PR", "RC"):
        check_count(e, "expected", integer=True)  # a denominator count: n (PR) or D (RC)
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
    else:
        target = float(o.sum() / e.sum())
        if target <= 0:
            raise ValueError("for ratios of counts, observed must not all be 0")
        y = np.log((o + 0.5) / (e + 0.5))
        s = np.sqrt(o / (o + 0.5) ** 2 + e / (e + 0.5) ** 2)
        z = (y - math.log(target)) / s
        method = "RC"
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
