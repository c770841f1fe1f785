"""Survival and trends against R, value by value (tests/reference/r/, written by make_reference.R).

Every value in the CSVs carries the R call that produced it (R 4.2.2, survival 3.5.3). The data
sets: 24 random two-group data sets with tied integer days and censoring, and the degenerate ones
of issue 13 (no events, a group never at risk, a constant covariate, a rare exposure among tied
events, a coefficient running off to infinity, the median not reached, a median on a plateau).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from likstall.stats import cox, kaplan_meier, logrank, rmst_difference, trend

from conftest import ref

SURV_IN = ref("r/survival_inputs.csv")
SURV = ref("r/survival_reference.csv")
TREND_IN = ref("r/trend_inputs.csv")
TREND = ref("r/trend_reference.csv")
TAU = 60  # make_reference.R: TAU
CASES = list(dict.fromkeys(SURV_IN["case"]))


def r_value(table: pd.DataFrame, case: str, quantity: str, group: str = "") -> float:
    rows = table[(table["case"] == case) & (table["quantity"] == quantity) & (table["group"].fillna("").astype(str) == group)]
    assert len(rows) == 1, (case, quantity, group)
    return float(rows["value"].iloc[0])


def same(ours: float, theirs: float, rel: float = 1e-8, abs_: float = 1e-10) -> bool:
    """R's NA/NaN is our NaN; otherwise equal within tolerance."""
    if math.isnan(theirs):
        return math.isnan(ours)
    return ours == pytest.approx(theirs, rel=rel, abs=abs_)


def data(case: str) -> pd.DataFrame:
    return SURV_IN[SURV_IN["case"] == case]


def test_reference_files_are_complete():
    assert len(CASES) == 32 and SURV["r_call"].str.len().min() > 20
    assert set(SURV["versions"]) == {"R 4.2.2, survival 3.5.3"}


@pytest.mark.parametrize("case", CASES)
def test_logrank_as_survdiff(case):
    d = data(case)
    res = logrank(d["time"], d["status"], d["group"])  # never raises: R's degenerate cases included
    if case == "deg_all_tied_end":
        # R's survdiff stops here ("system is exactly singular": every event time empties its
        # risk set, so V = 0 while E > 0); we use the generalised inverse: nothing to test.
        assert SURV[(SURV["case"] == case) & (SURV["quantity"] == "logrank_error")].shape[0] == 1
        assert (res.chi2, res.df, res.p) == (0.0, 0, 1.0)
        return
    chi2, df, p = res
    assert same(chi2, r_value(SURV, case, "logrank_chisq"), rel=1e-9)
    assert same(p, r_value(SURV, case, "logrank_p"), rel=1e-8)
    g1 = res.groups.index(1)
    assert same(float(res.observed[g1]), r_value(SURV, case, "logrank_observed", "1"))
    assert same(float(res.expected[g1]), r_value(SURV, case, "logrank_expected", "1"), rel=1e-10)


@pytest.mark.parametrize("case", CASES)
def test_cox_as_coxph(case):
    d = data(case)
    res = cox(d["time"], d["status"], d[["group", "x2"]])
    tab = res.table.set_index("covariate")
    infinite = case == "deg_monotone"
    for v in ("group", "x2"):
        rel = 1e-6 if infinite and v == "group" else 1e-7
        assert same(tab.loc[v, "coef"], r_value(SURV, case, "cox_coef", v), rel=rel), v
        assert same(tab.loc[v, "std_err"], r_value(SURV, case, "cox_se", v), rel=max(rel, 1e-6)), v
        assert same(tab.loc[v, "p"], r_value(SURV, case, "cox_p", v), rel=1e-6, abs_=1e-9), v
        assert bool(tab.loc[v, "dropped"]) == math.isnan(r_value(SURV, case, "cox_coef", v))
    assert same(res.loglik[0], r_value(SURV, case, "cox_loglik0"), rel=1e-10)
    assert same(res.loglik[1], r_value(SURV, case, "cox_loglik"), rel=1e-9)
    assert res.n_events == r_value(SURV, case, "cox_nevent")
    chi, df, p = res.lr_test
    assert same(chi, r_value(SURV, case, "cox_lr_chisq"), rel=1e-7, abs_=1e-9)
    assert df == r_value(SURV, case, "cox_lr_df")
    assert same(p, r_value(SURV, case, "cox_lr_p"), rel=1e-7, abs_=1e-12)
    if r_value(SURV, case, "cox_nevent") > 0 and not np.isnan(r_value(SURV, case, "cox_coef", "group")):
        assert res.iterations == r_value(SURV, case, "cox_iter")
    assert bool(tab.loc["group", "infinite"]) == infinite
    one = cox(d["time"], d["status"], d[["group"]]).table.iloc[0]
    assert same(one.coef, r_value(SURV, case, "cox1_coef", "group"), rel=1e-6 if infinite else 1e-7)
    assert same(one.std_err, r_value(SURV, case, "cox1_se", "group"), rel=1e-6)


