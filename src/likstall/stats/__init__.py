"""Statistics on small aggregate tables (METHODS.md). Never touches the store.

Every result carries its value, interval, unit, method and confidence level. Confidence levels
are accepted as 0.95 or 95 (like PHE); anything outside [0.9, 1) is a ValueError, and so is a
NaN, an infinity, a negative or a fractional count, or sequences of different lengths.
"""

from ._common import Estimate, conf_level, z_value
from .compare import (
    fisher_vs_rest, logrank_scores, logrank_vs_rest, proportion_vs_rest, rmst_difference, rmst_permutation_vs_rest,
    rmst_pseudo_values,
)
from .counts import Coverage, Trend, adjust_pvalues, coverage, trend
from .funnel import funnel_limits, funnel_rate_baseline, funnel_significance, proportion_limits
from .intervals import byar_ci, exact_poisson_ci, mean_ci, poisson_ci, proportion, proportion_ci, rate
from .overdispersion import Overdispersion, overdispersion
from .power import (
    detectable_hazard_ratio, detectable_proportion, detectable_ratio, detectable_rmst_difference,
    proportion_thresholds, ratio_thresholds,
)
from .smoothing import eb_smooth, marshall_moments
from .standardise import ESP2013, ModelFit, dsr, expected_by_group, expected_counts, expected_from_model, isr
from .survival import CoxResult, KaplanMeier, LogRank, MeanInfluence, cox, kaplan_meier, logrank, mean_influence

__all__ = [
    "ESP2013", "CoxResult", "Coverage", "Estimate", "KaplanMeier", "LogRank", "MeanInfluence", "ModelFit",
    "Overdispersion", "Trend", "adjust_pvalues", "byar_ci", "conf_level", "coverage", "cox",
    "detectable_hazard_ratio", "detectable_proportion", "detectable_ratio", "detectable_rmst_difference", "dsr",
    "eb_smooth", "exact_poisson_ci", "expected_by_group", "expected_counts", "expected_from_model", "funnel_limits",
    "fisher_vs_rest", "funnel_rate_baseline", "funnel_significance", "isr", "kaplan_meier", "logrank", "logrank_scores", "logrank_vs_rest", "marshall_moments", "mean_ci",
    "mean_influence", "overdispersion", "poisson_ci", "proportion", "proportion_ci", "proportion_limits",
    "proportion_thresholds", "proportion_vs_rest", "rate", "ratio_thresholds", "rmst_difference", "rmst_permutation_vs_rest", "rmst_pseudo_values", "trend",
    "z_value",
]
