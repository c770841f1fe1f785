"""What every statistic shares: confidence levels, argument checks and the result type."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

import numpy as np
from scipy import stats as _st


def conf_level(conf: float) -> float:
    """Accept 0.95 or 95 (and 0.998 or 99.8), like PHE; refuse anything outside [0.9, 1)."""
    try:
        c = float(conf)
    except (TypeError, ValueError):
        raise ValueError(f"conf must be a number such as 0.95 or 95, not {conf!r}") from None
    if c >= 1.0 and c < 100.0 and c >= 90.0:
        c = c / 100.0
    if not (0.9 <= c < 1.0):
        raise ValueError(f"conf must lie in [0.9, 1) (or [90, 100)), got {conf!r}")
    return c


def z_value(conf: float) -> float:
    """z = Φ⁻¹(0.5 + conf/2): 1.959964 for 95 %, 3.090232 for 99.8 %."""
    return float(_st.norm.ppf(0.5 + conf_level(conf) / 2))


def check_count(x, name: str = "count", *, integer: bool = False) -> np.ndarray:
    a = np.asarray(x, dtype=float)
    if np.any(a[~np.isnan(a)] < 0):
        raise ValueError(f"{name} must be non-negative")
    if integer and np.any((a[~np.isnan(a)] % 1) != 0):
        raise ValueError(f"{name} must be whole numbers")
    return a


def check_positive(x, name: str) -> np.ndarray:
    a = np.asarray(x, dtype=float)
    if np.any(a[~np.isnan(a)] <= 0):
        raise ValueError(f"{name} must be positive")
    return a


def fmt_per(per: float) -> str:
    """10000 → '10 000' (Swedish thousands separator, a narrow no-break space would also do)."""
    return f"{int(per):,}".replace(",", "\u00a0")


@dataclass(frozen=True)
class Estimate:
    """A value with its interval, unit, method and confidence level (never a bare number).

    `value`, `lower` and `upper` are NaN when the statistic is not given; `reason` then says why
    (e.g. fewer than 10 events for a DSR, as PHE suppresses it).
    """

    value: float
    lower: float
    upper: float
    unit: str
    method: str
    conf: float
    n: float | None = None  # the numerator (events, persons, successes)
    denominator: float | None = None
    reason: str | None = None
    extra: dict = field(default_factory=dict)

    @property
    def given(self) -> bool:
        return not math.isnan(self.value)

    def as_dict(self) -> dict:
        d = asdict(self)
        d.update(d.pop("extra"))
        return d


def nan_estimate(unit: str, method: str, conf: float, reason: str, **kw) -> Estimate:
    return Estimate(math.nan, math.nan, math.nan, unit, method, conf, reason=reason, **kw)
