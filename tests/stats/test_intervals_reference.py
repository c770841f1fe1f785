"""Intervals against PHEindicatormethods' own test values (tests/reference/phe)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from likstall.stats import byar_ci, exact_poisson_ci, mean_ci, poisson_ci, proportion, proportion_ci, rate

from conftest import ref

COUNTS = ref("phe/phe_count_ci_byar_exact.csv")
RATES = ref("phe/phe_rate_ci.csv")
WILSON = ref("phe/phe_wilson_proportion_ci.csv")
MEANS = ref("phe/phe_mean_ci.csv")


@pytest.mark.parametrize("row", COUNTS.to_dict("records"), ids=lambda r: f"{r['count']}-{r['confidence']}-{r['method']}")
def test_count_ci(row):
    conf = float(row["confidence"].rstrip("%"))  # 95 or 99.8, as PHE accepts
    lo, hi = (byar_ci if row["method"] == "byar" else exact_poisson_ci)(row["count"], conf)
    if math.isnan(row["lower"]):
        assert math.isnan(lo)  # PHE: a negative Byar lower limit is NA
    else:
        assert lo == pytest.approx(row["lower"], rel=row["rel_tol"])
    assert hi == pytest.approx(row["upper"], rel=row["rel_tol"])


@pytest.mark.parametrize("row", RATES.to_dict("records"), ids=lambda r: f"{r['area']}-{r['multiplier']}")
def test_rate_phe_rule(row):
    if math.isnan(row["numerator"]) or math.isnan(row["denominator"]):
        est = rate(None if math.isnan(row["numerator"]) else row["numerator"],
                   None if math.isnan(row["denominator"]) else row["denominator"], per=row["multiplier"], method="phe")
        assert math.isnan(est.value) and est.reason  # PHE returns NA, not an error
        return
    for conf, lo_col, hi_col in ((0.95, "lower95", "upper95"), (99.8, "lower99_8", "upper99_8")):
        est = rate(row["numerator"], row["denominator"], per=row["multiplier"], conf=conf, method="phe")
        assert est.value == pytest.approx(row["value"], rel=row["rel_tol"])
        assert est.lower == pytest.approx(row[lo_col], rel=row["rel_tol"])
        assert est.upper == pytest.approx(row[hi_col], rel=row["rel_tol"])
        assert est.method.startswith("exakt" if row["ci_method"] == "Exact" else "Byar")


@pytest.mark.parametrize("row", WILSON.to_dict("records"), ids=lambda r: r["area"])
def test_wilson(row):
    for conf, lo_col, hi_col in ((95, "lower95", "upper95"), (0.998, "lower99_8", "upper99_8")):
        if math.isnan(row["numerator"]) or math.isnan(row["denominator"]):
            continue
        lo, hi = proportion_ci(row["numerator"], row["denominator"], conf)
        m = row["multiplier"]
        assert lo * m == pytest.approx(row[lo_col], rel=row["rel_tol"], abs=1e-12)
        assert hi * m == pytest.approx(row[hi_col], rel=row["rel_tol"], abs=1e-12)


@pytest.mark.parametrize("row", MEANS.to_dict("records"), ids=lambda r: r["group"])
def test_mean(row):
    values = [float(v) for v in row["values_semicolon"].split(";")]
    for conf, lo_col, hi_col in ((0.95, "lower95", "upper95"), (99.8, "lower99_8", "upper99_8")):
        est = mean_ci(values, conf)
        assert est.value == pytest.approx(row["mean"], rel=row["rel_tol"])
        assert est.lower == pytest.approx(row[lo_col], rel=row["rel_tol"])
        assert est.upper == pytest.approx(row[hi_col], rel=row["rel_tol"])


def test_clopper_pearson_matches_r_binom_test():
    # R: binom.test(1, 10)$conf.int = 0.002528579 0.445016118
    lo, hi = proportion_ci(1, 10, method="exact")
    assert lo == pytest.approx(0.002528579, rel=1e-6) and hi == pytest.approx(0.445016118, rel=1e-6)
    assert proportion_ci(0, 10, method="exact")[0] == 0.0 and proportion_ci(10, 10, method="exact")[1] == 1.0


def test_seed_example_farsta():
    # The example: 41 placements, 7,0 per 10 000 (95 % KI 5,0–9,5).
    est = rate(41, 58_600, per=10_000, unit="per 10 000 invånare")
    assert (round(est.value, 1), round(est.lower, 1), round(est.upper, 1)) == (7.0, 5.0, 9.5)
    assert est.unit == "per 10 000 invånare" and est.conf == 0.95 and est.n == 41


@pytest.mark.parametrize("bad", [
    lambda: rate(-1, 100), lambda: proportion_ci(5, 3), lambda: proportion_ci(-1, 3),
    lambda: poisson_ci(3, conf=0.8), lambda: poisson_ci(3, conf=1.0), lambda: poisson_ci(3, conf=100),
    lambda: poisson_ci(3, exposure=0), lambda: poisson_ci(3, method="wald"),
])
def test_bad_arguments_raise_value_error(bad):
    with pytest.raises(ValueError):
        bad()


def test_proportion_estimate_carries_unit():
    est = proportion(65, 100)
    assert est.unit == "%" and est.method == "Wilson" and est.value == 65
    assert est.lower == pytest.approx(55.25444329688797, rel=1e-9)