def test_cox_degenerate_cases_say_why():
    d = data("deg_no_events")
    res = cox(d["time"], d["status"], d[["group", "x2"]])
    assert res.n_events == 0 and "inga händelser" in res.reason and res.lr_test == (0.0, 0, 1.0)
    assert res.table["coef"].isna().all() and res.table["hazard_ratio"].isna().all()
    d = data("deg_constant_x2")
    res = cox(d["time"], d["status"], d[["group", "x2"]])
    assert res.dropped == ("x2",) and any("singular" in w for w in res.warnings)
    d = data("deg_monotone")
    res = cox(d["time"], d["status"], d[["group"]])
    assert any("may be infinite" in w for w in res.warnings) and res.converged
    assert res.lr_test[2] < 0.05 < res.table["p"].iloc[0]  # the LR p is the one to use here


@pytest.mark.parametrize("case", CASES)
def test_km_median_ci_and_rmean_as_survfit(case):
    d = data(case)
    for g in (0, 1):
        part = d[d["group"] == g]
        km = kaplan_meier(part["time"], part["status"])
        assert same(km.median, r_value(SURV, case, "km_median", str(g))), g
        assert same(km.median_ci[0], r_value(SURV, case, "km_median_lcl", str(g))), g
        assert same(km.median_ci[1], r_value(SURV, case, "km_median_ucl", str(g))), g
        value, se = km.rmst(TAU)
        assert same(value, r_value(SURV, case, "rmean", str(g)), rel=1e-10)
        assert same(se, r_value(SURV, case, "rmean_se", str(g)), rel=1e-9)


def test_median_not_reached_keeps_the_lower_limit():
    part = data("deg_median_not_reached")
    part = part[part["group"] == 1]
    est = kaplan_meier(part["time"], part["status"]).median_estimate()
    assert math.isnan(est.value) and est.reason and est.lower == r_value(SURV, "deg_median_not_reached", "km_median_lcl", "1") == 3
    assert math.isnan(est.upper)


@pytest.mark.parametrize("case", CASES)
def test_rmst_difference_as_rmean_combined(case):
    d = data(case)
    a, b = d[d["group"] == 1], d[d["group"] == 0]
    est = rmst_difference(a["time"], a["status"], b["time"], b["status"], tau=TAU)
    assert same(est.value, r_value(SURV, case, "rmst_diff"), rel=1e-10)
    assert same(est.extra["std_err"], r_value(SURV, case, "rmst_diff_se"), rel=1e-9)
    p_r = r_value(SURV, case, "rmst_diff_p")
    if est.extra["std_err"] == 0:
        assert math.isnan(est.extra["p"])  # R: 0/0 gives NaN too
    else:
        assert same(est.extra["p"], p_r, rel=1e-7, abs_=1e-12)
    assert est.lower < est.value < est.upper or est.extra["std_err"] == 0


TREND_CASES = list(dict.fromkeys(TREND_IN["case"]))


@pytest.mark.parametrize("case", TREND_CASES)
def test_trend_as_glm(case):
    d = TREND_IN[TREND_IN["case"] == case]
    for fam in ("quasipoisson", "poisson"):
        t = trend(d["count"], d["exposure"], d["year"], family=fam)
        assert t.family == fam and t.df_resid == r_value(TREND, case, f"{fam}_df_residual")
        # R's default IRLS stops at a relative deviance change of 1e-8 (glm.control), which leaves
        # its SE and p good to about 1e-5; iterated to 1e-14 ("_tight") R and we agree to 1e-7.
        for suffix, rel in (("", 1e-4), ("_tight", 1e-7)):
            assert math.log(t.rate_ratio.value) == pytest.approx(r_value(TREND, case, f"{fam}_estimate{suffix}"), rel=rel)
            assert t.rate_ratio.extra["std_err"] == pytest.approx(r_value(TREND, case, f"{fam}_se{suffix}"), rel=rel)
            assert t.p == pytest.approx(r_value(TREND, case, f"{fam}_p{suffix}"), rel=rel)
    assert t.dispersion == pytest.approx(r_value(TREND, case, "quasipoisson_dispersion_tight"), rel=1e-7)
    auto = trend(d["count"], d["exposure"], d["year"])
    assert auto.family == ("quasipoisson" if auto.dispersion > 1 else "poisson")


def test_five_year_trend_uses_t_on_three_df_like_r():
    # With five points the quasi-Poisson t has 3 df: its p is far larger than a normal test's.
    five = [c for c in TREND_CASES if r_value(TREND, c, "quasipoisson_df_residual") == 3
            and r_value(TREND, c, "quasipoisson_dispersion") > 1]
    assert five
    d = TREND_IN[TREND_IN["case"] == five[0]]
    t = trend(d["count"], d["exposure"], d["year"])
    assert t.family == "quasipoisson" and t.p == pytest.approx(r_value(TREND, five[0], "quasipoisson_p"), rel=1e-6)
    # The CI uses the same t: it excludes 1 exactly when p < 0.05.
    assert (t.rate_ratio.lower > 1 or t.rate_ratio.upper < 1) == (t.p < 0.05)
