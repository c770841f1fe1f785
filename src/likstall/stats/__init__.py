"""Statistics on small aggregate tables (METHODS.md). Never touches the store.

Every result carries its value, interval, unit, method and confidence level. Confidence levels
are accepted as 0.95 or 95 (like PHE); anything outside [0.9, 1) is a ValueError.
"""

from ._common import Estimate, conf_level, z_value
from .counts import Coverage, Trend, adjust_pvalues, coverage, trend
from .funnel import (
    Overdispersion, funnel_limits, funnel_rate_baseline, funnel_significance, overdispersion, proportion_limits,
)
from .intervals import byar_ci, exact_poisson_ci, mean_ci, poisson_ci, proportion, proportion_ci, rate
from .smoothing import eb_smooth, marshall_moments
from .standardise import ESP2013, ModelFit, dsr, expected_by_group, expected_counts, expected_from_model, isr
from .survival import CoxResult, KaplanMeier, MeanInfluence, cox, kaplan_meier, logrank, mean_influence

__all__ = [
    "ESP2013", "CoxResult", "Coverage", "Estimate", "KaplanMeier", "MeanInfluence", "ModelFit", "Overdispersion",
    "Trend", "adjust_pvalues", "byar_ci", "conf_level", "coverage", "cox", "dsr", "eb_smooth", "exact_poisson_ci",
    "expected_by_group", "expected_counts", "expected_from_model", "funnel_limits", "funnel_rate_baseline",
    "funnel_significance", "isr", "kaplan_meier", "logrank", "marshall_moments", "mean_ci", "mean_influence",
    "overdispersion", "poisson_ci", "proportion", "proportion_ci", "proportion_limits", "rate", "trend", "z_value",
]
