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


def _as_array(x, name: str) -> np.ndarray:
    try:
        a = np.asarray(x, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be numbers, got {x!r:.60}") from None
    return a


def check_count(x, name: str = "count", *, integer: bool = False, allow_nan: bool = False) -> np.ndarray:
    """Counts: finite and ≥ 0 (and whole numbers with `integer`), else a ValueError naming `name`.

    `allow_nan` is only for PHE's convention that a missing stratum count is no recorded event
    (`dsr`, `expected_counts`); everywhere else NaN is refused, so it cannot give a garbage interval.
    """
    a = _as_array(x, name)
    nan = np.isnan(a)
    if nan.any() and not allow_nan:
        raise ValueError(f"{name} must not be missing (NaN)")
    v = a[~nan]
    if np.any(np.isinf(v)):
        raise ValueError(f"{name} must be finite, not infinite")
    if np.any(v < 0):
        raise ValueError(f"{name} must be non-negative")
    if integer and np.any((v % 1) != 0):
        raise ValueError(f"{name} must be whole numbers (counts)")
    return a


def check_positive(x, name: str) -> np.ndarray:
    """Finite and > 0 (expected counts, populations, exposures), else a ValueError naming `name`."""
    a = _as_array(x, name)
    if np.any(np.isnan(a)):
        raise ValueError(f"{name} must not be missing (NaN)")
    if np.any(np.isinf(a)):
        raise ValueError(f"{name} must be finite, not infinite")
    if np.any(a <= 0):
        raise ValueError(f"{name} must be positive")
    return a


def check_finite(x, name: str) -> np.ndarray:
    a = _as_array(x, name)
    if not np.all(np.isfinite(a)):
        raise ValueError(f"{name} must be finite numbers (no NaN or infinity)")
    return a


def check_scalar(x, name: str) -> None:
    if np.ndim(x) != 0:
        raise ValueError(f"{name} must be a single number, not a sequence")


def check_same_length(**arrays) -> int:
    """All arrays one-dimensional and of one length (never silently truncated by zip)."""
    lengths = {}
    for name, a in arrays.items():
        if np.ndim(a) != 1:
            raise ValueError(f"{name} must be a one-dimensional sequence")
        lengths[name] = len(a)
    if len(set(lengths.values())) > 1:
        detail = ", ".join(f"{k} {v}" for k, v in lengths.items())
        raise ValueError(f"{' and '.join(lengths)} must have the same length ({detail})")
    return next(iter(lengths.values()), 0)


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
