"""Every public function refuses NaN, infinity, negative or fractional counts and mismatched
lengths with a ValueError that names the argument (issue 13 §5) — never a garbage interval, a
silent truncation by zip, or a traceback from deep inside scipy."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import likstall.stats as S

NAN, INF = float("nan"), float("inf")
T = [3, 5, 8, 9, 12]
E = [1, 0, 1, 1, 0]

CASES = [
    # (call, the argument name the message must contain)
    (lambda: S.rate(NAN, 1000), "count"), (lambda: S.rate(2.5, 1000), "count"), (lambda: S.rate(-1, 1000), "count"),
    (lambda: S.rate(3, INF), "population"), (lambda: S.rate(3, NAN), "population"), (lambda: S.rate([1, 2], 10), "count"),
    (lambda: S.poisson_ci(NAN), "count"), (lambda: S.poisson_ci(1.5), "count"), (lambda: S.poisson_ci(INF), "count"),
    (lambda: S.byar_ci(NAN), "count"), (lambda: S.byar_ci(-2), "count"), (lambda: S.exact_poisson_ci(4.2), "count"),
    (lambda: S.proportion_ci(NAN, 10), "k"), (lambda: S.proportion_ci(2, INF), "n"),
    (lambda: S.proportion_ci(2.5, 10, method="exact"), "k"), (lambda: S.proportion(3, NAN), "n"),
    (lambda: S.mean_ci([1.0, NAN, 3.0]), "values"), (lambda: S.mean_ci([1.0, INF]), "values"),
    (lambda: S.isr(NAN, 3.0), "observed"), (lambda: S.isr(4.5, 3.0), "observed"), (lambda: S.isr(4, INF), "expected"),
    (lambda: S.isr(4, 0), "expected"),
    (lambda: S.dsr([10, 2.5, 3], [100, 100, 100], [1, 1, 1]), "counts"),
    (lambda: S.dsr([10, 2, 3], [100, 100], [1, 1, 1]), "length"), (lambda: S.dsr([10, 2, 3], [100, INF, 1], [1, 1, 1]), "populations"),
    (lambda: S.expected_counts([100, 200], [0.1]), "length"), (lambda: S.expected_counts([100, INF], [0.1, 0.2]), "populations"),
    (lambda: S.expected_by_group(pd.DataFrame({"g": ["a"], "s": ["K"], "events": [-1], "population": [5]}), "g", ["s"]), "events"),
    (lambda: S.expected_from_model([1, 2, NAN, 4], [10, 10, 10, 10]), "events"),
    (lambda: S.expected_from_model([1, 2, 3, 4], [10, 10, 10]), "length"),
    (lambda: S.expected_from_model([1, 2, 3, 4, 5], [10] * 5, pd.DataFrame({"x": [1, 2, NAN, 4, 5]})), "covariates"),
    (lambda: S.expected_from_model([1, 2, 3, 4, 5], [10] * 5, pd.DataFrame({"x": [1, 2, 3]})), "covariates"),
    (lambda: S.funnel_limits("ratio", [3, NAN], baseline=1), "x"), (lambda: S.funnel_limits("ratio", [3.5], baseline=1), "x"),
    (lambda: S.funnel_significance("ratio", [3, 4, 5], [2.0, 3.0]), "length"),
    (lambda: S.funnel_significance("proportion", [3, NAN], [10, 10]), "numerator"),
    (lambda: S.funnel_significance("proportion", [3, 4], [10, INF]), "denominator"),
    (lambda: S.funnel_rate_baseline([3, 4, 5], [10.0, 20.0]), "length"),
    (lambda: S.overdispersion([3, 4, NAN], [3.0, 4.0, 5.0]), "observed"),
    (lambda: S.overdispersion([3, 4.5, 6], [3.0, 4.0, 5.0]), "observed"),
    (lambda: S.overdispersion([3, 4, 6], [3.0, INF, 5.0]), "expected"),
    (lambda: S.overdispersion([3, 4, 6, 7], [3.0, 4.0, 5.0]), "three units"),
    (lambda: S.Overdispersion.fixed("SR").flag([3, 4], [3.0]), "length"),
    (lambda: S.Overdispersion.fixed("SR").limits([3.0, NAN]), "x"),
    (lambda: S.eb_smooth([3, 4, 5], [100.0, 200.0]), "length"),
    (lambda: S.eb_smooth([3, NAN, 5], [100.0, 200.0, 300.0]), "events"),
    (lambda: S.marshall_moments([3, 4], [100.0, 200.0, 300.0]), "length"),
    (lambda: S.coverage(NAN, 3.0), "observed"), (lambda: S.coverage(2.5, 3.0), "observed"),
    (lambda: S.coverage(2, INF), "expected"), (lambda: S.coverage([1, 2], 3.0), "observed"),
    (lambda: S.trend([10, 12, NAN], [1e4] * 3, [2019, 2020, 2021]), "counts"),
    (lambda: S.trend([10, 12, 14], [1e4] * 3, [2019, 2020]), "length"),
    (lambda: S.trend([10, 12, 14], [1e4, INF, 1e4], [2019, 2020, 2021]), "exposure"),
    (lambda: S.trend([10, 12, 14], [1e4] * 3, [2019, NAN, 2021]), "years"),
    (lambda: S.trend([10, 12, 14], [1e4] * 3, [2019, 2020, 2021], family="negbin"), "family"),
    (lambda: S.adjust_pvalues([0.2, 1.5]), "p-values"),
    (lambda: S.kaplan_meier([1, NAN, 3], [1, 1, 1]), "durations"), (lambda: S.kaplan_meier([1, 2, 3], [1, 1]), "length"),
    (lambda: S.kaplan_meier([1, INF], [1, 1]), "durations"), (lambda: S.kaplan_meier([1, 2], [1, 2]), "ended"),
    (lambda: S.kaplan_meier(T, E).rmst(NAN), "tau"),
    (lambda: S.logrank(T, E, ["a", "b"]), "groups"), (lambda: S.logrank(T, E, ["a"] * 5), "two groups"),
    (lambda: S.cox(T, E, pd.DataFrame({"x": [0, 1, 0]})), "covariates"),
    (lambda: S.cox(T, E, pd.DataFrame({"x": [0, 1, NAN, 1, 0]})), "covariates"),
    (lambda: S.mean_influence([3, NAN, 5]), "durations"),
    (lambda: S.rmst_difference(T, E, [1, 2], [1], tau=10), "length"),
    (lambda: S.rmst_difference([1, NAN], [1, 1], T, E, tau=10), "durations_a"),
    (lambda: S.rmst_difference(T, E, T, E, tau=-1), "tau"),
    (lambda: S.proportion_vs_rest([3, 4, 5], [10, 10]), "length"),
    (lambda: S.proportion_vs_rest([3, 4.5, 5], [10, 10, 10]), "numerators"),
    (lambda: S.proportion_vs_rest([3, 4, 5], [10, 10, 10], tau2=NAN), "tau2"),
    (lambda: S.detectable_ratio([5.0, NAN]), "expected"),
    (lambda: S.detectable_proportion([10, 20.5], 0.4), "n"),
]


@pytest.mark.parametrize("call,name", CASES, ids=[f"{i:02d}-{c[1]}" for i, c in enumerate(CASES)])
def test_bad_input_is_a_value_error_naming_the_problem(call, name):
    with pytest.raises(ValueError, match=name):
        call()


def test_missing_as_none_is_still_phe_na_for_rates():
    est = S.rate(None, 1000)
    assert np.isnan(est.value) and est.reason
    # PHE's convention for a stratum table: a missing stratum count is no recorded event.
    assert S.dsr([NAN, 20, 30], [1000, 1000, 1000], [1, 1, 1]).n == 50


def test_wilson_keeps_fractional_counts_as_phe():
    lo, hi = S.proportion_ci(0.445, 1)  # PHE's own test data has x = 0,445
    assert 0 < lo < 0.445 < hi < 1
