"""The exact tests the findings add to the funnel's: Fisher against the rest, permutation log-rank.

Why they exist (docs/statistics/calibration.md): with few cases per district the arcsine z-test of a
share and the RMST z-test of a stay flag far more than 5 % of districts that do not differ.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from likstall.stats import Overdispersion, fisher_vs_rest, logrank, logrank_scores, logrank_vs_rest, rmst_difference


def test_fisher_vs_rest_as_r_fisher_test():
    # R: fisher.test(matrix(c(3, 1, 1, 3), 2))$p.value = 0.4857143 (Fisher's tea tasting);
    #    fisher.test(matrix(c(1, 11, 9, 3), 2))$p.value = 0.002759456.
    assert fisher_vs_rest([3, 1], [4, 4])[0] == pytest.approx(0.4857143, abs=1e-7)
    assert fisher_vs_rest([1, 11], [10, 14])[0] == pytest.approx(0.002759456, abs=1e-8)
    p = fisher_vs_rest([0, 3, 4], [0, 10, 12])
    assert math.isnan(p[0]) and 0 < p[1] <= 1
    with pytest.raises(ValueError, match="numerators"):
        fisher_vs_rest([5, 1], [4, 4])


def _null_shares(rng, reps=300):
    n = np.array([4, 5, 6, 8, 10, 12, 15, 20, 25, 30, 40, 50, 60])
    z = f = 0
    for _ in range(reps):
        k = rng.binomial(n, 0.75)
        # proportion_vs_rest's p (test_funnel_flags: the same as this funnel with exclude_self)
        od = Overdispersion.fixed("PR", target=k.sum() / n.sum())
        z += int(np.sum(od.pvalues(k, n, exclude_self=True)[:4] < 0.05))
        f += int(np.sum(fisher_vs_rest(k, n)[:4] < 0.05))
    return z / (4 * reps), f / (4 * reps)


@pytest.mark.slow
def test_fisher_keeps_the_level_where_the_arcsine_test_does_not():
    # 1 200 null comparisons of districts with 4–8 cases at p = 0,75. Binomial SD at 5 % is 0,6
    # percentage points, so 7 % is more than 3 SD above the nominal level: Fisher must stay under it
    # (it is conservative: ~2 % measured); the arcsine test is at ~20 % (measured), far above 10 %.
    z, f = _null_shares(np.random.default_rng(13))
    assert f <= 0.07
    assert z >= 0.10


def _draw(rng, n):
    t = np.maximum(1, np.round(rng.gamma(1.6, 25 / 1.6, n)))
    cens = rng.random(n) < 0.08
    return np.where(cens, np.minimum(t, rng.integers(1, 60, n)), t), ~cens


def test_logrank_scores_sum_to_survdiff_o_minus_e_and_large_groups_use_survdiff():
    rng = np.random.default_rng(5)
    t, e = _draw(rng, 300)
    g = np.arange(300) < 120
    lr = logrank(t, e, g)
    assert logrank_scores(t, e)[g].sum() == pytest.approx((lr.observed - lr.expected)[0], rel=1e-10)
    res = logrank_vs_rest(t, e, g)
    assert res["p"] == pytest.approx(lr.p, rel=1e-12) and "survdiff" in res["method"]
    small = np.arange(300) < 7
    a, b = logrank_vs_rest(t, e, small), logrank_vs_rest(t, e, small)
    assert a == b and "permutation" in a["method"]  # a fixed seed: the same data give the same p
    with pytest.raises(ValueError, match="in_group"):
        logrank_vs_rest(t, e, np.zeros(300, bool))


@pytest.mark.slow
def test_permutation_logrank_keeps_the_level_with_few_stays():
    # 300 null comparisons of a district with 6 stays against 150: binomial SD at 5 % is 1,3
    # percentage points; the permutation p must stay under 9 % (3 SD). The RMST z-test with R's
    # rmean variance is at ~15–20 % here (measured), so it must be above 10 %.
    rng = np.random.default_rng(21)
    perm = rmst = 0
    reps = 300
    for _ in range(reps):
        ta, ea = _draw(rng, 6)
        tb, eb = _draw(rng, 150)
        t, e = np.r_[ta, tb], np.r_[ea, eb]
        perm += logrank_vs_rest(t, e, np.arange(len(t)) < 6, resamples=400)["p"] < 0.05
        rmst += rmst_difference(ta, ea, tb, eb, 90).extra["p"] < 0.05
    assert perm / reps <= 0.09
    assert rmst / reps >= 0.10


def test_rmst_pseudo_values_are_the_jackknife_of_the_kaplan_meier_rmst():
    from likstall.stats import kaplan_meier, rmst_pseudo_values

    rng = np.random.default_rng(8)
    t, e = _draw(rng, 60)
    theta = rmst_pseudo_values(t, e, 90)
    full = kaplan_meier(t, e).rmst(90)[0]
    assert theta.mean() == pytest.approx(full, rel=1e-10)
    for i in (0, 17, 59):  # θᵢ = n·RMST − (n − 1)·RMST₋ᵢ, by refitting without i
        keep = np.arange(60) != i
        assert theta[i] == pytest.approx(60 * full - 59 * kaplan_meier(t[keep], e[keep]).rmst(90)[0], rel=1e-9)


def test_rmst_permutation_keeps_the_level_and_finds_a_large_difference():
    from likstall.stats import rmst_permutation_vs_rest

    rng = np.random.default_rng(34)
    reps, flags = 300, 0
    for _ in range(reps):
        ta, ea = _draw(rng, 6)
        tb, eb = _draw(rng, 150)
        g = np.arange(156) < 6
        flags += rmst_permutation_vs_rest(np.r_[ta, tb], np.r_[ea, eb], g, 90, resamples=400)["p"] < 0.05
    assert flags / reps <= 0.09  # 3 binomial SD above 5 % at 300 comparisons
    # Twelve stays four times as long (mean 100 days against 25): far beyond the permutations, so
    # the p comes from the normal tail and can be small enough for Benjamini–Hochberg over hundreds.
    ta = np.maximum(1, np.round(rng.gamma(1.6, 100 / 1.6, 12)))
    tb, eb = _draw(rng, 400)
    res = rmst_permutation_vs_rest(np.r_[ta, tb], np.r_[np.ones(12, bool), eb], np.arange(412) < 12, 90)
    assert res["p"] < 1e-4 and res["difference"] > 15


def test_the_kept_key_order_relabels_exactly_as_a_partition_per_test():
    # `_permuted_sums` keeps each row's order of uniform keys between tests (`_key_order`); a group of k then
    # gets the first k. The definition it replaced: a partition of the same keys per test. Same sets, so the
    # same sums (to rounding) and the same p, for every group size, on both sides of the pooled sample.
    from likstall.stats import compare

    rng = np.random.default_rng(7)
    for n, resamples in ((60, 500), (333, 2000), (1000, 2000)):
        scores = rng.normal(size=n)
        for k in (1, 2, 9, n // 3, n // 2, n - 5):
            g = np.zeros(n, bool)
            g[rng.choice(n, k, replace=False)] = True
            small = min(k, n - k)
            keys = np.random.default_rng(20260).random((resamples, n))
            pick = np.argpartition(keys, small - 1, axis=1)[:, :small]
            expected = (1.0 if small == k else -1.0) * scores[pick].sum(axis=1)
            u, got = compare._permuted_sums(scores, g, resamples, 20260)
            assert u == pytest.approx(scores[g].sum())
            np.testing.assert_allclose(got, expected, rtol=0, atol=1e-9)
    assert compare._key_order.cache_info().hits > 0  # the groups of one sample shared the order
