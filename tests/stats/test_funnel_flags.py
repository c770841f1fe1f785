"""The drawn funnel and the flag are one decision (issue 13 §1), on every scale, with and without τ².

`Overdispersion.limits(x)` is the back-transformed limit on the plotted scale; `flag` tests on
the transformed scale. A point lies outside the drawn limit at its x exactly when it is flagged.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as hs

from likstall.stats import Overdispersion, funnel_significance, overdispersion, proportion_vs_rest

Z95, Z998 = 1.959963984540054, 3.090232306167813

SCALES = [("SR", "CQC"), ("SR", "SHMI"), ("PR", None), ("RC", None)]


def plotted(statistic, o, x):
    return np.asarray(o, float) / np.asarray(x, float)  # O/E, k/n or O/D


def away_from_edges(od, o, x, conf, exclude_self=False):
    """Skip points within 1e-9 of a limit in z, where rounding could put them on either side."""
    zc = Z95 if conf == 0.95 else Z998
    z = od.zscores(o, x, exclude_self=exclude_self)
    return bool(np.all(np.abs(np.abs(z) - zc) > 1e-9))


@settings(max_examples=150, deadline=None)
@given(scale=hs.sampled_from(SCALES), tau2=hs.one_of(hs.just(0.0), hs.floats(1e-4, 0.3)),
       conf=hs.sampled_from([0.95, 0.998]), target=hs.floats(0.05, 0.95),
       units=hs.lists(hs.tuples(hs.integers(0, 400), hs.floats(0.5, 300)), min_size=1, max_size=12))
def test_point_outside_drawn_limit_iff_flagged(scale, tau2, conf, target, units):
    statistic, method = scale
    o = np.array([u[0] for u in units], dtype=float)
    x = np.array([u[1] for u in units])
    if statistic in ("PR", "RC"):
        x = np.ceil(x)  # a denominator count
    if statistic == "PR":
        o = np.minimum(o, x)
    od = Overdispersion.fixed(statistic, method, tau2=tau2, target=target if statistic != "SR" else 1.0)
    assume(away_from_edges(od, o, x, conf))
    lo, hi = od.limits(x, conf)
    v = plotted(statistic, o, x)
    outside = np.where(v > hi, 1, np.where(v < lo, -1, 0))
    np.testing.assert_array_equal(od.flag(o, x, conf), outside)
    np.testing.assert_array_equal(od.outliers(v, x, conf), outside)


@settings(max_examples=120, deadline=None)
@given(scale=hs.sampled_from(SCALES), tau2=hs.one_of(hs.just(0.0), hs.floats(1e-4, 0.2)),
       conf=hs.sampled_from([0.95, 0.998]),
       units=hs.lists(hs.tuples(hs.integers(1, 300), hs.integers(1, 300)), min_size=3, max_size=12))
def test_leave_one_out_flag_iff_outside_own_limits(scale, tau2, conf, units):
    statistic, method = scale
    o = np.array([u[0] for u in units], dtype=float)
    x = np.array([u[1] for u in units], dtype=float)
    if statistic == "PR":
        o, x = np.minimum(o, x), np.maximum(o, x)
        rest_share = (o.sum() - o) / (x.sum() - x)
        assume(np.all((rest_share > 0) & (rest_share < 1)))
    target = float(o.sum() / x.sum()) if statistic != "SR" else 1.0
    od = Overdispersion.fixed(statistic, method, tau2=tau2, target=min(target, 0.99) if statistic == "PR" else target)
    assume(away_from_edges(od, o, x, conf, exclude_self=True))
    lo, hi = od.unit_limits(o, x, conf, exclude_self=True)
    v = plotted(statistic, o, x)
    outside = np.where(v > hi, 1, np.where(v < lo, -1, 0))
    np.testing.assert_array_equal(od.flag(o, x, conf, exclude_self=True), outside)


@settings(max_examples=60, deadline=None)
@given(seed=hs.integers(0, 10_000), scale=hs.sampled_from(SCALES))
def test_estimated_overdispersion_draws_what_it_flags(seed, scale):
    statistic, method = scale
    rng = np.random.default_rng(seed)
    n = 13
    x = rng.integers(20, 400, n).astype(float)
    if statistic == "PR":
        o = rng.binomial(x.astype(int), np.clip(rng.normal(0.7, 0.12, n), 0.05, 0.95)).astype(float)
    else:
        o = rng.poisson(x * rng.gamma(4, 1 / 4, n) * (1 if statistic == "SR" else 0.6)).astype(float)
    od = overdispersion(o, x, method=method or "CQC", statistic=statistic)
    for conf in (0.95, 0.998):
        assume(away_from_edges(od, o, x, conf))
        lo, hi = od.limits(x, conf)
        v = plotted(statistic, o, x)
        np.testing.assert_array_equal(od.flag(o, x, conf), np.where(v > hi, 1, np.where(v < lo, -1, 0)))


def test_cqc_limit_is_the_square_and_the_issue_example_is_inside():
    # Issue 13: Enskede-Årsta-Vantör, O/E 1,34 at E ≈ 62, lay outside the drawn 99,8 % line while
    # its test said "not clearly different". The unsquared line 1 + 3,09·√(1/248) = 1,196 is below
    # 1,34; the back-transformed limit (1 + 3,09·√(1/248))² = 1,431 is above it, as is the flag.
    od = Overdispersion.fixed("SR", "CQC")
    lo, hi = od.limits([62.0], 0.998)
    sd = math.sqrt(1 / 248)
    assert hi[0] == pytest.approx((1 + Z998 * sd) ** 2, rel=1e-12)
    assert hi[0] == pytest.approx(1.43097, abs=1e-5)
    assert lo[0] == pytest.approx((1 - Z998 * sd) ** 2, rel=1e-12)
    assert 1 + Z998 * sd < 1.34 < hi[0]
    o = 1.34 * 62
    assert od.flag([round(o)], [62.0], 0.998)[0] == 0
    z = (math.sqrt(round(o) / 62) - 1) / sd
    assert od.zscores([round(o)], [62.0])[0] == pytest.approx(z, rel=1e-12)


def test_limits_by_hand_on_every_scale():
    tau2 = 0.01
    shmi = Overdispersion.fixed("SR", "SHMI", tau2=tau2)
    lo, hi = shmi.limits([25.0], 0.95)
    assert (lo[0], hi[0]) == pytest.approx((math.exp(-Z95 * math.sqrt(1 / 25 + tau2)),
                                            math.exp(Z95 * math.sqrt(1 / 25 + tau2))), rel=1e-12)
    pr = Overdispersion.fixed("PR", tau2=tau2, target=0.81)
    lo, hi = pr.limits([100.0], 0.95)
    a, sd = math.asin(0.9), math.sqrt(1 / 400 + tau2)
    assert (lo[0], hi[0]) == pytest.approx((math.sin(a - Z95 * sd) ** 2, math.sin(min(a + Z95 * sd, math.pi / 2)) ** 2))
    rc = Overdispersion.fixed("RC", tau2=tau2, target=0.5)
    lo, hi = rc.limits([80.0], 0.95)
    sd = math.sqrt((1 + 1 / 0.5) / 80 + tau2)  # var log(O/D) ≈ 1/O + 1/D with O = 0,5·D
    assert (lo[0], hi[0]) == pytest.approx((0.5 * math.exp(-Z95 * sd), 0.5 * math.exp(Z95 * sd)), rel=1e-12)
    # A very wide CQC funnel: the lower limit is 0 and nothing can fall below it.
    wide = Overdispersion.fixed("SR", "CQC", tau2=0.5)
    assert wide.limits([5.0], 0.95)[0][0] == 0.0 and wide.flag([0], [5.0])[0] == 0


def test_tau2_widens_and_the_unadjusted_rule_is_kept():
    rng = np.random.default_rng(3)
    e = rng.uniform(20, 200, 30)
    calm = overdispersion(rng.poisson(e), e, method="CQC")
    assert calm.tau2_used == (calm.tau2 if calm.adjusted else 0.0)
    wild = overdispersion(rng.poisson(e * rng.gamma(3, 1 / 3, 30)), e, method="CQC")
    assert wild.adjusted and wild.tau2_used == wild.tau2 > 0
    (lo_w, hi_w), (lo_0, hi_0) = wild.limits([100.0]), Overdispersion.fixed("SR", "CQC").limits([100.0])
    assert lo_w[0] < lo_0[0] and hi_w[0] > hi_0[0]
    # The p-values are those of the z the lead computes today: (√(O/E) − 1)/√(1/(4E) + τ²).
    o = rng.poisson(e)
    z = (np.sqrt(o / e) - 1) / np.sqrt(1 / (4 * e) + wild.tau2)
    np.testing.assert_allclose(wild.zscores(o, e), z, rtol=1e-12)
    np.testing.assert_allclose(wild.pvalues(o, e), 2 * (1 - _phi(np.abs(z))), rtol=1e-9, atol=1e-15)


def _phi(z):
    from scipy.stats import norm

    return norm.cdf(z)


def test_leave_one_out_reference_by_hand():
    k = np.array([10, 90, 85, 95])
    n = np.array([20, 100, 95, 100])
    tau2 = 0.004
    od = Overdispersion.fixed("PR", tau2=tau2, target=k.sum() / n.sum())
    ref = od.reference(k, n, exclude_self=True)
    rest = (k.sum() - k[0]) / (n.sum() - n[0])
    w = n[1:] / n[1:].sum()
    assert ref["target"].iloc[0] == pytest.approx(rest, rel=1e-12)
    assert ref["target_var"].iloc[0] == pytest.approx(1 / (4 * n[1:].sum()) + tau2 * (w ** 2).sum(), rel=1e-12)
    z0 = (math.asin(math.sqrt(0.5)) - math.asin(math.sqrt(rest))) / math.sqrt(1 / 80 + tau2 + ref["target_var"].iloc[0])
    assert od.zscores(k, n, exclude_self=True)[0] == pytest.approx(z0, rel=1e-12)
    # A unit far below the others is further from the rest than from a baseline that includes it.
    assert od.zscores(k, n, exclude_self=True)[0] < od.zscores(k, n)[0] < 0


def test_proportion_vs_rest_is_the_leave_one_out_funnel_and_newcombe():
    k = np.array([10, 90, 85, 95, 40])
    n = np.array([20, 100, 95, 100, 45])
    for tau2 in (0.0, 0.006):
        res = proportion_vs_rest(k, n, tau2=tau2)
        od = Overdispersion.fixed("PR", tau2=tau2, target=k.sum() / n.sum())
        np.testing.assert_allclose([r.extra["p"] for r in res], od.pvalues(k, n, exclude_self=True), rtol=1e-12)
        flags = od.flag(k, n, exclude_self=True)
        assert all((r.extra["p"] < 0.05) == bool(f) for r, f in zip(res, flags))
        assert all(r.lower < r.value < r.upper and r.unit.startswith("procentenheter") for r in res)
    plain, wide = proportion_vs_rest(k, n), proportion_vs_rest(k, n, tau2=0.006)
    assert all(w.upper - w.lower > p.upper - p.lower for p, w in zip(plain, wide))
    # τ² = 0: Newcombe's hybrid score interval (Newcombe 1998, Table II, example a: 56/70 − 48/80,
    # method 10: 0,0524 to 0,3339), here as one unit against a "rest" of one.
    a = proportion_vs_rest([56, 48], [70, 80])[0]
    assert a.value == pytest.approx(20.0)
    assert (a.lower, a.upper) == pytest.approx((5.24, 33.39), abs=0.006)
    zero = proportion_vs_rest([0, 3, 4], [0, 10, 12])
    assert math.isnan(zero[0].value) and zero[0].reason


def test_rate_significance_uses_byar_from_ten_events_as_phe():
    # baseline 100 per 100 000 = 0,001 per person; derived denominator D = 4790, so E = 4,79.
    # O = 10: Byar's lower limit 10·(1 − 1/90 − 1,96/(3√10))³ = 4,787 < 4,79 → not significant
    # (PHE); the exact limit ½χ²(0,025; 20) = 4,795 > 4,79 would have said "High (0.025)".
    rate = 100_000 * 10 / 4790
    assert funnel_significance("rate", [10], [rate], baseline=100, multiplier=100_000, conf=0.95) == ["Not significant"]
    # Nine events use the exact limit: ½χ²(0,025; 18) = 4,1154; with E = 4,10 it is "High".
    rate9 = 100_000 * 9 / 4100
    assert funnel_significance("rate", [9], [rate9], baseline=100, multiplier=100_000, conf=0.95) == ["High (0.025)"]
    with pytest.raises(ValueError, match="population"):
        funnel_significance("rate", [0, 12], [0.0, 30.0], multiplier=100_000)
    labels = funnel_significance("rate", [0, 12], [0.0, 30.0], multiplier=100_000, population=[40_000, 40_000])
    assert labels[0] in ("Not significant", "Low (0.025)", "Low (0.001)")


def test_shares_of_zero_and_one_are_fine_references():
    # A small city where every application was granted, or a rest of the city that granted all:
    # the arcsine scale is defined at 0 and 1, so nothing raises and nothing is flagged wrongly.
    k, n = np.array([10, 20, 30]), np.array([10, 20, 30])
    od = overdispersion(k, n, statistic="PR")
    assert od.phi == 0 and od.tau2 == 0 and od.flag(k, n).tolist() == [0, 0, 0]
    k = np.array([5, 20, 30])
    res = proportion_vs_rest(k, n)
    assert res[0].extra["rest_share"] == 100 and res[0].value == -50 and res[0].extra["p"] < 0.001
    plain = Overdispersion.fixed("PR", target=k.sum() / n.sum())
    assert plain.flag(k, n, exclude_self=True).tolist() == [-1, 1, 1]
