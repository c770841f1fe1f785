"""Coverage, trends, multiple testing, and properties every interval must have."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as hs

from likstall.stats import adjust_pvalues, conf_level, coverage, poisson_ci, proportion_ci, rate, trend


def test_coverage_zero_where_three_point_one_expected():
    c = coverage(0, 3.1)
    assert c.p_at_most == pytest.approx(math.exp(-3.1))  # 4,5 %
    assert c.p_at_least == pytest.approx(1.0)
    c2 = coverage(7, 3.1)
    assert c2.p_at_least == pytest.approx(1 - sum(math.exp(-3.1) * 3.1 ** k / math.factorial(k) for k in range(7)))
    with pytest.raises(ValueError):
        coverage(1.5, 3)


def test_trend_recovers_a_known_rate_ratio():
    years = np.arange(2015, 2022)
    exposure = np.full(7, 1e6)
    counts = np.round(1000 * 1.05 ** (years - 2015))
    t = trend(counts, exposure, years)
    assert t.rate_ratio.value == pytest.approx(1.05, rel=2e-3)
    assert t.rate_ratio.lower < 1.05 < t.rate_ratio.upper
    assert t.enough_points and t.n_points == 7 and t.rate_ratio.unit == "kvot per år"
    short = trend(counts[:4], exposure[:4], years[:4])
    assert not short.enough_points


def test_adjust_pvalues_benjamini_hochberg():
    p = [0.01, 0.04, 0.03, 0.5, float("nan")]
    q = adjust_pvalues(p)
    # BH by hand for the four p-values: sorted 0.01, 0.03, 0.04, 0.5 → 0.04, 0.04·4/3=0.0533, 0.0533, 0.5
    assert q[0] == pytest.approx(0.04) and q[1] == pytest.approx(0.16 / 3) and q[2] == pytest.approx(0.16 / 3)
    assert q[3] == pytest.approx(0.5) and math.isnan(q[4])


def test_conf_levels_like_phe():
    assert conf_level(95) == 0.95 and conf_level(0.998) == 0.998 and conf_level(99.8) == pytest.approx(0.998)
    for bad in (0.5, 1, 1.0, 100, 89, "x"):
        with pytest.raises(ValueError):
            conf_level(bad)


@settings(max_examples=200, deadline=None)
@given(hs.integers(0, 5000), hs.floats(1, 1e7))
def test_poisson_intervals_contain_the_estimate_and_widen_with_confidence(x, n):
    for method in ("exact", "byar"):
        lo95, hi95 = poisson_ci(x, n, 0.95, method)
        lo99, hi99 = poisson_ci(x, n, 0.998, method)
        assert (math.isnan(lo95) or lo95 <= x / n + 1e-12) and hi95 >= x / n - 1e-12
        assert hi99 >= hi95
        if not math.isnan(lo99):
            assert lo99 <= lo95 + 1e-12


@settings(max_examples=200, deadline=None)
@given(hs.integers(0, 500), hs.integers(1, 500))
def test_proportion_intervals_contain_the_estimate_and_widen(k, extra):
    n = k + extra
    for method in ("wilson", "exact"):
        lo95, hi95 = proportion_ci(k, n, 0.95, method)
        lo99, hi99 = proportion_ci(k, n, 0.998, method)
        assert lo95 - 1e-12 <= k / n <= hi95 + 1e-12
        assert lo99 <= lo95 + 1e-12 and hi99 >= hi95 - 1e-12


def test_every_rate_carries_unit_method_and_conf():
    est = rate(12, 40_000, per=10_000, conf=99.8, unit="per 10 000 kvinnor 18+")
    assert est.unit == "per 10 000 kvinnor 18+" and est.conf == pytest.approx(0.998) and est.method
    d = est.as_dict()
    assert {"value", "lower", "upper", "unit", "method", "conf", "n"} <= set(d)
