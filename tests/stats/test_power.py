"""Detectability against R (thresholds from poisson.test / prop.test, power by uniroot), by hand,
and by simulation with a fixed seed (power ≈ 0,8 at the returned ratio)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as hs

from likstall.stats import (
    Overdispersion, detectable_hazard_ratio, detectable_proportion, detectable_ratio, detectable_rmst_difference,
    funnel_significance, isr, logrank, proportion_thresholds, ratio_thresholds,
)

from conftest import ref

R = ref("r/power_reference.csv")
Z95 = 1.959963984540054


def rv(case, quantity):
    rows = R[(R["case"] == case) & (R["quantity"] == quantity)]
    return float(rows["value"].iloc[0]) if len(rows) else math.nan


PHE_CASES = sorted({c for c in R["case"] if c.startswith("phe_")})
WILSON_CASES = sorted({c for c in R["case"] if c.startswith("wilson_")})


@pytest.mark.parametrize("case", PHE_CASES)
def test_detectable_ratio_as_r(case):
    e = float(case.split("_E")[1].split("_")[0])
    conf = float(case.split("conf")[1])
    out = detectable_ratio([e], conf=conf).iloc[0]
    assert out.test == "phe" and out.power == 0.8 and out.unit
    assert out.events_high == rv(case, "events_high")
    lo_r = rv(case, "events_low")
    assert (math.isnan(out.events_low) and math.isnan(lo_r)) or out.events_low == lo_r
    assert out.upper_ratio == pytest.approx(rv(case, "upper_ratio"), rel=1e-8)
    r_lower = rv(case, "lower_ratio")
    assert (math.isnan(out.lower_ratio) and math.isnan(r_lower)) or out.lower_ratio == pytest.approx(r_lower, rel=1e-7)


@pytest.mark.parametrize("case", WILSON_CASES)
def test_detectable_proportion_as_r(case):
    n = int(case.split("_n")[1].split("_")[0])
    p0 = float(case.split("_p")[1].split("_")[0])
    conf = float(case.split("conf")[1])
    out = detectable_proportion([n], p0, conf=conf).iloc[0]
    assert out.test == "wilson"
    for ours, theirs in (("events_high", "events_high"), ("events_low", "events_low")):
        r = rv(case, theirs)
        assert (math.isnan(out[ours]) and math.isnan(r)) or out[ours] == r, ours
    for ours in ("upper_share", "lower_share"):
        r = rv(case, ours)
        assert (math.isnan(out[ours]) and math.isnan(r)) or out[ours] == pytest.approx(r, rel=1e-8), ours


@pytest.mark.parametrize("case", sorted({c for c in R["case"] if c.startswith("schoenfeld_")}))
def test_schoenfeld_as_r(case):
    d = int(case.split("_D")[1].split("_")[0])
    a = float(case.split("_pi")[1])
    out = detectable_hazard_ratio([d], a).iloc[0]
    assert out.upper_hr == pytest.approx(rv(case, "upper_hr"), rel=1e-12)
    assert out.lower_hr == pytest.approx(1 / rv(case, "upper_hr"), rel=1e-12)


def test_thresholds_are_the_decisions_the_findings_make():
    for e in (0.7, 3.0, 9.5, 40.0, 180.0):
        low, high = ratio_thresholds(e, 0.95)
        assert isr(high, e, method="phe").lower > 1 and not isr(high - 1, e, method="phe").lower > 1
        assert funnel_significance("ratio", [high], [e], conf=0.95)[0].startswith("High")
        if not math.isnan(low):
            assert isr(low, e, method="phe").upper < 1 and not isr(low + 1, e, method="phe").upper < 1
        for tau2 in (0.0, 0.01, 0.08):
            od = Overdispersion.fixed("SR", "CQC", tau2=tau2)
            low, high = ratio_thresholds(e, 0.95, tau2=tau2, test="cqc")
            assert od.flag([high], [e])[0] == 1 and od.flag([high - 1], [e])[0] == 0
            if not math.isnan(low):
                assert od.flag([low], [e])[0] == -1 and od.flag([low + 1], [e])[0] == 0
            else:
                assert od.flag([0], [e])[0] == 0
    # Proportions: the arcsine test is the PR funnel's flag.
    od = Overdispersion.fixed("PR", tau2=0.005, target=0.85)
    low, high = proportion_thresholds(60, 0.85, tau2=0.005, test="arcsine")
    assert od.flag([high], [60])[0] == 1 and od.flag([high - 1], [60])[0] == 0
    assert od.flag([low], [60])[0] == -1 and od.flag([low + 1], [60])[0] == 0
    low, high = proportion_thresholds(60, 0.85)
    assert funnel_significance("proportion", [high], [60], baseline=0.85, conf=0.95)[0].startswith("High")
    assert funnel_significance("proportion", [low], [60], baseline=0.85, conf=0.95)[0].startswith("Low")
    assert funnel_significance("proportion", [low + 1], [60], baseline=0.85, conf=0.95) == ["Not significant"]


def test_detectable_ratio_by_hand():
    # E = 0,5: the exact lower limit of 3 events, ½χ²(0,025; 6) = 0,619 > 0,5, so 3 events are
    # flagged and 2 are not (0,242); P(X ≥ 3 | λ) = 0,8 at λ = 4,279 → ratio 8,558. Nothing is low.
    out = detectable_ratio(0.5).iloc[0]
    assert out.events_high == 3 and math.isnan(out.events_low) and math.isnan(out.lower_ratio)
    assert out.upper_ratio == pytest.approx(8.558, abs=1e-3)
    # With τ² the limit of the ratio for E → ∞ is (1 ± z√τ²)²: overdispersion does not shrink.
    big = detectable_ratio([1e7], tau2=0.02).iloc[0]
    assert big.test == "cqc"
    assert big.upper_ratio == pytest.approx((1 + Z95 * math.sqrt(0.02)) ** 2, rel=2e-3)
    assert big.lower_ratio == pytest.approx((1 - Z95 * math.sqrt(0.02)) ** 2, rel=2e-3)
    # Pooling years is E·years; more data, smaller detectable ratio.
    three = detectable_ratio([12.0, 40.0], years=3)
    np.testing.assert_allclose(three["upper_ratio"], detectable_ratio([36.0, 120.0])["upper_ratio"], rtol=1e-12)
    pooled = detectable_ratio([12.0], years=[1, 3, 5])
    assert list(pooled["years"]) == [1, 3, 5] and pooled["upper_ratio"].is_monotonic_decreasing
    assert pooled["lower_ratio"].is_monotonic_increasing


@settings(max_examples=40, deadline=None)
@given(hs.floats(0.3, 500), hs.sampled_from([0.0, 0.005, 0.05]))
def test_detectable_ratio_is_where_power_reaches_target(e, tau2):
    from scipy import stats as st

    out = detectable_ratio([e], tau2=tau2).iloc[0]
    lam = out.upper_ratio * e
    pw = st.poisson.sf(out.events_high - 1, lam) + (0 if math.isnan(out.events_low) else st.poisson.cdf(out.events_low, lam))
    assert pw == pytest.approx(0.8, abs=1e-8)
    assert out.upper_ratio > 1 and (math.isnan(out.lower_ratio) or 0 < out.lower_ratio < 1)


def test_power_by_simulation_at_the_returned_ratio():
    rng = np.random.default_rng(2024)
    for e in (3.0, 25.0, 62.0):
        out = detectable_ratio([e]).iloc[0]
        o = rng.poisson(out.upper_ratio * e, 20_000)
        flagged = np.array([isr(x, e, method="phe").lower > 1 for x in np.unique(o)])
        share = np.isin(o, np.unique(o)[flagged]).mean()
        assert share == pytest.approx(0.8, abs=0.012), e
    out = detectable_proportion([80], 0.9).iloc[0]
    k = rng.binomial(80, out.lower_share, 20_000)
    labels = dict(zip(range(81), funnel_significance("proportion", list(range(81)), [80] * 81, baseline=0.9, conf=0.95)))
    assert np.mean([labels[x].startswith("Low") for x in k]) == pytest.approx(0.8, abs=0.012)


def test_detectable_hazard_ratio_by_simulation():
    # Schoenfeld is asymptotic: with 150 events and a 30/70 split the log-rank power at the returned
    # HR is close to 0,8. Exponential stays, no censoring, integer days (ties), 400 replications.
    rng = np.random.default_rng(11)
    n_a, n_b = 45, 105
    hr = detectable_hazard_ratio([n_a + n_b], n_a / (n_a + n_b)).iloc[0].upper_hr
    hits = 0
    reps = 400
    for _ in range(reps):
        ta = np.ceil(rng.exponential(30 / hr, n_a))
        tb = np.ceil(rng.exponential(30, n_b))
        _, _, p = logrank(np.r_[ta, tb], np.ones(n_a + n_b), np.r_[np.ones(n_a), np.zeros(n_b)])
        hits += p < 0.05
    assert hits / reps == pytest.approx(0.8, abs=0.06)


def test_detectable_proportion_with_overdispersion_and_rest():
    plain = detectable_proportion([50], 0.9).iloc[0]
    wide = detectable_proportion([50], 0.9, tau2=0.004, baseline_var=0.0008).iloc[0]
    assert wide.test == "arcsine" and wide.lower_share < plain.lower_share
    assert wide.lower_difference == pytest.approx(100 * (wide.lower_share - 0.9))
    # n·years applications, the rest's variance /years.
    a = detectable_proportion([50], 0.9, tau2=0.004, baseline_var=0.0009, years=3).iloc[0]
    b = detectable_proportion([150], 0.9, tau2=0.004, baseline_var=0.0003).iloc[0]
    assert a.lower_share == pytest.approx(b.lower_share, rel=1e-12)


def test_detectable_rmst_difference_by_hand():
    d = detectable_rmst_difference([4.0, 10.0], [3.0, 0.0])
    k = Z95 + 0.8416212335729143
    np.testing.assert_allclose(d, [5 * k, 10 * k], rtol=1e-12)


@pytest.mark.parametrize("bad", [
    lambda: detectable_ratio([-1.0]), lambda: detectable_ratio([float("nan")]), lambda: detectable_ratio([5.0], power=1.2),
    lambda: detectable_ratio([5.0], tau2=-0.1), lambda: detectable_ratio([5.0], tau2=0.1, test="phe"),
    lambda: detectable_ratio([5.0], test="z"), lambda: detectable_ratio([5.0, 6.0], years=[1, 3, 5]),
    lambda: detectable_proportion([10.5], 0.5), lambda: detectable_proportion([10], 1.2),
    lambda: detectable_proportion([10], 0.5, tau2=0.1, test="wilson"), lambda: detectable_hazard_ratio([10], 1.0),
    lambda: detectable_hazard_ratio([float("inf")]), lambda: detectable_rmst_difference([1.0], [float("nan")]),
])
def test_bad_arguments(bad):
    with pytest.raises(ValueError):
        bad()


def test_frames_carry_method_conf_and_unit():
    for frame in (detectable_ratio([5.0]), detectable_proportion([20], 0.5), detectable_hazard_ratio([30])):
        assert isinstance(frame, pd.DataFrame) and {"method", "conf", "unit", "power"} <= set(frame.columns)
