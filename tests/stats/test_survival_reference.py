"""Kaplan–Meier, log-rank and Cox against R survival's published output for the aml data."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as hs

from likstall.stats import cox, kaplan_meier, logrank, mean_influence

# survival::aml — time (weeks) and status (1 = relapse); x = Maintained / Nonmaintained
MAINTAINED = ([9, 13, 13, 18, 23, 28, 31, 34, 45, 48, 161], [1, 1, 0, 1, 1, 0, 1, 1, 0, 1, 0])
NONMAINTAINED = ([5, 5, 8, 8, 12, 16, 23, 27, 30, 33, 43, 45], [1, 1, 1, 1, 1, 0, 1, 1, 1, 1, 1, 1])


def test_median_and_log_ci_as_r_print_survfit():
    # R: x=Maintained 11 7 31 18 NA ; x=Nonmaintained 12 11 23 8 NA
    m = kaplan_meier(*MAINTAINED)
    assert (m.n, m.n_events, m.median, m.median_ci[0]) == (11, 7, 31, 18)
    assert math.isnan(m.median_ci[1])
    nm = kaplan_meier(*NONMAINTAINED)
    assert (nm.n, nm.n_events, nm.median, nm.median_ci[0]) == (12, 11, 23, 8)
    assert math.isnan(nm.median_ci[1])


def test_survival_table_as_r_summary_survfit():
    # R summary(survfit): Maintained at 9: n.risk 11, surv 0.909, std.err 0.0867, lower 0.7541 (log)
    m = kaplan_meier(*MAINTAINED)
    first = m.table.iloc[0]
    assert (first.time, first.at_risk, first.events) == (9, 11, 1)
    assert first.survival == pytest.approx(10 / 11)
    assert first.std_err == pytest.approx(0.0867, abs=5e-5)
    assert first.lower == pytest.approx(0.7541, abs=5e-5)
    assert m.survival_at(8.9) == 1.0 and m.survival_at(13) == pytest.approx(10 / 11 * 9 / 10)


def test_logrank_as_r_survdiff():
    t = MAINTAINED[0] + NONMAINTAINED[0]
    e = MAINTAINED[1] + NONMAINTAINED[1]
    g = ["M"] * 11 + ["N"] * 12
    chi2, df, p = logrank(t, e, g)
    assert df == 1 and round(chi2, 1) == 3.4 and round(p, 2) == 0.07  # R: Chisq= 3.4 on 1 df, p= 0.07
    assert p == pytest.approx(0.0653, abs=5e-4)


def test_cox_efron_as_r_coxph():
    t = MAINTAINED[0] + NONMAINTAINED[0]
    e = MAINTAINED[1] + NONMAINTAINED[1]
    x = pd.DataFrame({"nonmaintained": [0] * 11 + [1] * 12})
    res = cox(t, e, x)
    row = res.table.iloc[0]
    # R: coef 0.9155, exp(coef) 2.4981, se(coef) 0.5119, p 0.0737
    assert row.coef == pytest.approx(0.9155, abs=5e-5)
    assert row.hazard_ratio == pytest.approx(2.4981, abs=5e-5)
    assert row.std_err == pytest.approx(0.5119, abs=5e-5)
    assert row.p == pytest.approx(0.0737, abs=5e-5)
    assert row.lower < row.hazard_ratio < row.upper


def test_rmst_by_hand_with_censoring():
    # Times 2, 4+, 6, 8 ; S = 1 on [0,2), 0.75 on [2,6), 0.375 on [6,8), 0 after 8.
    km = kaplan_meier([2, 4, 6, 8], [1, 0, 1, 1])
    value, se = km.rmst(10)
    assert value == pytest.approx(2 * 1 + 4 * 0.75 + 2 * 0.375)
    # R's formula: Σ A_j² d_j / (n_j (n_j − d_j)) over event times with n_j > d_j;
    # A(2) = 3 + 0.75 = 3.75 (n 4, d 1); A(6) = 0.75 (n 2, d 1); t = 8 has n = d = 1 (no term).
    assert se == pytest.approx(math.sqrt(3.75 ** 2 / 12 + 0.75 ** 2 / 2))


@settings(max_examples=50, deadline=None)
@given(hs.lists(hs.integers(1, 400), min_size=2, max_size=60))
def test_without_censoring_km_is_the_empirical_survival_and_rmst_the_mean(times):
    t = np.array(times, dtype=float)
    km = kaplan_meier(t, np.ones(len(t)))
    for u in np.unique(t):
        assert km.survival_at(u) == pytest.approx((t > u).mean())
    value, _ = km.rmst(t.max())
    assert value == pytest.approx(t.mean())


@settings(max_examples=30, deadline=None)
@given(hs.lists(hs.tuples(hs.integers(1, 300), hs.booleans()), min_size=3, max_size=50))
def test_km_band_contains_the_curve(rows):
    t = [r[0] for r in rows]
    e = [int(r[1]) for r in rows]
    km = kaplan_meier(t, e)
    tab = km.table
    band = tab[tab.survival > 0]  # R has no band where S = 0
    assert ((band.lower <= band.survival + 1e-12) & (band.survival <= band.upper + 1e-12)).all()
    assert tab[tab.survival == 0].lower.isna().all()
    assert (np.diff(tab.survival) <= 1e-12).all()


def test_mean_influence_shows_the_long_stays():
    days = [8, 12, 15, 20, 25, 140, 235]  # mean 65: the seed's small district
    mi = mean_influence(days)
    assert mi.mean.value == pytest.approx(65)
    assert mi.without_longest == pytest.approx((455 - 235) / 6)
    assert mi.without_two_longest == pytest.approx(16)
    assert mi.longest == (235.0, 140.0) and mi.shift_two == pytest.approx(49)
    assert mi.mean.unit == "dagar" and mi.mean.method == "Student t"


def test_bad_durations_raise():
    with pytest.raises(ValueError):
        kaplan_meier([1, -2], [1, 1])
    with pytest.raises(ValueError):
        kaplan_meier([1, 2], [1, 2])
    with pytest.raises(ValueError):
        logrank([1, 2], [1, 1], ["a", "a"])
