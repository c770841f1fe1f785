"""Funnel limits and significance against PHEindicatormethods; overdispersion against FunnelPlotR's formulas."""

from __future__ import annotations

import math

import numpy as np
import pytest

from likstall.stats import funnel_limits, funnel_rate_baseline, funnel_significance, overdispersion

from conftest import ref

PROP = ref("phe/phe_funnel_proportion_limits.csv")
PROP_SIG = ref("phe/phe_funnel_proportion_significance.csv")
RATIO = ref("phe/phe_funnel_ratio_limits.csv")
RATIO_SIG = ref("phe/phe_funnel_ratio_significance.csv")
RATE = ref("phe/phe_funnel_rate_dsr_limits.csv")
RATE_IN = ref("phe/phe_funnel_rate_inputs.csv")


def test_proportion_limits_every_row():
    p0 = PROP["baseline_proportion"].iloc[0]
    assert p0 == pytest.approx(PROP_SIG["numerator"].sum() / PROP_SIG["denominator"].sum(), rel=1e-12)
    out = funnel_limits("proportion", PROP["population"], baseline=p0, multiplier=100)
    tol = PROP["abs_tol_pct"].iloc[0]
    for ours, theirs in (("lower95", "lower95_pct"), ("upper95", "upper95_pct"),
                         ("lower99_8", "lower99_8_pct"), ("upper99_8", "upper99_8_pct")):
        np.testing.assert_allclose(out[ours], PROP[theirs], atol=tol, rtol=0)


def test_proportion_significance_every_area():
    labels = funnel_significance("proportion", PROP_SIG["numerator"], PROP_SIG["denominator"])
    assert labels == list(PROP_SIG["expected_significance"])


def test_ratio_limits_every_row():
    out = funnel_limits("ratio", RATIO["observed_events"], baseline=1, multiplier=100)
    count = funnel_limits("ratio", RATIO["observed_events"], baseline=1, ratio_type="count")
    for tag in ("95", "99_8"):
        for side in ("lower", "upper"):
            rel = RATIO["rel_tol"].iloc[0]
            np.testing.assert_allclose(out[f"{side}{tag}_expected_events"], RATIO[f"{side}{tag}_expected_events"], rtol=rel)
            np.testing.assert_allclose(out[f"{side}{tag}"], RATIO[f"{side}{tag}_isr_x100"], rtol=rel)
            np.testing.assert_allclose(count[f"{side}{tag}"], RATIO[f"{side}{tag}_count_ratio_minus1"], rtol=rel, atol=1e-6)


def test_ratio_significance_every_area():
    labels = funnel_significance("ratio", RATIO_SIG["observed"], RATIO_SIG["expected"])
    assert labels == list(RATIO_SIG["expected_significance"])


def test_rate_limits_every_row():
    baseline = funnel_rate_baseline(RATE_IN["events"], RATE_IN["rate_per_100000"], multiplier=100_000)
    assert baseline == pytest.approx(RATE["baseline_rate"].iloc[0], rel=1e-8)
    out = funnel_limits("rate", RATE["events"], baseline=baseline, multiplier=100_000, years_of_data=3)
    rel = RATE["rel_tol"].iloc[0]
    for tag in ("95", "99_8"):
        for side in ("lower", "upper"):
            np.testing.assert_allclose(out[f"{side}{tag}"], RATE[f"{side}{tag}_rate"], rtol=rel)
            np.testing.assert_allclose(out[f"{side}{tag}_population_1_year"], RATE[f"{side}{tag}_population_1_year"],
                                       rtol=rel)


def test_rate_significance_and_dsr_small_counts():
    labels = funnel_significance("rate", [5, 400, 400], [300.0, 116.0, 400.0], baseline=116.1720835,
                                 multiplier=100_000, rate_type="dsr")
    assert labels[0] == "Not applicable for events less than 10 for dsrs"
    assert labels[1] == "Not significant" and labels[2] == "High (0.001)"


def test_funnel_limits_narrow_towards_target_as_n_grows():
    n = np.array([10, 100, 1_000, 10_000, 100_000])
    out = funnel_limits("proportion", n, baseline=0.3)
    width = out["upper95"] - out["lower95"]
    assert (np.diff(width) < 0).all() and (out["lower95"] < 30).all() and (out["upper95"] > 30).all()
    r = funnel_limits("ratio", n, baseline=1, multiplier=1)
    assert (np.diff(r["upper95"] - r["lower95"]) < 0).all()
    assert (r["lower99_8"] < r["lower95"]).all() and (r["upper99_8"] > r["upper95"]).all()


