"""DSR (Dobson) and ISR against PHEindicatormethods; expected counts from a GLM."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from likstall.stats import dsr, expected_by_group, expected_counts, expected_from_model, isr

from conftest import ref

DSR_IN = ref("phe/phe_dsr_inputs.csv")
DSR_OUT = ref("phe/phe_dsr_expected.csv")
ISR_IN = ref("phe/phe_isr_inputs.csv")
ISR_OUT = ref("phe/phe_isr_expected.csv")


@pytest.mark.parametrize("row", DSR_OUT.to_dict("records"), ids=lambda r: r["area"])
def test_dsr_dobson(row):
    d = DSR_IN[DSR_IN.area == row["area"]].sort_values("band_index")
    for conf, lo_col, hi_col in ((0.95, "lower95", "upper95"), (0.998, "lower99_8", "upper99_8")):
        est = dsr(d["count"], d["pop"], d["std_pop_weight"], per=row["multiplier"], conf=conf)
        assert est.n == row["total_count"]
        if math.isnan(row["value"]):
            assert math.isnan(est.value) and "10" in est.reason
            continue
        assert est.value == pytest.approx(row["value"], rel=row["rel_tol"])
        if not math.isnan(row[lo_col]):
            assert est.lower == pytest.approx(row[lo_col], rel=row["rel_tol"])
            assert est.upper == pytest.approx(row[hi_col], rel=row["rel_tol"])


@pytest.mark.parametrize("row", ISR_OUT.to_dict("records"), ids=lambda r: f"{r['area']}-{r['statistic'][-6:]}")
def test_isr(row):
    d = ISR_IN[ISR_IN.area == row["area"]].sort_values("band_index")
    ref_rates = d["ref_count"] / d["ref_pop"]
    e = expected_counts(d["pop"], ref_rates)
    assert e == pytest.approx(row["expected"], rel=1e-12)
    observed = d["count"].sum()
    assert observed == row["observed"]
    ratio = "ratio" in row["statistic"]
    for conf, lo_col, hi_col in ((0.95, "lower95", "upper95"), (0.998, "lower99_8", "upper99_8")):
        if ratio:
            est = isr(observed, e, conf=conf, method="phe", multiplier=int(row["statistic"].split("x ")[1]))
        else:
            per = 100_000 if "100000" in row["statistic"] else 1000
            ref_rate_per_person = d["ref_count"].sum() / d["ref_pop"].sum()
            assert ref_rate_per_person * per == pytest.approx(row["ref_rate"], rel=1e-12)
            est = isr(observed, e, conf=conf, method="phe", reference_rate=ref_rate_per_person, per=per)
        assert est.value == pytest.approx(row["value"], rel=row["rel_tol"])
        assert est.lower == pytest.approx(row[lo_col], rel=row["rel_tol"])
        assert est.upper == pytest.approx(row[hi_col], rel=row["rel_tol"])
        assert ("Byar" in est.method) == (row["ci_method"] == "Byars")


def test_isr_ratio_values_from_methods_md():
    # METHODS.md §1.4: big 1.0707232939 (1.0017147713–1.1432332872), tiny exact 0.0107670499 (0.0049233808–0.0204392146)
    e = 835.8835612311743
    big = isr(895, e, method="phe")
    assert (big.value, big.lower, big.upper) == pytest.approx((1.0707232939, 1.0017147713, 1.1432332872), rel=1e-9)
    tiny = isr(9, e)
    assert (tiny.value, tiny.lower, tiny.upper) == pytest.approx((0.0107670499, 0.0049233808, 0.0204392146), rel=1e-8)


def test_expected_by_group_pools_the_whole():
    df = pd.DataFrame({"district": ["a", "a", "b", "b"], "sex": ["K", "M", "K", "M"],
                       "events": [10, 2, 20, 2], "population": [1000, 1000, 1000, 3000]})
    out = expected_by_group(df, "district", ["sex"]).set_index("district")
    # pooled rates: K 30/2000, M 4/4000 → a: 1000·0.015 + 1000·0.001 = 16; b: 15 + 3 = 18
    assert out.loc["a", "expected"] == pytest.approx(16.0)
    assert out.loc["b", "expected"] == pytest.approx(18.0)
    assert out["observed"].sum() == pytest.approx(out["expected"].sum())


def test_expected_from_model_recovers_a_known_gradient():
    rng = np.random.default_rng(1)
    income = np.linspace(200, 500, 40)
    pop = np.full(40, 50_000)
    true = pop * 1e-3 * np.exp(-0.004 * (income - 350))
    y = rng.poisson(true)
    fit = expected_from_model(y, pop, pd.DataFrame({"median_income": income}))
    assert fit.expected.sum() == pytest.approx(y.sum(), rel=1e-6)  # Poisson GLM with intercept: Σfitted = Σy
    slope_per_sd = -0.004 * income.std()
    lo, hi = fit.conf_int.loc["median_income"]
    assert lo < slope_per_sd < hi
    nb = expected_from_model(y, pop, pd.DataFrame({"median_income": income}), family="negbin")
    assert nb.alpha is not None and nb.alpha >= 0
    with pytest.raises(ValueError):
        expected_from_model(y, pop, family="binomial")


def test_expected_from_model_leave_one_out_is_the_refit_without_the_unit():
    rng = np.random.default_rng(5)
    income = rng.normal(300, 60, 13)
    pop = rng.integers(30_000, 120_000, 13).astype(float)
    y = rng.poisson(pop * 8e-4 * np.exp(-0.003 * (income - 300)))
    y[4] = y[4] * 3  # one district far above: it pulls its own expected value up
    cov = pd.DataFrame({"median_income": income})
    fit = expected_from_model(y, pop, cov, leave_one_out=True)
    assert fit.expected_loo is not None and fit.expected_loo.shape == (13,)
    keep = np.arange(13) != 4
    alone = expected_from_model(y[keep], pop[keep], cov[keep])
    # Predict unit 4 from the fit without it (coefficients per SD of the 12 units there).
    z = (income[4] - income[keep].mean()) / income[keep].std()
    e4 = pop[4] * np.exp(alone.params["const"] + alone.params["median_income"] * z)
    assert fit.expected_loo[4] == pytest.approx(e4, rel=1e-6)
    assert fit.expected_loo[4] < fit.expected[4]  # without itself, less is expected of it
    assert y[4] / fit.expected_loo[4] > y[4] / fit.expected[4]
    assert expected_from_model(y, pop, cov).expected_loo is None