# --- overdispersion (FunnelPlotR formulas, METHODS.md §2) ---------------------------------------

O = np.array([12, 30, 8, 55, 19, 41, 3, 27, 66, 15, 22, 9])
E = np.array([10.2, 24.1, 11.5, 40.3, 21.7, 45.2, 6.8, 20.0, 48.9, 17.3, 25.5, 7.7])


def test_cqc_by_hand():
    od = overdispersion(O, E, method="CQC")
    z = (np.sqrt(O / E) - 1) * 2 * np.sqrt(E)
    lo, hi = np.quantile(z, [0.1, 0.9])
    zw = np.clip(z, lo, hi)
    phi = np.mean(zw ** 2)
    w = 4 * E
    tau2 = max(0, (len(O) * phi - (len(O) - 1)) / (w.sum() - (w ** 2).sum() / w.sum()))
    assert od.phi == pytest.approx(phi, rel=1e-12) and od.tau2 == pytest.approx(tau2, rel=1e-12)
    assert od.adjusted == (phi > 1)
    lo95, hi95 = od.limits([10.0], 0.95)
    # The limit on the O/E scale is the square of the limit on the √(O/E) scale (Spiegelhalter
    # 2005): (1 ± z√(1/(4E) + τ²))². FunnelPlotR draws it unsquared (its issue 33); this test
    # asserted that form until issue 13.
    sd = math.sqrt(1 / 40 + tau2)
    assert hi95[0] == pytest.approx((1 + 1.959964 * sd) ** 2, rel=1e-6)
    assert lo95[0] == pytest.approx(max(0.0, 1 - 1.959964 * sd) ** 2, rel=1e-6)
    assert hi95[0] > 1 + 1.959964 * sd  # wider than the unsquared line


def test_shmi_truncation_drops_the_extreme_deciles():
    o = np.arange(1, 21) * 3
    e = np.full(20, 30.0)
    od = overdispersion(o, e, method="SHMI")
    # 20 units, k = 10: rank·10/21 floors to group 0 for ranks 1–2 and to group 9 for ranks 19–20.
    assert od.n_trimmed == 4 and not od.kept[:2].any() and not od.kept[-2:].any()
    z = np.sqrt(30.0) * np.log(o / 30.0)
    assert od.phi == pytest.approx(np.mean(z[2:-2] ** 2), rel=1e-12)


def test_poisson_data_has_no_overdispersion_and_overdispersed_data_has():
    rng = np.random.default_rng(7)
    e = rng.uniform(20, 200, 200)
    calm = overdispersion(rng.poisson(e), e, method="CQC")
    assert calm.phi < 1.3 and calm.tau2 < 0.01
    theta = rng.gamma(5, 1 / 5, 200)  # relative risks with variance 0.2
    wild = overdispersion(rng.poisson(e * theta), e, method="CQC")
    assert wild.phi > 3 and wild.adjusted
    lo_a, hi_a = wild.limits([100.0])
    lo_u, hi_u = calm.limits([100.0])
    assert hi_a[0] - lo_a[0] > hi_u[0] - lo_u[0]


def test_proportion_overdispersion_on_arcsine_scale():
    k = np.array([30, 45, 12, 80, 25, 60, 18, 40])
    n = np.array([100, 120, 60, 200, 90, 150, 70, 110])
    od = overdispersion(k, n, statistic="PR")
    target = k.sum() / n.sum()
    assert od.target == pytest.approx(target)
    z = (np.arcsin(np.sqrt(k / n)) - math.asin(math.sqrt(target))) * 2 * np.sqrt(n)
    assert od.z == pytest.approx(z)
    lo, hi = od.limits(np.array([100.0]))
    assert 0 <= lo[0] < target < hi[0] <= 1


def test_overdispersion_rejects_bad_input():
    with pytest.raises(ValueError):
        overdispersion([1, 2], [1, 2])
    with pytest.raises(ValueError):
        overdispersion([5, 2, 3], [4, 1, 2], statistic="PR")
